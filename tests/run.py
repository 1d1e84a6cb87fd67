"""Run the collection's checks stage by stage and print one summary.

    tests/run.py [lint|build|publish|unit|sanity|molecule|bench_smoke|labs|all] [--scenario NAME ...]

Each stage prints its own output and duration. Test counts come from pytest's
JUnit XML (unit tests and every scenario's testinfra tests); a check that is
not a test runner (a linter, the build, a Molecule lifecycle) counts as one.
The last line is ``N passed, N failed`` summed over all stages, and the exit
status is non-zero when anything failed. Called by the Makefile, which has
already bootstrapped the machine (tests/lab/bootstrap.sh).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import collection_link

REPO = collection_link.REPO
CACHE = Path(os.environ.get("FLOPSAR_CACHE", "/var/tmp/hardened-flopsar"))
VENV_BIN = Path(sys.executable).parent
RESULTS = CACHE / "results"
GALAXY = collection_link.GALAXY
FQCN = collection_link.FQCN

# Paths that must never ship in the built collection.
NOT_IN_ARTIFACT = (".ci/", "molecule/", "tests/", "benchmarks/", "Makefile", "requirements.txt", ".github/")
FAILURES_SHOWN = 20  # failed tests named in the summary


class Tally:
    def __init__(self):
        self.rows = []  # (stage, passed, failed, seconds)
        self.failures = []  # (stage, test id and the first line of its message)

    def add(self, stage, passed, failed, seconds, failures=()):
        self.rows.append((stage, passed, failed, seconds))
        self.failures.extend((stage, failure) for failure in failures)
        print(f"--- {stage}: {passed} passed, {failed} failed in {seconds:.0f}s", flush=True)

    def report(self):
        """The failed tests by name, then a line per stage; the last line is `N passed, N failed`
        (CI shows only the tail of a long log, so the names come right before the table)."""
        print("\n=== summary")
        for stage, failure in self.failures[:FAILURES_SHOWN]:
            print(f"FAILED {stage}: {failure}")
        if len(self.failures) > FAILURES_SHOWN:
            print(f"... and {len(self.failures) - FAILURES_SHOWN} more failed tests (see the output above)")
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
    """This checkout's own collections root (tests/collection_link.py)."""
    return collection_link.checkout_root(CACHE)


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


def junit_failures(path):
    """`file::test: first line of the message` for each failed or erroring test case of a JUnit XML file."""
    if not path.exists():
        return []
    found = []
    for case in ET.parse(path).getroot().iter("testcase"):
        for outcome in ("failure", "error"):
            element = case.find(outcome)
            if element is not None:
                message = (element.get("message") or element.text or "").strip().splitlines()
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                found.append(f"{name}: {message[0][:200] if message else outcome}")
    return found


def check(tally, stage, cmd, **kw):
    start = time.monotonic()
    rc = run(cmd, **kw)
    tally.add(stage, int(rc == 0), int(rc != 0), time.monotonic() - start)
    return rc


# ----------------------------------------------------------------- stages
def link_user_collection():
    """ansible-lint installs the project into ~/.ansible/collections once and then keeps using that
    copy, stale after any change; a symlink to the checkout keeps what it lints current."""
    collection_link.link(Path.home() / ".ansible" / "collections")


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


def build_artifact(out):
    """`ansible-galaxy collection build` into an empty out/; (exit status, the artifact or None)."""
    shutil.rmtree(out, ignore_errors=True)
    rc = run(["ansible-galaxy", "collection", "build", "--force", "--output-path", out, REPO])
    return rc, next(out.glob("*.tar.gz"), None) if rc == 0 else None


def offline(cmd):
    """cmd in a network namespace of its own (no route anywhere) when this is root, as CI is."""
    return ["unshare", "--net", *cmd] if os.geteuid() == 0 and shutil.which("unshare") else cmd


def stage_build(tally):
    start = time.monotonic()
    out = CACHE / "build"
    rc = build_artifact(out)[0]
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
    artifact = next(out.glob("*.tar.gz"), None) if rc == 0 else None
    check_offline_install(tally, artifact)
    check_ee_context(tally, artifact)


