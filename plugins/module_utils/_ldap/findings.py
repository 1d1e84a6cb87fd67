# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: what every LDAP check returns (a stable code, a severity, the field to fix, how)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
PROFILES = ("production", "lab")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    field: str
    message: str

    def as_dict(self):
        return asdict(self)


def has_errors(findings):
    return any(f.severity == ERROR for f in findings)


def error_codes(findings):
    """The distinct error codes, in the order they were found."""
    out = []
    for f in findings:
        if f.severity == ERROR and f.code not in out:
            out.append(f.code)
    return out
