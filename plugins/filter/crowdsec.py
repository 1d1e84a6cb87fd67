# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the crowdsec role (pure logic in plugins/module_utils/crowdsec.py)."""

from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.module_utils import crowdsec


def crowdsec_plan(listeners, options, others=None):
    try:
        return crowdsec.plan(list(listeners), dict(options), list(others or []))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("crowdsec_plan: %s" % exc) from exc


def crowdsec_bouncer_action(bouncers, name, key):
    return crowdsec.bouncer_action(list(bouncers or []), name, key)


def crowdsec_egress(resolved, name="crowdsec", port=443):
    try:
        return crowdsec.egress(name, dict(resolved), port)
    except ValueError as exc:
        raise AnsibleFilterError("crowdsec_egress: %s" % exc) from exc


def crowdsec_config_errors(extra, config, allowed=None):
    return crowdsec.config_extra_errors(dict(config or {}), extra, list(allowed or []))


def crowdsec_online_fqdns(fqdns, hub_updates=False):
    return crowdsec.online_fqdns(list(fqdns or []), bool(hub_updates))


def crowdsec_hub_links(items, hub_dir, config_dir):
    try:
        return crowdsec.hub_links(list(items or []), hub_dir, config_dir)
    except ValueError as exc:
        raise AnsibleFilterError("crowdsec_hub_links: %s" % exc) from exc


def crowdsec_package_plan(files, names, bouncer=True, paths=None):
    return crowdsec.package_plan(list(files or []), list(names or []), bool(bouncer), list(paths or []))


def crowdsec_packages_to_install(wanted, installed):
    return crowdsec.packages_to_install(dict(wanted or {}), dict(installed or {}))


def crowdsec_state_errors(state):
    return crowdsec.state_errors(dict(state or {}))


class FilterModule:
    def filters(self):
        return {
            "crowdsec_plan": crowdsec_plan,
            "crowdsec_bouncer_action": crowdsec_bouncer_action,
            "crowdsec_egress": crowdsec_egress,
            "crowdsec_config_errors": crowdsec_config_errors,
            "crowdsec_online_fqdns": crowdsec_online_fqdns,
            "crowdsec_hub_links": crowdsec_hub_links,
            "crowdsec_package_plan": crowdsec_package_plan,
            "crowdsec_state_errors": crowdsec_state_errors,
            "crowdsec_packages_to_install": crowdsec_packages_to_install,
        }
