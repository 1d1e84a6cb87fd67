# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over Debian package state (plugins/module_utils/deb.py)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.hardened.flopsar.plugins.module_utils import deb


def dpkg_state(text):
    return deb.dpkg_state(text)


class FilterModule:
    def filters(self):
        return {"dpkg_state": dpkg_state}
