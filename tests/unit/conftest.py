"""Make this checkout importable as ``ansible_collections.hardened.flopsar``.

Collection code imports its own module_utils by their full collection path, so the unit tests need
an ``ansible_collections/hardened/flopsar`` tree on ``sys.path``: this checkout's own collections
root under the cache directory (``FLOPSAR_CACHE``), outside the repository so that
``ansible-galaxy collection build`` never sees it (tests/collection_link.py).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import collection_link

COLLECTIONS = str(collection_link.checkout_root(os.environ.get("FLOPSAR_CACHE", "/var/tmp/hardened-flopsar")))

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
