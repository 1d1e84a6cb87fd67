# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nftables backend compares on the host (pure functions; the firewall_nftables module reads
the files and the table, these decide).

The boot ruleset is the last confirmed candidate, and the table in force is listed when a change is
confirmed (commit.yml). A run is settled when the new candidate is the boot ruleset and the table in
force is still the one listed then: anything else (a change never confirmed, a rule added by hand) is
loaded again under the commit-confirm.

A run that is not settled loads the candidate in the same call, under the commit-confirm's rollback
timer (module_utils/firewall_commit.py).
"""

from __future__ import absolute_import, division, print_function

import re

# nft -s leaves the values of named counters in the listing (`packets 12 bytes 960`): they move with traffic.
_COUNTER_VALUES = re.compile(r"packets [0-9]+ bytes [0-9]+")


def normalize_listing(text):
    """A table's listing without counter values, so that traffic alone never looks like drift."""
    return "\n".join(_COUNTER_VALUES.sub("", line, count=1) for line in text.splitlines())


def files_to_write(wanted, current):
    """The paths of `wanted` (path -> content) whose file is missing (None in `current`) or differs."""
    return [path for path, content in wanted.items() if current.get(path) != content]


def settled(candidate, boot, live, confirmed):
    """True when the candidate is the boot ruleset and the table in force is the one listed at the last
    confirmation. None stands for a file or a table that does not exist."""
    if boot is None or live is None or confirmed is None:
        return False
    return candidate == boot and normalize_listing(live) == normalize_listing(confirmed)
