"""Run the collection's checks stage by stage and print one summary.

    tests/run.py [lint|build|unit|sanity|molecule|bench_smoke|all] [--scenario NAME ...]

Each stage prints its own output and duration. Test counts come from pytest's
JUnit XML (unit tests and every scenario's testinfra tests); a check that is
not a test runner (a linter, the build, a Molecule lifecycle) counts as one.
The last line is ``N passed, N failed`` summed over all stages, and the exit
status is non-zero when anything failed. Called by the Makefile, which has
already bootstrapped the machine (tests/lab/bootstrap.sh).
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("FLOPSAR_CACHE", "/var/tmp/hardened-flopsar"))
VENV_BIN = Path(sys.executable).parent
RESULTS = CACHE / "results"
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"

# Paths that must never ship in the built collection.
NOT_IN_ARTIFACT = (".ci/", "molecule/", "tests/", "benchmarks/", "Makefile", "requirements.txt", ".github/")


class Tally:
    def __init__(self):
        self.rows = []  # (stage, passed, failed, seconds)

    def add(self, stage, passed, failed, seconds):
        self.rows.append((stage, passed, failed, seconds))
        print(f"--- {stage}: {passed} passed, {failed} failed in {seconds:.0f}s", flush=True)

    def report(self):
        print("\n=== summary")
        for stage, passed, failed, seconds in self.rows:
            print(f"{stage:<34} {passed:>5} passed {failed:>3} failed {seconds:>6.0f}s")
        passed = sum(r[1] for r in self.rows)
        failed = sum(r[2] for r in self.rows)
        print(f"{passed} passed, {failed} failed")
        return failed


def env():
    e = dict(os.environ)
    e.update(
        PATH=f"{VENV_BIN}{os.pathsep}{e.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(collections_path()),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PY_COLORS="0",
        NO_COLOR="1",
        DEBIAN_FRONTEND="noninteractive",
        FLOPSAR_CACHE=str(CACHE),
        ANSIBLE_PYTHON_INTERPRETER="auto_silent",
    )
    return e


def collections_path():
    """<cache>/collections/<checkout>/ansible_collections/<ns>/<name> -> this checkout.

    One link per checkout: two checkouts running at once (CI beside a developer's tree, a benchmark)
    must not swap a shared link under each other's running ansible-playbook.
    """
    root = CACHE / "collections" / hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
    link = root / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() != REPO:
        link.unlink()
    if not link.exists():
        link.symlink_to(REPO)
    return root


def run(cmd, **kw):
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    try:
        return subprocess.run([str(c) for c in cmd], env=kw.pop("env", env()), check=False, **kw).returncode
    except OSError as exc:  # a missing tool fails its check; it does not stop the other stages
        print(f"cannot run {cmd[0]}: {exc}", flush=True)
        return 127


def junit_counts(path):
    """(passed, failed) from a pytest JUnit XML file; (0, 0) when it is missing."""
    if not path.exists():
        return 0, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed


def check(tally, stage, cmd, **kw):
    start = time.monotonic()
    rc = run(cmd, **kw)
    tally.add(stage, int(rc == 0), int(rc != 0), time.monotonic() - start)
    return rc


# ----------------------------------------------------------------- stages
def link_user_collection():
    """ansible-lint installs the project into ~/.ansible/collections once and then keeps using that
    copy, stale after any change; a symlink to the checkout keeps what it lints current."""
    link = Path.home() / ".ansible" / "collections" / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    if link.is_symlink() and link.resolve() == REPO:
        return
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    elif link.is_symlink():
        link.unlink()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(REPO)


def stage_lint(tally):
    os.chdir(REPO)
    link_user_collection()
    check(tally, "lint: yamllint", ["yamllint", "--strict", "."])
    check(tally, "lint: ruff check", ["ruff", "check", "."])
    check(tally, "lint: ruff format", ["ruff", "format", "--check", "."])
    check(tally, "lint: ansible-lint (production)", ["ansible-lint", "--profile", "production", "--offline"])
    check(tally, "lint: argument specs = defaults", [sys.executable, REPO / "tests" / "check_argument_specs.py"])
    check(tally, "lint: role docs = argument specs", [sys.executable, REPO / "tests" / "role_docs.py", "--check"])
    check(tally, "lint: changelog fragments", ["antsibull-changelog", "lint"])


def stage_build(tally):
    start = time.monotonic()
    out = CACHE / "build"
    shutil.rmtree(out, ignore_errors=True)
    rc = run(["ansible-galaxy", "collection", "build", "--force", "--output-path", out, REPO])
    problems = []
    if rc == 0:
        artifact = next(out.glob("*.tar.gz"))
        with tarfile.open(artifact) as tar:
            names = tar.getnames()
        problems = [n for n in names if n.startswith(NOT_IN_ARTIFACT) or "/." in "/" + n]
        print(f"{artifact.name}: {len(names)} entries, {artifact.stat().st_size // 1024} KiB")
        for p in problems:
            print(f"not expected in the artifact: {p}")
    ok = rc == 0 and not problems
    tally.add("build: galaxy artifact is lean", int(ok), int(not ok), time.monotonic() - start)
    check_ee_context(tally, next(out.glob("*.tar.gz"), None) if rc == 0 else None)


def requirement_lines(path):
    """The non-comment lines of a pip or bindep requirements file."""
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def check_ee_context(tally, artifact):
    """`ansible-builder create` on execution-environment.yml (no image build: that needs the internet),
    next to the artifact just built, as docs/awx.md tells operators. The context must hold that
    artifact, pin ansible-core and ansible-runner as requirements.txt does, and ansible-builder's
    introspection of the installed artifact (what the image build runs) must find every line of
    meta/ee-requirements.txt and meta/bindep.txt."""
    start = time.monotonic()
    work = CACHE / "ee"
    shutil.rmtree(work, ignore_errors=True)
    (work / "build").mkdir(parents=True)
    problems = [] if artifact else ["no collection artifact was built"]
    rc = 1
    if artifact:
        shutil.copy2(artifact, work / "build")
        shutil.copy2(REPO / "execution-environment.yml", work)
        rc = run(["ansible-builder", "create", "-f", work / "execution-environment.yml", "-c", work / "context"])
    if rc == 0:
        problems += ee_context_problems(work, artifact)
    for p in problems:
        print(f"execution environment: {p}")
    ok = rc == 0 and not problems
    tally.add("build: ansible-builder create", int(ok), int(not ok), time.monotonic() - start)


def ee_context_problems(work, artifact):
    """What is wrong with the build context `ansible-builder create` wrote in work/context."""
    problems = []
    copied = work / "context" / "_build" / "collections" / artifact.name
    if not copied.is_file() or copied.read_bytes() != artifact.read_bytes():
        return [f"the context does not hold {artifact.name}"]
    containerfile = (work / "context" / "Containerfile").read_text()
    pins = [p for p in requirement_lines(REPO / "requirements.txt") if p.startswith(("ansible-core", "ansible-runner"))]
    problems += [f"the Containerfile does not install {p} (requirements.txt)" for p in pins if p not in containerfile]
    installed = work / "installed"
    run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-p", installed, copied])
    found = subprocess.run(
        ["ansible-builder", "introspect", installed], capture_output=True, text=True, env=env(), check=False
    ).stdout
    print(f"introspection of the installed artifact:\n{found}")
    data = yaml.safe_load(found) or {}
    for kind, path in (("python", "meta/ee-requirements.txt"), ("system", "meta/bindep.txt")):
        got = [line.split("#")[0].strip() for line in data.get(kind) or []]
        missing = [want for want in requirement_lines(REPO / path) if want not in got]
        problems += [f"introspection misses {want!r} ({path})" for want in missing]
    return problems


def stage_unit(tally):
    os.chdir(REPO)
    RESULTS.mkdir(parents=True, exist_ok=True)
    xml = RESULTS / "unit.xml"
    xml.unlink(missing_ok=True)
    start = time.monotonic()
    rc = run(["pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", "tests/unit"])
    passed, failed = junit_counts(xml)
    if rc not in (0, 1) or (rc != 0 and failed == 0):
        failed += 1  # collection errors, crashes: count the stage as failed
    tally.add("unit: pytest", passed, failed, time.monotonic() - start)


def stage_sanity(tally):
    """ansible-test sanity on a copy of the tracked tree under ansible_collections/<ns>/<name>."""
    tree = CACHE / "sanity" / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    tree.mkdir(parents=True, exist_ok=True)
    for child in tree.iterdir():
        if child.name != "tests":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    if (tree / "tests").exists():
        for child in (tree / "tests").iterdir():
            if child.name != "output":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        src = REPO / name
        if src.is_file():
            dst = tree / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    sanity_bin = CACHE / "sanity-venv" / "bin"
    e = env()
    e["PATH"] = f"{sanity_bin}{os.pathsep}{e['PATH']}"
    check(
        tally,
        "sanity: ansible-test sanity",
        [sanity_bin / "ansible-test", "sanity", "--color", "no", "--python", "3.11"],
        cwd=tree,
        env=e,
    )


def scenarios():
    return sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))


# Scenarios that run a second time on another Debian release (Debian 12 runs them all).
OTHER_RELEASES = {"trixie": ["default"]}


def lab_image(release, e):
    return subprocess.run(
        [REPO / "tests/lab/image.sh", release], capture_output=True, text=True, check=True, env=e
    ).stdout.strip()


def run_scenario(tally, name, e, label):
    xml = RESULTS / ("molecule-" + "".join(c if c.isalnum() or c in "-_." else "-" for c in label) + ".xml")
    xml.unlink(missing_ok=True)
    e["PYTEST_ADDOPTS"] = f"-p no:cacheprovider --junitxml={xml}"
    start = time.monotonic()
    rc = run(["molecule", "test", "-s", name], env=e)
    seconds = time.monotonic() - start
    passed, failed = junit_counts(xml)
    tally.add(f"molecule {label}: lifecycle", int(rc == 0), int(rc != 0), seconds)
    tally.add(f"molecule {label}: verify tests", passed, failed, 0)


def stage_molecule(tally, names):
    os.chdir(REPO)
    RESULTS.mkdir(parents=True, exist_ok=True)
    e = env()
    e["FLOPSAR_STANDIN_DEB"] = subprocess.run(
        [REPO / "tests/standin/build-deb.sh", CACHE / "packages"], capture_output=True, text=True, check=True, env=e
    ).stdout.splitlines()[-1]
    e["LAB_IMAGE"] = os.environ.get("LAB_IMAGE") or lab_image("bookworm", e)
    for name in names or scenarios():
        run_scenario(tally, name, e, name)
    if not names and not os.environ.get("LAB_IMAGE"):
        for release, extra in OTHER_RELEASES.items():
            e["LAB_IMAGE"] = lab_image(release, e)
            for name in extra:
                run_scenario(tally, name, e, f"{name} ({release})")
    # Only this run's scenarios: another run (a second checkout, a benchmark) may own the rest.
    leftovers = []
    for name in names or scenarios():
        leftovers += subprocess.run(
            ["podman", "ps", "-aq", "--filter", "label=owner=molecule", "--filter", f"label=lab_scenario={name}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
    if leftovers:
        subprocess.run(["podman", "rm", "-f", *leftovers], capture_output=True, check=False)


def stage_bench_smoke(tally):
    """benchmarks/run.py --smoke (1 host, 10 rules, 1 repetition): keeps `make bench` from rotting."""
    os.chdir(REPO)
    check(tally, "bench: smoke run", [sys.executable, REPO / "benchmarks" / "run.py", "--smoke"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stages", nargs="*", default=["all"])
    parser.add_argument("--scenario", action="append", default=[])
    args = parser.parse_args()
    stages = ["lint", "build", "unit", "sanity", "molecule", "bench_smoke"] if "all" in args.stages else args.stages
    tally = Tally()
    for stage in stages:
        print(f"\n=== {stage}", flush=True)
        start = time.monotonic()
        if stage == "molecule":
            stage_molecule(tally, args.scenario)
        else:
            globals()[f"stage_{stage}"](tally)
        print(f"=== {stage} took {time.monotonic() - start:.0f}s", flush=True)
    return 1 if tally.report() else 0


if __name__ == "__main__":
    sys.exit(main())
