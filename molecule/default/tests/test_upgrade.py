"""Upgrades and the master key, on the converged default lab (after test_default.py):

* 7.0.0 to 7.0.1 with playbooks/upgrade.yml: key, settings and data kept, listeners answer;
* a broken 7.0.2 (its program exits at start; a test artifact of tests/standin/build-deb.sh) rolled
  out over both servers one at a time: the first fails, is rolled back to 7.0.1 and answers again,
  the second is never touched (still 7.0.0);
* the master key backed up encrypted on the controller, the second server rebuilt (package and
  /etc/flopsar purged) and converged with the backup: the same key, the server starts.

The agent listener is probed from the agent host in a tight loop during each upgrade, and the
time it was unavailable is printed (a measurement for the report, not an assertion).
"""

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from labprobe import OPEN, tcp_states

SERVER, SERVER2, AGENT, OPERATOR = "fl-def-server", "fl-def-server2", "fl-def-agent", "fl-def-operator"
APP, APP2, MGMT, MGMT2 = "10.89.21.10", "10.89.21.11", "10.89.20.10", "10.89.20.11"
REPO = Path(__file__).resolve().parents[3]
KEY = "/etc/flopsar/ssl/master.key"

pytestmark = pytest.mark.skipif(
    "MOLECULE_INVENTORY_FILE" not in os.environ, reason="needs Molecule's inventory (runs playbooks against the lab)"
)


@pytest.fixture(scope="module", autouse=True)
def bookworm_only(lab):
    """The upgrade mechanics do not depend on the release: the trixie re-run of this scenario keeps
    to test_default.py (cheaper)."""
    if "VERSION_CODENAME=bookworm" not in lab(SERVER).file("/etc/os-release").content_string:
        pytest.skip("upgrade cases run on the Debian 12 lab only")


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    out = tmp_path_factory.mktemp("standin")

    def build(*args):
        result = subprocess.run(
            [REPO / "tests/standin/build-deb.sh", out, *args], capture_output=True, text=True, check=True
        )
        return result.stdout.splitlines()[-1]

    return {"7.0.1": build("7.0.1"), "7.0.2-broken": build("7.0.2", "broken")}


def playbook(path, *args):
    result = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(path), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def upgrade(hosts, package, *args):
    extra = {"flopsar_upgrade_hosts": hosts, "server_package_file": package}
    return playbook(REPO / "playbooks/upgrade.yml", "-e", json.dumps(extra), *args)


def version(host):
    return host.check_output("dpkg-query -W -f '${Version}' flopsar-server")


def sha256(host, path):
    return host.check_output(f"sha256sum {path}").split()[0]


class Probe:
    """A connect to the agent listener every ~50 ms from the agent host, logged with timestamps."""

    LOOP = (
        "while :; do if timeout 0.5 bash -c 'exec 3<>/dev/tcp/{a}/9000' 2>/dev/null; then r=1; else r=0; fi; "
        'echo "$(date +%s.%N) $r"; sleep 0.05; done'
    )

    def __init__(self, host, address):
        self.host, self.log = host, f"/run/fl-probe-{address}.log"
        loop = self.LOOP.format(a=address)
        self.pid = host.check_output(
            f"nohup bash -c {shlex.quote(loop)} >{self.log} 2>/dev/null </dev/null & echo $!"
        ).strip()

    def stop(self):
        """Stop the loop (by its pid); return (seconds unavailable, longest outage, samples)."""
        self.host.run(f"kill {int(self.pid)}")
        samples = [
            line.split() for line in self.host.check_output(f"cat {self.log}").splitlines() if line.count(" ") == 1
        ]
        samples = [(float(t), r == "1") for t, r in samples]
        down, longest, start = 0.0, 0.0, None
        for t, up in samples:
            if not up and start is None:
                start = t
            elif up and start is not None:
                down, longest, start = down + t - start, max(longest, t - start), None
        if start is not None:  # still down at the end
            down, longest = down + samples[-1][0] - start, max(longest, samples[-1][0] - start)
        return down, longest, len(samples)


def answers(lab, *addresses):
    """Each server's agent listener from the agent host and its UI from the operator host."""
    agent = tcp_states(lab(AGENT), [(a, 9000) for a in addresses])
    ui = tcp_states(lab(OPERATOR), [({APP: MGMT, APP2: MGMT2}[a], 9443) for a in addresses])
    return set(agent.values()) | set(ui.values()) == {OPEN}


