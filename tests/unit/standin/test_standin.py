"""Tests of the Flopsar Server TEST STAND-IN, ``tests/standin/flopsar_standin.py``.

The configuration checks are called in-process; the listeners are checked end to end by starting the
stand-in as a subprocess bound to 127.0.0.1 (or ::1) on free ports.
"""

import importlib.util
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest

STANDIN = Path(__file__).resolve().parents[2] / "standin" / "flopsar_standin.py"
TIMEOUT = 5
START_TIMEOUT = 30  # a loaded CI machine imports cryptography slowly; a deadline costs nothing when fast


def _import_standin():
    """Import the stand-in by path: it is a script, not part of a package."""
    spec = importlib.util.spec_from_file_location("flopsar_standin", STANDIN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


standin = _import_standin()

MINIMAL = """
data = "DATA_DIR"
[master_key]
provider = "file"
value = "master.key"
"""
NO_TLS = MINIMAL + "[ui_srv]\nssl = false\n"


# ----------------------------------------------------------------------------- fixtures
@dataclass
class Layout:
    """A configuration directory (settings.toml, ssl/master.key) and a data directory."""

    config: Path
    ssl_dir: Path
    data: Path

    def write(self, text):
        """Write settings.toml; ``DATA_DIR`` stands for the data directory."""
        self.config.write_text(text.replace("DATA_DIR", str(self.data)))
        return self.config


@dataclass
class KeyPair:
    """PEM texts of a self-signed certificate, its key, and an unrelated key."""

    cert: bytes
    key: bytes
    other_key: bytes


@pytest.fixture(scope="module")
def pki():
    """A self-signed EC certificate for 127.0.0.1 and ::1 (needs the cryptography package)."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def pem_key(key):
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flopsar stand-in test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1")), x509.IPAddress(ip_address("::1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        cert.public_bytes(serialization.Encoding.PEM), pem_key(key), pem_key(ec.generate_private_key(ec.SECP256R1()))
    )


def make_layout(base):
    """Create etc/ssl/master.key and data/ under ``base``."""
    layout = Layout(base / "etc" / "settings.toml", base / "etc" / "ssl", base / "data")
    layout.ssl_dir.mkdir(parents=True)
    layout.data.mkdir()
    (layout.ssl_dir / "master.key").write_bytes(os.urandom(32))
    return layout


def add_key_pair(layout, pki):
    """Install the certificate and key under their default names, ssl/server.crt and ssl/server.pem."""
    (layout.ssl_dir / "server.crt").write_bytes(pki.cert)
    (layout.ssl_dir / "server.pem").write_bytes(pki.key)
    return layout


@pytest.fixture
def layout(tmp_path):
    """A configuration layout without certificate."""
    return make_layout(tmp_path)


@pytest.fixture
def tls_layout(layout, pki):
    """A configuration layout with the certificate and key at their default paths."""
    return add_key_pair(layout, pki)


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_settings(host, ports, ui_ssl=True, otlp=False, grpc_ssl=False, backend="Local"):
    """A settings.toml binding every listener to ``host`` on the given ports."""
    return f"""
eula = true
name = "stand-in test"
data = "DATA_DIR"

[agent]
server_ip = "{host}"
server_port = {ports["agent"]}

[ui_srv]
server_ip = "{host}"
server_port = {ports["ui"]}
ssl = {str(ui_ssl).lower()}

[otlp]
enable = {str(otlp).lower()}

[otlp.http]
server_ip = "{host}"
server_port = {ports["otlp-http"]}

[otlp.grpc]
server_ip = "{host}"
server_port = {ports["otlp-grpc"]}
ssl = {str(grpc_ssl).lower()}

[logger]
backend = "{backend}"

[master_key]
provider = "file"
value = "master.key"
"""


def free_ports(host="127.0.0.1"):
    """One free port per listener name, four different ports: each stays bound until all are chosen."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    names = ("agent", "ui", "otlp-http", "otlp-grpc")
    held = [socket.socket(family, socket.SOCK_STREAM) for _name in names]
    try:
        for sock in held:
            sock.bind((host, 0))
        return {name: sock.getsockname()[1] for name, sock in zip(names, held, strict=True)}
    finally:
        for sock in held:
            sock.close()


class Launcher:
    """Starts stand-in subprocesses and kills whatever is left of them at teardown."""

    def __init__(self, directory):
        self.directory = directory
        self.processes = []

    def __call__(self, config, wait=True):
        """Start ``flopsar-server start -c config``; with ``wait``, return once it logged ``started``."""
        log = self.directory / f"stderr-{len(self.processes)}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, str(STANDIN), "start", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=stderr
            )
        process.log = log
        self.processes.append(process)
        if wait:
            self.wait_started(process)
        return process

    @staticmethod
    def wait_started(process):
        """Wait for the ``started`` log line; fail with the log if the process exits first."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = process.log.read_text()
            if "INFO started\n" in text:
                return
            if process.poll() is not None:
                pytest.fail(f"stand-in exited with {process.returncode}:\n{text}")
            time.sleep(0.02)
        pytest.fail(f"stand-in did not start:\n{process.log.read_text()}")

    def stop_all(self):
        """Kill and reap every process still running."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(TIMEOUT)


