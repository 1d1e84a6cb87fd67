"""The collection run as AWX runs it: ansible-runner jobs from the built artifact (converge.yml).

The jobs' own records (ansible-runner's artifacts: status, job events) show what ran and from where;
the server's listeners and certificate are then checked from the client host, through the firewall
the jobs loaded; the server's own state (services, CA) is read before and after each job.
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.serialization import Encoding
from labprobe import CLOSED, FILTERED, OPEN, tcp_states, tls_handshake

SERVER, CLIENT = "fl-run-server", "fl-run-client"
MGMT, APP = "10.89.100.10", "10.89.101.10"
REPO = Path(__file__).resolve().parents[3]
RUNNER = Path("/var/tmp/fl-run-awx")  # noqa: S108 (the lab is locked; the job user must read it)
INSTALLED = RUNNER / "collections" / "ansible_collections" / "hardened" / "flopsar"
JOBS = ("deploy", "redeploy", "deploy_tls", "report")
REPORT = RUNNER / "report"
PEM = Encoding.PEM


def data(ident):
    return RUNNER / "jobs" / ident / "data"


def events(ident):
    folder = data(ident) / "artifacts" / ident / "job_events"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def stats(ident):
    (found,) = [e["event_data"] for e in events(ident) if e["event"] == "playbook_on_stats"]
    return found


def tasks(ident):
    return [e["event_data"] for e in events(ident) if e["event"] == "playbook_on_task_start"]


def role_tasks(ident):
    return [t for t in tasks(ident) if t.get("resolved_role")]


def observed(ident):
    return json.loads((RUNNER / "jobs" / ident / "observed.json").read_text())


def fingerprint(lines):
    (found,) = [line.split("=", 1)[1] for line in lines if "Fingerprint=" in line]
    return found


@pytest.mark.parametrize("ident", JOBS)
def test_job_is_successful_with_no_failed_or_unreachable_host(ident):
    artifacts = data(ident) / "artifacts" / ident
    assert (artifacts / "status").read_text().strip() == "successful"
    assert (artifacts / "rc").read_text().strip() == "0"
    job = stats(ident)
    assert job["failures"] == {} and job["dark"] == {}
    assert set(job["ok"]) == ({SERVER, "localhost"} if ident == "report" else {SERVER})


@pytest.mark.parametrize("ident", JOBS)
def test_each_job_ran_as_an_unprivileged_user_from_a_fresh_directory(ident):
    assert (RUNNER / "jobs" / ident / "data").stat().st_uid != 0
    assert (RUNNER / "jobs" / ident / "home").stat().st_uid != 0
    (start,) = [e for e in events(ident) if e["event"] == "playbook_on_start"]
    assert start["event_data"]["playbook"] in ("site.yml", "surface_report.yml")


def test_every_survey_default_was_sent_and_no_question_overrides_the_inventory():
    """AWX sends each default as an extra var; none may override what the inventory sets."""
    inventory = yaml.safe_load((RUNNER / "hosts.yml").read_text())
    site = set(inventory["all"]["vars"])
    for hostvars in inventory["all"]["hosts"].values():
        site |= set(hostvars)
    for ident in JOBS:
        survey = json.loads((data(ident) / "survey.json").read_text())
        extravars = yaml.safe_load((data(ident) / "env" / "extravars").read_text())
        assert {q["variable"] for q in survey["spec"]} == set(extravars)
        assert set(extravars) & site == set()
        assert all(v not in ("", None) for v in extravars.values())
    assert {"firewall_dns_servers", "firewall_ntp_servers"} <= site


def test_the_credential_file_comes_before_the_jobs_extra_vars():
    command = " ".join(json.loads((data("deploy_tls") / "artifacts" / "deploy_tls" / "command").read_text())["command"])
    extra = re.findall(r"-e @(\S+)", command)  # ansible-playbook's arguments, inside ssh-agent's sh -c
    assert len(extra) == 2 and extra[0].endswith("env/credential_tls") and extra[1].endswith("env/extravars")


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


def test_deploy_ran_every_role_of_the_site_playbook_and_the_pki():
    roles = {t["resolved_role"] for t in role_tasks("deploy")}
    assert roles == {f"hardened.flopsar.{r}" for r in ("ldap", "server", "crowdsec", "firewall", "_common")}


def test_the_ca_lives_on_a_managed_host_not_on_the_controller(lab):
    ca = lab(SERVER).file("/etc/hardened-flopsar/pki/ca.key")
    assert ca.exists and ca.user == "root" and ca.mode == 0o600
    leaked = [p for p in RUNNER.rglob("ca.key") if "operator" not in p.parts]
    assert leaked == []
    assert list((RUNNER / "jobs").glob("*/home/.hardened-flopsar")) == []


def test_second_deploy_from_a_fresh_environment_changes_nothing_and_restarts_nothing():
    assert stats("redeploy")["changed"] == {}
    seen = observed("redeploy")
    assert seen["before"] == seen["after"]  # MainPID and ActiveEnterTimestamp of both services, the CA
    assert fingerprint(seen["before"]) == fingerprint(observed("deploy")["after"])
    assert "MainPID=0" not in seen["after"]


def test_tls_credential_puts_the_operators_certificate_on_the_ui(lab):
    hs = tls_handshake(lab(CLIENT), MGMT, 9443, server_name=SERVER)
    assert hs.ok, hs.error
    assert hs.protocol == "TLSv1.3"
    leaf = hs.certificates()[0]
    assert leaf.issuer.rfc4514_string() == "CN=Operator test CA"
    operator = (RUNNER / "operator" / "server.crt").read_bytes()
    from cryptography import x509

    assert leaf == x509.load_pem_x509_certificate(operator)
    assert fingerprint(observed("deploy_tls")["after"]) == fingerprint(observed("deploy")["after"])


def test_machine_credential_leaves_no_key_in_the_job_artifacts():
    leaked = [p for p in RUNNER.glob("jobs/*/data/artifacts/**/*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert leaked == []


def test_site_settings_from_the_inventory_took_effect(lab):
    """DNS/NTP servers come from the inventory's group vars; no survey default overrode them."""
    ruleset = lab(SERVER).check_output("nft list table inet hardened_flopsar")
    assert "10.89.100.53" in ruleset and "10.89.100.54" in ruleset and "10.89.100.123" in ruleset
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


def test_the_local_api_certificate_comes_from_the_same_ca(lab):
    """The crowdsec role uses the one PKI too: its Local API's certificate is signed by the CA on the CA host."""
    from cryptography import x509

    hs = tls_handshake(lab(CLIENT), APP, 8080, server_name=SERVER)
    assert hs.ok, hs.error
    ca = x509.load_pem_x509_certificate(lab(SERVER).file("/etc/hardened-flopsar/pki/ca.crt").content)
    leaf = hs.certificates()[0]
    assert leaf.issuer == ca.subject
    leaf.verify_directly_issued_by(ca)
    assert lab(SERVER).file("/etc/crowdsec/tls/ca.crt").content_string.strip() == ca.public_bytes(PEM).decode().strip()
