"""Bad input is refused before anything changes; a failed restart is rolled back.

Each case runs the scenario's converge playbook again, from the controller, the way an
operator runs it, with one set of extra variables.
"""

import json
import os
import subprocess

import pytest
from labprobe import OPEN, tcp_state

SERVER, CLIENT = "fl-flt-server", "fl-flt-client"
APP = "10.89.31.10"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def converge(extra_vars):
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    result = subprocess.run(
        ["ansible-playbook", "-i", inventory, os.path.join(HERE, "converge.yml"), "-e", json.dumps(extra_vars)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def config_checksums(host):
    return host.check_output("find /etc/flopsar -type f -print0 | sort -z | xargs -0 sha256sum")


BAD_INPUT = {
    "wildcard without opt-in": (
        {"server_ui_interface": "", "server_ui_address": "0.0.0.0"},
        "server_ui_address: 0.0.0.0 binds every interface",
    ),
    "unknown interface": (
        {"server_agent_interface": "eth7"},
        "server_agent_interface: interface 'eth7' does not exist",
    ),
    "UI TLS off on a network address": (
        {"server_ui_tls": False},
        "server_ui_tls: TLS may only be off when the UI binds to loopback",
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
    "package URL without checksum": (
        {"server_package_file": "", "server_package_url": "http://packages.invalid/flopsar-server.deb"},
        "server_package_url needs server_package_sha256",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_fails_in_preflight_and_changes_nothing(lab, case):
    extra, message = BAD_INPUT[case]
    before = config_checksums(lab(SERVER))
    rc, output = converge(extra)
    assert rc != 0
    assert message in output, output[-3000:]
    assert config_checksums(lab(SERVER)) == before


def test_failed_restart_restores_the_previous_settings(lab):
    server, client = lab(SERVER), lab(CLIENT)
    settings_before = server.file("/etc/flopsar/settings.toml").content_string
    # Something else already holds the port the new settings ask for: the server cannot bind it.
    server.check_output(f"systemd-run --unit=fl-blocker python3 -m http.server 9100 --bind {APP}")
    try:
        rc, output = converge({"server_agent_port": 9100, "server_start_timeout": 10})
        assert rc != 0
        assert "did not start with the new configuration (settings.toml was restored from" in output, output[-3000:]
        assert server.file("/etc/flopsar/settings.toml").content_string == settings_before
        assert server.service("flopsar-server").is_running
        assert tcp_state(client, APP, 9000) == OPEN
    finally:
        server.run("systemctl stop fl-blocker")


def test_a_good_converge_after_the_failures_changes_nothing(lab):
    rc, output = converge({})
    assert rc == 0, output[-3000:]
    assert "changed=0" in output.split("PLAY RECAP")[-1]