@pytest.fixture
def launch(tmp_path):
    """Start stand-in subprocesses; all are killed at teardown."""
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, pki):
    """One stand-in for the module: UI with TLS, OTLP off, all on 127.0.0.1."""
    layout = add_key_pair(make_layout(tmp_path_factory.mktemp("tls_server")), pki)
    ports = free_ports()
    launcher = Launcher(layout.config.parent)
    launcher(layout.write(server_settings("127.0.0.1", ports)))
    yield ports
    launcher.stop_all()


# ----------------------------------------------------------------------------- client helpers
def client_context(maximum=None, alpn=None):
    """A TLS client that accepts the self-signed certificate, optionally capped at a version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if maximum is not None:
        context.maximum_version = maximum
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def http_exchange(sock, request):
    """Send a raw request and read until the server closes."""
    sock.sendall(request)
    response = b""
    while chunk := sock.recv(65536):
        response += chunk
    return response


def https_get(host, port, context):
    """GET / over TLS: (negotiated TLS version, raw response)."""
    with (
        socket.create_connection((host, port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return tls.version(), http_exchange(tls, b"GET / HTTP/1.1\r\nHost: flopsar\r\n\r\n")


def plain_request(host, port, request):
    """Send a raw request over plain TCP and return the raw response."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        return http_exchange(sock, request)


def refuses(host, port):
    """Whether nothing listens on host:port."""
    try:
        socket.create_connection((host, port), timeout=TIMEOUT).close()
    except ConnectionRefusedError:
        return True
    return False


def has_ipv6_loopback():
    """Whether ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------------- configuration
def test_defaults_follow_the_documentation(tls_layout):
    settings = standin.load_settings(tls_layout.write(MINIMAL))
    assert [(lst.name, lst.address, lst.port, lst.scheme) for lst in settings.listeners] == [
        ("agent", "0.0.0.0", 9000, "tcp"),
        ("ui", "0.0.0.0", 9443, "https"),
        ("otlp-http", "0.0.0.0", 4318, "http"),
        ("otlp-grpc", "0.0.0.0", 4317, "grpc"),
    ]
    assert settings.cert_file == str(tls_layout.ssl_dir / "server.crt")
    assert settings.key_file == str(tls_layout.ssl_dir / "server.pem")
    assert settings.log_backend == "Local"
    assert settings.data_dir == str(tls_layout.data)


def test_otlp_disabled_opens_only_agent_and_ui(layout):
    settings = standin.load_settings(layout.write(NO_TLS + "[otlp]\nenable = false\n"))
    assert [(lst.name, lst.scheme) for lst in settings.listeners] == [("agent", "tcp"), ("ui", "http")]


def test_eula_absent_or_true_is_accepted(layout):
    standin.load_settings(layout.write(NO_TLS))
    standin.load_settings(layout.write("eula = true\n" + NO_TLS))


def test_every_documented_key_is_accepted(tls_layout):
    text = """
