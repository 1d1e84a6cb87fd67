# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function


class ModuleDocFragment(object):
    # The option `load`: the first step of the firewall role's commit-confirm (module_utils/firewall_commit.py).
    DOCUMENTATION = r"""
options:
  load:
    description:
      - Name the change, arm its rollback timer and load it (see above). The change's name is written to
        O(load.boot_token) and O(load.armed). A transient timer then runs O(load.revert_script) with the name
        after O(load.rollback_timeout) seconds, unless the change was confirmed first.
    type: dict
    suboptions:
      boot_token:
        description: Where the change's name is written for this boot (a tmpfs such as C(/run), emptied by a reboot).
        type: path
        required: true
      armed:
        description: Where the change's name is written for the rollback script (the change its timer guards).
        type: path
        required: true
      revert_unit:
        description: The transient unit's name; the change's name is appended.
        type: str
        required: true
      revert_script:
        description: The script the timer runs with the change's name.
        type: path
        required: true
      rollback_timeout:
        description: Seconds until the timer restores the last confirmed rules.
        type: int
        required: true
"""
