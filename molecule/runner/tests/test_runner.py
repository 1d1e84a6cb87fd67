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
JOBS = ("deploy", "verify", "report")
REPORT = RUNNER / "report"


def events(ident):
    folder = RUNNER / "job" / "artifacts" / ident / "job_events"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def stats(ident):
    (found,) = [e["event_data"] for e in events(ident) if e["event"] == "playbook_on_stats"]
    return found


def tasks(ident):
    return [e["event_data"] for e in events(ident) if e["event"] == "playbook_on_task_start"]


def role_tasks(ident):
    return [t for t in tasks(ident) if t.get("resolved_role")]


@pytest.mark.parametrize("ident", JOBS)
def test_job_is_successful_with_no_failed_or_unreachable_host(ident):
    artifacts = RUNNER / "job" / "artifacts" / ident
    assert (artifacts / "status").read_text().strip() == "successful"
    assert (artifacts / "rc").read_text().strip() == "0"
    job = stats(ident)
    assert job["failures"] == {} and job["dark"] == {}
    assert set(job["ok"]) == ({SERVER, "localhost"} if ident == "report" else {SERVER})


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
def test_every_task_ran_from_the_installed_artifact(ident):
    """Roles, plugins and the playbooks themselves: all from the installed collection, none from the checkout."""
    paths = {t["task_path"].rsplit(":", 1)[0] for t in tasks(ident)}
    assert paths
    assert sorted(p for p in paths if not p.startswith(f"{INSTALLED}/")) == []


def test_deploy_ran_every_role_of_the_site_playbook():
    roles = {t["resolved_role"] for t in role_tasks("deploy")}
    assert roles == {f"hardened.flopsar.{r}" for r in ("ldap", "server", "crowdsec", "firewall")}


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
    """Extra vars as the deploy survey sends them: a list as comma-separated text, "no" for a boolean."""
    import tomllib

    ruleset = lab(SERVER).check_output("nft list table inet hardened_flopsar")
    assert "10.89.100.53" in ruleset and "10.89.100.54" in ruleset  # both items of "a, b" (DNS egress)
    settings = tomllib.loads(lab(SERVER).file("/etc/flopsar/settings.toml").content_string)
    assert settings["pass_policy"]["min_len"] == 14
    assert settings["otlp"] == {"enable": False}  # server_otlp_enabled: "no" is false
    states = tcp_states(lab(CLIENT), [(APP, 4317), (APP, 4318), (MGMT, 4317), (MGMT, 4318)])
    assert set(states.values()) <= {CLOSED, FILTERED}


def test_report_job_found_no_drift():
    fleet = json.loads((REPORT / "fleet.json").read_text())
    assert [h["host"] for h in fleet["hosts"]] == [SERVER]
    assert {h["host"]: h["drift"] for h in fleet["hosts"]} == {SERVER: []}
    assert (REPORT / "fleet.svg").is_file() and (REPORT / f"{SERVER}.md").is_file()


def test_listeners_answer_from_the_client(lab):
    states = tcp_states(lab(CLIENT), [(APP, 9000), (MGMT, 9443), (APP, 9443), (MGMT, 9000)])
    assert states[(APP, 9000)] == OPEN
    assert states[(MGMT, 9443)] == OPEN
    assert states[(APP, 9443)] != OPEN and states[(MGMT, 9000)] != OPEN


def test_ui_answers_tls13_from_the_client(lab):
    hs = tls_handshake(lab(CLIENT), MGMT, 9443, server_name=SERVER)
    assert hs.ok, hs.error
    assert hs.protocol == "TLSv1.3"