eula = true
name = "my environment"
data = "DATA_DIR"
max_ext_size = "1.00 MiB"
req_timeout = "3m"
xstack_maxsize = 3000
[agent]
server_ip = "127.0.0.1"
server_port = 9000
[ui_srv]
server_ip = "::1"
server_port = 9443
ssl = true
[otlp]
enable = true
[otlp.http]
server_ip = "127.0.0.1"
server_port = 4318
[otlp.grpc]
server_ip = "127.0.0.1"
server_port = 4317
ssl = true
[ssl]
cert = "server.crt"
key = "server.pem"
[logger]
backend = "Syslog"
max_size = "50.00 MiB"
max_files = 5
[archive]
enable = false
policy = "purge"
start_at = "03:00:00.0"
retention = "3days"
[pass_policy]
enable = true
min_len = 12
digits = true
special_chars = true
capital_letters = true
forbidden_chars = ""
[master_key]
provider = "file"
value = "master.key"
"""
    settings = standin.load_settings(tls_layout.write(text))
    assert settings.log_backend == "Syslog"
    assert [lst.scheme for lst in settings.listeners] == ["tcp", "https", "http", "grpcs"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(NO_TLS + "[agent\n", "TOML syntax error", id="syntax"),
        pytest.param(NO_TLS + "[ldap]\nurl = 'x'\n", "the top level: unknown key 'ldap'", id="unknown-section"),
        pytest.param("license = 'x'\n" + NO_TLS, "the top level: unknown key 'license'", id="unknown-top-key"),
        pytest.param(MINIMAL + "[ui_srv]\nssl = false\ntls = true\n", "[ui_srv]: unknown key 'tls'", id="unknown-key"),
        pytest.param(
            NO_TLS + "[otlp.grpc]\ninsecure = true\n", "[otlp.grpc]: unknown key 'insecure'", id="unknown-sub"
        ),
        pytest.param(NO_TLS + "[ssl]\nenable = true\n", "[ssl]: unknown key 'enable'", id="5x-ssl-enable"),
        pytest.param("agent = 9000\n" + NO_TLS, "agent: expected a [agent] table", id="section-not-table"),
        pytest.param(
            NO_TLS + "[agent]\nserver_port = '9000'\n", "agent.server_port: expected an integer", id="port-str"
        ),
        pytest.param(
            NO_TLS + "[agent]\nserver_port = true\n", "agent.server_port: expected an integer", id="port-bool"
        ),
        pytest.param(NO_TLS + "[agent]\nserver_port = 0\n", "agent.server_port: expected a port", id="port-0"),
        pytest.param(NO_TLS + "[agent]\nserver_port = 65536\n", "agent.server_port: expected a port", id="port-big"),
        pytest.param(MINIMAL + "[ui_srv]\nssl = 'false'\n", "ui_srv.ssl: expected true or false", id="bool-str"),
        pytest.param(NO_TLS + "[otlp]\nenable = 0\n", "otlp.enable: expected true or false", id="bool-int"),
        pytest.param("name = 5\n" + NO_TLS, "name: expected a string", id="str-int"),
        pytest.param("xstack_maxsize = '3000'\n" + NO_TLS, "xstack_maxsize: expected an integer", id="int-str"),
        pytest.param(NO_TLS + "[agent]\nserver_ip = 'localhost'\n", "agent.server_ip: expected an IPv4", id="ip-name"),
        pytest.param(NO_TLS + "[agent]\nserver_ip = '0.0.0.0/0'\n", "agent.server_ip: expected an IPv4", id="ip-cidr"),
        pytest.param(NO_TLS + "[otlp.http]\nserver_ip = 1\n", "otlp.http.server_ip: expected a string", id="ip-int"),
        pytest.param("eula = false\n" + NO_TLS, "eula: the EULA is not accepted", id="eula-false"),
        pytest.param("eula = 'yes'\n" + NO_TLS, "eula: expected true or false", id="eula-str"),
        pytest.param(NO_TLS.replace('data = "DATA_DIR"', ""), "data: key missing", id="data-missing"),
        pytest.param(NO_TLS.replace("DATA_DIR", "/nonexistent/flopsar"), "not an existing directory", id="data-absent"),
        pytest.param('data = "DATA_DIR"\n[ui_srv]\nssl = false\n', "[master_key]: section missing", id="no-master-key"),
        pytest.param(NO_TLS.replace('value = "master.key"', ""), "[master_key]: key 'value' missing", id="no-value"),
        pytest.param(NO_TLS.replace('"master.key"', '"gone.key"'), "master_key.value: ", id="master-key-file-absent"),
        pytest.param(
            NO_TLS + "[logger]\nbackend = 'File'\n", "logger.backend: expected one of Local, Syslog", id="log"
        ),
        pytest.param(MINIMAL, "ssl.cert: ", id="ui-tls-without-cert"),
        pytest.param(
            MINIMAL + "[ui_srv]\nssl = false\n[otlp.grpc]\nssl = true\n", "ssl.cert: ", id="grpc-tls-without-cert"
        ),
    ],
)
def test_refused_settings(layout, text, message):
    with pytest.raises(standin.ConfigError) as refused:
        standin.load_settings(layout.write(text))
    assert message in str(refused.value)


def test_missing_settings_file_is_refused(tmp_path):
    with pytest.raises(standin.ConfigError, match="cannot read the settings file"):
        standin.load_settings(tmp_path / "settings.toml")


def test_missing_key_is_refused(layout, pki):
    (layout.ssl_dir / "server.crt").write_bytes(pki.cert)
    with pytest.raises(standin.ConfigError, match=r"ssl\.key: .*server\.pem does not exist"):
        standin.load_settings(layout.write(MINIMAL))


def test_unreadable_master_key_is_refused(layout, monkeypatch):
    unreadable = str(layout.ssl_dir / "master.key")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: path != unreadable and real_access(path, mode))
    with pytest.raises(standin.ConfigError, match=r"master_key\.value: .* is not readable"):
        standin.load_settings(layout.write(NO_TLS))


@pytest.mark.parametrize(
    ("cert", "key"),
    [
        pytest.param("cert", "other_key", id="mismatched-key"),
        pytest.param("key", "key", id="key-as-cert"),
        pytest.param(b"not a certificate\n", "key", id="garbage-cert"),
    ],
)
def test_unloadable_key_pair_is_refused(layout, pki, cert, key):
    (layout.ssl_dir / "server.crt").write_bytes(cert if isinstance(cert, bytes) else getattr(pki, cert))
    (layout.ssl_dir / "server.pem").write_bytes(getattr(pki, key))
    with pytest.raises(standin.ConfigError, match=r"\[ssl\]: cannot load certificate"):
        standin.load_settings(layout.write(MINIMAL))


def test_no_certificate_needed_without_tls_listener(layout):
    text = NO_TLS + "[otlp]\nenable = false\n[otlp.grpc]\nssl = true\n"
    assert not any(lst.tls for lst in standin.load_settings(layout.write(text)).listeners)


def test_relative_paths_resolve_inside_ssl_next_to_the_settings(layout, pki):
    (layout.ssl_dir / "ui").mkdir()
    (layout.ssl_dir / "ui" / "cert.pem").write_bytes(pki.cert)
    (layout.ssl_dir / "ui" / "key.pem").write_bytes(pki.key)
    text = MINIMAL + '[ssl]\ncert = "ui/cert.pem"\nkey = "ui/key.pem"\n'
    settings = standin.load_settings(layout.write(text))
    assert settings.cert_file == str(layout.ssl_dir / "ui" / "cert.pem")
    assert settings.key_file == str(layout.ssl_dir / "ui" / "key.pem")


def test_absolute_paths_are_used_as_written(layout, pki, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name, content in (("tls.crt", pki.cert), ("tls.key", pki.key), ("master.bin", b"k" * 32)):
        (elsewhere / name).write_bytes(content)
    text = (
        MINIMAL.replace('"master.key"', f'"{elsewhere}/master.bin"')
        + f'[ssl]\ncert = "{elsewhere}/tls.crt"\nkey = "{elsewhere}/tls.key"\n'
    )
    (layout.ssl_dir / "master.key").unlink()
    settings = standin.load_settings(layout.write(text))
    assert (settings.cert_file, settings.key_file) == (f"{elsewhere}/tls.crt", f"{elsewhere}/tls.key")


def test_master_key_value_is_a_path_only_for_the_file_provider(layout):
    standin.load_settings(layout.write(NO_TLS.replace('"file"', '"other"').replace('"master.key"', '"inline"')))


def test_resolve_path():
    assert standin.resolve_path("/etc/flopsar", "server.crt") == "/etc/flopsar/ssl/server.crt"
    assert standin.resolve_path("/etc/flopsar", "/srv/tls/server.crt") == "/srv/tls/server.crt"


def test_listener_names_its_address():
    assert str(standin.Listener("ui", "10.0.0.1", 9443, "https")) == "ui https 10.0.0.1:9443"
    assert str(standin.Listener("agent", "::1", 9000, "tcp")) == "agent tcp [::1]:9000"


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_listener_is_ipv6_only():
    with standin.open_listener(standin.Listener("agent", "::1", 0, "tcp")) as sock:
        assert sock.family == socket.AF_INET6
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1


@pytest.fixture
def syslog_handlers():
    """Remove the syslog handlers a test adds to the stand-in's logger."""
    before = list(standin.LOG.handlers)
    yield
    for handler in set(standin.LOG.handlers) - set(before):
        standin.LOG.removeHandler(handler)
        handler.close()


