# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the surface report (plugins/module_utils/surface_report.py)."""

from __future__ import absolute_import, division, print_function

from ansible_collections.hardened.flopsar.plugins.module_utils import surface_report


def surface_compare(declared, host, observed, accepted=None, firewall_expected=True):
    observed = dict(observed)
    return surface_report.compare(
        host,
        list(declared),
        {"listeners": list(observed.get("listeners", []))},
        observed.get("firewall"),
        list(accepted or []),
        bool(firewall_expected),
    )


def surface_markdown(reports, title="Attack surface report", generated=""):
    return surface_report.markdown(list(reports), title, generated)


def surface_svg(reports):
    return surface_report.svg(list(reports))


class FilterModule:
    def filters(self):
        return {
            "surface_compare": surface_compare,
            "surface_markdown": surface_markdown,
            "surface_svg": surface_svg,
        }
