# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: crowdsec_state
short_description: Read in one call which of the crowdsec role's files, links, units and listeners differ from its plan
version_added: 1.1.0
description:
  - Reads every given path on the host (type, mode, owner, group, the SHA-1 of a file's content, a link's target)
    and the C(systemctl is-enabled) and C(systemctl is-active) state of the given units, and returns the paths that
    differ from what the role would make of them, each with the reason.
  - For the verify phase it also says whether the given nftables tables are loaded and what the given URLs answer
    (the Local API's C(/health), the metrics), so that one call checks the whole host.
  - Changes nothing. The crowdsec role runs its own C(copy), C(file) and C(systemd_service) tasks only for what
    differs (they keep their checks, backups and diffs), so an idempotent run reads the host once.
  - The comparison is the function C(path_drift) of the collection's C(plugins/module_utils/crowdsec.py); anything
    it cannot tell counts as a difference.
author:
  - hardened.flopsar engineers (@hardened-flopsar)
options:
  paths:
    description: The managed paths and what the role would make of each.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path on the host.
        type: path
        required: true
      state:
        description: What the path should be.
        type: str
        choices: [file, directory, link, absent]
        default: file
      mode:
        description: Octal mode, as the role's task sets it.
        type: str
      owner:
        description: Owner's name.
        type: str
      group:
        description: Group's name.
        type: str
      checksum:
        description: SHA-1 of the content the role writes (a file's content may hold a secret, so the value is never
          logged).
        type: str
      src:
        description: A link's target.
        type: str
      create_only:
        description: A seed the role writes only when it is missing; its content and attributes are not compared.
        type: bool
        default: false
  links:
    description: Symbolic links as C([target, link]) pairs (the P(hardened.flopsar.crowdsec_hub_links#filter)
      filter's output); a link that is missing or points elsewhere differs.
    type: list
    elements: list
    default: []
  units:
    description: systemd units whose C(systemctl is-enabled) and C(systemctl is-active) states are returned.
    type: list
    elements: str
    default: []
  packages:
    description: Debian packages whose installed version and dpkg status are returned (C(dpkg-query)).
    type: list
    elements: str
    default: []
  tables:
    description: nftables tables, as C(<family> <name>), whose presence is returned (C(nft list table)).
    type: list
    elements: str
    default: []
  urls:
    description: URLs to GET (no proxy); the HTTP status of each is returned (0 when there is no answer).
    type: list
    elements: dict
    default: []
    suboptions:
      url:
        description: The URL.
        type: str
        required: true
      ca_path:
        description: The CA certificate that verifies an HTTPS server.
        type: path
  url_wait:
    description: Seconds to keep asking a URL that does not answer 200 yet (once a second).
    type: int
    default: 0
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: The role's own tasks show the diffs of what differs.
notes:
  - A file's content is hashed only when a C(checksum) is given for it.
"""

EXAMPLES = r"""
- name: Read which managed files differ
  hardened.flopsar.crowdsec_state:
    paths:
      - {path: /etc/crowdsec, state: directory, mode: "0755", owner: root, group: root}
      - {path: /etc/crowdsec/config.yaml.local, mode: "0600", owner: root, group: root,
         checksum: "{{ content | hash('sha1') }}"}
    links:
      - [/var/lib/crowdsec/hub/collections/crowdsecurity/sshd.yaml, /etc/crowdsec/collections/sshd.yaml]
    units: [crowdsec]
  register: state

- name: Write the file only when it differs
  ansible.builtin.copy:
    content: "{{ content }}"
    dest: /etc/crowdsec/config.yaml.local
    mode: "0600"
  when: "'/etc/crowdsec/config.yaml.local' in state.differs"
"""

RETURN = r"""
differs:
  description: The paths that differ, each with the reason (missing, present, mode, owner, group, content, links
    elsewhere, or what it is instead).
  returned: always
  type: dict
  sample: {"/etc/crowdsec/config.yaml.local": "content"}
units:
  description: Each unit's C(systemctl is-enabled) answer (C(enabled), C(disabled), C(masked), C(not-found), ...)
    as C(enabled) and its C(systemctl is-active) answer (C(active), C(inactive), C(failed), ...) as C(active).
  returned: always
  type: dict
  sample: {"crowdsec": {"enabled": "enabled", "active": "active"}}
packages:
  description: Each given package that dpkg knows, with its C(version) and C(status) (C(installed), C(config-files),
    ...); a package dpkg does not know is left out.
  returned: always
  type: dict
  sample: {"crowdsec": {"version": "1.4.6-6~deb12u1+b1", "status": "installed"}}
tables:
  description: Whether each given nftables table is loaded.
  returned: always
  type: dict
  sample: {"ip crowdsec": true}
urls:
  description: The HTTP status each URL answered (0 with C(error) when it did not answer).
  returned: always
  type: dict
  sample: {"http://127.0.0.1:8080/health": {"status": 200, "error": ""}}
"""

import grp
import hashlib
import os
import pwd
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.hardened.flopsar.plugins.module_utils.crowdsec import dpkg_status, path_drift


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def observe(path, want_checksum):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"type": None}
    if stat.S_ISLNK(st.st_mode):
        return {"type": "link", "src": os.readlink(path)}
    kind = "file" if stat.S_ISREG(st.st_mode) else "directory" if stat.S_ISDIR(st.st_mode) else "other"
    out = {
        "type": kind,
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "owner": _name(pwd.getpwuid, st.st_uid),
        "group": _name(grp.getgrgid, st.st_gid),
    }
    if kind == "file" and want_checksum:
        digest = hashlib.sha1()  # noqa: S324 - the checksum copy and stat compare with
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(65536), b""):
                digest.update(block)
        out["checksum"] = digest.hexdigest()
    return out


def get(url, ca_path, wait):
    """The status a URL answers (0 and the error when none), asking again once a second for `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            response = open_url(url, ca_path=ca_path, use_proxy=False, timeout=5, validate_certs=True)
            status, error = response.getcode(), ""
        except Exception as exc:  # noqa: BLE001 - every failure is a finding to report
            status, error = int(getattr(exc, "code", 0) or 0), str(exc)
        if status == 200 or time.monotonic() >= deadline:
            return {"status": status, "error": error}
        time.sleep(1)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    path=dict(type="path", required=True),
                    state=dict(type="str", default="file", choices=["file", "directory", "link", "absent"]),
                    mode=dict(type="str"),
                    owner=dict(type="str"),
                    group=dict(type="str"),
                    checksum=dict(type="str", no_log=True),
                    src=dict(type="str"),
                    create_only=dict(type="bool", default=False),
                ),
            ),
            links=dict(type="list", elements="list", default=[]),
            units=dict(type="list", elements="str", default=[]),
            packages=dict(type="list", elements="str", default=[]),
            tables=dict(type="list", elements="str", default=[]),
            urls=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(url=dict(type="str", required=True), ca_path=dict(type="path")),
            ),
            url_wait=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    differs = {}
    for wanted in module.params["paths"]:
        try:
            reason = path_drift(wanted, observe(wanted["path"], bool(wanted.get("checksum"))))
        except OSError as exc:
            reason = "unreadable (%s)" % exc.strerror
        if reason:
            differs[wanted["path"]] = reason
    for pair in module.params["links"]:
        if len(pair) != 2:
            module.fail_json(msg="links: each entry is a [target, link] pair, not %r" % (pair,))
        try:
            reason = path_drift({"state": "link", "src": pair[0]}, observe(pair[1], False))
        except OSError as exc:
            reason = "unreadable (%s)" % exc.strerror
        if reason:
            differs[pair[1]] = reason
    units = {}
    if module.params["units"]:
        systemctl = module.get_bin_path("systemctl", required=True)
        for unit in module.params["units"]:
            units[unit] = {
                "enabled": module.run_command([systemctl, "is-enabled", unit])[1].strip() or "not-found",
                "active": module.run_command([systemctl, "is-active", unit])[1].strip() or "unknown",
            }
    packages = {}
    if module.params["packages"]:
        query = [module.get_bin_path("dpkg-query", required=True), "--show", "--showformat"]
        query += ["${Package} ${Version} ${db:Status-Status}\n"] + module.params["packages"]
        packages = dpkg_status(module.run_command(query, expand_user_and_vars=False)[1])
    tables = {}
    if module.params["tables"]:
        nft = module.get_bin_path("nft")
        for table in module.params["tables"]:
            tables[table] = bool(nft) and module.run_command([nft, "list", "table"] + table.split())[0] == 0
    urls = {}
    for item in module.params["urls"]:
        urls[item["url"]] = get(item["url"], item.get("ca_path"), max(0, module.params["url_wait"]))
    module.exit_json(changed=False, differs=differs, units=units, packages=packages, tables=tables, urls=urls)


if __name__ == "__main__":
    main()
