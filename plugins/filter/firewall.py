# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters: firewall rules from the surface model (plugins/module_utils/firewall_plan.py)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_plan import (
    client_egress,
    firewalld_ipsets,
    plan,
)


def firewall_plan(
    listeners, admin_networks, ssh_port, egress, strict_egress=True, extra_inbound=None, input_policy="drop"
):
    rules, errors = plan(
        list(listeners), admin_networks, ssh_port, list(egress), strict_egress, extra_inbound, input_policy
    )
    rules["errors"] = errors
    return rules


def firewall_client_egress(servers, listener_names, client_addresses=None, group="flopsar_servers"):
    egress, warnings, errors = client_egress(list(servers), listener_names, client_addresses, group)
    return {"egress": egress, "warnings": warnings, "errors": errors}


def firewall_firewalld_ipsets(rules, zone):
    return firewalld_ipsets(rules, zone)


class FilterModule:
    def filters(self):
        return {
            "firewall_plan": firewall_plan,
            "firewall_client_egress": firewall_client_egress,
            "firewall_firewalld_ipsets": firewall_firewalld_ipsets,
        }
