# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: firewall rules from the surface model (plugins/module_utils/firewall_plan.py)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_plan import plan


def firewall_plan(listeners, admin_networks, ssh_port, egress, strict_egress=True, extra_inbound=None):
    rules, errors = plan(list(listeners), admin_networks, ssh_port, list(egress), strict_egress, extra_inbound)
    rules["errors"] = errors
    return rules


class FilterModule:
    def filters(self):
        return {"firewall_plan": firewall_plan}
