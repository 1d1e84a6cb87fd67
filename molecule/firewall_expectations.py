"""The firewall expectation table, shared by the `firewall` (nftables) and `firewalld` scenarios.

Both scenarios build the same lab under their own names and subnets: a server with a dual-stack
management network, an application network and a directory network; an admin host, an agent host
(the other end of the agent flow, under the firewall role with strict egress), an unrelated host and a
directory. Every client connects to every server port on every server address, over IPv4 and IPv6,
and only the documented flows get through; everything else is silently dropped (FILTERED).

A scenario's test module imports the tests and defines the fixtures: ``topology`` (a Topology),
``scenario_dir`` (where its converge.yml is), ``ruleset`` (a function of a host returning the firewall
state that a rollback must restore exactly: what is loaded first, the boot configuration last; a listing
whose order the firewall does not keep across a restart, such as firewalld's rich rules, given in an
order of its own),
``hand_rule`` (the backend's command that accepts a source and port by hand) and ``candidate`` (the
file on the server that a run writes its new rules to).
"""

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass

import pytest
from labprobe import CLOSED, FILTERED, OPEN, tcp_states

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


def converge(topology, scenario_dir, extra=None, wait=True, tags=None):
    """The scenario's converge limited to the server, as an operator reruns it; with wait=False the
    running process (its own session, so that a test can kill it)."""
    args = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--limit", topology.host("server")]
    args += ["--tags", tags] if tags else []
    args += [os.path.join(scenario_dir, "converge.yml"), "-e", json.dumps(extra or {})]
    if not wait:
        out = subprocess.PIPE
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def kill_run(run):
    """SIGKILL a run started with wait=False and every process under it, as a crash or a killed job leaves
    the host. Killing its process group is not enough: ansible-core's workers run in sessions of their own
    (os.setsid), so the task in flight would go on. The tree is stopped first, so that nothing in it starts
    another process (a retried connection) while it is collected."""
    stopped = set()
    while True:
        listing = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True)
        parent = dict(tuple(map(int, line.split())) for line in listing.stdout.splitlines())
        tree = {run.pid}
        while grown := {pid for pid, ppid in parent.items() if ppid in tree} - tree:
            tree |= grown
        if not tree - stopped:
            break
        for pid in tree - stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= tree
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    run.wait()


def changed(output, host):
    """The changed= count of the host's line in the play recap."""
    lines = [line for line in output.splitlines() if line.startswith(host + " ") and "changed=" in line]
    assert lines, output[-3000:]
    return int(lines[-1].split("changed=")[1].split()[0])


