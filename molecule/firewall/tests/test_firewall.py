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
test_no_declared_port_was_reachable_during_the_first_converge = (
    shared.test_no_declared_port_was_reachable_during_the_first_converge
)


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
            host.file("/etc/hardened-flopsar/firewall.nft").content_string,  # the boot ruleset
        )

    return state


@pytest.fixture(scope="module")
def hand_rule():
    return lambda source, port: f"nft insert rule inet hardened_flopsar input ip saddr {source} tcp dport {port} accept"


@pytest.fixture(scope="module")
def candidate():
    return "/var/lib/hardened-flopsar/firewall.candidate.nft"


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


def test_mld_listener_reports_go_out_under_strict_egress(lab):
    """Joining an IPv6 multicast group makes the kernel send MLD listener reports (type 143, and 131 under
    MLDv1): the server's strict egress lets them out, counted by the named counter on their rule."""
    server = lab(SERVER)

    def reports():
        out = json.loads(server.check_output("nft -j list counter inet hardened_flopsar mld_reports"))
        return next(item["counter"]["packets"] for item in out["nftables"] if "counter" in item)

    before = reports()
    join = (
        "import socket, struct, time; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); "
        "s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, "
        "socket.inet_pton(socket.AF_INET6, 'ff05::1:3') + struct.pack('@I', socket.if_nametoindex('eth0'))); "
        "time.sleep(1)"
    )
    server.check_output(f'python3 -c "{join}"')
    assert reports() > before
    assert "mld listener reports" in server.check_output("nft list chain inet hardened_flopsar output")


test_the_firewall_role_alone_keeps_every_flow = shared.test_the_firewall_role_alone_keeps_every_flow

# Last: they rerun the converge, and the reboot restarts the server (the foreign table is gone after it).
test_a_rule_added_by_hand_is_gone_after_the_next_run = shared.test_a_rule_added_by_hand_is_gone_after_the_next_run
test_an_interrupted_run_is_settled_by_the_next = shared.test_an_interrupted_run_is_settled_by_the_next
test_a_reboot_while_the_confirm_waits_boots_the_last_confirmed_rules = (
    shared.test_a_reboot_while_the_confirm_waits_boots_the_last_confirmed_rules
)
