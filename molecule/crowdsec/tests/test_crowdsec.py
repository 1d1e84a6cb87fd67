"""hardened.flopsar.crowdsec beside the server and the firewall, checked from the other hosts:
the Local API answers nobody else, the metrics answer the Prometheus host only, the install
happened with outbound traffic blocked, and a decision cuts the client off from the UI within
seconds while the firewall role's own table stays exactly as it was."""

import hashlib
import json
import os
import subprocess
import time

import pytest
import yaml
from labprobe import FILTERED, OPEN, http_status, listeners, tcp_state, tcp_states, tls_handshake

SERVER, CLIENT, PROM = "fl-cs-server", "fl-cs-client", "fl-cs-prom"
MGMT, APP = "10.89.70.10", "10.89.71.10"
CLIENT_APP = "10.89.71.20"
BOUNCER = "hardened-flopsar-firewall"
BOUNCER_UNIT = "crowdsec-firewall-bouncer"
OUR_TABLE = "nft -j list table inet hardened_flopsar"


def our_table(server):
    """The firewall role's table as JSON, without counters and handles (they change with traffic)."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("handle", "counter", "packets", "bytes")}
        if isinstance(node, list):
            return [strip(v) for v in node if not (isinstance(v, dict) and set(v) == {"counter"})]
        return node

    data = json.loads(server.check_output(OUR_TABLE))["nftables"]
    return strip([item for item in data if "metainfo" not in item])


def wait_for_state(client, address, port, want, limit=30.0):
    """Poll until a TCP connect from `client` gives `want`; returns the seconds it took."""
    start = time.monotonic()
    while True:
        state = tcp_state(client, address, port, timeout=1)
        elapsed = time.monotonic() - start
        if state == want:
            return elapsed
        assert elapsed < limit, f"{address}:{port} still {state} from {client} after {elapsed:.1f}s (wanted {want})"


def test_installed_while_outbound_traffic_was_blocked(lab):
    server = lab(SERVER)
    # The drop-all egress table of prepare stayed in force through converge and idempotence.
    assert 'comment "outbound blocked"' in server.check_output("nft list table inet fl_cs_offline")
    blocked_at = server.file("/var/lib/fl-cs-egress-blocked").mtime
    for package in ("crowdsec", "crowdsec-firewall-bouncer"):
        assert server.package(package).is_installed
        assert server.file(f"/var/lib/dpkg/info/{package}.list").mtime > blocked_at
    # The server really has no way out (the Debian mirror is reached through the management gateway).
    assert tcp_states(server, [("10.89.70.1", 53), ("10.89.70.1", 80)]) == {
        ("10.89.70.1", 53): FILTERED,
        ("10.89.70.1", 80): FILTERED,
    }


def test_offline_no_central_api(lab):
    server = lab(SERVER)
    capi = server.file("/etc/crowdsec/online_api_credentials.yaml").content_string
    assert "login" not in capi and "password" not in capi
    assert server.run("cscli capi status").rc != 0
    # cscli works offline: the hub branch is pinned, so version.crowdsec.net is never asked.
    collections = json.loads(server.check_output("cscli collections list -o json"))["collections"]
    assert {"crowdsecurity/sshd", "crowdsecurity/linux"} <= {c["name"] for c in collections if c["status"] == "enabled"}


def test_local_api_answers_nobody_else(lab):
    targets = [(MGMT, 8080), (APP, 8080)]
    for client in (CLIENT, PROM):
        assert set(tcp_states(lab(client), targets).values()) == {FILTERED}
    assert lab(SERVER).check_output("curl -s http://127.0.0.1:8080/health") == '{"status":"up"}'


def test_metrics_answer_the_prometheus_host_only(lab):
    assert http_status(lab(PROM), f"http://{APP}:6060/metrics") == 200
    assert tcp_states(lab(CLIENT), [(APP, 6060), (MGMT, 6060)]) == {(APP, 6060): FILTERED, (MGMT, 6060): FILTERED}
    assert tcp_states(lab(PROM), [(MGMT, 6060)]) == {(MGMT, 6060): FILTERED}


def test_listeners_bound_as_declared(lab):
    found = listeners(lab(SERVER))
    crowdsec = {(a, p, n) for a, p, n in found if n.startswith("crowdsec")}
    assert crowdsec == {("127.0.0.1", 8080, "crowdsec"), (APP, 6060, "crowdsec")}
    # Nothing the collection manages binds every interface (sshd is the lab's own management path).
    wildcard = [(a, p, n) for a, p, n in found if a in ("0.0.0.0", "::", "*") and n != "sshd"]
    assert wildcard == []


def test_credential_files_are_root_only(lab):
    server = lab(SERVER)
    for path in (
        "/etc/crowdsec/local_api_credentials.yaml",
        "/etc/crowdsec/local_api_credentials.yaml.local",
        "/etc/crowdsec/online_api_credentials.yaml",
        "/etc/crowdsec/bouncers/crowdsec-firewall-bouncer.yaml.local",
    ):
        f = server.file(path)
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600), path


def test_one_bouncer_registered(lab):
    bouncers = json.loads(lab(SERVER).check_output("cscli -o json bouncers list")) or []
    assert [b["name"] for b in bouncers] == [BOUNCER]


def test_decision_blocks_the_client_and_our_table_is_untouched(lab):
    server, client = lab(SERVER), lab(CLIENT)
    before = our_table(server)
    assert tcp_state(client, APP, 9443) == OPEN
    server.check_output(f"cscli decisions add --ip {CLIENT_APP} --duration 10m --reason molecule")
    try:
        took = wait_for_state(client, APP, 9443, FILTERED)
        print(f"decision enforced after {took:.1f}s")
        assert took < 15
        assert CLIENT_APP in server.check_output("nft list set ip crowdsec crowdsec-blacklists")
        assert our_table(server) == before

        # Re-applying our firewall (its boot-time unit replaces its own table) keeps the ban.
        server.check_output("systemctl restart hardened-flopsar-firewall")
        assert our_table(server) == before
        assert CLIENT_APP in server.check_output("nft list set ip crowdsec crowdsec-blacklists")
        assert tcp_state(client, APP, 9443, timeout=2) == FILTERED

        # Restarting the bouncer rebuilds its tables from the Local API; ours stays.
        server.check_output("systemctl restart crowdsec-firewall-bouncer")
        wait_for_state(client, APP, 9443, FILTERED)
        assert CLIENT_APP in server.check_output("nft list set ip crowdsec crowdsec-blacklists")
        assert our_table(server) == before
        # The prometheus host is not affected by the client's ban.
        assert http_status(lab(PROM), f"http://{APP}:6060/metrics") == 200
    finally:
        server.check_output(f"cscli decisions delete --ip {CLIENT_APP}")
    wait_for_state(client, APP, 9443, OPEN)
    assert our_table(server) == before


def converge(extra_vars, *args):
    """Run the scenario's converge playbook again with extra variables; returns its output."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            os.path.join(scenario, "converge.yml"),
            *args,
            "-e",
            json.dumps(extra_vars),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    return output


