#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: server_settings
short_description: Write the Flopsar Server's settings.toml, validated, atomically, with a backup
version_added: 1.0.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Serialises O(settings) to TOML with a strict writer (every string escaped as TOML requires).
  - Before the file is replaced, checks the settings against the documented keys and types, that
    the certificate, key and master key files they refer to exist, and that every listener's address
    is an address of this host. Any failure leaves the existing file untouched.
  - Keys the documentation does not list are accepted with a warning.
  - Writes atomically and keeps a timestamped backup of the previous file when asked, up to O(keep_backups) of them.
options:
  path:
    description: Where settings.toml lives. Relative certificate and key paths resolve in C(ssl/) beside it.
    type: path
    default: /etc/flopsar/settings.toml
  settings:
    description: The document, a dict whose nested dicts become TOML tables.
    type: dict
    required: true
  header:
    description: Comment written at the top of the file.
    type: str
    default: Managed by Ansible (hardened.flopsar.server). Local changes are overwritten.
  owner:
    description: Owner of the file.
    type: str
    default: root
  group:
    description: Group of the file.
    type: str
    default: root
  mode:
    description: Mode of the file.
    type: raw
    default: "0640"
  backup:
    description: Keep a timestamped copy of the previous file next to it.
    type: bool
    default: true
  keep_backups:
    description:
      - How many backups of the file to keep (the newest); older ones are removed after a new one is made.
      - V(0) keeps them all.
    type: int
    default: 5
  check_host:
    description: Check that referenced files exist and listener addresses belong to this host.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reports whether the file would change, and checks it, without writing.
    support: full
  diff_mode:
    description: Shows the old and the new settings.toml.
    support: full
notes:
  - The module runs on the Flopsar Server host and needs only Python's standard library there.
"""

EXAMPLES = r"""
- name: Write settings.toml
  hardened.flopsar.server_settings:
    path: /etc/flopsar/settings.toml
    settings:
      data: /var/lib/flopsar
      agent: {server_ip: 10.0.1.10, server_port: 9000}
      ui_srv: {server_ip: 10.0.0.10, server_port: 9443, ssl: true}
      otlp: {enable: false}
      master_key: {provider: file, value: master.key}
    group: flopsar
  register: settings_result
"""

RETURN = r"""
path:
  description: The file written (or that would be written).
  type: str
  returned: always
backup_file:
  description: The backup of the previous file, when one was made.
  type: str
  returned: changed and a backup was made
removed_backups:
  description: Older backups removed to keep O(keep_backups) of them.
  type: list
  elements: str
  returned: changed and a backup was made
undocumented:
  description: Messages about settings that are not documented (also shown as warnings).
  type: list
  elements: str
  returned: always
"""

import os
import socket
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.hardened.flopsar.plugins.module_utils.flopsar_settings import backups_to_remove, check
from ansible_collections.hardened.flopsar.plugins.module_utils.toml_writer import dumps


def address_is_local(address):
    """An address is this host's when a socket can bind it (port 0: nothing is left listening)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
        return True
    except OSError:
        return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/flopsar/settings.toml"),
            settings=dict(type="dict", required=True),
            header=dict(
                type="str", default="Managed by Ansible (hardened.flopsar.server). Local changes are overwritten."
            ),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            mode=dict(type="raw", default="0640"),
            backup=dict(type="bool", default=True),
            keep_backups=dict(type="int", default=5),
            check_host=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    settings = module.params["settings"]
    config_dir = os.path.dirname(path)

    try:
        content = dumps(settings, module.params["header"])
    except TypeError as exc:
        module.fail_json(msg="settings cannot be written as TOML: %s" % exc)

    host = module.params["check_host"]
    errors, warnings = check(
        settings,
        config_dir,
        file_readable=(lambda p: os.access(p, os.R_OK)) if host else None,
        address_is_local=address_is_local if host else None,
    )
    for warning in warnings:
        module.warn(warning)
    if errors:
        module.fail_json(msg="settings.toml was not changed: " + "; ".join(errors), errors=errors, path=path)

    before = ""
    if os.path.exists(path):
        with open(path, "rb") as handle:
            before = to_text(handle.read(), errors="surrogate_or_strict")
    result = dict(changed=before != content, path=path, undocumented=warnings)
    if module._diff:
        result["diff"] = dict(before=before, after=content, before_header=path, after_header=path)

    if result["changed"] and not module.check_mode:
        if module.params["backup"] and before:
            result["backup_file"] = module.backup_local(path)
            old = backups_to_remove(os.listdir(config_dir), os.path.basename(path), module.params["keep_backups"])
            for name in old:
                os.unlink(os.path.join(config_dir, name))
            result["removed_backups"] = [os.path.join(config_dir, name) for name in old]
        fd, tmp = tempfile.mkstemp(dir=config_dir, prefix=".settings.toml.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(content))
        module.atomic_move(tmp, path)

    file_args = module.load_file_common_arguments(
        dict(path=path, owner=module.params["owner"], group=module.params["group"], mode=module.params["mode"])
    )
    if os.path.exists(path):
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
