"""Benchmarks of hardened.flopsar on the podman lab, measured side by side in one run.

    benchmarks/run.py [--smoke] [--only converge,wins,firewall,ldap] [--keep]

Sections (issue #8), each figure the median of several runs with its range, each ratio the
median of ratios paired within one round (the machine is noisy; only same-run ratios count):

  converge  first converge, idempotent re-run, --check run and the floor (facts and a stat of
            every managed file) of BENCH_PLAYBOOK on 1, 5 and 20 hosts, forks = hosts
  wins      the idempotent run with one change at a time against the base configuration (Ansible's
            defaults with pipelining): no pipelining, a fact cache, no play-level fact gathering,
            gather_subset min+network
  firewall  10, 100 and 1,000 source networks on one listener: the firewall role's apply (one
            nftables transaction) against the same rules one by one with ansible.posix.firewalld
            and against raw `nft -f` of the role's own rendered ruleset (the floor)
  ldap      the ldap_validate live probe against ldapsearch doing the same bind and search

Writes benchmarks/results/<date>.json and <date>.md (--smoke: the cache directory only, nothing
in the repository). The lab uses only containers named fl-bench-* (labels owner=molecule,
lab_scenario=bench) and the subnets 10.89.90.0/24 to 10.89.92.0/24, and removes them at the end.
Needs what `make bench` bootstraps (host packages, the virtualenv, the lab image); it sets up the
rest as tests/run.py does (LAB_IMAGE, FLOPSAR_STANDIN_DEB, the collection path) unless given.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
CACHE = Path(os.environ.get("FLOPSAR_CACHE", "/var/tmp/hardened-flopsar"))
NETS = {
    "mgmt": ("fl-bench-mgmt", "10.89.90"),
    "app": ("fl-bench-app", "10.89.91"),
    "dir": ("fl-bench-dir", "10.89.92"),
}
CONTROLLER = NETS["mgmt"][1] + ".1"
DIRECTORY_IP = NETS["dir"][1] + ".5"
FALLBACK_PLAYBOOK = "benchmarks/playbooks/server_firewall.yml"
DEFAULT_PLAYBOOK = "playbooks/site.yml"

# Repetitions, chosen so the full run stays within about 50 minutes on the 2-core CI machine: a 20-host
# first converge of site.yml alone takes about 12 minutes there, its idempotent run about 6, a 1,000-rule
# firewalld loop about 7. --sizes, --reps and --rules make a shorter run.
# Per fleet size: fresh fleets for the first converge, then rounds of idempotent / --check / floor.
FULL = {
    "sizes": {
        1: {"first": 2, "rounds": 3, "check": True},
        5: {"first": 1, "rounds": 2, "check": True},
        20: {"first": 1, "rounds": 1, "check": False},
    },
    "wins_size": 1,
    "wins_reps": 2,
    "wins": ["base", "no pipelining", "fact cache", "gather_subset min+network"],
    "rules": [10, 100, 1000],
    "fw_reps": 3,
    "fwd_reps": {1000: 1},
    "ldap_reps": 15,
}
SMOKE = {
    "sizes": {1: {"first": 1, "rounds": 1, "check": True}},
    "wins_size": 1,
    "wins_reps": 1,
    "wins": ["base", "no pipelining"],
    "rules": [10],
    "fw_reps": 1,
    "fwd_reps": {},
    "ldap_reps": 1,
}


# --------------------------------------------------------------------------- helpers
def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stats(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {
        "median": round(statistics.median(vals), 3),
        "min": round(min(vals), 3),
        "max": round(max(vals), 3),
        "n": len(vals),
        "runs": [round(v, 3) for v in vals],
    }


def ratios(num, den):
    """Paired ratios of two same-length run lists (round i against round i)."""
    return stats([a / b for a, b in zip(num, den, strict=False) if a and b])


def fmt(s, unit="s", digits=1):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return f"{s['median']:.{digits}f}{unit} (n=1)"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f}, n={s['n']})"


def fmt_ratio(s):
    return fmt(s, unit="×", digits=2)


class Bench:
    def __init__(self, args):
        self.args = args
        self.cfg = json.loads(json.dumps(SMOKE if args.smoke else FULL))  # a deep copy
        self.cfg["sizes"] = {int(k): v for k, v in self.cfg["sizes"].items()}
        self.cfg["fwd_reps"] = {int(k): v for k, v in self.cfg["fwd_reps"].items()}
        self.work = CACHE / ("bench-smoke" if args.smoke else "bench")
        if args.sizes:
            known = {int(k): v for k, v in FULL["sizes"].items()}
            default = {"first": 1, "rounds": 1, "check": True}
            self.cfg["sizes"] = {int(x): dict(known.get(int(x), default)) for x in args.sizes.split(",")}
            self.cfg["wins_size"] = min(self.cfg["sizes"])
        if args.rules:
            self.cfg["rules"] = [int(x) for x in args.rules.split(",")]
        if args.reps:
            for plan in self.cfg["sizes"].values():
                plan.update(first=args.reps, rounds=args.reps)
            for k in ("wins_reps", "fw_reps", "ldap_reps"):
                self.cfg[k] = args.reps
            self.cfg["fwd_reps"] = {}
        # The smoke run only keeps the harness from rotting (Molecule tests the roles): the lighter playbook.
        self.playbook = os.environ.get("BENCH_PLAYBOOK") or (
            DEFAULT_PLAYBOOK if (REPO / DEFAULT_PLAYBOOK).exists() and not args.smoke else FALLBACK_PLAYBOOK
        )
        self.results = {"sections": {}, "failures": []}
        self.hosts = {}  # name -> platform
        self.run_no = 0

    # ----------------------------------------------------------------------- lab
    def platform(self, name, octet, nets):
        return {
            "name": name,
            "networks": [
                {
                    "name": NETS[n][0],
                    "subnet": NETS[n][1] + ".0/24",
                    "ip": f"{NETS[n][1]}.{octet}",
                    "internal": n != "mgmt",
                }
                for n in nets
            ],
        }

    def server(self, i):
        return self.platform(f"fl-bench-s{i:02d}", 10 + i, ["mgmt", "app", "dir"])

    def create(self, platforms):
        """Start the hosts as molecule/shared/create.yml does (systemd as PID 1, fixed addresses, the
        controller's key for root, sshd up), four at a time: a 20-host fleet is re-created per first converge."""
        names = [p["name"] for p in platforms]
        self.remove(names)
        start = time.monotonic()
        key = self.work / "lab_ed25519"
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        for net, prefix in NETS.values():
            if subprocess.run(["podman", "network", "exists", net], check=False).returncode != 0:
                internal = [] if net == NETS["mgmt"][0] else ["--internal"]
                subprocess.run(
                    ["podman", "network", "create", *internal, "--subnet", f"{prefix}.0/24", net],
                    capture_output=True,
                    check=True,
                )
        pub = (self.work / "lab_ed25519.pub").read_text()
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            errors = [e for e in pool.map(lambda p: self.start_host(p, pub), platforms) if e]
        if errors:
            raise SystemExit("benchmark lab: " + "; ".join(errors))
        for p in platforms:
            self.hosts[p["name"]] = p
        log(f"created {len(names)} host(s) in {time.monotonic() - start:.1f}s: {names[0]} .. {names[-1]}")

    @staticmethod
    def start_host(p, pub):
        nets = [f"--network={n['name']}:ip={n['ip']},interface_name=eth{i}" for i, n in enumerate(p["networks"])]
        run = subprocess.run(
            [
                "podman",
                "run",
                "-d",
                "--name",
                p["name"],
                "--hostname",
                p["name"],
                "--systemd=always",
                "--cap-add",
                "SYS_ADMIN,NET_ADMIN,NET_RAW,SYS_PTRACE",
                "--label",
                "owner=molecule",
                "--label",
                "lab_scenario=bench",
                *nets,
                os.environ["LAB_IMAGE"],
                "/sbin/init",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            return f"{p['name']}: {run.stderr.strip()}"
        state = ""
        for _attempt in range(90):
            state = subprocess.run(
                ["podman", "exec", p["name"], "systemctl", "is-system-running"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            if state in ("running", "degraded"):
                break
            alive = subprocess.run(
                ["podman", "inspect", "--format", "{{.State.Running}}", p["name"]],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            if alive != "true":
                return f"{p['name']} stopped while booting (see fs.inotify.max_user_instances in the report)"
            time.sleep(1)
        else:
            return f"{p['name']}: systemd is {state or 'not up'} after 90 s"
        subprocess.run(
            [
                "podman",
                "exec",
                "-i",
                p["name"],
                "sh",
                "-c",
                "umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys",
            ],
            input=pub,
            text=True,
            check=True,
        )
        ip = p["networks"][0]["ip"]
        for _attempt in range(60):
            try:
                with socket.create_connection((ip, 22), timeout=2) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return None
            except OSError:
                pass
            time.sleep(0.5)
        return f"{p['name']}: no sshd on {ip}:22"

    def remove(self, names):
        names = [n for n in names if n.startswith("fl-bench-")]
        if names:
            subprocess.run(["podman", "rm", "-f", "--ignore", *names], capture_output=True, check=False)
        for n in names:
            self.hosts.pop(n, None)

    def teardown(self):
        out = subprocess.run(
            ["podman", "ps", "-aq", "--filter", "label=owner=molecule", "--filter", "label=lab_scenario=bench"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        names = (
            subprocess.run(
                ["podman", "inspect", "--format", "{{.Name}}", *out], capture_output=True, text=True, check=False
            ).stdout.split()
            if out
            else []
        )
        self.remove(names)
        for net, _prefix in NETS.values():
            subprocess.run(["podman", "network", "rm", "-f", net], capture_output=True, check=False)

    def inventory(self, servers, extra=None):
        """A YAML inventory: the given servers in flopsar_servers, the helper hosts in their groups."""
        key = str(self.work / "lab_ed25519")
        groups = {
            "flopsar_servers": servers,
            "directory": ["fl-bench-dir"],
            "bench_fw": ["fl-bench-fw"],
            "bench_firewalld": ["fl-bench-fwd"],
            "bench_ldap": ["fl-bench-ldapc"],
        }
        children = {}
        for group, names in groups.items():
            names = [n for n in names if n in self.hosts]
            if names:
                children[group] = {"hosts": {n: {"ansible_host": self.hosts[n]["networks"][0]["ip"]} for n in names}}
        if "flopsar_servers" in children:
            children["flopsar_servers"]["vars"] = {
                "server_package_file": os.environ["FLOPSAR_STANDIN_DEB"],
                "server_tls_ca_dir": str(self.work / "pki"),
                "server_agent_interface": "eth1",
                "server_agent_sources": [NETS["app"][1] + ".0/24"],
                "server_ui_interface": "eth0",
                "server_ui_sources": [NETS["mgmt"][1] + ".0/24"],
                "ldap_url": f"{DIRECTORY_IP}:636",
                "ldap_ca_cert": "/etc/ssl/certs/lab-directory.pem",
                "ldap_bind_dn": "cn=flopsar-svc,ou=Service,dc=flopsar,dc=test",
                "ldap_bind_password": "svc-bind-secret",
                "ldap_user_base_dn": "ou=People,dc=flopsar,dc=test",
                "ldap_user_filter": "(uid={username})",
                "ldap_test_user": "alice",
                "ldap_test_password": "alice-login-secret",
            }
        if "directory" in children:
            children["directory"]["hosts"]["fl-bench-dir"]["lab_directory_ip"] = DIRECTORY_IP
        inv = {
            "all": {
                "vars": {
                    "ansible_user": "root",
                    "ansible_ssh_private_key_file": key,
                    "firewall_admin_networks": [CONTROLLER + "/32"],
                    **(extra or {}),
                },
                "children": children,
            }
        }
        path = self.work / f"inventory-{len(servers)}.yml"
        path.write_text(yaml.safe_dump(inv, sort_keys=False))
        return path

    # ----------------------------------------------------------------------- ansible
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
        """The playbook under test with a play-level change (gather_subset or no play facts)."""
        plays = yaml.safe_load((REPO / self.playbook).read_text())
        for play in plays:
            if play.get("gather_facts", True) is False:
                continue
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
            rc = subprocess.run(
                [str(c) for c in cmd], cwd=REPO, env=e, stdout=out, stderr=subprocess.STDOUT, check=False
            ).returncode
        seconds = time.monotonic() - start
        tasks = [json.loads(line) for line in tasklog.read_text().splitlines()] if tasklog.exists() else []
        changed = sum(1 for t in tasks if t["status"] == "changed")
        log(f"{label}: {seconds:.1f}s rc={rc} tasks={len(tasks)} changed={changed}")
        if rc != 0:
            self.results["failures"].append({"run": label, "rc": rc, "log": str(logs / f"{stem}.log")})
            print((logs / f"{stem}.log").read_text()[-3000:], flush=True)
        return {"seconds": seconds, "rc": rc, "tasks": tasks, "changed": changed}

    def playbook_run(self, playbook, inv, label, forks, variant="base", args=(), extra=None):
        cmd = ["ansible-playbook", "-i", inv, playbook, *args]
        for k, v in (extra or {}).items():
            vf = self.work / f"extra-{k}.json"
            vf.write_text(json.dumps({k: v}))
            cmd += ["-e", f"@{vf}"]
        return self.ansible(cmd, label, self.config(variant, forks))

    def ssh(self, host, command, stdin=None):
        ip = self.hosts[host]["networks"][0]["ip"]
        cmd = [
            "ssh",
            "-i",
            str(self.work / "lab_ed25519"),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
            f"root@{ip}",
            command,
        ]
        start = time.monotonic()
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
        return time.monotonic() - start, p

    # ----------------------------------------------------------------------- sections
    def prepare(self):
        self.create(
            [
                self.platform("fl-bench-dir", 5, ["mgmt", "dir"]),
                self.platform("fl-bench-fw", 6, ["mgmt"]),
                self.platform("fl-bench-fwd", 7, ["mgmt"]),
                self.platform("fl-bench-ldapc", 8, ["mgmt", "dir"]),
            ]
        )
        inv = self.inventory([])
        r = self.playbook_run(BENCH / "playbooks/prepare.yml", inv, "prepare (untimed)", 4)
        if r["rc"] != 0:
            raise SystemExit("benchmark lab: prepare failed")
        r = self.playbook_run(
            BENCH / "playbooks/directory_ca.yml", inv, "directory CA (untimed)", 4, extra={"bench_hosts": "bench_ldap"}
        )
        if r["rc"] != 0:
            raise SystemExit("benchmark lab: directory CA failed")

    def fresh_servers(self, n):
        self.remove([f"fl-bench-s{i:02d}" for i in range(1, 21)])
        self.create([self.server(i) for i in range(1, n + 1)])
        inv = self.inventory([f"fl-bench-s{i:02d}" for i in range(1, n + 1)])
        r = self.playbook_run(
            BENCH / "playbooks/directory_ca.yml",
            inv,
            f"directory CA on {n} (untimed)",
            min(n, 20),
            extra={"bench_hosts": "flopsar_servers"},
        )
        if r["rc"] != 0:
            raise SystemExit("benchmark lab: directory CA failed")
        return inv

    @staticmethod
    def managed_files(tasks, host):
        files = []
        for t in tasks:
            if t["host"] == host and not t["delegated"] and t["status"] in ("ok", "changed"):
                for p in t["paths"]:
                    if p not in files and not p.startswith("/tmp/"):
                        files.append(p)
        return files

    def converge(self):
        if "converge" not in self.only:  # the cheap wins alone: one converged fleet, then the variants
            n = self.cfg["wins_size"]
            inv = self.fresh_servers(n)
            self.playbook_run(self.playbook, inv, f"{n} hosts: first converge (untimed)", n)
            self.wins(inv, n)
            return
        out = {"playbook": self.playbook, "sizes": {}}
        self.results["sections"]["converge"] = out
        for n, plan in self.cfg["sizes"].items():
            first, first_changed = [], []
            for r in range(plan["first"]):
                inv = self.fresh_servers(n)
                res = self.playbook_run(self.playbook, inv, f"{n} hosts: first converge #{r + 1}", n)
                first.append(res["seconds"] if res["rc"] == 0 else None)
                first_changed.append(res["changed"])
                if not out.get("managed_files"):
                    out["managed_files"] = self.managed_files(res["tasks"], "fl-bench-s01")
            kinds = ["idempotent", "check", "floor"] if plan["check"] else ["idempotent", "floor"]
            runs = {k: [] for k in kinds}
            changed, profile = [], []
            for r in range(plan["rounds"]):
                for kind in kinds[r % len(kinds) :] + kinds[: r % len(kinds)]:
                    label = f"{n} hosts: {kind} #{r + 1}"
                    if kind == "floor":
                        extra = {"bench_managed_files": out["managed_files"]}
                        res = self.playbook_run(BENCH / "playbooks/floor.yml", inv, label, n, extra=extra)
                    else:
                        res = self.playbook_run(
                            self.playbook, inv, label, n, args=["--check"] if kind == "check" else []
                        )
                        if kind == "idempotent":
                            changed.append(res["changed"])
                            profile.append(res["tasks"])
                    runs[kind].append(res["seconds"] if res["rc"] == 0 else None)
            runs = {"first": first, **runs}
            out["sizes"][str(n)] = {
                "hosts": n,
                "forks": n,
                **{k: stats(v) for k, v in runs.items()},
                "per_host": {k: stats([x / n for x in v if x]) for k, v in runs.items()},
                "first_changed": first_changed,
                "idempotent_changed": changed,
                "idempotent_over_floor": ratios(runs["idempotent"], runs["floor"]),
                "check_over_floor": ratios(runs.get("check", []), runs["floor"]),
                "idempotent_profile_one_host": self.task_summary(profile[-1], "fl-bench-s01") if profile else None,
                "runs": runs,
            }
            if n == self.cfg["wins_size"] and "wins" in self.only:
                self.wins(inv, n)
        sizes = out["sizes"]
        lo, hi = str(min(self.cfg["sizes"])), str(max(self.cfg["sizes"]))
        if lo != hi:
            # Not paired (the sizes run one after the other): the ratio of the medians.
            out["scale"] = {
                k: round(sizes[hi][k]["median"] / sizes[lo][k]["median"], 2)
                for k in ("first", "idempotent", "check", "floor")
                if sizes[hi].get(k) and sizes[lo].get(k)
            }
            out["scale_pair"] = f"{hi}:{lo}"

    @staticmethod
    def task_summary(tasks, host):
        """What one host's idempotent run did: results by status, module calls and seconds by action."""
        mine = [t for t in tasks if t["host"] == host]
        by_status, by_action = {}, {}
        for t in mine:
            by_status[t["status"]] = by_status.get(t["status"], 0) + 1
            if t["status"] != "skipped":
                a = by_action.setdefault(t["action"], {"calls": 0, "seconds": 0.0})
                a["calls"] += t["loop_items"] or 1
                a["seconds"] = round(a["seconds"] + t["seconds"], 2)
        executed = [t for t in mine if t["status"] != "skipped"]
        top = sorted(executed, key=lambda t: -t["seconds"])[:8]
        return {
            "results": len(mine),
            "by_status": by_status,
            "module_calls": sum(t["loop_items"] or 1 for t in executed),
            "by_action": dict(sorted(by_action.items(), key=lambda kv: -kv[1]["seconds"])),
            "slowest": [{"task": t["task"], "action": t["action"], "seconds": t["seconds"]} for t in top],
        }

    def wins(self, inv, n):
        variants = self.cfg["wins"]
        out = {"hosts": n, "reps": self.cfg["wins_reps"], "variants": {}}
        self.results["sections"]["wins"] = out
        runs = {v: [] for v in variants}
        shutil.rmtree(self.work / "facts", ignore_errors=True)
        playbooks = {
            v: self.variant_playbook(v)
            if v in ("gather_subset min+network", "no play facts", "fact cache + gather_subset")
            else REPO / self.playbook
            for v in variants
        }
        # Warm the fact cache (the first run of a cache is an ordinary run).
        for v in variants:
            if "fact cache" in v:
                self.playbook_run(playbooks[v], inv, f"{n} hosts: warm the fact cache ({v})", n, v)
        for r in range(self.cfg["wins_reps"]):
            order = variants[r % len(variants) :] + variants[: r % len(variants)]
            for v in order:
                res = self.playbook_run(playbooks[v], inv, f"{n} hosts idempotent, {v} #{r + 1}", n, v)
                runs[v].append(res["seconds"] if res["rc"] == 0 and res["changed"] == 0 else None)
                if res["rc"] == 0 and res["changed"]:
                    out.setdefault("not_idempotent", []).append(v)
        for v in variants:
            out["variants"][v] = {
                "seconds": stats(runs[v]),
                "over_base": ratios(runs[v], runs["base"]),
                "runs": runs[v],
            }

    def firewall(self):
        out = {"listeners": 1, "sizes": {}}
        self.results["sections"]["firewall"] = out
        fw_inv = self.inventory([])
        # The role installed once (directories, loader unit, rollback script): the apply is what is measured.
        for n in self.cfg["rules"]:
            listeners = [
                {
                    "name": name,
                    "service": "bench",
                    "enabled": True,
                    "port": port,
                    "protocol": "tcp",
                    "sources": [f"172.{16 + i // 256}.{i % 256}.0/24" for i in range(n)],
                }
                for name, port in (("agent", 9000),)
            ]
            role_listeners = [dict(lst, address=self.hosts["fl-bench-fw"]["networks"][0]["ip"]) for lst in listeners]
            fwd_listeners = [dict(lst, address=self.hosts["fl-bench-fwd"]["networks"][0]["ip"]) for lst in listeners]
            role, fwd, nft, nft_host = [], [], [], []
            ruleset = None
            fwd_reps = self.cfg["fwd_reps"].get(n, self.cfg["fw_reps"])
            if n == self.cfg["rules"][0]:
                r = self.playbook_run(
                    BENCH / "playbooks/firewall_role.yml",
                    fw_inv,
                    "firewall role install (untimed)",
                    1,
                    extra={"firewall_listeners": role_listeners},
                )
                if r["rc"] != 0:
                    out["error"] = "the firewall role failed"
                    return
            for r in range(self.cfg["fw_reps"]):
                # role: from no table and no file, so the role renders and loads
                self.ssh(
                    "fl-bench-fw", "nft delete table inet hardened_flopsar; rm -f /etc/hardened-flopsar/firewall.nft"
                )
                res = self.playbook_run(
                    BENCH / "playbooks/firewall_role.yml",
                    fw_inv,
                    f"firewall {n}: role #{r + 1}",
                    1,
                    extra={"firewall_listeners": role_listeners},
                )
                role.append(res["seconds"] if res["rc"] == 0 else None)
                if ruleset is None:
                    _out, p = self.ssh("fl-bench-fw", "cat /etc/hardened-flopsar/firewall.nft")
                    ruleset = p.stdout
                    out["sizes"].setdefault(str(n), {})["ruleset_lines"] = len(ruleset.splitlines())
                # raw nft -f of the same ruleset from the controller (one SSH session), and inside the host
                self.ssh("fl-bench-fw", "nft delete table inet hardened_flopsar")
                sec, p = self.ssh("fl-bench-fw", "nft -f -", stdin=ruleset)
                nft.append(sec if p.returncode == 0 else None)
                _out, p = self.ssh(
                    "fl-bench-fw",
                    "nft delete table inet hardened_flopsar; s=$(date +%s%N); "
                    "nft -f /etc/hardened-flopsar/firewall.nft && echo $(( $(date +%s%N) - s ))",
                )
                nft_host.append(int(p.stdout.strip()) / 1e9 if p.returncode == 0 and p.stdout.strip() else None)
                if r < fwd_reps:
                    self.ssh(
                        "fl-bench-fwd",
                        "systemctl stop firewalld; rm -f /etc/firewalld/zones/*; systemctl start firewalld",
                    )
                    res = self.playbook_run(
                        BENCH / "playbooks/firewall_firewalld.yml",
                        fw_inv,
                        f"firewall {n}: firewalld one by one #{r + 1}",
                        1,
                        extra={"firewall_listeners": fwd_listeners},
                    )
                    fwd.append(res["seconds"] if res["rc"] == 0 else None)
            k = min(len(fwd), len(role))
            out["sizes"][str(n)].update(
                {
                    "sources_per_listener": n,
                    "rules": n,
                    "role": stats(role),
                    "firewalld_loop": stats(fwd),
                    "nft_f": stats(nft),
                    "nft_f_in_host": stats(nft_host),
                    "firewalld_over_role": ratios(fwd[:k], role[:k]),
                    "role_over_nft": ratios(role, nft),
                    "runs": {"role": role, "firewalld_loop": fwd, "nft_f": nft, "nft_f_in_host": nft_host},
                }
            )

    def ldap(self):
        reps = self.cfg["ldap_reps"]
        host = "fl-bench-ldapc"
        common = {
            "url": f"{DIRECTORY_IP}:636",
            "bind_dn": "cn=flopsar-svc,ou=Service,dc=flopsar,dc=test",
            "bind_password": "svc-bind-secret",
            "user_base_dn": "ou=People,dc=flopsar,dc=test",
            "user_filter": "(uid={username})",
            "ca_cert": "/etc/ssl/certs/lab-directory.pem",
            "probe": "search",
            "test_user": "alice",
        }
        ldapsearch = (
            f"ldapsearch -x -LLL -o nettimeout=5 -H ldaps://{DIRECTORY_IP}:636 -D {common['bind_dn']} "
            f"-w {common['bind_password']} -b {common['user_base_dn']} (uid=alice) uid"
        )
        tasks = []
        kinds = ["module", "ldapsearch", "noop"]
        for r in range(reps):
            for kind in kinds[r % 3 :] + kinds[: r % 3]:
                name = f"{kind} #{r + 1}"
                if kind == "module":
                    tasks.append({"name": name, "hardened.flopsar.ldap_validate": common, "no_log": True})
                elif kind == "ldapsearch":
                    tasks.append(
                        {
                            "name": name,
                            "ansible.builtin.command": ldapsearch,
                            "changed_when": False,
                            "no_log": True,
                            "environment": {"LDAPTLS_CACERT": common["ca_cert"], "LDAPTLS_REQCERT": "demand"},
                        }
                    )
                else:
                    tasks.append({"name": name, "ansible.builtin.command": "true", "changed_when": False})
        pb = self.work / "ldap.yml"
        pb.write_text(
            yaml.safe_dump(
                [{"name": "LDAP probe against ldapsearch", "hosts": host, "gather_facts": False, "tasks": tasks}],
                sort_keys=False,
            )
        )
        res = self.playbook_run(pb, self.inventory([]), "ldap: module / ldapsearch / no-op tasks", 1)
        times = {k: [] for k in kinds}
        for t in res["tasks"]:
            kind = t["task"].split(" #")[0]
            times[kind].append(t["seconds"] if t["status"] in ("ok", "changed") else None)
        # The same bind and search straight on the host, without Ansible: ldapsearch's own cost.
        quoted = ldapsearch.replace("(uid=alice)", "'(uid=alice)'")
        _out, p = self.ssh(
            host,
            f"export LDAPTLS_CACERT=/etc/ssl/certs/lab-directory.pem; for i in $(seq {reps}); do "
            f"s=$(date +%s%N); {quoted} >/dev/null || exit 1; echo $(( $(date +%s%N) - s )); done",
        )
        direct = [int(x) / 1e9 for x in p.stdout.split()] if p.returncode == 0 else []
        net = {
            k: [a - b for a, b in zip(times[k], times["noop"], strict=False) if a and b]
            for k in ("module", "ldapsearch")
        }
        self.results["sections"]["ldap"] = {
            "host": host,
            "directory": f"ldaps://{DIRECTORY_IP}:636",
            "reps": reps,
            "pipelining": True,
            "module": stats(times["module"]),
            "ldapsearch": stats(times["ldapsearch"]),
            "noop": stats(times["noop"]),
            "ldapsearch_in_host": stats(direct),
            "module_over_ldapsearch": ratios(times["module"], times["ldapsearch"]),
            "net_module_over_ldapsearch": stats(
                [a / b for a, b in zip(net["module"], net["ldapsearch"], strict=False) if b > 0]
            ),
            "runs": times,
        }

    # ----------------------------------------------------------------------- report
    def machine(self):
        def first_line(cmd):
            p = subprocess.run(cmd, capture_output=True, text=True, check=False, shell=True)
            return p.stdout.strip().splitlines()[0] if p.stdout.strip() else ""

        return {
            "cpus": os.cpu_count(),
            "cpu": first_line("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "kernel": platform.release(),
            "os": first_line(". /etc/os-release; echo $PRETTY_NAME"),
            "python": platform.python_version(),
            "ansible_core": first_line("ansible --version | head -1"),
            "podman": first_line("podman --version"),
            "lab_image": os.environ.get("LAB_IMAGE", ""),
            "load_average_at_start": list(os.getloadavg()),
        }

    def markdown(self):
        r = self.results
        m = r["machine"]
        lines = [
            f"Run {r['date']} (commit {r['commit']}) on {m['cpus']} CPUs ({m['cpu'].strip()}), {m['memory_gib']} GiB, "
            f"{m['os']}, kernel {m['kernel']}, {m['ansible_core']}, {m['podman']}; load average at start "
            f"{m['load_average_at_start'][0]:.1f} (other labs ran on the machine); "
            f"{'smoke run' if r['smoke'] else 'full run'}, {r['seconds'] / 60:.0f} min in all. "
            "Times: median (min–max, n runs). Ratios of two kinds of run: median of the ratios paired within a round.",
            "",
        ]
        for mg in r.get("merged", []):
            lines[0] += (
                f" Re-measured in a second run at {mg['date']} (commit {mg['commit']}, load average at start "
                f"{mg['machine']['load_average_at_start'][0]:.1f}, {mg['seconds'] / 60:.0f} min): "
                f"{', '.join(mg['replaced'])}."
            )
        c = r["sections"].get("converge")
        if c:
            lines += [
                f"### Converge cost and fleet scale (`{c['playbook']}`, SSH with pipelining, forks = hosts)",
                "",
                "| hosts | first converge | idempotent | --check | floor | idempotent / floor | --check / floor |",
                "|---|---|---|---|---|---|---|",
            ]
            for n, s in c["sizes"].items():
                lines.append(
                    f"| {n} | {fmt(s['first'])} | {fmt(s['idempotent'])} | {fmt(s.get('check'))} | "
                    f"{fmt(s['floor'])} | {fmt_ratio(s['idempotent_over_floor'])} | "
                    f"{fmt_ratio(s['check_over_floor'])} |"
                )
            lines += [
                "",
                "| hosts | per host: first converge | per host: idempotent | per host: --check | per host: floor |",
                "|---|---|---|---|---|",
            ]
            for n, s in c["sizes"].items():
                ph = s["per_host"]
                lines.append(
                    f"| {n} | {fmt(ph['first'])} | {fmt(ph['idempotent'])} | {fmt(ph.get('check'))} | "
                    f"{fmt(ph['floor'])} |"
                )
            if c.get("scale"):
                sc = c["scale"]
                hi = c["scale_pair"].split(":")[0]
                lines += [
                    "",
                    f"Fleet scale, wall time of {c['scale_pair']} hosts (ratio of medians): "
                    + ", ".join(f"{k} {v:.1f}×" for k, v in sc.items())
                    + f". A fleet that ran fully in parallel would be 1×, one host after the other {hi}×.",
                ]
            one = next(iter(c["sizes"].values()))
            ts = one.get("idempotent_profile_one_host")
            if ts:
                lines += [
                    "",
                    f"Idempotent run on one host: {ts['results']} task results "
                    f"({', '.join(f'{v} {k}' for k, v in sorted(ts['by_status'].items()))}), "
                    f"{ts['module_calls']} module calls; the floor stats {len(c['managed_files'])} managed files. "
                    "Where the time goes (module calls, seconds): "
                    + "; ".join(
                        f"{a.split('.')[-1]} {v['calls']}, {v['seconds']:.1f}s"
                        for a, v in list(ts["by_action"].items())[:8]
                    )
                    + ".",
                ]
        w = r["sections"].get("wins")
        if w:
            lines += [
                "",
                f"### Cheap wins (idempotent run, {w['hosts']} host(s), one change at a time against the base)",
                "",
                "| variant | idempotent run | ratio to the base (paired) |",
                "|---|---|---|",
            ]
            for v, s in w["variants"].items():
                lines.append(f"| {v} | {fmt(s['seconds'])} | {fmt_ratio(s['over_base'])} |")
            if w.get("not_idempotent"):
                lines.append(f"\nNot idempotent (changes reported, runs left out): {', '.join(w['not_idempotent'])}.")
        f = r["sections"].get("firewall")
        if f and f.get("sizes"):
            lines += [
                "",
                f"### Firewall apply ({f['listeners']} listener, N source networks; one host)",
                "",
                "| sources | role (one transaction) | firewalld, one rule at a time | raw `nft -f` over SSH "
                "| `nft -f` inside the host | firewalld / role | role / raw `nft -f` |",
                "|---|---|---|---|---|---|---|",
            ]
            for n, s in f["sizes"].items():
                lines.append(
                    f"| {n} | {fmt(s['role'])} | {fmt(s['firewalld_loop'])} | {fmt(s['nft_f'], digits=2)} | "
                    f"{fmt(s['nft_f_in_host'], digits=3)} | {fmt_ratio(s['firewalld_over_role'])} | "
                    f"{fmt_ratio(s['role_over_nft'])} |"
                )
        elif f:
            lines += ["", f"### Firewall apply: {f.get('error', 'no result')}"]
        ld = r["sections"].get("ldap")
        if ld:
            runs = ld["runs"]
            # What each costs beyond any task: minus the no-op task of the same round.
            extra = {
                k: stats([a - b for a, b in zip(runs[k], runs["noop"], strict=False) if a and b])
                for k in ("module", "ldapsearch")
            }
            lines += [
                "",
                f"### LDAP probe ({ld['directory']}: bind as the service account, search one user; "
                f"{ld['reps']} rounds of one task each)",
                "",
                "| ldap_validate probe=search | ldapsearch task | no-op task | module / ldapsearch "
                "| module minus no-op | ldapsearch minus no-op | ldapsearch inside the host |",
                "|---|---|---|---|---|---|---|",
                f"| {fmt(ld['module'], digits=2)} | {fmt(ld['ldapsearch'], digits=2)} | {fmt(ld['noop'], digits=2)} | "
                f"{fmt_ratio(ld['module_over_ldapsearch'])} | {fmt(extra['module'], digits=3)} | "
                f"{fmt(extra['ldapsearch'], digits=3)} | {fmt(ld['ldapsearch_in_host'], digits=3)} |",
            ]
        if r["failures"]:
            lines += [
                "",
                "Failed runs (left out of the figures): "
                + "; ".join(f"{x['run']} (rc {x['rc']})" for x in r["failures"])
                + ".",
            ]
        return "\n".join(lines) + "\n"

    def inotify(self, hosts):
        """systemd in a lab host holds about 7 inotify instances, all counted against root: at the kernel's
        default of 128 (fs.inotify.max_user_instances) a 20-host fleet next to other labs dies at boot (exit
        255, no log). Raise the limit for this boot only, never lower it, and record what was done."""
        knob = Path("/proc/sys/fs/inotify/max_user_instances")
        have = int(knob.read_text())
        want = max(1024, 8 * (hosts + 30))
        self.results["machine"]["inotify_max_user_instances"] = {"before": have, "after": have}
        if have < want:
            try:
                knob.write_text(str(want))
                self.results["machine"]["inotify_max_user_instances"]["after"] = want
                log(f"raised fs.inotify.max_user_instances from {have} to {want} (until reboot)")
            except OSError as exc:
                log(f"cannot raise fs.inotify.max_user_instances ({exc}): large fleets may fail to boot")

    def main(self):
        self.only = set(self.args.only.split(",")) if self.args.only else {"converge", "wins", "firewall", "ldap"}
        self.work.mkdir(parents=True, exist_ok=True)
        for stale in (self.work / "logs").glob("*"):
            stale.unlink()
        start = time.monotonic()
        self.results.update(
            date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            smoke=self.args.smoke,
            machine=self.machine(),
            config=self.cfg,
            commit=subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
            ).stdout.strip(),
        )
        log(f"playbook under test: {self.playbook}; sections: {', '.join(sorted(self.only))}")
        self.inotify(max(self.cfg["sizes"]) + 4)
        try:
            self.teardown()
            self.prepare()
            if self.only & {"converge", "wins"}:
                self.converge()
            if "firewall" in self.only:
                self.firewall()
            if "ldap" in self.only:
                self.ldap()
        finally:
            if not self.args.keep:
                self.teardown()
        self.results["seconds"] = round(time.monotonic() - start, 1)
        dest = Path(self.args.out) if self.args.out else self.work if self.args.smoke else BENCH / "results"
        dest.mkdir(parents=True, exist_ok=True)
        stem = datetime.date.today().isoformat()
        if self.args.merge:
            stem = Path(self.args.merge).name.removesuffix(".json")
            self.merge(Path(self.args.merge))
        md = self.markdown()
        (dest / f"{stem}.json").write_text(json.dumps(self.results, indent=1) + "\n")
        (dest / f"{stem}.md").write_text(md)
        if not self.args.smoke and not self.args.out and self.complete():
            self.update_docs(md, stem)
        print("\n" + md, flush=True)
        log(f"wrote {dest / stem}.json and .md in {self.results['seconds'] / 60:.1f} min")
        return 1 if self.results["failures"] or not self.complete() else 0

    def merge(self, path):
        """This run's parts replace the same parts of an earlier results file, which records the merge."""
        base = json.loads(path.read_text())
        new = self.results
        replaced = []
        for name, section in new["sections"].items():
            if name == "converge" and "converge" in base["sections"]:
                old = base["sections"]["converge"]
                old["sizes"].update(section["sizes"])
                old["sizes"] = dict(sorted(old["sizes"].items(), key=lambda kv: int(kv[0])))
                replaced += [f"{n} hosts" for n in section["sizes"]]
                sizes = old["sizes"]
                lo, hi = min(sizes, key=int), max(sizes, key=int)
                old["scale"] = {
                    k: round(sizes[hi][k]["median"] / sizes[lo][k]["median"], 2)
                    for k in ("first", "idempotent", "check", "floor")
                    if sizes[hi].get(k) and sizes[lo].get(k)
                }
                old["scale_pair"] = f"{hi}:{lo}"
            else:
                base["sections"][name] = section
                replaced.append(name)
        base["failures"] = [f for f in base["failures"] if not any(f["run"].startswith(r) for r in replaced)] + new[
            "failures"
        ]
        base.setdefault("merged", []).append(
            {
                "date": new["date"],
                "commit": new["commit"],
                "replaced": replaced,
                "seconds": new["seconds"],
                "machine": new["machine"],
            }
        )
        self.results = base

    @staticmethod
    def update_docs(md, stem):
        """Put the tables between the markers in docs/performance.md."""
        doc = REPO / "docs" / "performance.md"
        begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
        text = doc.read_text() if doc.exists() else ""
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            tail = rest.split(end, 1)[1]
            source = f"From [`benchmarks/results/{stem}.json`](../benchmarks/results/{stem}.json).\n\n"
            doc.write_text(f"{head}{begin}\n{source}{md}{end}{tail}")
            log(f"updated {doc.relative_to(REPO)}")

    def complete(self):
        s = self.results["sections"]
        return all(k in s for k in self.only if k != "wins" or "converge" in self.only)


def environment():
    """The environment tests/run.py gives the Molecule stage: the virtualenv on PATH, the checkout as the
    collection, the lab image and the stand-in package (each built once and cached)."""
    spec = importlib.util.spec_from_file_location("flopsar_tests_run", REPO / "tests" / "run.py")
    tests_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tests_run)
    e = tests_run.env()
    if not os.environ.get("FLOPSAR_STANDIN_DEB"):
        e["FLOPSAR_STANDIN_DEB"] = subprocess.run(
            [REPO / "tests/standin/build-deb.sh", CACHE / "packages"], capture_output=True, text=True, check=True, env=e
        ).stdout.splitlines()[-1]
    if not os.environ.get("LAB_IMAGE"):
        e["LAB_IMAGE"] = tests_run.lab_image("bookworm", e)
    # The collection from this checkout, through a link of the benchmark's own (tests/collection_link.py): a run
    # of the tests beside it must not swap the roles under test.
    e["ANSIBLE_COLLECTIONS_PATH"] = str(tests_run.collection_link.link(CACHE / "bench-collections"))
    os.environ.update(e)


def terminate(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # the lab is still torn down (finally)


def main():
    signal.signal(signal.SIGTERM, terminate)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="1 host, 10 rules, 1 repetition (make test runs this)")
    parser.add_argument("--only", default="", help="comma-separated sections: converge,wins,firewall,ldap")
    parser.add_argument("--keep", action="store_true", help="leave the lab running at the end")
    parser.add_argument("--sizes", help="fleet sizes, e.g. 1,5,20 (the full run's repetitions for those sizes)")
    parser.add_argument(
        "--merge",
        metavar="RESULTS_JSON",
        help="put this run's fleet sizes and sections into an earlier results file (to re-measure a part)",
    )
    parser.add_argument("--out", help="write the results here (a scratch run: docs/performance.md is left alone)")
    parser.add_argument("--reps", type=int, help="repetitions of every timed run")
    parser.add_argument("--rules", help="source networks per listener, e.g. 10,100,1000")
    args = parser.parse_args()
    if os.environ.get("BENCH_SMOKE", "") not in ("", "0"):
        args.smoke = True
    environment()
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