def assert_decision_reaches_the_bouncer(server, address, limit=15.0):
    """Add a decision and wait until the bouncer has it in its set (it pulls with its key)."""
    server.check_output(f"cscli decisions add --ip {address} --duration 5m")
    try:
        deadline = time.monotonic() + limit
        while address not in server.check_output("nft list set ip crowdsec crowdsec-blacklists"):
            assert time.monotonic() < deadline, f"the bouncer did not pick up a decision for {address}"
            time.sleep(0.5)
    finally:
        server.check_output(f"cscli decisions delete --ip {address}")


needs_molecule = pytest.mark.skipif("MOLECULE_INVENTORY_FILE" not in os.environ, reason="needs Molecule's inventory")


@needs_molecule
def test_a_new_bouncer_key_is_rotated_cleanly(lab):
    server = lab(SERVER)
    new_key = "RotatedKey0123456789abcdefghijklmnopqrstuv"
    output = converge({"crowdsec_bouncer_api_key": new_key}, "--tags", "crowdsec")
    assert new_key not in output
    bouncers = json.loads(server.check_output("cscli -o json bouncers list"))
    assert [b["name"] for b in bouncers] == [BOUNCER]
    assert bouncers[0]["api_key"] == hashlib.sha512(new_key.encode()).hexdigest()
    assert server.service("crowdsec-firewall-bouncer").is_running
    # The bouncer works with the new key: a decision still reaches its set.
    assert_decision_reaches_the_bouncer(server, "192.0.2.55")