def check_offline_install(tally, artifact):
    """`ansible-galaxy collection install <artifact>` as README.md tells operators, with no network at all:
    the declared dependencies (galaxy.yml) must be found where the `ansible` package installed them."""
    start = time.monotonic()
    target = CACHE / "install-check"
    shutil.rmtree(target, ignore_errors=True)
    rc = 1
    if artifact:
        e = env()
        e["ANSIBLE_COLLECTIONS_PATH"] = str(target)  # an operator's machine: no link to this checkout
        rc = run(offline(["ansible-galaxy", "collection", "install", "--collections-path", target, artifact]), env=e)
    ok = rc == 0 and (target / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"] / "MANIFEST.json").is_file()
    tally.add("build: installs offline with its dependencies", int(ok), int(not ok), time.monotonic() - start)


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


# ----------------------------------------------------------------- publishing
PUBLISH_BIN = CACHE / "publish-venv" / "bin"


def ansible_package_collections():
    """Where the `ansible` package (requirements.txt) installed its collections: community.crypto,
    ansible.posix and awx.awx for the publishing tools, which run in a virtualenv of their own."""
    import ansible_collections

    return str(Path(next(iter(ansible_collections.__path__))).parent)


def publish_env(*collections):
    """The publishing virtualenv first on PATH; the collections given, then the `ansible` package's. The
    importer runs ansible-lint with ANSIBLE_COLLECTIONS_PATH of its own, so the `ansible` package's
    collections are also on PYTHONPATH, where Ansible looks for an ansible_collections directory too."""
    e = env()
    e["PATH"] = f"{PUBLISH_BIN}{os.pathsep}{e['PATH']}"
    e["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([*map(str, collections), ansible_package_collections()])
    e["PYTHONPATH"] = ansible_package_collections()
    e["GALAXY_IMPORTER_CONFIG"] = str(REPO / "tests" / "galaxy-importer.cfg")
    return e


def with_repository(artifact, work):
    """The artifact as the importer must see it: galaxy-importer (and ansible-lint's galaxy rule) require
    `repository`, and the project has no public address yet, so galaxy.yml names none. Until it does, the
    importer checks a copy whose MANIFEST.json names this checkout (FLOPSAR_PUBLISH_REPOSITORY: the address
    to publish with); everything else is the artifact as built."""
    if GALAXY.get("repository"):
        return artifact
    address = os.environ.get("FLOPSAR_PUBLISH_REPOSITORY") or REPO.as_uri()
    print(f"NOTE: galaxy.yml names no repository; the importer checks a copy with repository: {address}")
    tree = work / "manifest"
    shutil.rmtree(tree, ignore_errors=True)
    with tarfile.open(artifact) as tar:
        tar.extractall(tree, filter="tar")
    manifest = tree / "MANIFEST.json"
    data = json.loads(manifest.read_text())
    data["collection_info"]["repository"] = address
    manifest.write_text(json.dumps(data, indent=4))
    copy = work / "import" / artifact.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(copy, "w:gz") as tar:
        for child in sorted(tree.iterdir()):
            tar.add(child, arcname=child.name)
    return copy


def stage_publish(tally):
    """What Galaxy and Automation Hub run on an upload, and the docs site, all offline (the publishing
    virtualenv: tests/requirements-publish.txt): galaxy-importer with Hub's settings
    (tests/galaxy-importer.cfg), antsibull-docs lint-collection-docs --plugin-docs on the installed
    artifact, and the antsibull-docs Sphinx site built without intersphinx, warnings as errors."""
    os.chdir(REPO)
    work = CACHE / "publish"
    if run([REPO / "tests" / "lab" / "bootstrap.sh", "publish-venv"]) != 0:
        tally.add("publish: publishing virtualenv", 0, 1, 0)
        return
    artifact = build_artifact(work / "dist")[1]
    if not artifact:
        tally.add("publish: build", 0, 1, 0)
        return
    installed = work / "installed"
    shutil.rmtree(installed, ignore_errors=True)
    run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "--force", "-p", installed, artifact])
    collection = installed / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    e = publish_env(installed)

    start = time.monotonic()
    out = subprocess.run(
        offline([PUBLISH_BIN / "python", "-m", "galaxy_importer.main", with_repository(artifact, work)]),
        capture_output=True,
        text=True,
        env=e,
        cwd=work,
        check=False,
    )
    print(out.stdout + out.stderr, flush=True)
    ok = out.returncode == 0 and "Importer processing completed successfully" in out.stdout + out.stderr
    tally.add("publish: galaxy-importer (Hub settings)", int(ok), int(not ok), time.monotonic() - start)

    check(
        tally,
        "publish: antsibull-docs lint",
        ["antsibull-docs", "lint-collection-docs", "--plugin-docs", collection],
        env=e,
    )
    check_docsite(tally, work / "docsite", e)


