# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of hardened.flopsar.firewall_confirm (documented in plugins/modules/firewall_confirm.py)."""

from __future__ import absolute_import, division, print_function

import time

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("command", "timeout"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if self._task.check_mode:
            result.update(skipped=True, msg="nothing is loaded in check mode, so nothing is confirmed")
            return result
        command = self._task.args["command"]
        timeout = int(self._task.args.get("timeout", 20))
        deadline = time.monotonic() + timeout
        while True:
            # A fresh connection each attempt: the persistent one (ControlPersist) was opened before the new
            # rules were loaded, and conntrack would let it through whatever they say.
            self._connection.reset()
            try:
                res = self._low_level_execute_command(command, sudoable=True, executable="/bin/bash")
                break
            except AnsibleConnectionFailure as exc:
                if time.monotonic() + 1 >= deadline:
                    result.update(failed=True, msg="no fresh connection within %d s: %s" % (timeout, exc))
                    return result
                time.sleep(1)
        result.update(
            changed=res["rc"] == 0,
            rc=res["rc"],
            stdout=res.get("stdout", ""),
            stderr=res.get("stderr", ""),
            elapsed=round(timeout - (deadline - time.monotonic()), 1),
        )
        return result