@needs_molecule
def test_a_declared_remote_client_reaches_the_local_api_over_tls_only(lab):
    """Declaring the Prometheus host as a remote agent moves the Local API to eth1, with TLS from the
    collection's CA, reachable from that host only; cscli and the bouncer follow it."""
    server, client, prom = lab(SERVER), lab(CLIENT), lab(PROM)
    converge({"crowdsec_lapi_interface": "eth1", "crowdsec_lapi_sources": ["10.89.71.30/32"]})
    crowdsec = {(a, p) for a, p, n in listeners(server) if n == "crowdsec"}
    assert crowdsec == {(APP, 8080), (APP, 6060)}
    hello = tls_handshake(prom, APP, 8080)
    assert hello.ok, hello.error
    assert hello.protocol in ("TLSv1.2", "TLSv1.3")
    leaf = hello.certificates()[0]
    assert "hardened.flopsar internal CA" in leaf.issuer.rfc4514_string()
    assert http_status(prom, f"https://{APP}:8080/health") == 200
    assert http_status(prom, f"http://{APP}:8080/health") != 200  # no plain HTTP
    assert tcp_states(client, [(APP, 8080), (MGMT, 8080)]) == {(APP, 8080): FILTERED, (MGMT, 8080): FILTERED}
    assert server.run("cscli lapi status").rc == 0
    # The bouncer talks to the moved Local API over TLS and still enforces decisions.
    server.check_output(f"cscli decisions add --ip {CLIENT_APP} --duration 5m")
    try:
        wait_for_state(client, APP, 9443, FILTERED)
    finally:
        server.check_output(f"cscli decisions delete --ip {CLIENT_APP}")
    wait_for_state(client, APP, 9443, OPEN)


@needs_molecule
def test_a_rotation_whose_restart_fails_keeps_the_previous_registered_key(lab):
    """A new bouncer key whose restart fails (a test drop-in refuses to start the bouncer while its
    override holds that key) is rolled back: the previous override file AND the previous key's
    registration are back, and the bouncer enforces decisions with them."""
    server = lab(SERVER)
    local = "/etc/crowdsec/bouncers/crowdsec-firewall-bouncer.yaml.local"
    before_key = yaml.safe_load(server.file(local).content_string)["api_key"]
    before = json.loads(server.check_output("cscli -o json bouncers list"))
    assert [b["api_key"] for b in before] == [hashlib.sha512(before_key.encode()).hexdigest()]
    new_key = "FailedRotationKey0123456789abcdefghijklmnop"
    dropin = f"/etc/systemd/system/{BOUNCER_UNIT}.service.d/zz-molecule-fault.conf"
    server.check_output(
        f"printf '[Service]\\nExecStartPre=/bin/sh -c \"! grep -q FailedRotationKey {local}\"\\n' > {dropin}"
    )
    try:
        result = subprocess.run(
            [
                "ansible-playbook",
                "-i",
                os.environ["MOLECULE_INVENTORY_FILE"],
                os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "converge.yml"),
                "--tags",
                "crowdsec",
                "-e",
                json.dumps({"crowdsec_bouncer_api_key": new_key}),
                "-vvv",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        assert "override files and bouncer key were put back" in output, output[-3000:]
        assert new_key not in output and before_key not in output
    finally:
        server.check_output(f"rm -f {dropin} && systemctl daemon-reload")
    assert yaml.safe_load(server.file(local).content_string)["api_key"] == before_key
    after = json.loads(server.check_output("cscli -o json bouncers list"))
    assert [(b["name"], b["api_key"], b["revoked"]) for b in after] == [
        (BOUNCER, hashlib.sha512(before_key.encode()).hexdigest(), False)
    ]
    assert server.service(BOUNCER_UNIT).is_running
    assert_decision_reaches_the_bouncer(server, "192.0.2.56")
