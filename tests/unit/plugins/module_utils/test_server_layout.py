# -*- coding: utf-8 -*-
"""plugins/module_utils/server_layout.py: the server role skips what is already as declared."""

from ansible_collections.hardened.flopsar.plugins.module_utils.server_layout import layout_settled, parse_read

READ = """flopsar-server install ok installed 7.0.0
kept 7.0.0
group flopsar:x:998:
passwd flopsar:x:998:998::/var/lib/flopsar:/usr/sbin/nologin
path 750 root flopsar d /etc/flopsar
path 750 root flopsar d /etc/flopsar/ssl
path 750 flopsar flopsar d /var/lib/flopsar
path 600 flopsar flopsar f /etc/flopsar/ssl/master.key
path 644 root root f /etc/systemd/system/flopsar-server.service
unit-sha1 abc123
unit-enabled enabled
"""

EXPECT = {
    "group": "flopsar",
    "user": "flopsar",
    "home": "/var/lib/flopsar",
    "shell": "/usr/sbin/nologin",
    "directories": [
        {"path": "/etc/flopsar", "owner": "root", "group": "flopsar", "mode": "0750"},
        {"path": "/etc/flopsar/ssl", "owner": "root", "group": "flopsar", "mode": "0750"},
        {"path": "/var/lib/flopsar", "owner": "flopsar", "group": "flopsar", "mode": "0750"},
    ],
    "master_key": {"path": "/etc/flopsar/ssl/master.key", "owner": "flopsar", "group": "flopsar", "mode": "0600"},
    "unit_sha1": "abc123",
    "unit": {"path": "/etc/systemd/system/flopsar-server.service", "owner": "root", "group": "root", "mode": "0644"},
}

ALL = {"accounts": True, "directories": True, "master_key": True, "unit_file": True, "unit_enabled": True}


def test_a_converged_host_is_settled_everywhere():
    assert layout_settled(READ, EXPECT) == ALL


def test_a_path_with_spaces_is_read_whole():
    read = parse_read("path 640 root root f /etc/a b.conf\n")
    assert read["paths"]["/etc/a b.conf"] == {"mode": "0640", "owner": "root", "group": "root", "type": "f"}


def test_a_wrong_mode_owner_or_type_is_not_settled():
    for old, new in [
        ("path 750 flopsar flopsar d /var/lib/flopsar", "path 755 flopsar flopsar d /var/lib/flopsar"),
        ("path 750 root flopsar d /etc/flopsar\n", "path 750 flopsar flopsar d /etc/flopsar\n"),
        ("path 750 root flopsar d /etc/flopsar/ssl", "path 750 root flopsar f /etc/flopsar/ssl"),
    ]:
        assert layout_settled(READ.replace(old, new), EXPECT)["directories"] is False


def test_a_missing_directory_or_key_is_not_settled():
    result = layout_settled(READ.replace("path 750 flopsar flopsar d /var/lib/flopsar\n", ""), EXPECT)
    assert result["directories"] is False
    result = layout_settled(READ.replace("path 600 flopsar flopsar f /etc/flopsar/ssl/master.key\n", ""), EXPECT)
    assert result["master_key"] is False


def test_a_readable_key_is_not_settled():
    result = layout_settled(READ.replace("path 600 flopsar", "path 640 flopsar"), EXPECT)
    assert result["master_key"] is False


def test_no_master_key_to_manage_is_never_settled():
    assert layout_settled(READ, dict(EXPECT, master_key=None))["master_key"] is False


def test_accounts_differ_when_the_user_has_another_home_shell_or_group():
    for old, new in [
        (":/var/lib/flopsar:", ":/home/flopsar:"),
        (":/usr/sbin/nologin", ":/bin/bash"),
        ("passwd flopsar:x:998:998:", "passwd flopsar:x:998:100:"),
    ]:
        result = layout_settled(READ.replace(old, new), EXPECT)
        assert result["accounts"] is False
        assert result["directories"] is False and result["master_key"] is False  # owners resolve through them


def test_a_missing_group_or_user_is_not_settled():
    assert layout_settled(READ.replace("group flopsar:x:998:\n", ""), EXPECT)["accounts"] is False
    assert layout_settled(READ.replace("passwd flopsar", "passwd other"), EXPECT)["accounts"] is False


def test_the_unit_file_and_its_enablement():
    assert layout_settled(READ.replace("unit-sha1 abc123", "unit-sha1 "), EXPECT)["unit_file"] is False
    assert layout_settled(READ, dict(EXPECT, unit_sha1="other"))["unit_file"] is False
    assert (
        layout_settled(READ.replace("unit-enabled enabled", "unit-enabled disabled"), EXPECT)["unit_enabled"] is False
    )


def test_an_empty_read_settles_nothing():
    assert layout_settled("", EXPECT) == dict.fromkeys(ALL, False)


def test_a_unit_file_with_another_mode_is_not_settled():
    assert layout_settled(READ.replace("path 644 root root", "path 666 root root"), EXPECT)["unit_file"] is False
