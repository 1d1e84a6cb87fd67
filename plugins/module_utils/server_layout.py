# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the server role's accounts, directories, master key and unit are already as declared.

The role's one read on the host (tasks/install.yml) prints, besides the package lines deb.dpkg_state()
reads, lines of its own:

  group <getent group line>            passwd <getent passwd line>
  path <octal mode> <owner> <group> <d|f> <path>   (find -printf '%m %u %g %y %p', paths that exist)
  unit-sha1 <sha1 of the unit file, empty when there is none>
  unit-enabled <systemctl is-enabled output>

``layout_settled()`` compares them with what the role declares and says, per concern, whether the
tasks that make it can be skipped. It is pure; anything unreadable counts as not settled, so the role's
own tasks then run and decide, as they always did.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)


def parse_read(text):
    """The layout lines of the read: groups and users by name, paths by path, the unit's sha1 and state."""
    out = {"groups": {}, "users": {}, "paths": {}, "unit_sha1": "", "unit_enabled": ""}
    for line in (text or "").splitlines():
        kind, _sep, rest = line.partition(" ")
        if kind == "group" and ":" in rest:
            fields = rest.split(":")
            out["groups"][fields[0]] = {"gid": fields[2] if len(fields) > 2 else ""}
        elif kind == "passwd" and ":" in rest:
            fields = rest.split(":")
            if len(fields) >= 7:
                out["users"][fields[0]] = {"gid": fields[3], "home": fields[5], "shell": fields[6]}
        elif kind == "path":
            words = rest.split(" ", 4)
            if len(words) == 5:
                mode, owner, group, ftype, path = words
                out["paths"][path] = {"mode": mode.zfill(4), "owner": owner, "group": group, "type": ftype}
        elif kind == "unit-sha1":
            out["unit_sha1"] = rest.strip()
        elif kind == "unit-enabled":
            out["unit_enabled"] = rest.strip()
    return out


def _path_is(found, want):
    if found is None:
        return False
    kind = "d" if want.get("state") == "directory" else "f"
    return (
        found["type"] == kind
        and found["owner"] == want["owner"]
        and found["group"] == want["group"]
        and found["mode"] == str(want["mode"]).zfill(4)
    )


def layout_settled(text, expect):
    """Per concern, True when the host is already as ``expect`` declares.

    ``expect``: ``group``, ``user``, ``home``, ``shell``; ``directories`` and ``master_key`` (dicts
    with ``path``, ``owner``, ``group``, ``mode``; directories with ``state: directory``; master_key may
    be None when the role does not manage one here); ``unit_sha1`` (of the rendered unit) and ``unit``
    (the unit file's path, owner, group and mode; optional).
    Returns ``accounts``, ``directories``, ``master_key``, ``unit_file``, ``unit_enabled``.
    """
    read = parse_read(text)
    group = read["groups"].get(expect["group"])
    user = read["users"].get(expect["user"])
    accounts = bool(
        group
        and user
        and user["gid"] == group["gid"]
        and user["home"] == expect["home"]
        and user["shell"] == expect["shell"]
    )
    directories = all(_path_is(read["paths"].get(d["path"]), dict(d, state="directory")) for d in expect["directories"])
    key = expect.get("master_key")
    master_key = key is not None and _path_is(read["paths"].get(key["path"]), key)
    return {
        "accounts": accounts,
        "directories": accounts and directories,
        "master_key": accounts and master_key,
        "unit_file": bool(read["unit_sha1"])
        and read["unit_sha1"] == expect.get("unit_sha1")
        and (expect.get("unit") is None or _path_is(read["paths"].get(expect["unit"]["path"]), expect["unit"])),
        "unit_enabled": read["unit_enabled"] == "enabled",
    }
