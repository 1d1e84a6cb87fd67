# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian packages without dpkg: a package file's control fields, and what dpkg-query reported.

The server role compares the vendor package file's version with the installed one before anything
is copied to the host: the file is read where it is (the controller, also an execution environment
without dpkg), by ``control_fields()``; the host's side is one dpkg-query call, parsed by
``dpkg_state()``. Standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import bz2
import gzip
import io
import lzma
import tarfile

AR_MAGIC = b"!<arch>\n"
AR_HEADER = 60
DECOMPRESS = {"": lambda data: data, ".gz": gzip.decompress, ".xz": lzma.decompress, ".bz2": bz2.decompress}


def parse_control(text):
    """A control file's fields ({'Package': ..., 'Version': ...}); continuation lines join their field."""
    fields = {}
    last = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            fields[last] += "\n" + line.strip()
        elif ":" in line:
            last, _sep, value = line.partition(":")
            last = last.strip()
            fields[last] = value.strip()
    return fields


def control_fields(handle):
    """The control fields of the .deb read from ``handle`` (a binary file object); ValueError when it is not one."""
    if handle.read(len(AR_MAGIC)) != AR_MAGIC:
        raise ValueError("not a Debian package (no ar archive)")
    while True:
        header = handle.read(AR_HEADER)
        if len(header) < AR_HEADER:
            raise ValueError("not a Debian package (no control.tar member)")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError as exc:
            raise ValueError("not a Debian package (a damaged ar header)") from exc
        if name.startswith("control.tar"):
            suffix = name[len("control.tar") :]
            if suffix not in DECOMPRESS:
                raise ValueError("control.tar%s: a compression this reader does not know" % suffix)
            data = DECOMPRESS[suffix](handle.read(size))
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar.getmembers():
                    if member.name.lstrip("./") == "control" and member.isfile():
                        return parse_control(tar.extractfile(member).read().decode("utf-8"))
            raise ValueError("control.tar%s has no control file" % suffix)
        handle.seek(size + size % 2, io.SEEK_CUR)


def dpkg_state(text):
    """What the role's one read on the host printed: lines '<package> <status> <version>' from dpkg-query,
    and 'kept <version>' (the kept package file's version, empty when there is none).

    Returns ``installed`` ({package: version} of the installed ones) and ``kept`` (a version or '').
    """
    installed = {}
    kept = ""
    for line in (text or "").splitlines():
        words = line.split()
        if words[:1] == ["kept"]:
            kept = words[1] if len(words) > 1 else ""
        elif len(words) == 3 and words[1] == "installed":
            installed[words[0].split(":")[0]] = words[2]
    return dict(installed=installed, kept=kept)
