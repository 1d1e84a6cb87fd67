# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the preflight play (playbooks/preflight.yml)."""

from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleFilterError


def _without_defaults(options):
    out = {}
    for name, option in options.items():
        option = {key: value for key, value in option.items() if key != "default"}
        if isinstance(option.get("options"), dict):
            option["options"] = _without_defaults(option["options"])
        out[name] = option
    return out


def argspec_without_defaults(specs, entry_point="main"):
    """The options of a role's argument specification without their defaults.

    validate_argument_spec outside the role fills in and checks the defaults too; some are templates the role
    renders itself (they name facts other roles publish), so only the values given are checked here.
    """
    try:
        options = specs["argument_specs"][entry_point].get("options") or {}
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("argspec_without_defaults: no entry point %r: %s" % (entry_point, exc)) from exc
    return _without_defaults(options)


class FilterModule:
    def filters(self):
        return {"argspec_without_defaults": argspec_without_defaults}
