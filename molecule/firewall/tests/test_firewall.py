"""hardened.flopsar.firewall: every client connects to every server port on every server address;
only the documented flows get through. Then egress from the server, foreign tables, rollback."""

import json
import os
import subprocess

import pytest
from labprobe import FILTERED, OPEN, tcp_states

SERVER, ADMIN, AGENT, OTHER, DIRECTORY = "fl-fw-server", "fl-fw-admin", "fl-fw-agent", "fl-fw-other", "fl-fw-directory"
MGMT, APP = "10.89.50.10", "10.89.51.10"
PORTS = (22, 9000, 9443, 4317, 4318, 8080)

# What each client reaches; everything else it must not (silently dropped).
ALLOWED = {
    ADMIN: {(MGMT, 22), (MGMT, 9443)},
    AGENT: {(APP, 9000)},
    OTHER: set(),
}
ROUTES = {ADMIN: (MGMT,), AGENT: (MGMT, APP), OTHER: (MGMT, APP)}


@pytest.mark.parametrize("client", sorted(ALLOWED))
def test_inbound_expectation_table(lab, client):
    targets = [(address, port) for address in ROUTES[client] for port in PORTS]
    states = tcp_states(lab(client), targets)
    expected = {t: OPEN if t in ALLOWED[client] else FILTERED for t in targets}
    assert states == expected


def test_server_egress_only_to_ldaps(lab):
    states = tcp_states(
        lab(SERVER),
        [("10.89.52.50", 636), ("10.89.52.50", 389), ("10.89.52.50", 22), ("10.89.50.20", 22), ("10.89.50.1", 53)],
    )
    assert states == {
        ("10.89.52.50", 636): OPEN,
        ("10.89.52.50", 389): FILTERED,
        ("10.89.52.50", 22): FILTERED,
        ("10.89.50.20", 22): FILTERED,
        ("10.89.50.1", 53): FILTERED,
    }


def test_directory_answers_the_others_on_389(lab):
    # The directory itself is reachable on 389: the drop above is the server's egress rule.
    assert tcp_states(lab(ADMIN), [("10.89.50.50", 389)]) == {("10.89.50.50", 389): OPEN}


def test_dropped_packets_are_counted(lab):
    out = lab(SERVER).check_output("nft -j list table inet hardened_flopsar")
    counters = [
        rule["expr"]
        for item in json.loads(out)["nftables"]
        if (rule := item.get("rule")) and rule.get("comment") in ("inbound dropped", "outbound dropped")
    ]
    packets = [e["counter"]["packets"] for exprs in counters for e in exprs if "counter" in e]
    assert len(packets) == 2
    assert all(p > 0 for p in packets)


FOREIGN = "nft list table inet foreign"


def test_foreign_table_survives_apply_and_reload(lab):
    server = lab(SERVER)
    before = server.check_output(FOREIGN)
    assert "192.0.2.77" in before
    server.check_output("systemctl reload-or-restart hardened-flopsar-firewall")
    assert server.check_output(FOREIGN) == before
    assert "inbound dropped" in server.check_output("nft list table inet hardened_flopsar")


def test_boot_loader_is_enabled(lab):
    assert lab(SERVER).service("hardened-flopsar-firewall").is_enabled


def test_a_change_that_cuts_the_controller_off_is_rolled_back(lab):
    server = lab(SERVER)
    table_before = server.check_output("nft -s list table inet hardened_flopsar")
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    extra = {
        "firewall_admin_networks": ["10.89.50.20/32"],  # the controller (10.89.50.1) is left out
        "firewall_confirm_timeout": 5,
        "firewall_rollback_timeout": 20,
    }
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            os.path.join(scenario, "converge.yml"),
            "-e",
            json.dumps(extra),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the host restored the previous ruleset by itself after 20 seconds" in output, output[-3000:]
    assert server.check_output("nft -s list table inet hardened_flopsar") == table_before
    assert "10.89.50.1" in server.file("/etc/hardened-flopsar/firewall.nft").content_string
    assert tcp_states(lab(ADMIN), [(MGMT, 22)]) == {(MGMT, 22): OPEN}
