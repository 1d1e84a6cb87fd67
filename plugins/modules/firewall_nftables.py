#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: firewall_nftables
short_description: The firewall role's nftables files, compared with the confirmed rules, and a change loaded
version_added: 1.1.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Used by the hardened.flopsar.firewall role (nftables backend); not meant to be called on its own.
  - Creates O(directories) (root, mode 0700), writes each of O(files) whose content differs (a file with
    O(files[].check) is checked with C(nft -c -f) first; a file nft refuses is not written and the module fails),
    enables O(unit) at boot (with a C(systemctl daemon-reload) when its unit file was written).
  - Then compares what the role's commit-confirm needs, the candidate O(candidate) with the boot ruleset
    O(boot_file), and the table O(table) in force (C(nft -s list table inet)) with its listing saved at the last
    confirmation, O(confirmed_listing) (counter values left out on both sides).
  - When the two differ and O(load) is given, the first step of the role's commit-confirm follows in the same
    call (not in check mode). The change is named, and its name written to O(load.boot_token) and O(load.armed).
    A transient timer is armed that runs O(load.revert_script) with the name after O(load.rollback_timeout)
    seconds. Then the candidate is loaded into the running firewall with C(nft -f), in one transaction. The boot
    ruleset is not touched; only the role's confirmation from a fresh connection promotes the candidate.
options:
  directories:
    description: Directories to create (owner root, mode 0700).
    type: list
    elements: path
    default: []
  files:
    description: Files to write (owner root).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Where the file goes.
        type: path
        required: true
      content:
        description: The file's content.
        type: str
        required: true
      mode:
        description: Its mode.
        type: str
        required: true
      check:
        description: Check the content with C(nft -c -f) before it is written.
        type: bool
        default: false
  unit:
    description: The systemd unit (without C(.service)) that loads O(boot_file) at boot, enabled here.
    type: str
    required: true
  candidate:
    description: The candidate ruleset (one of O(files)).
    type: path
    required: true
  boot_file:
    description: The boot ruleset, the last confirmed candidate.
    type: path
    required: true
  table:
    description: The role's table (family inet).
    type: str
    required: true
  confirmed_listing:
    description: The table as listed when the boot ruleset was confirmed.
    type: path
    required: true
attributes:
  check_mode:
    description: Reports what would be written or enabled, writes nothing (the candidate is still checked with nft -c).
    support: full
  diff_mode:
    description: Shows the old and new content of each file that changes.
    support: full
notes:
  - Needs only Python's standard library, nft and systemctl on the host.
extends_documentation_fragment:
  - hardened.flopsar.firewall_load
"""

EXAMPLES = r"""
- name: Write the candidate ruleset and compare it with the confirmed one
  hardened.flopsar.firewall_nftables:
    directories: [/etc/hardened-flopsar, /var/lib/hardened-flopsar]
    files:
      - {path: /var/lib/hardened-flopsar/firewall.candidate.nft, content: "{{ ruleset }}", mode: "0600", check: true}
    unit: hardened-flopsar-firewall
    candidate: /var/lib/hardened-flopsar/firewall.candidate.nft
    boot_file: /etc/hardened-flopsar/firewall.nft
    table: hardened_flopsar
    confirmed_listing: /var/lib/hardened-flopsar/firewall.confirmed.live
    load:
      boot_token: /run/hardened-flopsar-firewall.boot
      armed: /var/lib/hardened-flopsar/armed
      revert_unit: hardened-flopsar-firewall-revert
      revert_script: /var/lib/hardened-flopsar/revert.sh
      rollback_timeout: 40
  register: nft_state
"""

RETURN = r"""
written:
  description: The files written (in check mode, that would be written).
  type: list
  elements: str
  returned: always
settled:
  description: The candidate is the boot ruleset and the table in force is the one confirmed last.
  type: bool
  returned: always
candidate_changed:
  description: The candidate was written (would be, in check mode).
  type: bool
  returned: always
