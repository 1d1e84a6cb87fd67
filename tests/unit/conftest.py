"""Make this checkout importable as ``ansible_collections.hardened.flopsar``.

Collection code imports its own module_utils by their full collection path,
so the unit tests need an ``ansible_collections/hardened/flopsar`` tree on
``sys.path``.  The tree is a symlink to this checkout, kept in the same cache
directory the Makefile uses (``FLOPSAR_CACHE``), outside the repository so
that ``ansible-galaxy collection build`` never sees it.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("FLOPSAR_CACHE", "/var/tmp/hardened-flopsar"))
COLLECTIONS = CACHE / "collections"
LINK = COLLECTIONS / "ansible_collections" / "hardened" / "flopsar"

if not LINK.exists() or LINK.resolve() != REPO:
    LINK.parent.mkdir(parents=True, exist_ok=True)
    if LINK.is_symlink() or LINK.exists():
        LINK.unlink()
    LINK.symlink_to(REPO)

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