def test_syslog_uses_ident_flopsar(tmp_path, syslog_handlers):
    address = str(tmp_path / "log")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as syslog:
        syslog.bind(address)
        syslog.settimeout(TIMEOUT)
        standin.add_syslog(address)
        standin.LOG.warning("listening: agent tcp 127.0.0.1:9000")
        assert syslog.recv(4096).endswith(b"flopsar: listening: agent tcp 127.0.0.1:9000\x00")


def test_syslog_is_skipped_without_a_socket(tmp_path, syslog_handlers):
    before = list(standin.LOG.handlers)
    standin.add_syslog(str(tmp_path / "absent"))
    assert standin.LOG.handlers == before


# ----------------------------------------------------------------------------- command line
def test_help():
    done = subprocess.run([sys.executable, str(STANDIN), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "start" in done.stdout
    assert "TEST STAND-IN" in done.stdout


def test_config_error_exits_before_listening(layout, launch):
    config = layout.write("eula = true\n" + NO_TLS + "[otlp]\nenable = true\nsecure = 1\n")
    process = launch(config, wait=False)
    assert process.wait(TIMEOUT) == standin.EXIT_CONFIG_ERROR
    log = process.log.read_text()
    assert f"refusing to start: {config}: [otlp]: unknown key 'secure'" in log
    assert "listening" not in log


# ----------------------------------------------------------------------------- listeners
def test_agent_port_accepts_tcp(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server["agent"]), timeout=TIMEOUT) as sock:
        sock.sendall(b"\x00" * 64)


def test_ui_negotiates_tls13_by_default(tls_server):
    version, response = https_get("127.0.0.1", tls_server["ui"], client_context())
    assert version == "TLSv1.3"
    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b"Flopsar Server stand-in\n")


