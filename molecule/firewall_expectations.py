"""The firewall expectation table, shared by the `firewall` (nftables) and `firewalld` scenarios.

Both scenarios build the same lab under their own names and subnets: a server with a dual-stack
management network, an application network and a directory network; an admin host, an agent host
(the other end of the agent flow, under the firewall role with strict egress), an unrelated host and a
directory. Every client connects to every server port on every server address, over IPv4 and IPv6,
and only the documented flows get through; everything else is silently dropped (FILTERED).

A scenario's test module imports the tests and defines three fixtures: ``topology`` (a Topology),
``scenario_dir`` (where its converge.yml is) and ``ruleset`` (a function of a host returning the
firewall state that a rollback must restore exactly).
"""

import json
import os
import subprocess
from dataclasses import dataclass

import pytest
from labprobe import FILTERED, OPEN, tcp_states

PORTS = (22, 9000, 9443, 4317, 4318, 8080)
ROLES = ("admin", "agent", "other")


@dataclass(frozen=True)
class Topology:
    prefix: str  # container names: <prefix>-server, -admin, -agent, -other, -directory
    mgmt: str  # IPv4 /24 prefixes, e.g. "10.89.50"; hosts are .10 server .20 admin .30 agent .40 other .50 directory
    app: str
    dir: str
    mgmt6: str  # IPv6 /64 prefix without the host part, e.g. "fd89:50:" (addresses "fd89:50::10", ...)

    def host(self, role):
        return f"{self.prefix}-{role}"

    @staticmethod
    def at(net, role):
        n = {"server": 10, "admin": 20, "agent": 30, "other": 40, "directory": 50}[role]
        return f"{net}:{n}" if ":" in net else f"{net}.{n}"

    def allowed(self, role, family):
        """What each client reaches on the server, per family; ROUTES says where it tries."""
        server = {"mgmt": self.at(self.mgmt, "server"), "app": self.at(self.app, "server")}
        server6 = self.at(self.mgmt6, "server")
        table = {
            "ipv4": {
                "admin": {(server["mgmt"], 22)},
                "agent": {(server["app"], 9000)},
                "other": set(),
            },
            "ipv6": {
                "admin": {(server6, 22), (server6, 9443)},
                "agent": set(),
                "other": set(),
            },
        }
        both = (server["mgmt"], server["app"])
        routes = {
            "ipv4": {"admin": (server["mgmt"],), "agent": both, "other": both},
            "ipv6": {"admin": (server6,), "agent": (server6,), "other": (server6,)},
        }
        return table[family][role], routes[family][role]


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("role", ROLES)
def test_inbound_expectation_table(lab, topology, role, family):
    allowed, addresses = topology.allowed(role, family)
    targets = [(address, port) for address in addresses for port in PORTS]
    states = tcp_states(lab(topology.host(role)), targets)
    assert states == {t: OPEN if t in allowed else FILTERED for t in targets}


def test_agent_host_reaches_nothing_but_the_agent_listener(lab, topology):
    """The agent host's own egress: the unrelated host and the directory answer the admin host
    (no firewall there), but not the agent host, whose only outbound rule is the server's agent port."""
    t = topology
    targets = [
        (t.at(t.mgmt, "other"), 22),
        (t.at(t.app, "other"), 22),
        (t.at(t.mgmt, "directory"), 389),
        (t.at(t.mgmt6, "other"), 22),
    ]
    from_admin = [x for x in targets if not x[0].startswith(t.app + ".")]  # the admin host is not on the app network
    assert tcp_states(lab(t.host("admin")), from_admin) == dict.fromkeys(from_admin, OPEN)
    agent_port = (t.at(t.app, "server"), 9000)
    expected = dict.fromkeys(targets, FILTERED)
    expected[agent_port] = OPEN
    assert tcp_states(lab(t.host("agent")), [*targets, agent_port]) == expected


def test_server_egress_only_to_ldaps(lab, topology):
    t = topology
    directory = t.at(t.dir, "directory")
    expected = {
        (directory, 636): OPEN,
        (directory, 389): FILTERED,
        (directory, 22): FILTERED,
        (t.at(t.mgmt, "admin"), 22): FILTERED,
        (t.at(t.mgmt6, "admin"), 22): FILTERED,
        (t.at(t.app, "agent"), 22): FILTERED,  # never an outbound rule towards the agents
        (t.mgmt + ".1", 53): FILTERED,
    }
    assert tcp_states(lab(t.host("server")), list(expected)) == expected


def test_a_lockout_is_rolled_back(lab, topology, scenario_dir, ruleset):
    """A change that cuts the controller off is rolled back by the host by itself."""
    t = topology
    server = lab(t.host("server"))
    before = ruleset(server)
    extra = {
        "firewall_admin_networks": [t.at(t.mgmt, "admin") + "/32"],  # the controller (.1) is left out
        "firewall_confirm_timeout": 5,
        "firewall_rollback_timeout": 20,
    }
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "--limit",
            t.host("server"),
            os.path.join(scenario_dir, "converge.yml"),
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
    assert ruleset(server) == before
    assert tcp_states(lab(t.host("admin")), [(t.at(t.mgmt, "server"), 22)]) == {(t.at(t.mgmt, "server"), 22): OPEN}
