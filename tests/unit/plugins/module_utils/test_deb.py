# -*- coding: utf-8 -*-
"""plugins/module_utils/deb.py: a package file's version read on the controller, and the host's one read."""

import gzip
import io
import lzma
import subprocess
import tarfile
from pathlib import Path

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.deb import control_fields, dpkg_state, parse_control

CONTROL = "Package: flopsar-server\nVersion: 7.0.1+standin\nDescription: stand-in\n more text\n"


def _ar_member(name, data):
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n"
    return header.encode("ascii") + data + (b"\n" if len(data) % 2 else b"")


def _control_tar(compress):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        body = CONTROL.encode()
        info = tarfile.TarInfo("./control")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return compress(raw.getvalue())


def _deb(suffix, compress, debian_binary=b"2.0\n"):
    return (
        b"!<arch>\n"
        + _ar_member("debian-binary", debian_binary + b"x")  # odd size: the padding byte is skipped
        + _ar_member("control.tar" + suffix, _control_tar(compress))
        + _ar_member("data.tar.xz", b"")
    )


@pytest.mark.parametrize(("suffix", "compress"), [(".xz", lzma.compress), (".gz", gzip.compress), ("", bytes)])
def test_control_fields_of_a_package_file(suffix, compress):
    fields = control_fields(io.BytesIO(_deb(suffix, compress)))
    assert fields["Package"] == "flopsar-server"
    assert fields["Version"] == "7.0.1+standin"
    assert fields["Description"] == "stand-in\nmore text"


def test_the_stand_in_package_built_by_dpkg_deb(tmp_path):
    script = Path(__file__).resolve().parents[3] / "standin" / "build-deb.sh"
    if not script.exists() or subprocess.run(["which", "dpkg-deb"], capture_output=True, check=False).returncode:
        pytest.skip("no dpkg-deb here")
    path = subprocess.run([script, tmp_path, "7.0.3"], capture_output=True, text=True, check=True).stdout.split()[-1]
    with open(path, "rb") as handle:
        fields = control_fields(handle)
    assert (fields["Package"], fields["Version"]) == ("flopsar-server", "7.0.3+standin")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04", "no ar archive"),
        (b"!<arch>\n", "no control.tar member"),
        (b"!<arch>\n" + _ar_member("control.tar.zst", b"x"), "does not know"),
    ],
)
def test_what_is_not_a_package_file(data, message):
    with pytest.raises(ValueError, match=message):
        control_fields(io.BytesIO(data))


def test_parse_control_ignores_what_is_not_a_field():
    assert parse_control("junk\nPackage: a\n") == {"Package": "a"}


def test_dpkg_state():
    out = (
        "flopsar-server installed 7.0.0+standin\n"
        "python3-cryptography:amd64 installed 38.0.4-3\n"
        "old-thing config-files 1.0\n"
        "kept 7.0.0+standin\n"
    )
    assert dpkg_state(out) == {
        "installed": {"flopsar-server": "7.0.0+standin", "python3-cryptography": "38.0.4-3"},
        "kept": "7.0.0+standin",
    }
    assert dpkg_state("kept \n") == {"installed": {}, "kept": ""}
    assert dpkg_state(None) == {"installed": {}, "kept": ""}
