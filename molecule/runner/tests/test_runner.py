"""The collection run as AWX runs it: ansible-runner jobs from the built artifact (converge.yml).

The jobs' own records (ansible-runner's artifacts: status, job events) show what ran and from where;
the server's listeners are then checked from the client host, through the firewall the job loaded.
"""

import json
import os
from pathlib import Path

import pytest
import yaml
from labprobe import CLOSED, FILTERED, OPEN, tcp_states, tls_handshake

SERVER, CLIENT = "fl-run-server", "fl-run-client"
MGMT, APP = "10.89.100.10", "10.89.101.10"
REPO = Path(__file__).resolve().parents[3]
RUNNER = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "runner"
INSTALLED = RUNNER / "collections" / "ansible_collections" / "hardened" / "flopsar"
JOBS = ("deploy", "verify")


def events(ident):
    folder = RUNNER / "job" / "artifacts" / ident / "job_events"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def stats(ident):
    (found,) = [e["event_data"] for e in events(ident) if e["event"] == "playbook_on_stats"]
    return found


def role_tasks(ident):
    return [
        e["event_data"]
        for e in events(ident)
        if e["event"] == "playbook_on_task_start" and e["event_data"].get("resolved_role")
    ]


@pytest.mark.parametrize("ident", JOBS)
def test_job_is_successful_with_no_failed_or_unreachable_host(ident):
    artifacts = RUNNER / "job" / "artifacts" / ident
    assert (artifacts / "status").read_text().strip() == "successful"
    assert (artifacts / "rc").read_text().strip() == "0"
    job = stats(ident)
    assert job["failures"] == {} and job["dark"] == {}
    assert list(job["ok"]) == [SERVER]


def test_the_installed_collection_is_the_artifact_of_this_checkout():
    manifest = json.loads((INSTALLED / "MANIFEST.json").read_text())["collection_info"]
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (
        galaxy["namespace"],
        galaxy["name"],
        galaxy["version"],
    )
    assert not INSTALLED.is_symlink()


@pytest.mark.parametrize("ident", JOBS)
def test_every_role_task_ran_from_the_installed_artifact(ident):
    tasks = role_tasks(ident)
    assert tasks
    paths = {t["task_path"].rsplit(":", 1)[0] for t in tasks}
    # The implicit argument-spec checks point at the play that names the role (the job's project).
    project = str(RUNNER / "job" / "project" / "site.yml")
    outside = sorted(p for p in paths if not p.startswith(f"{INSTALLED}/") and p != project)
    assert outside == []
    assert {t["resolved_role"] for t in tasks} >= {"hardened.flopsar.server", "hardened.flopsar.firewall"}


def test_verify_job_runs_only_checks_and_changes_nothing():
    names = [t["task"] for t in role_tasks("verify")]
    assert "Check every listener answers on its address and port" in names
    assert "Install the vendor package file" in [t["task"] for t in role_tasks("deploy")]
    assert "Install the vendor package file" not in names
    assert stats("verify")["changed"] == {}


def test_machine_credential_leaves_no_key_in_the_job_artifacts():
    leaked = [p for p in (RUNNER / "job" / "artifacts").rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert leaked == []


def test_survey_shaped_answers_took_effect(lab):
    """Extra vars as a survey sends them: a list as comma-separated text, "no" for a boolean."""
    ruleset = lab(SERVER).check_output("nft list table inet hardened_flopsar")
    assert "10.89.101.20" in ruleset and "10.89.101.30" in ruleset  # both items of "a, b"
    states = tcp_states(lab(CLIENT), [(APP, 4317), (APP, 4318), (MGMT, 4317), (MGMT, 4318)])
    assert set(states.values()) <= {CLOSED, FILTERED}  # server_otlp_enabled: "no" is false


def test_listeners_answer_from_the_client(lab):
    states = tcp_states(lab(CLIENT), [(APP, 9000), (MGMT, 9443), (APP, 9443), (MGMT, 9000)])
    assert states[(APP, 9000)] == OPEN
    assert states[(MGMT, 9443)] == OPEN
    assert states[(APP, 9443)] != OPEN and states[(MGMT, 9000)] != OPEN


def test_ui_answers_tls13_from_the_client(lab):
    hs = tls_handshake(lab(CLIENT), MGMT, 9443, server_name=SERVER)
    assert hs.ok, hs.error
    assert hs.protocol == "TLSv1.3"
