# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: one JSON line per task result, appended to $BENCH_TASK_LOG.

Each line: host, task name, action, status (ok, changed, skipped, failed, unreachable), the
seconds from the task's start on the controller to this host's result, and the paths file
modules report (so the floor play can stat the same managed files), and for the actions a
verification checks with (wait_for, uri, stat, systemd_service, command) the few arguments that
name what was checked, and the tasks file a task comes from (so the verify floor can check the
same as the roles' tasks/verify.yml). Nothing else is printed: the default stdout callback still
runs alongside.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_tasks
type: aggregate
short_description: per-task timings for benchmarks/run.py
description: Appends one JSON line per task result to the file named by BENCH_TASK_LOG.
requirements: [enable in callbacks_enabled]
"""

PATH_KEYS = ("dest", "path")
# What a check names: the endpoint, the unit, the file, the command (never a value a module hides).
# The collection's one-call readers make several checks in one call: listeners_answer (a connect per
# listener), crowdsec_state (units, files, nftables tables, URLs).
CHECK_ACTIONS = (
    "wait_for",
    "uri",
    "stat",
    "systemd_service",
    "systemd",
    "service",
    "command",
    "listeners_answer",
    "crowdsec_state",
)
CHECK_KEYS = (
    "host",
    "port",
    "url",
    "name",
    "path",
    "argv",
    "_raw_params",
    "cmd",
    "listeners",
    "units",
    "paths",
    "tables",
    "urls",
)


def _args(task, items):
    if task.action.split(".")[-1] not in CHECK_ACTIONS:
        return None
    found = []
    for i in items:
        args = ((i.get("invocation") or {}).get("module_args") or {}) if isinstance(i, dict) else {}
        found.append({k: args[k] for k in CHECK_KEYS if args.get(k) not in (None, "")})
    return found


def _path(res):
    return next((res[k] for k in PATH_KEYS if isinstance(res.get(k), str) and res[k].startswith("/")), None)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._log = os.environ.get("BENCH_TASK_LOG")
        self._start = {}

    def _write(self, result, status):
        if not self._log:
            return
        task = result._task
        res = result._result or {}
        items = res["results"] if isinstance(res.get("results"), list) else [res]
        paths = [p for p in (_path(i) for i in items if isinstance(i, dict)) if p]
        started = self._start.get(task._uuid, time.monotonic())
        line = {
            "host": result._host.get_name(),
            "task": task.get_name(),
            "action": task.action,
            "status": status,
            "seconds": round(time.monotonic() - started, 4),
            "paths": paths,
            "delegated": bool(task.delegate_to) or "_ansible_delegated_vars" in res,
            "loop_items": len(items) if isinstance(res.get("results"), list) else None,
            "args": _args(task, items),
            "file": (task.get_path() or "").rsplit(":", 1)[0],
        }
        with open(self._log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start[task._uuid] = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self._start[task._uuid] = time.monotonic()

    def v2_runner_on_ok(self, result):
        self._write(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "unreachable")
