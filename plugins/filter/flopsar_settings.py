# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over Flopsar's settings.toml checks (plugins/module_utils/flopsar_settings.py)."""

from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.module_utils import flopsar_settings


def server_settings_errors(settings, model, allowed=None, config_dir="/etc/flopsar"):
    if not isinstance(settings, dict) or not isinstance(model, dict):
        raise AnsibleFilterError("server_settings_errors: the settings and the model must be dicts")
    return flopsar_settings.merged_errors(settings, model, list(allowed or []), config_dir)


class FilterModule:
    def filters(self):
        return {"server_settings_errors": server_settings_errors}
