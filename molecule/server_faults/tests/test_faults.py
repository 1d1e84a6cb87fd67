"""Bad input is refused before anything changes; a failed restart is rolled back.

Each case runs playbooks/site.yml again, from the controller, the way an operator runs it, with one
set of extra variables. It must fail with its own message, and the host must be exactly as before:
the configuration files of the server, CrowdSec and the firewall, the firewall's state, and the
loaded nftables ruleset (without counters).
"""

import json
import os
import subprocess

import pytest
from labprobe import FILTERED, OPEN, tcp_state, tcp_states

SERVER, CLIENT = "fl-flt-server", "fl-flt-client"
APP = "10.89.31.10"
SITE = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "playbooks", "site.yml")

# What a bad run must leave as it was (find prints nothing for a path that does not exist).
STATE = (
    "find /etc/flopsar /etc/crowdsec /etc/hardened-flopsar /var/lib/hardened-flopsar -type f -print0 2>/dev/null"
    " | sort -z | xargs -0 sha256sum; nft -s list ruleset | sha256sum"
)


def site(extra_vars):
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    result = subprocess.run(
        ["ansible-playbook", "-i", inventory, SITE, "-e", json.dumps(extra_vars)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def host_state(host):
    return host.check_output(STATE)


# LDAP settings that pass the offline checks: each LDAP case breaks one of them.
LDAP = {
    "ldap_url": "10.89.31.20:636",
    "ldap_bind_dn": "cn=flopsar-svc,ou=Service,dc=flt,dc=test",
    "ldap_bind_password": "svc-bind-secret",
    "ldap_user_base_dn": "ou=People,dc=flt,dc=test",
    "ldap_user_filter": "(uid={username})",
}


def ldap(**change):
    return dict(LDAP, **change)


METRICS = {"crowdsec_metrics_enabled": True, "crowdsec_metrics_interface": "eth0"}

# role: {case: (extra vars, the message that case must produce)}
BAD_INPUT = {
    "server": {
        "wildcard without opt-in": (
            {"server_ui_interface": "", "server_ui_address": "0.0.0.0"},
            "server_ui_address: 0.0.0.0 binds every interface",
        ),
        "unknown interface": (
            {"server_agent_interface": "eth7"},
            "server_agent_interface: interface 'eth7' does not exist",
        ),
        "address of another host": (
            {"server_agent_interface": "", "server_agent_address": "10.89.31.99"},
            "server_agent_address: 10.89.31.99 is not an address of this host",
        ),
        "UI TLS off on a network address": (
            {"server_ui_tls": False},
            "server_ui_tls: TLS may only be off when the UI binds to loopback",
        ),
        "OTLP/gRPC TLS off on a network address": (
            {"server_otlp_enabled": True, "server_otlp_grpc_interface": "eth1", "server_otlp_grpc_tls": False},
            "server_otlp_grpc_tls: TLS may only be off when OTLP/gRPC binds to loopback",
        ),
        "provided TLS without certificate": (
            {"server_tls_mode": "provided"},
            "server_tls_mode=provided needs server_tls_cert_content and server_tls_key_content",
        ),
        "port out of range": ({"server_agent_port": 70000}, "server_agent_port: port 70000 is outside 1-65535"),
        "duplicate ports": (
            {"server_ui_interface": "eth1", "server_ui_port": 9000},
            "server_agent_port and server_ui_port: both listen on 10.89.31.10 port 9000",
        ),
        "source network with host bits": (
            {"server_agent_sources": ["10.89.31.7/24"]},
            "did you mean 10.89.31.0/24?",
        ),
        "any source on the agent listener": (
            {"server_agent_sources": ["0.0.0.0/0"]},
            "server_agent_sources: 0.0.0.0/0 admits every source address",
        ),
        "any source as two halves on the UI": (
            {"server_ui_sources": ["0.0.0.0/1", "128.0.0.0/1"]},
            "server_ui_sources: 0.0.0.0/1, 128.0.0.0/1 admits every source address",
        ),
        "extra settings turning the UI's TLS off": (
            {"server_settings_extra": {"ui_srv": {"ssl": False}}},
            "ui_srv.ssl is False but the surface model says True",
        ),
        "extra settings binding the agent to every interface": (
            {"server_settings_extra": {"agent": {"server_ip": "0.0.0.0"}}},
            "agent.server_ip is '0.0.0.0' but the surface model says '10.89.31.10'",
        ),
        "extra settings opening OTLP": (
            {"server_settings_extra": {"otlp": {"enable": True}}},
            "otlp.enable is True but the surface model says False",
        ),
        "extra settings with a typo": (
            {"server_settings_extra": {"loger": {"max_files": 3}}},
            "loger is not a documented setting",
        ),
        "package URL without checksum": (
            {"server_package_file": "", "server_package_url": "http://packages.invalid/flopsar-server.deb"},
            "server_package_url needs server_package_sha256",
        ),
        "not a boolean": ({"server_ui_tls": "maybe"}, "server_ui_tls"),
    },
    "firewall": {
        "no admin network": ({"firewall_admin_networks": []}, "firewall_admin_networks: at least one network"),
        "admin network with host bits": (
            {"firewall_admin_networks": ["10.89.30.1/24"]},
            "firewall_admin_networks: '10.89.30.1/24' is not a network",
        ),
        "confirm timeout too short": (
            {"firewall_confirm_timeout": 2},
            "firewall_confirm_timeout must be at least 5 seconds",
        ),
        "egress without addresses": (
            {"firewall_egress": [{"name": "backup host", "addresses": [], "port": 443}]},
            "backup host: no addresses",
        ),
        "extra inbound without sources": (
            {"firewall_extra_inbound": [{"name": "web", "port": 8080}]},
            "firewall_extra_inbound: web: sources is required",
        ),
        "SSH port out of range": ({"firewall_ssh_port": 0}, "firewall_ssh_port: 0 is not a port"),
        "directory by host name without DNS egress": (
            ldap(ldap_url="directory.flt.test:636"),
            "directory.flt.test is a host name the server resolves when it connects",
        ),
    },
    "crowdsec": {
        "extra config binding the Local API to every interface": (
            {"crowdsec_config_extra": {"api": {"server": {"listen_uri": "0.0.0.0:8080"}}}},
            "crowdsec_config_extra sets api.server.listen_uri to '0.0.0.0:8080'",
        ),
        "extra config with an unknown section": (
            {"crowdsec_config_extra": {"promethues": {"level": "full"}}},
            "crowdsec_config_extra: promethues is not a section",
        ),
        "any source on the metrics": (
            dict(METRICS, crowdsec_metrics_sources=["0.0.0.0/0"]),
            "crowdsec_metrics_sources: 0.0.0.0/0 admits every source address",
        ),
        "metrics on the agent's port": (
            dict(
                METRICS,
                crowdsec_metrics_interface="eth1",
                crowdsec_metrics_sources=["10.89.31.20/32"],
                crowdsec_metrics_port=9000,
            ),
            "crowdsec_metrics_port: 10.89.31.10 port 9000 is already taken by server_agent",
        ),
        "metrics off loopback without sources": (METRICS, "crowdsec_metrics_sources: metrics on 10.89.30.10"),
        "remote Local API clients on loopback": (
            {"crowdsec_lapi_address": "127.0.0.1", "crowdsec_lapi_sources": ["10.89.31.0/24"]},
            "crowdsec_lapi_sources: remote agents or bouncers are declared",
        ),
        "hub item outside the hub": ({"crowdsec_hub_items": ["../../etc/passwd"]}, "crowdsec_hub_items are paths"),
    },
    "ldap": {
        "cleartext": (ldap(ldap_use_ssl=False, ldap_url="10.89.31.20:389"), "CLEARTEXT_LDAP"),
        "certificate verification off": (ldap(ldap_skip_verify=True), "SKIP_VERIFY"),
        "base DN syntax": (ldap(ldap_user_base_dn="ou=People;dc=flt"), "DN_SYNTAX"),
        "filter syntax": (ldap(ldap_user_filter="(uid={username}"), "FILTER_SYNTAX"),
        "class filter without a UID attribute": (
            ldap(ldap_user_filter="(objectClass=person)", ldap_uid_attribute="-"),
            "FILTER_NO_PLACEHOLDER",
        ),
        "bind DN without password": (
            ldap(ldap_bind_password=""),
            "parameters are required together: bind_dn, bind_password",
        ),
        "scheme in the URL that contradicts use_ssl": (ldap(ldap_url="ldap://10.89.31.20:636"), "URL_SCHEME"),
    },
}
CASES = sorted((role, name) for role, cases in BAD_INPUT.items() for name in cases)


@pytest.fixture(scope="module")
def converged_state(lab):
    return host_state(lab(SERVER))


@pytest.mark.parametrize(("role", "case"), CASES, ids=[f"{r}: {c}" for r, c in CASES])
def test_bad_input_is_refused_before_anything_changes(lab, converged_state, role, case):
    extra, message = BAD_INPUT[role][case]
    rc, output = site(extra)
    assert rc != 0
    assert message in output, output[-3000:]
    # Refused in the preflight play, the first of site.yml: no later play started.
    assert output.rsplit("PLAY [", 1)[-1].startswith("Preflight"), output[-3000:]
    assert host_state(lab(SERVER)) == converged_state


def test_every_case_has_its_own_message():
    messages = [message for cases in BAD_INPUT.values() for _extra, message in cases.values()]
    assert len(messages) == len(set(messages))
    assert all(len(BAD_INPUT[role]) >= 5 for role in ("server", "firewall", "crowdsec", "ldap"))


# A condition of the host rather than bad input: Debian's nftables.service enabled, whose /etc/nftables.conf
# flushes every table at each start. Both roles that own nftables rules refuse it (they read it through
# _common's firewall_managers). CrowdSec's check comes first in the preflight play; in the firewall's case
# CrowdSec is allowed to disable it, so the firewall's own check is the one that refuses.
FLUSHING_BOOT_RULESET = {
    "crowdsec": ({}, "nftables.service is enabled or running and /etc/nftables.conf starts with 'flush ruleset'"),
    "firewall": (
        {"crowdsec_disable_conflicting": True},
        "nftables.service would replace or flush this role's rules",
    ),
}


@pytest.mark.parametrize("role", sorted(FLUSHING_BOOT_RULESET))
def test_an_enabled_flushing_boot_ruleset_is_refused_before_anything_changes(lab, converged_state, role):
    server = lab(SERVER)
    assert server.run(r"grep -qxE '\s*flush\s+ruleset\s*' /etc/nftables.conf").rc == 0  # Debian's own file
    extra, message = FLUSHING_BOOT_RULESET[role]
    server.check_output("systemctl enable nftables.service")
    try:
        rc, output = site(extra)
    finally:
        server.check_output("systemctl disable nftables.service")
    assert rc != 0
    assert message in output, output[-3000:]
    assert output.rsplit("PLAY [", 1)[-1].startswith("Preflight"), output[-3000:]
    assert host_state(server) == converged_state


def test_failed_restart_restores_the_previous_settings(lab):
    server = lab(SERVER)
    settings_before = server.file("/etc/flopsar/settings.toml").content_string
    # Something else already holds the port the new settings ask for: the server cannot bind it.
    server.check_output(f"systemd-run --unit=fl-blocker python3 -m http.server 9100 --bind {APP}")
    try:
        rc, output = site({"server_agent_port": 9100, "server_start_timeout": 10})
        assert rc != 0
        assert "did not come up" in output and "settings.toml was restored from" in output, output[-3000:]
        assert "The firewall change of this run was rolled back too" in output, output[-3000:]
        assert server.file("/etc/flopsar/settings.toml").content_string == settings_before
        assert server.service("flopsar-server").is_running
        # Back on the previous port, and so is the firewall (applied before the server, it had confirmed the
        # new model): the client reaches 9000 at once, and 9100 (the blocker listens there) is dropped again.
        states = tcp_states(lab(CLIENT), [(APP, 9000), (APP, 9100)])
        assert states == {(APP, 9000): OPEN, (APP, 9100): FILTERED}
    finally:
        server.run("systemctl stop fl-blocker")


def test_a_good_converge_after_the_failures_settles_and_then_changes_nothing(lab):
    # The first good run after the rolled-back restart settles what the failed run left (the candidate
    # ruleset of its model, loaded again and confirmed: the same rules); the next one must change nothing.
    rc, output = site({})
    assert rc == 0, output[-3000:]
    assert tcp_state(lab(CLIENT), APP, 9000) == OPEN
    rc, output = site({})
    assert rc == 0, output[-3000:]
    assert "changed=0" in output.split("PLAY RECAP")[-1]
