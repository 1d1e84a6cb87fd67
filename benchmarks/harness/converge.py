"""The converge section: first converge, idempotent re-run, --check run and the floor of the playbook
under test on each fleet size, and the verify-only run (`--tags verify`, the AWX verify job) against its
own floor; wall time and the controller's CPU time of each run."""

from __future__ import annotations

from . import verify, wins
from .common import BENCH, ratios, stats

FLOOR = BENCH / "playbooks" / "floor.yml"
VERIFY_FLOOR = BENCH / "playbooks" / "verify_floor.yml"
# What the AWX verify job template runs (docs/awx.md, Job templates): the site playbook, tag verify.
VERIFY_ARGS = ["--tags", "verify"]
FIRST_HOST = "fl-bench-s01"


def managed_files(tasks, host):
    files = []
    for t in tasks:
        if t["host"] == host and not t["delegated"] and t["status"] in ("ok", "changed"):
            for p in t["paths"]:
                if p not in files and not p.startswith("/tmp/"):
                    files.append(p)
    return files


def task_summary(tasks, host):
    """What one host's run did: results by status, module calls and seconds by action and by role."""
    mine = [t for t in tasks if t["host"] == host]
    by_status, by_action, by_role = {}, {}, {}
    for t in mine:
        by_status[t["status"]] = by_status.get(t["status"], 0) + 1
        if t["status"] != "skipped":
            calls = t["loop_items"] or 1
            role = t["task"].split(" : ")[0].split(".")[-1] if " : " in t["task"] else "(play)"
            for key, table in ((t["action"], by_action), (role, by_role)):
                a = table.setdefault(key, {"calls": 0, "seconds": 0.0})
                a["calls"] += calls
                a["seconds"] = round(a["seconds"] + t["seconds"], 2)
    executed = [t for t in mine if t["status"] != "skipped"]
    top = sorted(executed, key=lambda t: -t["seconds"])[:8]
    return {
        "results": len(mine),
        "by_status": by_status,
        "module_calls": sum(t["loop_items"] or 1 for t in executed),
        "by_action": dict(sorted(by_action.items(), key=lambda kv: -kv[1]["seconds"])),
        "by_role": dict(sorted(by_role.items(), key=lambda kv: -kv[1]["seconds"])),
        "slowest": [{"task": t["task"], "action": t["action"], "seconds": t["seconds"]} for t in top],
    }


def fresh_servers(bench, n):
    """A new fleet of n servers, prepared as the Molecule labs prepare theirs (the directory's CA, the
    server role's prerequisite from the mirror before the firewall closes egress)."""
    lab = bench.lab
    lab.remove([p["name"] for p in lab.servers(lab.desc["fleet"]["max"])])
    lab.create(lab.servers(n))
    inv = lab.inventory([p["name"] for p in lab.servers(n)])
    r = bench.runner.playbook_run(BENCH / "playbooks/prepare_servers.yml", inv, f"prepare {n} (untimed)", min(n, 20))
    if r["rc"] != 0:
        raise SystemExit("benchmark lab: preparing the servers failed")
    return inv


