"""hardened.flopsar.firewall, firewalld backend: the expectation table shared with the nftables
scenario (every client to every server port on every server address, IPv4 and IPv6; the agent host's
own egress; the server's egress; the rollback), then what is firewalld's own."""

import os

import firewall_expectations as shared
import pytest
from firewall_expectations import Topology

TOPOLOGY = Topology("fl-fwd", "10.89.80", "10.89.81", "10.89.82", "fd89:80:")
SERVER = TOPOLOGY.host("server")

# The shared expectation table, collected here.
test_inbound_expectation_table = shared.test_inbound_expectation_table
test_agent_host_reaches_nothing_but_the_agent_listener = shared.test_agent_host_reaches_nothing_but_the_agent_listener
test_server_egress_only_to_ldaps = shared.test_server_egress_only_to_ldaps
test_a_lockout_is_rolled_back = shared.test_a_lockout_is_rolled_back
test_no_declared_port_was_reachable_during_the_first_converge = (
    shared.test_no_declared_port_was_reachable_during_the_first_converge
)

ZONE = "hflopsar"


@pytest.fixture(scope="module")
def topology():
    return TOPOLOGY


@pytest.fixture(scope="module")
def scenario_dir():
    """Where the shared converge.yml is (the firewall scenario's)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "firewall")


def listing(text):
    """A firewall-cmd listing with its order left out: its lines sorted, and the names or entries of a
    "key: a b c" line sorted. firewalld lists the rich rules of a zone in an order of its own, which
    changes whenever firewalld starts (a reload in the same process keeps it): after a reboot the same
    rules are listed in another order. (Rich rules keep their own words in order: they contain "=".)"""
    lines = []
    for line in text.splitlines():
        key, colon, rest = line.strip().partition(":")
        lines.append(line.strip() if "=" in line or not colon else f"{key}: {' '.join(sorted(rest.split()))}".rstrip())
    return "\n".join(sorted(lines))


@pytest.fixture(scope="module")
def ruleset():
    def state(host):
        return (
            listing(host.check_output(f"firewall-cmd --info-zone={ZONE}")),
            host.check_output("firewall-cmd --get-default-zone"),
            listing(host.check_output(f"firewall-cmd --info-policy={ZONE}-out")),
            listing(host.check_output("firewall-cmd --get-ipsets")),
            listing(host.check_output(f"firewall-cmd --info-ipset={ZONE}-admin4")),
            host.file(f"/etc/firewalld/zones/{ZONE}.xml").content_string,  # the boot configuration
        )

    return state


def test_the_role_zone_is_the_default_and_its_egress_policy_is_active(lab):
    server = lab(SERVER)
    assert server.check_output("firewall-cmd --get-default-zone") == ZONE
    assert server.check_output(f"firewall-cmd --info-policy={ZONE}-out").splitlines()[0] == f"{ZONE}-out (active)"
    assert server.service("firewalld").is_enabled


def test_foreign_table_survives_a_firewalld_reload(lab):
    server = lab(SERVER)
    before = server.check_output("nft list table inet foreign")
    assert "192.0.2.77" in before
    server.check_output("firewall-cmd --reload")
    assert server.check_output("nft list table inet foreign") == before


def test_agent_host_input_is_left_to_the_operator(lab):
    agent = lab(TOPOLOGY.host("agent"))
    assert "target: ACCEPT" in agent.check_output(f"firewall-cmd --info-zone={ZONE}")
    assert "target: DROP" in agent.check_output(f"firewall-cmd --info-policy={ZONE}-out")


@pytest.fixture(scope="module")
def hand_rule():
    return lambda source, port: (
        f"firewall-cmd --zone={ZONE} --add-rich-rule='rule family=ipv4 source address={source} "
        f"port port={port} protocol=tcp accept'"
    )


@pytest.fixture(scope="module")
def candidate():
    return f"/etc/firewalld/zones/{ZONE}.xml"


def test_the_boot_guard_is_enabled_and_nothing_is_pending(lab):
    server = lab(SERVER)
    assert server.service("hardened-flopsar-firewalld-guard").is_enabled
    assert not server.file("/var/lib/hardened-flopsar/firewalld.pending").exists


test_the_firewall_role_alone_keeps_every_flow = shared.test_the_firewall_role_alone_keeps_every_flow

# Last: they rerun the converge, and the reboot restarts the server (the foreign table is gone after it).
test_a_rule_added_by_hand_is_gone_after_the_next_run = shared.test_a_rule_added_by_hand_is_gone_after_the_next_run
test_an_interrupted_run_is_settled_by_the_next = shared.test_an_interrupted_run_is_settled_by_the_next
test_a_reboot_while_the_confirm_waits_boots_the_last_confirmed_rules = (
    shared.test_a_reboot_while_the_confirm_waits_boots_the_last_confirmed_rules
)
