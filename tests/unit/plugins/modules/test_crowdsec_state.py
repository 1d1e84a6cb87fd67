import getpass
import grp
import hashlib
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.hardened.flopsar.plugins.modules import crowdsec_state
from ansible_collections.hardened.flopsar.plugins.modules.crowdsec_state import observe


def test_observe_reads_type_mode_owner_and_checksum_only_when_asked(tmp_path):
    path = tmp_path / "config.yaml.local"
    path.write_bytes(b"api: {}\n")
    os.chmod(path, 0o600)
    seen = observe(str(path), True)
    assert seen["type"] == "file" and seen["mode"] == "0600"
    assert seen["checksum"] == hashlib.sha1(b"api: {}\n").hexdigest()  # noqa: S324
    assert "checksum" not in observe(str(path), False)
    assert observe(str(tmp_path), False)["type"] == "directory"
    assert observe(str(tmp_path / "missing"), True) == {"type": None}


def test_observe_reads_a_link_without_following_it(tmp_path):
    link = tmp_path / "sshd.yaml"
    link.symlink_to("/nonexistent/hub/sshd.yaml")
    assert observe(str(link), True) == {"type": "link", "src": "/nonexistent/hub/sshd.yaml"}


def test_main_returns_only_what_differs_and_never_the_checksums(capsys, tmp_path):
    same, other = tmp_path / "same.yaml", tmp_path / "other.yaml"
    same.write_bytes(b"same\n")
    other.write_bytes(b"other\n")
    os.chmod(same, 0o600)
    os.chmod(other, 0o600)
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    wanted_sum = hashlib.sha1(b"same\n").hexdigest()  # noqa: S324
    (tmp_path / "link.yaml").symlink_to(str(same))
    args = {
        "paths": [
            {"path": str(same), "mode": "0600", "owner": user, "group": group, "checksum": wanted_sum},
            {"path": str(other), "mode": "0600", "checksum": wanted_sum},
            {"path": str(tmp_path / "gone"), "state": "absent"},
            {"path": str(tmp_path / "seed"), "create_only": True},
        ],
        "links": [[str(same), str(tmp_path / "link.yaml")], [str(same), str(tmp_path / "nolink.yaml")]],
    }
    with patch_module_args(args), pytest.raises(SystemExit):
        crowdsec_state.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert result["changed"] is False
    assert result["differs"] == {
        str(other): "content",
        str(tmp_path / "seed"): "missing",
        str(tmp_path / "nolink.yaml"): "missing",
    }
    assert wanted_sum not in out
