# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first step of the firewall role's commit-confirm, shared by both backends' modules.

A change gets a name (its token), written where the rollback script and the confirmation read it; a
transient systemd timer is armed that runs the rollback script with that name; then the command that
loads the change runs. ``change_token()`` and ``rollback_timer()`` are pure; ``arm_and_load()`` runs them
through an AnsibleModule (firewall_nftables loads with ``nft -f``, firewall_arm reloads firewalld).
"""

from __future__ import absolute_import, division, print_function

import os
import random
import time

# The option `load` of firewall_nftables and firewall_arm (doc fragment hardened.flopsar.firewall_load).
LOAD_OPTIONS = dict(
    boot_token=dict(type="path", required=True),
    armed=dict(type="path", required=True),
    revert_unit=dict(type="str", required=True),
    revert_script=dict(type="path", required=True),
    rollback_timeout=dict(type="int", required=True),
)


def change_token(utc, number):
    """The name of one change: the UTC time (a time.struct_time) and a number, as in 20261202160512-48213."""
    return "%04d%02d%02d%02d%02d%02d-%d" % (utc[:6] + (number,))


def rollback_timer(unit, token, seconds, script):
    """The systemd-run command that runs `script` with `token` after `seconds` unless the change is confirmed
    first (the script itself checks that), in a transient unit named after the change."""
    return [
        "systemd-run",
        "--unit=%s-%s" % (unit, token),
        "--on-active=%ds" % seconds,
        "--timer-property=AccuracySec=1s",
        "/bin/sh",
        script,
        token,
    ]


def _write_private(path, text):
    """Write a small file readable by root only (the change's name)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def arm_and_load(module, load, command, what, revert_on_failure):
    """Name the change, write its name to load['boot_token'] and load['armed'], arm its rollback timer, then
    run `command` (argv). Returns the name. When the command fails, the module fails: the timer is stopped,
    after running the rollback script at once when `revert_on_failure` (a load that is not one transaction
    may have changed part of the rules in force)."""
    token = change_token(time.gmtime(), random.SystemRandom().randint(0, 999999))
    _write_private(load["boot_token"], token)
    _write_private(load["armed"], token)
    module.run_command(
        rollback_timer(load["revert_unit"], token, load["rollback_timeout"], load["revert_script"]), check_rc=True
    )
    rc, _out, err = module.run_command(command)
    if rc == 0:
        return token
    if revert_on_failure:
        revert_rc, _out, revert_err = module.run_command(["/bin/sh", load["revert_script"], token])
        state = (
            "the last confirmed rules were put back"
            if revert_rc == 0
            else "putting the last confirmed rules back failed too (%s)" % revert_err.strip()
        )
    else:
        state = "the rules in force are unchanged"
    module.run_command(["systemctl", "stop", "%s-%s.timer" % (load["revert_unit"], token)])
    module.fail_json(msg="%s failed, %s: %s" % (what, state, err.strip()), rc=rc)
    return None
