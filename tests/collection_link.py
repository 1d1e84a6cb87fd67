"""Make a checkout visible as the collection hardened.flopsar, for every tool that needs it.

Ansible finds a collection as <root>/ansible_collections/<namespace>/<name>; a symlink there to the
checkout lets ansible-playbook (ANSIBLE_COLLECTIONS_PATH=<root>) and Python (<root> on sys.path, for
``ansible_collections.hardened.flopsar.plugins.module_utils``) use the working tree as it is. Used by
tests/run.py (the lint, Molecule and demo stages), tests/unit/conftest.py and benchmarks/run.py.

Each user keeps a root of its own (one per checkout, one for the benchmarks): a second checkout, or a
benchmark running beside the tests, must never swap a shared link under a running ansible-playbook.
"""

import hashlib
import os
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
NAMESPACE, NAME = GALAXY["namespace"], GALAXY["name"]
FQCN = f"{NAMESPACE}.{NAME}"


def link(root, repo=REPO):
    """Point <root>/ansible_collections/<namespace>/<name> at repo and return root.

    A link to another checkout or a real directory there (ansible-lint's own install of the project)
    is replaced; the new link is renamed into place, so a reader never sees it missing.
    """
    root = Path(root)
    path = root / "ansible_collections" / NAMESPACE / NAME
    if path.is_symlink() and path.resolve() == Path(repo).resolve():
        return root
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    tmp = path.with_name(f".{NAME}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(repo)
    tmp.replace(path)
    return root


def checkout_key(repo=REPO):
    """A short name for a checkout, for what each checkout keeps apart under the cache directory."""
    return hashlib.sha256(str(repo).encode()).hexdigest()[:12]


def checkout_root(cache, repo=REPO):
    """The collections root of this checkout under the cache directory (FLOPSAR_CACHE), linked."""
    return link(Path(cache) / "collections" / checkout_key(repo), repo)
