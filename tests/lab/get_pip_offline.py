"""Offline replacement for the pip bootstrap script ansible-test downloads.

ansible-test creates an empty virtualenv for some sanity tests and runs
``python get_pip_<version>.py <pip install options and packages>`` in it. The
real script comes from a host CI cannot reach, so tests/lab/bootstrap.sh puts
this file in ansible-test's cache under that name instead. It installs the pip
that ships with Python (ensurepip), then lets that pip install what was asked
for (pip itself at ansible-test's pinned version included) from the package
index.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}  # get-pip's own flags, not `pip install` options

subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", *args], check=False).returncode)