def check_docsite(tally, site, e):
    """antsibull-docs sphinx-init's site, built offline: no intersphinx inventory is fetched (the labels of
    other sites that the generated pages use are named by tests/docsite/external.rst), -W."""
    start = time.monotonic()
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(mode=0o755, parents=True)
    rc = run(
        offline(["antsibull-docs", "sphinx-init", "--use-current", "--squash-hierarchy", "--dest-dir", site, FQCN]),
        env=e,
    )
    if rc == 0:
        with (site / "conf.py").open("a") as conf:
            conf.write("\nintersphinx_mapping = {}  # offline: tests/run.py check_docsite\n")
        (site / "rst").mkdir(exist_ok=True)
        (site / "rst").chmod(0o755)
        cmd = ["antsibull-docs", "--config-file", site / "antsibull-docs.cfg", "collection", "--use-current"]
        cmd += ["--squash-hierarchy", "--dest-dir", site / "rst", FQCN]
        print("+ " + " ".join(map(str, cmd)), flush=True)
        out = subprocess.run(offline(cmd), capture_output=True, text=True, env=e, check=False)
        print(out.stdout + out.stderr, flush=True)
        # A plugin or role whose documentation does not load gets an error page, not a failure.
        rc = out.returncode or int("error page will be generated" in out.stdout + out.stderr)
    if rc == 0:
        shutil.copy2(REPO / "tests" / "docsite" / "external.rst", site / "rst" / "external.rst")
        rc = run(
            offline(["sphinx-build", "-M", "html", site / "rst", site / "build", "-c", site, "-W", "--keep-going"]),
            env=e,
        )
    tally.add("publish: docs site (sphinx-build -W)", int(rc == 0), int(rc != 0), time.monotonic() - start)


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
    tally.add("unit: pytest", passed, failed, time.monotonic() - start, junit_failures(xml))


def stage_sanity(tally):
    """ansible-test sanity on a copy of the tracked tree under ansible_collections/<ns>/<name>, one copy per
    checkout (a second checkout's run must not rewrite the tree under this one's)."""
    tree = (
        CACHE / "sanity" / collection_link.checkout_key() / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    )
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


# The scenarios that take longest start first, so that scenarios run side by side do not end on one
# long scenario alone (measured 2026-12-01; the others follow in name order).
LONGEST_FIRST = ["runner", "site", "server_faults", "firewalld", "firewall", "crowdsec"]


def scenarios():
    names = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))
    return [n for n in LONGEST_FIRST if n in names] + [n for n in names if n not in LONGEST_FIRST]


# Scenarios that run a second time on another Debian release (Debian 12 runs them all).
OTHER_RELEASES = {"trixie": ["default"]}


def lab_image(release, e):
    return subprocess.run(
        [REPO / "tests/lab/image.sh", release], capture_output=True, text=True, check=True, env=e
    ).stdout.strip()


# How many scenarios run at once (FLOPSAR_MOLECULE_JOBS). Each scenario has its own container names,
# networks and subnets, so their lifecycles are independent. Much of a scenario's time is waiting (boots,
# timeouts of filtered probes, rollback timers): three at a time fit this 2-core machine.
MOLECULE_JOBS = max(1, int(os.environ.get("FLOPSAR_MOLECULE_JOBS", "3")))
PRINT_LOCK = threading.Lock()


def run_scenario(tally, name, e, label, alone=False):
    """`molecule test -s name`, its output captured to a log and printed whole when it ends (scenarios
    run side by side would interleave their lines otherwise); alone, its output streams as it comes."""
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in label)
    xml, log = RESULTS / f"molecule-{slug}.xml", RESULTS / f"molecule-{slug}.log"
    xml.unlink(missing_ok=True)
    e = {**e, "PYTEST_ADDOPTS": f"-p no:cacheprovider --junitxml={xml}"}
    with PRINT_LOCK:
        print(f"+ molecule test -s {name}  ({label}: output in {log} until it ends)", flush=True)
    start = time.monotonic()
    if alone:
        rc = run(["molecule", "test", "-s", name], env=e)
    else:
        with log.open("w") as out:
            try:
                rc = subprocess.run(
                    ["molecule", "test", "-s", name], env=e, stdout=out, stderr=subprocess.STDOUT, check=False
                ).returncode
            except OSError as exc:
                out.write(f"cannot run molecule: {exc}\n")
                rc = 127
    seconds = time.monotonic() - start
    passed, failed = junit_counts(xml)
    with PRINT_LOCK:
        if not alone:
            print(f"\n=== molecule {label}: output\n{log.read_text(errors='replace')}", flush=True)
        tally.add(f"molecule {label}: lifecycle", int(rc == 0), int(rc != 0), seconds)
        tally.add(f"molecule {label}: verify tests", passed, failed, 0, junit_failures(xml))


