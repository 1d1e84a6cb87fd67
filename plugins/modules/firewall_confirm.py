#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: firewall_confirm
short_description: Confirm a firewall change from a fresh connection and make it the boot ruleset
version_added: 1.1.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Used by the hardened.flopsar.firewall role's commit-confirm; not meant to be called on its own.
  - Drops the controller's persistent connection and runs O(command) (with bash, under become) over a fresh
    one, trying again every second until O(timeout) seconds have passed. The command runs only when
    the fresh connection gets through, so it confirms the change and promotes it in the same call.
  - Fails when no fresh connection got through in time; the rollback timer on the host then restores the
    last confirmed rules.
  - An action plugin, so nothing but the command runs on the host (no module is transferred).
options:
  command:
    description: The shell command that confirms and promotes the change. Its exit status is returned, not judged.
    type: str
    required: true
  timeout:
    description: Seconds to keep trying to get a fresh connection through.
    type: int
    default: 20
attributes:
  check_mode:
    description: Skipped in check mode (nothing was loaded).
    support: full
  diff_mode:
    description: No diff.
    support: none
"""

EXAMPLES = r"""
- name: Confirm from a fresh connection
  hardened.flopsar.firewall_confirm:
    command: echo "$TOKEN" > /var/lib/hardened-flopsar/confirmed
    timeout: 20
  register: confirmed
"""

RETURN = r"""
rc:
  description: The command's exit status.
  type: int
  returned: a fresh connection got through
stdout:
  description: Its output.
  type: str
  returned: a fresh connection got through
stderr:
  description: Its error output.
  type: str
  returned: a fresh connection got through
"""
