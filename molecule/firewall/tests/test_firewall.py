"""hardened.flopsar.firewall, nftables backend: the shared expectation table (every client to every
server port on every server address, IPv4 and IPv6; the agent host's own egress; the server's egress;
the rollback), then what only nftables has: counters, foreign tables, the boot loader."""

import json
import os

import firewall_expectations as shared
import pytest
from firewall_expectations import Topology
from labprobe import tcp_states

TOPOLOGY = Topology("fl-fw", "10.89.50", "10.89.51", "10.89.52", "fd89:50:")
SERVER = TOPOLOGY.host("server")

# The shared expectation table, collected here.
test_inbound_expectation_table = shared.test_inbound_expectation_table
test_agent_host_reaches_nothing_but_the_agent_listener = shared.test_agent_host_reaches_nothing_but_the_agent_listener
test_server_egress_only_to_ldaps = shared.test_server_egress_only_to_ldaps
test_a_lockout_is_rolled_back = shared.test_a_lockout_is_rolled_back


@pytest.fixture(scope="module")
def topology():
    return TOPOLOGY


@pytest.fixture(scope="module")
def scenario_dir():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def ruleset():
    def state(host):
        return (
            host.check_output("nft -s list table inet hardened_flopsar"),
            host.file("/etc/hardened-flopsar/firewall.nft").content_string,
        )

    return state


def test_dropped_packets_are_counted(lab):
    # One packet dropped each way now, whatever ran (or reloaded the table) before.
    tcp_states(lab(TOPOLOGY.host("other")), [(TOPOLOGY.at(TOPOLOGY.mgmt, "server"), 8080)], timeout=1)
    tcp_states(lab(SERVER), [(TOPOLOGY.at(TOPOLOGY.dir, "directory"), 389)], timeout=1)
    out = lab(SERVER).check_output("nft -j list table inet hardened_flopsar")
    counters = [
        rule["expr"]
        for item in json.loads(out)["nftables"]
        if (rule := item.get("rule")) and rule.get("comment") in ("inbound dropped", "outbound dropped")
    ]
    packets = [e["counter"]["packets"] for exprs in counters for e in exprs if "counter" in e]
    assert len(packets) == 2
    assert all(p > 0 for p in packets)


def test_agent_host_input_is_left_to_the_operator(lab):
    """A client-only host keeps policy accept on input (its own services are the operator's) and
    drops everything outbound but the server's agent listener."""
    table = json.loads(lab(TOPOLOGY.host("agent")).check_output("nft -j list table inet hardened_flopsar"))
    chains = {c["chain"]["name"]: c["chain"] for c in table["nftables"] if "chain" in c}
    assert (chains["input"]["policy"], chains["output"]["policy"]) == ("accept", "drop")


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
