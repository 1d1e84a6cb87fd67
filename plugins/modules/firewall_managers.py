#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: firewall_managers
short_description: Read in one call which firewall managers could replace or flush the collection's rules
version_added: 1.1.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Reads the state of C(firewalld.service), C(nftables.service) and C(ufw.service) with one C(systemctl show),
    and whether C(/etc/nftables.conf) flushes the whole ruleset (the file Debian's C(nftables.service) loads).
  - The units come back in the shape M(ansible.builtin.service_facts) gives them, limited to these units,
    at a fraction of its cost (it lists every unit of the host).
  - Changes nothing.
options:
  nftables_conf:
    description: The nftables file C(nftables.service) loads at boot.
    type: path
    default: /etc/nftables.conf
attributes:
  check_mode:
    description: Reads the same in check mode (it changes nothing).
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Read which firewall managers run here
  hardened.flopsar.firewall_managers:
  register: managers
"""

RETURN = r"""
services:
  description: The units systemd knows among the three, as M(ansible.builtin.service_facts) lists them.
  type: dict
  returned: always
  sample:
    nftables.service: {name: nftables.service, source: systemd, state: stopped, status: disabled}
nftables_conf_flushes:
  description: Whether the nftables file has a C(flush ruleset) line (false when there is no such file).
  type: bool
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_managers import (
    UNITS,
    flushes_ruleset,
    parse_units,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(nftables_conf=dict(type="path", default="/etc/nftables.conf")),
        supports_check_mode=True,
    )
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, err = module.run_command(
        [systemctl, "show", "--property=Id,LoadState,ActiveState,UnitFileState", "--", *UNITS]
    )
    if rc != 0:
        module.fail_json(msg="systemctl show failed: %s" % (err.strip() or out.strip()), rc=rc)
    try:
        with open(module.params["nftables_conf"], encoding="utf-8", errors="replace") as fh:
            conf = fh.read()
    except FileNotFoundError:
        conf = ""
    module.exit_json(changed=False, services=parse_units(out), nftables_conf_flushes=flushes_ruleset(conf))


if __name__ == "__main__":
    main()