def test_ui_accepts_a_tls12_client(tls_server):
    version, response = https_get("127.0.0.1", tls_server["ui"], client_context(ssl.TLSVersion.TLSv1_2))
    assert version == "TLSv1.2"
    assert response.startswith(b"HTTP/1.1 200 ")


def test_ui_refuses_a_tls11_client(tls_server):
    context = client_context()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as exc:
        pytest.skip(f"this OpenSSL cannot offer TLS 1.1: {exc}")
    with socket.create_connection(("127.0.0.1", tls_server["ui"]), timeout=TIMEOUT) as raw:
        try:
            context.wrap_socket(raw).close()
        except ssl.SSLError as exc:
            if exc.reason == "NO_PROTOCOLS_AVAILABLE":
                pytest.skip("this OpenSSL cannot offer TLS 1.1")
            assert exc.reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL"), exc
        except ConnectionResetError:
            pass
        else:
            pytest.fail("the UI completed a TLS 1.1 handshake")


def test_plain_http_to_the_tls_ui_gets_no_http_response_and_the_server_survives(tls_server):
    try:
        response = plain_request("127.0.0.1", tls_server["ui"], b"GET / HTTP/1.1\r\nHost: flopsar\r\n\r\n")
    except ConnectionResetError:
        response = b""
    assert not response.startswith(b"HTTP/")
    assert https_get("127.0.0.1", tls_server["ui"], client_context())[1].startswith(b"HTTP/1.1 200 ")


