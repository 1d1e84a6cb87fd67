# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server role's layout compare (plugins/module_utils/server_layout.py)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.hardened.flopsar.plugins.module_utils import server_layout


def server_layout_settled(text, expect):
    return server_layout.layout_settled(text, expect)


class FilterModule:
    def filters(self):
        return {"server_layout_settled": server_layout_settled}