def run_jobs(jobs):
    """Run each job (name, after, callable) MOLECULE_JOBS at a time, in the order given; a job whose
    `after` names another job starts only once that one has ended (a re-run on another release shares
    its scenario's container names and networks)."""
    pending, done = list(jobs), set()
    ready = threading.Condition()

    def worker():
        while True:
            with ready:
                while True:
                    if not pending:
                        return
                    job = next((j for j in pending if j[1] is None or j[1] in done), None)
                    if job:
                        pending.remove(job)
                        break
                    ready.wait()
            try:
                job[2]()
            finally:
                with ready:
                    done.add(job[0])
                    ready.notify_all()

    threads = [threading.Thread(target=worker) for _slot in range(min(MOLECULE_JOBS, len(jobs)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def molecule_env():
    os.chdir(REPO)
    RESULTS.mkdir(parents=True, exist_ok=True)
    e = env()
    e["FLOPSAR_STANDIN_DEB"] = subprocess.run(
        [REPO / "tests/standin/build-deb.sh", CACHE / "packages"], capture_output=True, text=True, check=True, env=e
    ).stdout.splitlines()[-1]
    e["LAB_IMAGE"] = os.environ.get("LAB_IMAGE") or lab_image("bookworm", e)
    return e


def scenario_jobs(tally, names, e, with_releases):
    """One job per scenario; with_releases adds the re-runs on the other Debian releases, each after
    its scenario's run on Debian 12."""
    jobs = [(n, None, None) for n in names]
    if with_releases:
        for release, extra in OTHER_RELEASES.items():
            jobs += [(f"{n} ({release})", n, release) for n in extra if n in names]
    alone = MOLECULE_JOBS == 1 or len(jobs) == 1
    images = {release: lab_image(release, e) for _label, _after, release in jobs if release}

    def job(label, name, release):
        scenario_env = {**e, "LAB_IMAGE": images[release]} if release else e
        return lambda: run_scenario(tally, name, scenario_env, label, alone)

    return [(label, after, job(label, after or label, release)) for label, after, release in jobs]


def remove_leftovers(names):
    """Only this run's scenarios: another run (a second checkout, a benchmark) may own the rest."""
    leftovers = []
    for name in names:
        leftovers += subprocess.run(
            ["podman", "ps", "-aq", "--filter", "label=owner=molecule", "--filter", f"label=lab_scenario={name}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
    if leftovers:
        subprocess.run(["podman", "rm", "-f", *leftovers], capture_output=True, check=False)


def stage_molecule(tally, names, bench=False):
    e = molecule_env()
    selected = names or scenarios()
    jobs = scenario_jobs(tally, selected, e, with_releases=not names and not os.environ.get("LAB_IMAGE"))
    if bench:
        # The smoke benchmark has its own hosts and subnets: it shares the pool with the scenarios.
        jobs.append(("bench smoke", None, lambda: bench_smoke(tally, captured=True)))
    run_jobs(jobs)
    remove_leftovers(selected)


def bench_smoke(tally, captured=False):
    """benchmarks/run.py --smoke (1 host, 10 rules, 1 repetition): keeps `make bench` from rotting."""
    cmd = [sys.executable, REPO / "benchmarks" / "run.py", "--smoke"]
    if not captured:
        check(tally, "bench: smoke run", cmd)
        return
    log = RESULTS / "bench-smoke.log"
    with PRINT_LOCK:
        print(f"+ {' '.join(map(str, cmd))}  (output in {log} until it ends)", flush=True)
    start = time.monotonic()
    with log.open("w") as out:
        rc = subprocess.run([str(c) for c in cmd], env=env(), stdout=out, stderr=subprocess.STDOUT, check=False)
    with PRINT_LOCK:
        print(f"\n=== bench smoke: output\n{log.read_text(errors='replace')}", flush=True)
        tally.add("bench: smoke run", int(rc.returncode == 0), int(rc.returncode != 0), time.monotonic() - start)


def stage_bench_smoke(tally):
    os.chdir(REPO)
    bench_smoke(tally)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stages", nargs="*", default=["all"])
    parser.add_argument("--scenario", action="append", default=[])
    args = parser.parse_args()
    stages = ["lint", "build", "publish", "unit", "sanity", "labs"] if "all" in args.stages else args.stages
    tally = Tally()
    for stage in stages:
        print(f"\n=== {stage}", flush=True)
        start = time.monotonic()
        if stage == "molecule":
            stage_molecule(tally, args.scenario)
        elif stage == "labs":  # every scenario and the smoke benchmark, in one pool
            stage_molecule(tally, args.scenario, bench=True)
        else:
            globals()[f"stage_{stage}"](tally)
        print(f"=== {stage} took {time.monotonic() - start:.0f}s", flush=True)
    return 1 if tally.report() else 0


if __name__ == "__main__":
    sys.exit(main())
