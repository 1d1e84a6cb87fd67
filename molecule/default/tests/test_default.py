"""hardened.flopsar.server, default scenario: checked from the clients, not from the files."""

import pytest
from cryptography import x509
from labprobe import CLOSED, OPEN, http_status, listeners, tcp_state, tls_handshake

SERVER, OPERATOR, AGENT = "fl-def-server", "fl-def-operator", "fl-def-agent"
MGMT, APP = "10.89.20.10", "10.89.21.10"
PORTS = (9000, 9443, 4317, 4318)
OPEN_PORTS = {(APP, 9000), (MGMT, 9443)}


# Each client tries every port on every server address it has a route to.
ROUTES = [(OPERATOR, MGMT), (AGENT, MGMT), (AGENT, APP)]


@pytest.mark.parametrize(("client", "address"), ROUTES)
@pytest.mark.parametrize("port", PORTS)
def test_only_configured_listeners_answer(lab, client, address, port):
    expected = OPEN if (address, port) in OPEN_PORTS else CLOSED
    assert tcp_state(lab(client), address, port) == expected


def test_listeners_are_bound_exactly_and_never_wildcard(lab):
    found = sorted((a, p) for a, p, _proc in listeners(lab(SERVER), "flopsar-server"))
    assert found == sorted(OPEN_PORTS)
    assert not [(a, p) for a, p in found if a in ("0.0.0.0", "::", "*")]


def test_ui_negotiates_tls13_with_the_internal_ca_chain(lab):
    hs = tls_handshake(lab(OPERATOR), MGMT, 9443, server_name=SERVER)
    assert hs.ok, hs.error
    assert hs.protocol == "TLSv1.3"
    leaf = hs.certificates()[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert MGMT in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    assert SERVER in sans.get_values_for_type(x509.DNSName)
    assert leaf.issuer.rfc4514_string() == "CN=hardened.flopsar internal CA"


def test_ui_certificate_verifies_against_the_ca_installed_on_the_server(lab):
    server = lab(SERVER)
    ca = server.file("/etc/flopsar/ssl/ca.crt").content_string
    operator = lab(OPERATOR)
    operator.run("mkdir -p /tmp/fl && cat > /tmp/fl/ca.crt <<'EOF'\n" + ca + "EOF")
    out = operator.run(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert /tmp/fl/ca.crt https://{MGMT}:9443/")
    assert out.stdout == "200", out.stderr


def test_plain_http_to_the_ui_fails(lab):
    assert http_status(lab(OPERATOR), f"http://{MGMT}:9443/") == 0


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/flopsar", "root", "flopsar", 0o750),
        ("/etc/flopsar/settings.toml", "root", "flopsar", 0o640),
        ("/etc/flopsar/ssl", "root", "flopsar", 0o750),
        ("/etc/flopsar/ssl/server.key", "flopsar", "flopsar", 0o600),
        ("/etc/flopsar/ssl/master.key", "flopsar", "flopsar", 0o600),
        ("/etc/flopsar/ssl/server.crt", "root", "flopsar", 0o644),
        ("/var/lib/flopsar", "flopsar", "flopsar", 0o750),
    ],
)
def test_ownership_and_modes(lab, path, owner, group, mode):
    f = lab(SERVER).file(path)
    assert f.exists
    assert (f.user, f.group, f.mode) == (owner, group, mode)


def test_settings_toml_is_the_model(lab):
    import tomllib

    settings = tomllib.loads(lab(SERVER).file("/etc/flopsar/settings.toml").content_string)
    assert settings["agent"] == {"server_ip": APP, "server_port": 9000}
    assert settings["ui_srv"] == {"server_ip": MGMT, "server_port": 9443, "ssl": True}
    assert settings["otlp"] == {"enable": False}
    assert settings["pass_policy"]["enable"] is True
    assert settings["logger"]["backend"] == "Syslog"


def test_service_runs_as_its_user_and_logs_to_the_journal(lab):
    server = lab(SERVER)
    assert server.service("flopsar-server").is_running
    assert server.check_output("systemctl show -p User --value flopsar-server") == "flopsar"
    assert "listening" in server.check_output("journalctl -t flopsar --no-pager -o cat")


def test_systemd_exposure_is_low(lab):
    out = lab(SERVER).check_output("systemd-analyze security --no-pager flopsar-server.service | tail -n 1")
    # "→ Overall exposure level for flopsar-server.service: 1.2 OK"
    score = float(out.split(":")[1].split()[0])
    print(out)
    assert score <= 2.0, out
