# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: surface_facts
short_description: Read what a host really exposes, its listening sockets and its loaded firewall
version_added: 1.0.0
description:
  - Lists the host's listening TCP and UDP sockets with C(ss -Htulnp) (address, port, process).
  - Reads the host firewall's table with C(nft -j list table inet <table>) and returns its openings (inbound
    destination ports accepted, with their source networks) and its allowed egress (outbound destinations).
  - Changes nothing. The comparison with the declared model is the P(hardened.flopsar.surface_compare#filter)
    filter's work; C(playbooks/surface_report.yml) does both and writes the report.
author:
  - hardened.flopsar engineers (@hardened-flopsar)
options:
  table:
    description:
      - The nftables table (family C(inet)) of the host firewall, as the firewall role names it.
    type: str
    default: hardened_flopsar
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to compare.
notes:
  - Needs C(ss) (iproute2) on the host; C(nft) is optional (without it the firewall is reported as not present).
  - Run as root so that C(ss -p) names the processes of every user.
seealso:
  - name: The surface report
    description: What the report contains and the drift it flags (the collection's docs/report.md).
    link: https://github.com/hardened-flopsar/hardened.flopsar/blob/main/docs/report.md
"""

EXAMPLES = r"""
- name: Read the host's listeners and firewall
  hardened.flopsar.surface_facts:
  register: observed

- name: Compare with the declared model
  ansible.builtin.set_fact:
    host_report: >-
      {{ (server_surface + crowdsec_surface) | hardened.flopsar.surface_compare(inventory_hostname, observed) }}
"""

RETURN = r"""
listeners:
  description: Listening sockets, sorted by protocol, port and address.
  returned: always
  type: list
  elements: dict
  sample: [{"protocol": "tcp", "address": "10.0.0.10", "port": 9443, "process": "flopsar-server"}]
firewall:
  description: The loaded firewall table, parsed.
  returned: always
  type: dict
  contains:
    table:
      description: The table's name.
      type: str
    present:
      description: Whether the table is loaded.
      type: bool
    openings:
      description: Accepted inbound flows, one per port, with C(daddr) (null for any) and C(saddr).
      type: list
      elements: dict
    egress:
      description: Accepted outbound flows, one per port, with C(daddr).
      type: list
      elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hardened.flopsar.plugins.module_utils.surface_report import parse_nft, parse_ss


def main():
    module = AnsibleModule(
        argument_spec=dict(table=dict(type="str", default="hardened_flopsar")), supports_check_mode=True
    )
    ss = module.get_bin_path("ss", required=True)
    rc, out, err = module.run_command([ss, "-Htulnp"])
    if rc != 0:
        module.fail_json(msg="ss -Htulnp failed: %s" % err.strip())
    listeners = parse_ss(out)

    table = module.params["table"]
    nft = module.get_bin_path("nft")
    text = ""
    if nft:
        rc, text, err = module.run_command([nft, "-j", "list", "table", "inet", table])
        if rc != 0:
            text = ""
    try:
        firewall = parse_nft(text, table)
    except ValueError as exc:
        module.fail_json(msg="cannot parse the output of nft -j list table inet %s: %s" % (table, exc))
    module.exit_json(changed=False, listeners=listeners, firewall=firewall)


if __name__ == "__main__":
    main()
