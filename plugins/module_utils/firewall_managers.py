# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What could replace or flush the collection's nftables rules, read in one call on the host.

``parse_units()`` turns ``systemctl show --property=Id,LoadState,ActiveState,UnitFileState`` output for a
few units into the shape ``ansible.builtin.service_facts`` gives (``{"ufw.service": {"state": "running",
"status": "enabled"}}``; a unit systemd does not know is left out, as service_facts leaves it out), so
that the roles read one fact whichever way it was gathered. ``flushes_ruleset()`` says whether an
nftables file flushes every table (Debian's /etc/nftables.conf does, when nftables.service loads it).
Both are pure; plugins/modules/firewall_managers.py runs systemctl and reads the file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import re

# The units the firewall and CrowdSec roles look at: the package of each backend ships its unit, and
# each one, when enabled, would replace or flush the role's rules.
UNITS = ("firewalld.service", "nftables.service", "ufw.service")

_FLUSH = re.compile(r"^\s*flush\s+ruleset\s*$")


def parse_units(text):
    """The known units of ``systemctl show`` output (blocks separated by a blank line), service_facts' shape."""
    services = {}
    for block in re.split(r"\n\s*\n", text.strip()):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        name = fields.get("Id", "")
        if not name or fields.get("LoadState", "not-found") in ("not-found", "error", "bad-setting"):
            continue
        services[name] = {
            "name": name,
            "source": "systemd",
            "state": "running" if fields.get("ActiveState") == "active" else "stopped",
            "status": fields.get("UnitFileState") or "unknown",
        }
    return services


def flushes_ruleset(text):
    """True when a line of the nftables file is ``flush ruleset`` (comments and other lines ignored)."""
    return any(_FLUSH.match(line) for line in (text or "").splitlines())
