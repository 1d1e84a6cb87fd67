"""Benchmarks of hardened.flopsar on the podman lab, measured side by side in one run.

    benchmarks/run.py [--smoke] [--only converge,wins,firewall,ldap] [--keep] [--out DIR]

Sections (issue #8), each figure the median of several runs with its range, each ratio the
median of ratios paired within one round (the machine is noisy; only same-run ratios count):

  converge  first converge, idempotent re-run, --check run and the floor (facts and a stat of
            every managed file) of BENCH_PLAYBOOK on 1, 5 and 20 hosts, forks = hosts; the
            verify-only run (--tags verify) against its own floor (facts and one call per check);
            wall time and the controller's CPU time (the ansible-playbook process tree)
  wins      the idempotent run with one change at a time against the base configuration (Ansible's
            defaults with pipelining): no pipelining, a fact cache, no play-level fact gathering,
            gather_subset min+network
  firewall  10, 100 and 1,000 source networks on one listener: the firewall role's apply (one
            nftables transaction) against the same rules one by one with ansible.posix.firewalld
            and against raw `nft -f` of the role's own rendered ruleset (the floor)
  ldap      the ldap_validate live probe against ldapsearch doing the same bind and search

Writes benchmarks/results/<date>.json and <date>.md (--smoke: the cache directory only, nothing
in the repository; --out DIR: there, and docs/performance.md is left alone). The lab is
benchmarks/lab.yml, built by Molecule's lab playbooks (molecule/shared/create.yml, destroy.yml):
containers named fl-bench-* (labels owner=molecule, lab_scenario=bench) on the subnets
10.89.90.0/24 to 10.89.92.0/24, removed at the end. The parts live in benchmarks/harness/: lab,
ansible (one timed run), converge (with verify), wins, firewall, ldap, report.
Needs what `make bench` bootstraps (host packages, the virtualenv, the lab image); it sets up the
rest as tests/run.py does (LAB_IMAGE, FLOPSAR_STANDIN_DEB, the collection path) unless given.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness import converge, firewall, ldap, report
from harness.ansible import Runner
from harness.common import BENCH, CACHE, REPO, log
from harness.lab import Lab

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
        if args.first is not None:
            for plan in self.cfg["sizes"].values():
                plan["first"] = args.first
        if args.firewalld_reps is not None:
            self.cfg["fwd_reps"] = dict.fromkeys(self.cfg["rules"], args.firewalld_reps)
        # The smoke run only keeps the harness from rotting (Molecule tests the roles): the lighter playbook.
        self.playbook = os.environ.get("BENCH_PLAYBOOK") or (
            DEFAULT_PLAYBOOK if (REPO / DEFAULT_PLAYBOOK).exists() and not args.smoke else FALLBACK_PLAYBOOK
        )
        self.results = {"sections": {}, "failures": []}

        self.lab = Lab(self.work)
        self.runner = Runner(self.work, self.results, self.playbook)
        self.only = set(args.only.split(",")) if args.only else {"converge", "wins", "firewall", "ldap"}

    def prepare(self):
        """The hosts besides the servers (directory, firewall, firewalld, LDAP client), set up untimed."""
        self.lab.create(self.lab.helpers())
        inv = self.lab.inventory([])
        r = self.runner.playbook_run(BENCH / "playbooks/prepare.yml", inv, "prepare (untimed)", 4)
        if r["rc"] != 0:
            raise SystemExit("benchmark lab: prepare failed")
        r = self.runner.playbook_run(
            BENCH / "playbooks/directory_ca.yml", inv, "directory CA (untimed)", 4, extra={"bench_hosts": "bench_ldap"}
        )
        if r["rc"] != 0:
            raise SystemExit("benchmark lab: directory CA failed")

    def main(self):
        self.work.mkdir(parents=True, exist_ok=True)
        os.environ["BENCH_WORK"] = str(self.work)
        for stale in (self.work / "logs").glob("*"):
            stale.unlink()
        start = time.monotonic()
        self.results.update(
            date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            smoke=self.args.smoke,
            machine=report.machine(),
            config=self.cfg,
            commit=subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
            ).stdout.strip(),
        )
        log(f"playbook under test: {self.playbook}; sections: {', '.join(sorted(self.only))}")
        Lab.inotify(max(self.cfg["sizes"]) + 4, self.results["machine"])
        try:
            self.lab.teardown()
            self.prepare()
            if self.only & {"converge", "wins"}:
                converge.run(self)
            if "firewall" in self.only:
                firewall.run(self)
            if "ldap" in self.only:
                ldap.run(self)
        finally:
            if not self.args.keep:
                self.lab.teardown()
        self.results["seconds"] = round(time.monotonic() - start, 1)
        dest = Path(self.args.out) if self.args.out else self.work if self.args.smoke else BENCH / "results"
        dest.mkdir(parents=True, exist_ok=True)
        stem = datetime.date.today().isoformat()
        if self.args.merge:
            stem = Path(self.args.merge).name.removesuffix(".json")
            self.results = report.merge(self.results, Path(self.args.merge))
        md = report.markdown(self.results)
        (dest / f"{stem}.json").write_text(json.dumps(self.results, indent=1) + "\n")
        (dest / f"{stem}.md").write_text(md)
        if not self.args.smoke and not self.args.out and self.complete():
            report.update_docs(md, stem)
        print("\n" + md, flush=True)
        log(f"wrote {dest / stem}.json and .md in {self.results['seconds'] / 60:.1f} min")
        return 1 if self.results["failures"] or not self.complete() else 0

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
    # CrowdSec from Debian's packages, fetched once on the controller into the cache the site scenario uses.
    if not os.environ.get("BENCH_CROWDSEC_PACKAGES"):
        e["BENCH_CROWDSEC_PACKAGES"] = subprocess.run(
            [REPO / "tests/lab/crowdsec-packages.sh", e.get("LAB_IMAGE") or os.environ["LAB_IMAGE"]],
            capture_output=True,
            text=True,
            check=True,
            env=e,
        ).stdout.splitlines()[-1]
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
    parser.add_argument("--first", type=int, help="first converges per fleet size (after --reps)")
    parser.add_argument("--firewalld-reps", type=int, help="runs of the firewalld loop per size (0: none)")
    parser.add_argument("--rules", help="source networks per listener, e.g. 10,100,1000")
    args = parser.parse_args()
    if os.environ.get("BENCH_SMOKE", "") not in ("", "0"):
        args.smoke = True
    environment()
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
