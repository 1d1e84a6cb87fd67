"""plugins/lookup/deb_fields.py: the control fields of package files on the controller."""

import io
import tarfile

import pytest
import yaml
from ansible.constants import config
from ansible.errors import AnsibleLookupError
from ansible_collections.hardened.flopsar.plugins.lookup import deb_fields

CONTROL = b"Package: crowdsec\nVersion: 1.4.6-6\nArchitecture: amd64\n"


def _lookup():
    """The plugin with its options defined from its DOCUMENTATION, as Ansible's loader would."""
    lookup = deb_fields.LookupModule()
    lookup._load_name = "hardened.flopsar.deb_fields"
    options = yaml.safe_load(deb_fields.DOCUMENTATION)["options"]
    config.initialize_plugin_configuration_definitions("lookup", lookup._load_name, options)
    return lookup


def _deb(tmp_path):
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


def test_each_file_gives_its_fields_and_an_unreadable_one_stops_the_run(tmp_path):
    odd = tmp_path / "odd.deb"
    odd.write_bytes(b"not a deb")
    deb = _deb(tmp_path)
    assert _lookup().run([deb]) == [{"Package": "crowdsec", "Version": "1.4.6-6", "Architecture": "amd64"}]
    with pytest.raises(AnsibleLookupError, match=r"odd\.deb: not a Debian package"):
        _lookup().run([deb, str(odd)])


def test_unreadable_empty_gives_an_empty_mapping_for_that_file(tmp_path):
    odd = tmp_path / "odd.deb"
    odd.write_bytes(b"not a deb")
    deb = _deb(tmp_path)
    fields = _lookup().run([deb, str(odd)], unreadable="empty")
    assert fields == [{"Package": "crowdsec", "Version": "1.4.6-6", "Architecture": "amd64"}, {}]


def test_a_missing_file_is_an_error_whatever_the_option(tmp_path):
    with pytest.raises(AnsibleLookupError, match=r"missing\.deb"):
        _lookup().run([str(tmp_path / "missing.deb")], unreadable="empty")
