# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the surface model (plugins/module_utils/surface.py) and the TOML writer."""

from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.module_utils import surface
from ansible_collections.hardened.flopsar.plugins.module_utils.toml_writer import dumps


def surface_resolve(specs, facts, allow_wildcard=False):
    listeners, errors = surface.resolve(list(specs), dict(facts), allow_wildcard)
    return {"listeners": listeners, "errors": errors}


def surface_settings(listeners):
    return surface.flopsar_settings(list(listeners))


def to_toml(data, header_comment=None):
    try:
        return dumps(data, header_comment)
    except TypeError as exc:
        raise AnsibleFilterError("to_toml: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {
            "surface_resolve": surface_resolve,
            "surface_settings": surface_settings,
            "to_toml": to_toml,
        }
