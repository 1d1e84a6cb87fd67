import pytest
from ansible.errors import AnsibleLookupError
from ansible_collections.hardened.flopsar.plugins.lookup.crowdsec_deb_fields import LookupModule

CONTROL = b"Package: crowdsec\nVersion: 1.4.6-6\nArchitecture: amd64\n"


def _deb(tmp_path):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        info = tarfile.TarInfo("./control")
        info.size = len(CONTROL)
        archive.addfile(info, io.BytesIO(CONTROL))
    data = buf.getvalue()
    member = b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (b"control.tar.gz", 0, 0, 0, b"100644", len(data))
    path = tmp_path / "crowdsec_1.4.6-6_amd64.deb"
    path.write_bytes(b"!<arch>\n" + member + data + (b"\n" if len(data) % 2 else b""))
    return str(path)


def test_reads_each_file_and_leaves_an_unreadable_one_empty(tmp_path):
    odd = tmp_path / "odd.deb"
    odd.write_bytes(b"not a deb")
    deb = _deb(tmp_path)
    assert LookupModule().run([deb, str(odd)]) == [
        {"path": deb, "package": "crowdsec", "version": "1.4.6-6", "architecture": "amd64"},
        {"path": str(odd), "package": "", "version": "", "architecture": ""},
    ]


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(AnsibleLookupError, match="cannot read"):
        LookupModule().run([str(tmp_path / "missing.deb")])
