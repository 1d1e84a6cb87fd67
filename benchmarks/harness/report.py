"""The report: the machine's description, the Markdown tables, merging into an earlier results file and
the generated block of docs/performance.md (between <!-- bench:begin --> and <!-- bench:end -->)."""

from __future__ import annotations

import json
import os
import platform
import subprocess

from . import converge
from .common import REPO, fmt, fmt_ratio, log, stats


def machine():
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


def markdown(r):
    m = r["machine"]
    load = ", ".join(f"{x:.1f}" for x in m["load_average_at_start"])
    lines = [
        f"Run {r['date']} (commit {r['commit']}) on {m['cpus']} CPUs ({m['cpu'].strip()}), {m['memory_gib']} GiB, "
        f"{m['os']}, kernel {m['kernel']}, {m['ansible_core']}, {m['podman']}; load average at start "
        f"{load} (1, 5, 15 min); "
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
        verified = {n: s for n, s in c["sizes"].items() if s.get("verify")}
        if verified:
            checks = c.get("verify_checks") or {}
            lines += [
                "",
                f"Verify-only run (`{c['playbook']} --tags verify`, the AWX verify job) against its own floor: facts, "
                f"then one call per check of the roles' verify tasks ({len(checks.get('connects', []))} connects, "
                f"{len(checks.get('units', []))} unit-state reads, {len(checks.get('files', []))} file stats, "
                f"{len(checks.get('commands', []))} commands).",
                "",
                "| hosts | verify | verify floor | verify / verify floor |",
                "|---|---|---|---|",
            ]
            for n, s in verified.items():
                lines.append(
                    f"| {n} | {fmt(s['verify'])} | {fmt(s.get('verify_floor'))} | "
                    f"{fmt_ratio(s.get('verify_over_verify_floor'))} |"
                )
        lines += [
            "",
            "| hosts | per host: first converge | per host: idempotent | per host: --check | per host: floor |",
            "|---|---|---|---|---|",
        ]
        for n, s in c["sizes"].items():
            ph = s["per_host"]
            lines.append(
                f"| {n} | {fmt(ph['first'])} | {fmt(ph['idempotent'])} | {fmt(ph.get('check'))} | {fmt(ph['floor'])} |"
            )
        if any(s.get("controller_cpu_per_host") for s in c["sizes"].values()):
            kinds = [k for k in ("first", "idempotent", "verify") if any(s.get(k) for s in c["sizes"].values())]
            lines += [
                "",
                "Controller CPU time per host (user + system of the ansible-playbook process tree; the part of a "
                "run that grows with the fleet on the controller, apart from the lab's shared cores):",
                "",
                "| hosts | " + " | ".join(f"per host: {k}" for k in kinds) + " |",
                "|---|" + "---|" * len(kinds),
            ]
            for n, s in c["sizes"].items():
                cph = s.get("controller_cpu_per_host") or {}
                lines.append(f"| {n} | " + " | ".join(fmt(cph.get(k), digits=2) for k in kinds) + " |")
        if c.get("scale"):
            sc = c["scale"]
            hi = c["scale_pair"].split(":")[0]
            lines += [
                "",
                f"Fleet scale, wall time of {c['scale_pair']} hosts (ratio of medians): "
                + ", ".join(f"{k} {v:.1f}×" for k, v in sc.items())
                + f". A fleet that ran fully in parallel would be 1×, one host after the other {hi}×.",
            ]
            if c.get("cpu_per_host_scale"):
                lines[-1] += (
                    " Controller CPU per host, same pair: "
                    + ", ".join(f"{k} {v:.2f}×" for k, v in c["cpu_per_host_scale"].items())
                    + "."
                )
        one = next(iter(c["sizes"].values()))
        for kind, floor in (
            ("idempotent", f"the floor stats {len(c.get('managed_files', []))} managed files"),
            ("verify", ""),
        ):
            ts = one.get(f"{kind}_profile_one_host")
            if ts:
                lines += ["", profile_line(f"{kind.capitalize()} run on one host", ts, floor)]
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
            if "not_applicable" in s:
                lines.append(f"| {v} | not applicable: {s['not_applicable']} | |")
            else:
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


def merge(new, path):
    """This run's parts replace the same parts of an earlier results file, which records the merge;
    returns the merged results."""
    base = json.loads(path.read_text())
    replaced = []
    for name, section in new["sections"].items():
        if name == "converge" and "converge" in base["sections"]:
            old = base["sections"]["converge"]
            old["sizes"].update(section["sizes"])
            old["sizes"] = dict(sorted(old["sizes"].items(), key=lambda kv: int(kv[0])))
            replaced += [f"{n} hosts" for n in section["sizes"]]
            sizes = old["sizes"]
            old.update(converge.scale(sizes, min(sizes, key=int), max(sizes, key=int)))
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
    return base


def profile_line(title, ts, note=""):
    """One run's profile in a sentence: results, module calls, where the time goes by action and by role."""
    line = (
        f"{title}: {ts['results']} task results "
        f"({', '.join(f'{v} {k}' for k, v in sorted(ts['by_status'].items()))}), "
        f"{ts['module_calls']} module calls{'; ' + note if note else ''}. "
        "Where the time goes (module calls, seconds): "
        + "; ".join(
            f"{a.split('.')[-1]} {v['calls']}, {v['seconds']:.1f}s" for a, v in list(ts["by_action"].items())[:8]
        )
        + "."
    )
    if ts.get("by_role"):
        line += (
            " By role: " + "; ".join(f"{a} {v['calls']}, {v['seconds']:.1f}s" for a, v in ts["by_role"].items()) + "."
        )
    return line


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
