#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: firewall_arm
short_description: Name a firewall change, arm its rollback timer and load it
version_added: 1.1.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Used by the hardened.flopsar.firewall role's commit-confirm (firewalld backend); not meant to be called on its
    own. The nftables backend does the same step inside hardened.flopsar.firewall_nftables.
  - Names the change and writes its name to O(load.boot_token) and O(load.armed), arms a transient timer that runs
    O(load.revert_script) with the name after O(load.rollback_timeout) seconds, then runs O(command), which loads
    the change into the running firewall. Only the role's confirmation from a fresh connection makes it the
    configuration firewalld boots.
  - When O(command) fails, the rollback script runs at once (a firewalld reload is not one transaction), the timer
    is stopped and the module fails.
options:
  command:
    description: The command that loads the change, as a list of arguments (no shell).
    type: list
    elements: str
    required: true
  load:
    required: true
attributes:
  check_mode:
    description: Reports a change and does nothing (nothing is named, armed or loaded).
    support: full
  diff_mode:
    description: No diff.
    support: none
notes:
  - Needs only Python's standard library and systemd-run on the host.
extends_documentation_fragment:
  - hardened.flopsar.firewall_load
"""

EXAMPLES = r"""
- name: Reload firewalld under the rollback timer
  hardened.flopsar.firewall_arm:
    command: [firewall-cmd, --reload]
    load:
      boot_token: /run/hardened-flopsar-firewall.boot
      armed: /var/lib/hardened-flopsar/armed
      revert_unit: hardened-flopsar-firewall-revert
      revert_script: /var/lib/hardened-flopsar/revert.sh
      rollback_timeout: 40
  register: armed
"""

RETURN = r"""
token:
  description: The change's name, which its confirmation writes; empty in check mode.
  type: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_commit import LOAD_OPTIONS, arm_and_load


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(type="list", elements="str", required=True),
            load=dict(type="dict", required=True, options=LOAD_OPTIONS),
        ),
        supports_check_mode=True,
    )
    token = ""
    if not module.check_mode:
        command = module.params["command"]
        token = arm_and_load(module, module.params["load"], command, " ".join(command), True)
    module.exit_json(changed=True, token=token)


if __name__ == "__main__":
    main()
