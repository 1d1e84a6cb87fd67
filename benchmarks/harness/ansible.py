"""Running ansible-playbook for a measurement: the ansible.cfg of a variant, the wall time, the
controller's CPU time of the whole ansible-playbook process tree, and the per-task log of
benchmarks/callback_plugins/bench_tasks.py."""

from __future__ import annotations

import json
import os
import subprocess
import time

import yaml

from .common import BENCH, REPO, log


class Runner:
    def __init__(self, work, results, playbook):
        self.work = work
        self.results = results
        self.playbook = playbook
        self.run_no = 0

    def config(self, variant, forks):
        """An ansible.cfg: Ansible's defaults, pipelining (the base, as in the lab's Molecule settings) and what
        the lab needs, plus the variant's one change."""
        facts = self.work / "facts"
        cp = self.work / "cp"
        cp.mkdir(parents=True, exist_ok=True)
        d = {
            "host_key_checking": "False",
            "retry_files_enabled": "False",
            "forks": str(forks),
            "interpreter_python": "auto_silent",
            "callbacks_enabled": "bench_tasks",
            "callback_plugins": str(BENCH / "callback_plugins"),
        }
        ssh = {
            "ssh_args": "-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null "
            "-o StrictHostKeyChecking=no -o LogLevel=ERROR",
            "control_path_dir": str(cp),
        }
        if variant != "no pipelining":
            ssh["pipelining"] = "True"
        if variant in ("fact cache", "fact cache + gather_subset"):
            d.update(
                gathering="smart",
                fact_caching="jsonfile",
                fact_caching_connection=str(facts),
                fact_caching_timeout="86400",
            )
        if variant == "strategy free":
            d["strategy"] = "free"
        path = self.work / f"ansible-{variant.replace(' ', '_').replace('+', '_')}-{forks}.cfg"
        lines = [
            "[defaults]",
            *(f"{k} = {v}" for k, v in d.items()),
            "",
            "[ssh_connection]",
            *(f"{k} = {v}" for k, v in ssh.items()),
            "",
        ]
        path.write_text("\n".join(lines))
        return path

    def variant_playbook(self, variant):
        """The playbook under test with a play-level change (gather_subset or no play facts); None when no
        play of it gathers facts (playbooks/site.yml: only the preflight play gathers, with a task, the
        network facts), so the change would change nothing. An imported playbook is not a play: a copy
        elsewhere could not resolve it, nor the relative lookups of the plays it holds."""
        plays = yaml.safe_load((REPO / self.playbook).read_text())
        gathering = [p for p in plays if "hosts" in p and p.get("gather_facts", True) is not False]
        if not gathering:
            return None
        for play in gathering:
            if variant in ("gather_subset min+network", "fact cache + gather_subset"):
                play["gather_subset"] = ["min", "network"]
            elif variant == "no play facts":
                play["gather_facts"] = False
            for role in play.get("roles", []):
                if isinstance(role, dict) and "role" in role and role["role"].startswith("hardened.flopsar.") is False:
                    raise SystemExit(f"{self.playbook}: a relative role reference cannot be copied")
        path = self.work / f"playbook-{variant.replace(' ', '_').replace('+', '_')}.yml"
        path.write_text(yaml.safe_dump(plays, sort_keys=False))
        return path

    def ansible(self, cmd, label, cfg, env=None):
        """One timed run: wall seconds, and the CPU seconds (user + system) of ansible-playbook and every
        process it waited for (its forks, their ssh clients), read from wait4's resource usage."""
        self.run_no += 1
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        stem = f"{self.run_no:03d}-{label.replace(' ', '_').replace('/', '_')}"
        tasklog = logs / f"{stem}.tasks.jsonl"
        e = dict(
            os.environ,
            ANSIBLE_CONFIG=str(cfg),
            BENCH_TASK_LOG=str(tasklog),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            **(env or {}),
        )
        start = time.monotonic()
        with open(logs / f"{stem}.log", "w") as out:
            proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, env=e, stdout=out, stderr=subprocess.STDOUT)
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        rc = proc.returncode
        cpu = usage.ru_utime + usage.ru_stime
        tasks = [json.loads(line) for line in tasklog.read_text().splitlines()] if tasklog.exists() else []
        changed = sum(1 for t in tasks if t["status"] == "changed")
        log(f"{label}: {seconds:.1f}s (controller CPU {cpu:.1f}s) rc={rc} tasks={len(tasks)} changed={changed}")
        if rc != 0:
            self.results["failures"].append({"run": label, "rc": rc, "log": str(logs / f"{stem}.log")})
            print((logs / f"{stem}.log").read_text()[-3000:], flush=True)
        return {"seconds": seconds, "cpu": cpu, "rc": rc, "tasks": tasks, "changed": changed}

    def playbook_run(self, playbook, inv, label, forks, variant="base", args=(), extra=None):
        cmd = ["ansible-playbook", "-i", inv, playbook, *args]
        for k, v in (extra or {}).items():
            vf = self.work / f"extra-{k}.json"
            vf.write_text(json.dumps({k: v}))
            cmd += ["-e", f"@{vf}"]
        return self.ansible(cmd, label, self.config(variant, forks))