def test_upgrade_keeps_key_settings_and_data(lab, packages, record_property):
    server = lab(SERVER)
    assert version(server) == "7.0.0+standin"
    key, settings = sha256(server, KEY), sha256(server, "/etc/flopsar/settings.toml")
    server.check_output("install -o flopsar -g flopsar -m 0600 /dev/null /var/lib/flopsar/upgrade-marker")

    # Check mode says which version would be installed, and changes nothing (the install phase is
    # enough to say it; the same version again changing nothing is the idempotence step's proof).
    rc, out = upgrade(SERVER, packages["7.0.1"], "--check", "--diff", "--tags", "install")
    assert rc == 0, out[-3000:]
    assert "installed 7.0.0+standin, would install 7.0.1+standin" in out
    assert version(server) == "7.0.0+standin"

    probe = Probe(lab(AGENT), APP)
    rc, out = upgrade(SERVER, packages["7.0.1"])
    down, longest, samples = probe.stop()
    print(
        f"successful upgrade: agent listener unavailable {down:.2f}s (longest outage {longest:.2f}s, {samples} probes)"
    )
    record_property("agent_unavailable_seconds", f"{down:.2f}")
    assert rc == 0, out[-3000:]
    assert version(server) == "7.0.1+standin"
    assert sha256(server, KEY) == key
    assert sha256(server, "/etc/flopsar/settings.toml") == settings
    assert server.file("/var/lib/flopsar/upgrade-marker").exists
    assert answers(lab, APP)


def test_a_broken_version_is_rolled_back_and_the_rollout_stops_there(lab, packages, record_property):
    server, server2 = lab(SERVER), lab(SERVER2)
    key = sha256(server, KEY)
    assert (version(server), version(server2)) == ("7.0.1+standin", "7.0.0+standin")

    probe = Probe(lab(AGENT), APP)
    rc, out = upgrade(f"{SERVER}:{SERVER2}", packages["7.0.2-broken"], "-e", "server_start_timeout=10")
    down, longest, samples = probe.stop()
    print(f"failed upgrade: agent listener unavailable {down:.2f}s (longest outage {longest:.2f}s, {samples} probes)")
    record_property("agent_unavailable_seconds", f"{down:.2f}")
    assert rc != 0, out[-3000:]
    # The failure names the new version's journal and what was put back.
    assert "TEST ARTIFACT, exits at start" in out, out[-3000:]
    assert "flopsar-server 7.0.1+standin and its configuration were reinstalled" in out, out[-3000:]
    assert "its listeners answer again" in out, out[-3000:]
    # The first server runs its previous version again, with the same key, and answers.
    assert version(server) == "7.0.1+standin"
    assert server.service("flopsar-server").is_running
    assert sha256(server, KEY) == key
    assert answers(lab, APP)
    # The run stopped there: the second server was never reached.
    assert version(server2) == "7.0.0+standin"
    assert not [line for line in out.splitlines() if line.startswith(SERVER2 + " ")], out[-3000:]
    assert answers(lab, APP2)


def test_master_key_backup_and_restore_onto_a_rebuilt_host(lab, tmp_path):
    server2 = lab(SERVER2)
    key = server2.file(KEY).content_string
    backup, password = tmp_path / "backups" / f"{SERVER2}.master-key.yml", "lab-backup-password-0123"
    extra = {"flopsar_backup_hosts": SERVER2, "server_master_key_backup_file": str(backup)}
    rc, out = playbook(
        REPO / "playbooks/master_key_backup.yml",
        "-e",
        json.dumps(extra),
        "-e",
        "server_master_key_backup_password=" + password,
        "-v",
    )
    assert rc == 0, out[-3000:]
    assert key not in out
    text = backup.read_text()
    assert "$ANSIBLE_VAULT" in text and key not in text
    assert backup.stat().st_mode & 0o077 == 0

    # Rebuilt: the package, /etc/flopsar and the role's cache are gone.
    server2.check_output(
        "systemctl stop flopsar-server; apt-get purge -y -q flopsar-server >/dev/null;"
        " rm -rf /etc/flopsar /var/cache/hardened-flopsar"
    )
    assert not server2.file(KEY).exists
    password_file = tmp_path / "vault-password"
    password_file.write_text(password)
    rc, out = playbook(
        REPO / "molecule/default/converge.yml",
        "--limit",
        SERVER2,
        "-e",
        f"@{backup}",
        "--vault-password-file",
        str(password_file),
    )
    assert rc == 0, out[-3000:]
    assert key not in out
    assert server2.file(KEY).content_string == key
    assert server2.service("flopsar-server").is_running
    assert answers(lab, APP2)