loaded:
  description: The candidate was loaded into the running firewall under a rollback timer (O(load)).
  type: bool
  returned: always
token:
  description: The loaded change's name, which its confirmation writes; empty when nothing was loaded.
  type: str
  returned: always
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_commit import LOAD_OPTIONS, arm_and_load
from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_nftables import files_to_write, settled


def read(path):
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict")
    except OSError:
        return None


def write(module, f):
    """Write one file atomically; a file to check is checked with nft -c first (in check mode too, where
    nothing is written)."""
    directory = os.path.dirname(f["path"])
    fd, tmp = tempfile.mkstemp(
        dir=directory if os.path.isdir(directory) else None, prefix="." + os.path.basename(f["path"]) + "."
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(f["content"]))
        if f["check"]:
            rc, _out, err = module.run_command(["/usr/sbin/nft", "-c", "-f", tmp])
            if rc != 0:
                module.fail_json(msg="nft refused the ruleset, %s was not changed: %s" % (f["path"], err.strip()))
        if not module.check_mode:
            os.chmod(tmp, int(f["mode"], 8))
            module.atomic_move(tmp, f["path"])
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="path", default=[]),
            files=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    path=dict(type="path", required=True),
                    content=dict(type="str", required=True),
                    mode=dict(type="str", required=True),
                    check=dict(type="bool", default=False),
                ),
            ),
            unit=dict(type="str", required=True),
            candidate=dict(type="path", required=True),
            boot_file=dict(type="path", required=True),
            table=dict(type="str", required=True),
            confirmed_listing=dict(type="path", required=True),
            load=dict(type="dict", options=LOAD_OPTIONS),
        ),
        supports_check_mode=True,
    )
    p = module.params
    changed = False
    for directory in p["directories"]:
        if not os.path.isdir(directory):
            changed = True
            if not module.check_mode:
                os.makedirs(directory, 0o700)
        args = module.load_file_common_arguments(dict(path=directory, owner="root", group="root", mode="0700"))
        if os.path.isdir(directory):
            changed = module.set_fs_attributes_if_different(args, changed)

    wanted = {f["path"]: f["content"] for f in p["files"]}
    current = {path: read(path) for path in wanted}
    written = files_to_write(wanted, current)
    diff = []
    for f in p["files"]:
        if f["path"] in written:
            if module._diff:
                diff.append(
                    dict(
                        before_header=f["path"],
                        after_header=f["path"],
                        before=current[f["path"]] or "",
                        after=f["content"],
                    )
                )
            write(module, f)
        if os.path.exists(f["path"]):
            args = module.load_file_common_arguments(dict(path=f["path"], owner="root", group="root", mode=f["mode"]))
            changed = module.set_fs_attributes_if_different(args, changed)
    changed = changed or bool(written)

    unit_file = [path for path in written if os.path.basename(path) == p["unit"] + ".service"]
    if unit_file and not module.check_mode:
        module.run_command(["systemctl", "daemon-reload"], check_rc=True)
    rc, out, _err = module.run_command(["systemctl", "is-enabled", p["unit"]])
    if out.strip() != "enabled":
        changed = True
        if not module.check_mode:
            module.run_command(["systemctl", "enable", p["unit"]], check_rc=True)

    rc, live, _err = module.run_command(["/usr/sbin/nft", "-s", "list", "table", "inet", p["table"]])
    is_settled = settled(
        wanted.get(p["candidate"], read(p["candidate"])),
        read(p["boot_file"]),
        live if rc == 0 else None,
        read(p["confirmed_listing"]),
    )
    token = ""
    if not is_settled and p["load"] and not module.check_mode:
        candidate = p["candidate"]
        token = arm_and_load(module, p["load"], ["/usr/sbin/nft", "-f", candidate], "nft -f " + candidate, False)
        changed = True
    result = dict(
        changed=changed,
        written=written,
        candidate_changed=p["candidate"] in written,
        settled=is_settled,
        loaded=bool(token),
        token=token,
    )
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