def run(bench):
    cfg, runner = bench.cfg, bench.runner
    if "converge" not in bench.only:  # the cheap wins alone: one converged fleet, then the variants
        n = cfg["wins_size"]
        inv = fresh_servers(bench, n)
        runner.playbook_run(bench.playbook, inv, f"{n} hosts: first converge (untimed)", n)
        wins.run(bench, inv, n)
        return
    out = {"playbook": bench.playbook, "sizes": {}}
    bench.results["sections"]["converge"] = out
    ldap_url = bench.lab.desc["inventory"]["group_vars"]["flopsar_servers"].get("ldap_url")
    for n, plan in cfg["sizes"].items():
        first, first_cpu, first_changed = [], [], []
        for r in range(plan["first"]):
            inv = fresh_servers(bench, n)
            res = runner.playbook_run(bench.playbook, inv, f"{n} hosts: first converge #{r + 1}", n)
            first.append(res["seconds"] if res["rc"] == 0 else None)
            first_cpu.append(res["cpu"] if res["rc"] == 0 else None)
            first_changed.append(res["changed"])
            if not out.get("managed_files"):
                out["managed_files"] = managed_files(res["tasks"], FIRST_HOST)
        kinds = ["idempotent", "check", "floor"] if plan["check"] else ["idempotent", "floor"]
        if plan.get("verify", True):
            kinds += ["verify", "verify_floor"]  # verify first in every order: its log lists the checks
        runs = {k: [] for k in kinds}
        cpu = {k: [] for k in kinds}
        changed, verify_changed, profile, verify_profile = [], [], [], []
        for r in range(plan["rounds"]):
            order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
            if "verify_floor" in order and not out.get("verify_checks"):
                order.remove("verify_floor")
                order.insert(order.index("verify") + 1, "verify_floor")
            for kind in order:
                label = f"{n} hosts: {kind.replace('_', ' ')} #{r + 1}"
                if kind == "floor":
                    extra = {"bench_managed_files": out["managed_files"]}
                    res = runner.playbook_run(FLOOR, inv, label, n, extra=extra)
                elif kind == "verify_floor":
                    res = runner.playbook_run(VERIFY_FLOOR, inv, label, n, extra={"bench_checks": out["verify_checks"]})
                else:
                    args = {"check": ["--check"], "verify": VERIFY_ARGS}.get(kind, [])
                    res = runner.playbook_run(bench.playbook, inv, label, n, args=args)
                    if kind == "idempotent":
                        changed.append(res["changed"])
                        profile.append(res["tasks"])
                    if kind == "verify":
                        verify_changed.append(res["changed"])
                        verify_profile.append(res["tasks"])
                        if not out.get("verify_checks") and res["rc"] == 0:
                            addresses = [x["ip"] for x in bench.lab.hosts[FIRST_HOST]["networks"]]
                            out["verify_checks"] = verify.checks(res["tasks"], FIRST_HOST, addresses, ldap_url)
                runs[kind].append(res["seconds"] if res["rc"] == 0 else None)
                cpu[kind].append(res["cpu"] if res["rc"] == 0 else None)
        runs = {"first": first, **runs}
        cpu = {"first": first_cpu, **cpu}
        size = {
            "hosts": n,
            "forks": n,
            **{k: stats(v) for k, v in runs.items()},
            "per_host": {k: stats([x / n for x in v if x]) for k, v in runs.items()},
            "controller_cpu": {k: stats(v) for k, v in cpu.items()},
            "controller_cpu_per_host": {k: stats([x / n for x in v if x]) for k, v in cpu.items()},
            "first_changed": first_changed,
            "idempotent_changed": changed,
            "idempotent_over_floor": ratios(runs["idempotent"], runs["floor"]),
            "check_over_floor": ratios(runs.get("check", []), runs["floor"]),
            "idempotent_profile_one_host": task_summary(profile[-1], FIRST_HOST) if profile else None,
            "runs": runs,
            "cpu_runs": cpu,
        }
        if "verify" in runs:
            size.update(
                verify_changed=verify_changed,
                verify_over_verify_floor=ratios(runs["verify"], runs["verify_floor"]),
                verify_profile_one_host=task_summary(verify_profile[-1], FIRST_HOST) if verify_profile else None,
            )
        out["sizes"][str(n)] = size
        if n == cfg["wins_size"] and "wins" in bench.only:
            wins.run(bench, inv, n)
    sizes = out["sizes"]
    lo, hi = str(min(cfg["sizes"])), str(max(cfg["sizes"]))
    if lo != hi:
        out.update(scale(sizes, lo, hi))


def scale(sizes, lo, hi):
    """Not paired (the sizes run one after the other): the ratio of the medians, for the wall time and for
    the controller's CPU time per host."""
    kinds = ("first", "idempotent", "check", "floor", "verify", "verify_floor")
    wall = {
        k: round(sizes[hi][k]["median"] / sizes[lo][k]["median"], 2)
        for k in kinds
        if sizes[hi].get(k) and sizes[lo].get(k)
    }
    per_host = {}
    for k in kinds:
        a = (sizes[hi].get("controller_cpu_per_host") or {}).get(k)
        b = (sizes[lo].get("controller_cpu_per_host") or {}).get(k)
        if a and b:
            per_host[k] = round(a["median"] / b["median"], 2)
    return {"scale": wall, "scale_pair": f"{hi}:{lo}", "cpu_per_host_scale": per_host}