def wait_until(predicate, timeout, step=0.5):
    """Poll until predicate() is true; a predicate that fails (a host restarting, a firewall reloading)
    counts as false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (AssertionError, RuntimeError, OSError, subprocess.SubprocessError):
            time.sleep(step)
            continue
        time.sleep(step)
    return False


@pytest.mark.parametrize("tag", ["firewall", "firewall_configure"])
def test_the_firewall_role_alone_keeps_every_flow(lab, topology, scenario_dir, tag):
    """`--limit <server> --tags firewall` (or firewall_configure): the server role's tasks are skipped, so
    the firewall resolves the surface itself (it used to load a table without any listener rule)."""
    rc, output = converge(topology, scenario_dir, tags=tag)
    assert rc == 0, output[-3000:]
    assert changed(output, topology.host("server")) == 0
    for role in ROLES:
        for family in ("ipv4", "ipv6"):
            allowed, addresses = topology.allowed(role, family)
            targets = [(address, port) for address in addresses for port in PORTS]
            expected = {t: OPEN if t in allowed else FILTERED for t in targets}
            assert tcp_states(lab(topology.host(role)), targets) == expected, (role, family)


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
    rc, output = converge(t, scenario_dir, extra)
    assert rc != 0
    assert "the host restored the previous ruleset by itself after 20 seconds" in output, output[-3000:]
    assert ruleset(server) == before
    assert tcp_states(lab(t.host("admin")), [(t.at(t.mgmt, "server"), 22)]) == {(t.at(t.mgmt, "server"), 22): OPEN}
    # The rolled-back candidate is still on the host, never confirmed: the next run loads the model again.
    rc, output = converge(t, scenario_dir)
    assert rc == 0 and changed(output, t.host("server")) > 0, output[-3000:]
    assert ruleset(server) == before


def test_no_declared_port_was_reachable_during_the_first_converge(lab, topology):
    """prepare.yml started a prober on the unrelated host before the first converge: it tried the agent and
    UI listeners (declared, not for it) every 0.2 s through create, converge, idempotence and verify."""
    other = lab(topology.host("other"))
    other.run("kill $(cat /run/first-run-prober.pid)")
    log = other.file("/var/log/first-run-prober.log").content_string.splitlines()
    attempts = [line.split() for line in log if len(line.split()) == 3]
    assert len(attempts) > 100, log[-5:]  # it ran through the whole converge
    assert [a for a in attempts if a[2] != "shut"] == []


def test_a_rule_added_by_hand_is_gone_after_the_next_run(lab, topology, scenario_dir, ruleset, hand_rule):
    """A hand-made accept rule (the unrelated host to the agent listener) works, and the next run removes
    it and says so."""
    t = topology
    server, other = lab(t.host("server")), lab(t.host("other"))
    target = (t.at(t.app, "server"), 9000)
    before = ruleset(server)
    server.check_output(hand_rule(t.at(t.app, "other"), 9000))
    assert tcp_states(other, [target]) == {target: OPEN}
    rc, output = converge(t, scenario_dir)
    assert rc == 0, output[-3000:]
    assert changed(output, t.host("server")) > 0
    assert tcp_states(other, [target]) == {target: FILTERED}
    assert ruleset(server) == before


# A table of the test's own on the server (both backends leave foreign tables alone) that drops new SSH
# connections (a drop in any chain is final): a run that already holds its persistent connection goes
# on, and its confirmation, which needs a fresh one, waits. Where a run is killed then no longer depends
# on how fast the lab is.
HOLD = (
    "add table inet fltest_hold; "
    "add chain inet fltest_hold input { type filter hook input priority filter; policy accept; }; "
    "add rule inet fltest_hold input tcp dport 22 ct state new drop"
)


def test_an_interrupted_run_is_settled_by_the_next(lab, topology, scenario_dir, ruleset, candidate):
    """A run killed once its new rules are loaded, while they wait for their confirmation (not
    confirmed: a reboot would load the last confirmed rules); the next run with the same inputs loads and
    confirms them (it used to see an unchanged file and leave it for the next boot), and a run without them
    puts the model back."""
    t = topology
    server = lab(t.host("server"))
    before = ruleset(server)
    extra = {
        "firewall_extra_inbound": [
            {"name": "interrupted", "port": 5555, "protocol": "tcp", "sources": [t.at(t.app, "other") + "/32"]}
        ],
        "firewall_confirm_timeout": 60,
        "firewall_rollback_timeout": 120,
    }
    # The run's persistent connection (ControlPersist), opened before the hold.
    ping = ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], t.host("server"), "-m", "ansible.builtin.ping"]
    subprocess.run(ping, check=True, capture_output=True)
    server.check_output(f"nft '{HOLD}'")
    try:
        run = converge(t, scenario_dir, extra, wait=False)
        loaded = wait_until(lambda: "5555" in ruleset(server)[0], timeout=300, step=0.5)
        kill_run(run)
    finally:
        server.run("nft delete table inet fltest_hold")
    assert loaded
    assert "5555" in server.check_output(f"cat {candidate}")
    rc, output = converge(t, scenario_dir, extra)
    assert rc == 0, output[-3000:]
    assert changed(output, t.host("server")) > 0
    state = ruleset(server)
    assert "5555" in state[0] and "5555" in state[-1]  # loaded, and the boot configuration
    probe = (t.at(t.app, "server"), 5555)
    assert tcp_states(lab(t.host("other")), [probe]) == {probe: CLOSED}  # through the firewall; nothing listens
    rc, output = converge(t, scenario_dir)
    assert rc == 0 and changed(output, t.host("server")) > 0, output[-3000:]
    assert ruleset(server) == before


def test_a_reboot_while_the_confirm_waits_boots_the_last_confirmed_rules(lab, topology, scenario_dir, ruleset):
    """A change (here one that cuts the controller off, so that the confirmation waits) is loaded, and the
    host reboots before it is confirmed: it boots the last confirmed rules, the run says so, the controller
    and the admin host get in, and the next run settles it."""
    t = topology
    host = t.host("server")
    server = lab(host)
    before = ruleset(server)
    extra = {
        "firewall_admin_networks": [t.at(t.mgmt, "admin") + "/32"],
        "firewall_confirm_timeout": 60,
        "firewall_rollback_timeout": 120,
    }
    run = converge(t, scenario_dir, extra, wait=False)
    # The rules in force changed (the load), not only a file: firewalld writes its zone file before the
    # load, and a reboot then would come before the confirm window, not inside it.
    assert wait_until(lambda: ruleset(server)[0] != before[0], timeout=300, step=0.5)
    subprocess.run(["podman", "restart", "--time", "5", host], check=True, capture_output=True)
    subprocess.run(["ip", "neigh", "flush", "to", t.at(t.mgmt, "server")], check=False)
    for client in ROLES:
        lab(t.host(client)).run("ip neigh flush all")
    output = run.communicate(timeout=400)[0]
    assert run.returncode != 0
    assert "rebooted while the new rules waited" in output or "restored the previous ruleset" in output, output[-3000:]
    assert wait_until(lambda: server.run("systemctl is-system-running --wait").rc in (0, 1), timeout=120)
    assert ruleset(server) == before  # read inside the host
    admin_ssh = (t.at(t.mgmt, "server"), 22)
    assert tcp_states(lab(t.host("admin")), [admin_ssh]) == {admin_ssh: OPEN}
    rc, output = converge(t, scenario_dir)  # the controller gets in, and the candidate is settled
    assert rc == 0, output[-3000:]
    assert ruleset(server) == before