def test_a_silent_client_does_not_block_others(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server["ui"]), timeout=TIMEOUT):
        assert https_get("127.0.0.1", tls_server["ui"], client_context())[1].startswith(b"HTTP/1.1 200 ")


def test_otlp_ports_closed_when_disabled(tls_server):
    assert refuses("127.0.0.1", tls_server["otlp-http"])
    assert refuses("127.0.0.1", tls_server["otlp-grpc"])


def test_otlp_enabled_without_tls(layout, launch):
    ports = free_ports()
    process = launch(layout.write(server_settings("127.0.0.1", ports, ui_ssl=False, otlp=True, backend="Syslog")))
    ui = plain_request("127.0.0.1", ports["ui"], b"GET /api/apps HTTP/1.1\r\nHost: flopsar\r\n\r\n")
    assert ui.startswith(b"HTTP/1.1 200 ")
    body = b"\x0a\x00"
    post = b"POST /v1/traces HTTP/1.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\n" + body
    assert plain_request("127.0.0.1", ports["otlp-http"], post).startswith(b"HTTP/1.1 200 ")
    get = b"GET /v1/traces HTTP/1.1\r\nHost: flopsar\r\n\r\n"
    assert plain_request("127.0.0.1", ports["otlp-http"], get).startswith(b"HTTP/1.1 404 ")
    with socket.create_connection(("127.0.0.1", ports["otlp-grpc"]), timeout=TIMEOUT) as grpc:
        assert grpc.recv(1) == b""
    assert "Traceback" not in process.log.read_text()


def test_grpc_tls_offers_h2(tls_layout, launch):
    ports = free_ports()
    launch(tls_layout.write(server_settings("127.0.0.1", ports, otlp=True, grpc_ssl=True)))
    with (
        socket.create_connection(("127.0.0.1", ports["otlp-grpc"]), timeout=TIMEOUT) as raw,
        client_context(alpn=["h2"]).wrap_socket(raw) as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_bind_conflict_exits_non_zero(layout, launch):
    ports = free_ports()
    with socket.create_server(("127.0.0.1", ports["otlp-http"])):
        process = launch(layout.write(server_settings("127.0.0.1", ports, ui_ssl=False, otlp=True)), wait=False)
        assert process.wait(TIMEOUT) == standin.EXIT_BIND_FAILED
    log = process.log.read_text()
    assert f"cannot listen: otlp-http http 127.0.0.1:{ports['otlp-http']}: Address already in use" in log
    assert "INFO started" not in log


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_with_status_zero(layout, launch, signum):
    ports = free_ports()
    process = launch(layout.write(server_settings("127.0.0.1", ports, ui_ssl=False)))
    process.send_signal(signum)
    assert process.wait(TIMEOUT) == 0
    assert process.log.read_text().endswith("INFO stopped\n")
    assert refuses("127.0.0.1", ports["agent"])


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_loopback(tls_layout, launch):
    ports = free_ports("::1")
    process = launch(tls_layout.write(server_settings("::1", ports, otlp=True)))
    assert f"listening: ui https [::1]:{ports['ui']}" in process.log.read_text()
    socket.create_connection(("::1", ports["agent"]), timeout=TIMEOUT).close()
    assert https_get("::1", ports["ui"], client_context())[1].startswith(b"HTTP/1.1 200 ")
    assert refuses("127.0.0.1", ports["agent"])
