"""Flopsar Server 7 TEST STAND-IN. This is NOT the Flopsar Server.

The real Flopsar Server is proprietary and cannot be downloaded. The hardened.flopsar collection's
tests install this program in its place (``build-deb.sh`` packages it as ``/usr/bin/flopsar-server``).
It behaves as the public Flopsar 7 documentation describes (settings.toml reference, network-surface
page; see ``README.md``) and implements exactly this, nothing else:

* ``flopsar-server start [-c /etc/flopsar/settings.toml]``, the documented 6.x command form;
* reading settings.toml and refusing to start on: a TOML syntax error, a section or key that the
  documentation does not list, a value of the wrong type, ``eula`` present and not true, a missing
  ``data`` directory, a missing ``[master_key]`` (or a ``file`` provider whose file cannot be read),
  a ``logger.backend`` other than ``Local``/``Syslog``, and a missing or unloadable certificate/key
  while a TLS listener is on;
* the documented path rule: ``ssl.cert``, ``ssl.key`` and ``master_key.value`` (provider ``file``)
  are used as written when absolute, else resolved inside ``ssl/`` next to the settings file;
* exactly the configured TCP listeners, with the documented defaults:
  agent ``0.0.0.0:9000`` (plain TCP: accept, read and discard; the product's own encrypted agent
  protocol is not implemented), UI/API ``0.0.0.0:9443`` (HTTPS with TLS 1.2/1.3, or plain HTTP with
  ``[ui_srv].ssl = false``; every request gets ``200``), and, only while ``[otlp].enable`` is true,
  OTLP/HTTP ``0.0.0.0:4318`` (``POST /v1/traces`` gets ``200``, anything else ``404``) and OTLP/gRPC
  ``0.0.0.0:4317`` (TLS with ALPN ``h2`` when ``[otlp.grpc].ssl`` is true, else accept and close);
* exit status 2 on a configuration error, 1 when a listener cannot be bound, 0 after SIGTERM/SIGINT;
* logging to stderr, and with ``[logger].backend = "Syslog"`` also to ``/dev/log`` with ident
  ``flopsar``.

It has no agent protocol, gRPC, REST API, users, LDAP, licence, data store, log files or archiving,
and it never connects out. Standard library only (Debian 12's python3).
"""

import argparse
import ipaddress
import logging
import logging.handlers
import os
import selectors
import signal
import socket
import ssl
import sys
import threading
import tomllib
from dataclasses import dataclass

LOG = logging.getLogger("flopsar")
DEFAULT_SETTINGS = "/etc/flopsar/settings.toml"
EXIT_BIND_FAILED = 1
EXIT_CONFIG_ERROR = 2

# Value kinds used by the schema below.
BOOL, INT, STR, IP, PORT = "bool", "integer", "string", "IP address", "port"

# Every section and key the documentation lists (reference section 1.2); anything else is refused.
SCHEMA = {
    "eula": BOOL,
    "name": STR,
    "data": STR,
    "max_ext_size": STR,
    "req_timeout": STR,
    "xstack_maxsize": INT,
    "agent": {"server_ip": IP, "server_port": PORT},
    "ui_srv": {"server_ip": IP, "server_port": PORT, "ssl": BOOL},
    "otlp": {
        "enable": BOOL,
        "http": {"server_ip": IP, "server_port": PORT},
        "grpc": {"server_ip": IP, "server_port": PORT, "ssl": BOOL},
    },
    "ssl": {"cert": STR, "key": STR},
    "logger": {"backend": STR, "max_size": STR, "max_files": INT},
    "archive": {"enable": BOOL, "policy": STR, "start_at": STR, "retention": STR},
    "pass_policy": {
        "enable": BOOL,
        "min_len": INT,
        "digits": BOOL,
        "special_chars": BOOL,
        "capital_letters": BOOL,
        "forbidden_chars": STR,
    },
    "master_key": {"provider": STR, "value": STR},
}
LOG_BACKENDS = ("Local", "Syslog")
DEFAULT_CERT, DEFAULT_KEY = "server.crt", "server.pem"


class ConfigError(Exception):
    """The settings file is one the server refuses to start with."""


@dataclass(frozen=True)
class Listener:
    """One TCP listener: ``name`` is agent, ui, otlp-http or otlp-grpc; ``scheme`` what it speaks."""

    name: str
    address: str
    port: int
    scheme: str  # tcp, http, https, grpc or grpcs

    @property
    def tls(self):
        """Whether connections start with a TLS handshake."""
        return self.scheme in ("https", "grpcs")

    def __str__(self):
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.name} {self.scheme} {host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    """What the server needs from a validated settings.toml."""

    path: str
    data_dir: str
    listeners: tuple
    cert_file: str
    key_file: str
    log_backend: str


# ----------------------------------------------------------------------------- configuration
def resolve_path(config_dir, value):
    """The documented path rule: absolute as written, anything else inside ``<config dir>/ssl/``."""
    return value if value.startswith("/") else os.path.join(config_dir, "ssl", value)


def _type_problem(kind, value):
    """Why ``value`` is not of ``kind``, or None."""
    if kind == BOOL:
        return None if isinstance(value, bool) else "expected true or false"
    if kind in (INT, PORT):
        if isinstance(value, bool) or not isinstance(value, int):
            return "expected an integer"
        return None if kind == INT or 1 <= value <= 65535 else "expected a port number 1..65535"
    if not isinstance(value, str):
        return "expected a string"
    if kind == IP:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return "expected an IPv4 or IPv6 address"
    return None


def check_schema(data, schema=None, section=""):
    """Refuse undocumented sections and keys and values of the wrong type."""
    schema = SCHEMA if schema is None else schema
    for key, value in data.items():
        dotted = f"{section}.{key}" if section else key
        where = f"[{section}]" if section else "the top level"
        if key not in schema:
            raise ConfigError(f"{where}: unknown key {key!r} (not a documented setting)")
        kind = schema[key]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{dotted}: expected a [{dotted}] table, got {value!r}")
            check_schema(value, kind, dotted)
        elif problem := _type_problem(kind, value):
            raise ConfigError(f"{dotted}: {problem}, got {value!r}")


def _require_readable_file(path, key):
    """Refuse a file the server would need but cannot read."""
    if not os.path.isfile(path):
        raise ConfigError(f"{key}: {path} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{key}: {path} is not readable")


def check_master_key(master, config_dir):
    """``[master_key]`` is required; with provider ``file`` its ``value`` must be a readable file."""
    if master is None:
        raise ConfigError("[master_key]: section missing (the master key is required)")
    for key in ("provider", "value"):
        if key not in master:
            raise ConfigError(f"[master_key]: key {key!r} missing")
    if master["provider"] == "file":
        _require_readable_file(resolve_path(config_dir, master["value"]), "master_key.value")


def make_tls_context(cert_file, key_file, alpn=None):
    """A server context offering TLS 1.2 and 1.3 only, with the certificate chain and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def check_key_pair(cert_file, key_file):
    """Both files readable, and the ssl module accepts them as a certificate chain and its key."""
    _require_readable_file(cert_file, "ssl.cert")
    _require_readable_file(key_file, "ssl.key")
    try:
        make_tls_context(cert_file, key_file)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"[ssl]: cannot load certificate {cert_file} with key {key_file}: {exc}") from None


def listeners_of(data):
    """The listeners a checked settings table opens, with the documented defaults for absent keys."""
    agent, ui, otlp = data.get("agent", {}), data.get("ui_srv", {}), data.get("otlp", {})
    listeners = [
        Listener("agent", agent.get("server_ip", "0.0.0.0"), agent.get("server_port", 9000), "tcp"),
        Listener(
            "ui",
            ui.get("server_ip", "0.0.0.0"),
            ui.get("server_port", 9443),
            "https" if ui.get("ssl", True) else "http",
        ),
    ]
    if otlp.get("enable", True):
        http, grpc = otlp.get("http", {}), otlp.get("grpc", {})
        listeners.append(Listener("otlp-http", http.get("server_ip", "0.0.0.0"), http.get("server_port", 4318), "http"))
        listeners.append(
            Listener(
                "otlp-grpc",
                grpc.get("server_ip", "0.0.0.0"),
                grpc.get("server_port", 4317),
                "grpcs" if grpc.get("ssl", False) else "grpc",
            )
        )
    return tuple(listeners)


def load_settings(path):
    """Read and check a settings.toml. Returns Settings; raises ConfigError naming what is wrong."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read the settings file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML syntax error: {exc}") from None
    check_schema(data)
    config_dir = os.path.dirname(os.path.abspath(path))

    if data.get("eula", True) is not True:
        raise ConfigError("eula: the EULA is not accepted (eula must be true when present)")
    if "data" not in data:
        raise ConfigError("data: key missing (the data directory is required)")
    if not os.path.isdir(data["data"]):
        raise ConfigError(f"data: {data['data']} is not an existing directory")
    check_master_key(data.get("master_key"), config_dir)
    log_backend = data.get("logger", {}).get("backend", "Local")
    if log_backend not in LOG_BACKENDS:
        raise ConfigError(f"logger.backend: expected one of {', '.join(LOG_BACKENDS)}, got {log_backend!r}")

    listeners = listeners_of(data)
    ssl_section = data.get("ssl", {})
    cert_file = resolve_path(config_dir, ssl_section.get("cert", DEFAULT_CERT))
    key_file = resolve_path(config_dir, ssl_section.get("key", DEFAULT_KEY))
    if any(listener.tls for listener in listeners):
        check_key_pair(cert_file, key_file)
    return Settings(path, data["data"], listeners, cert_file, key_file, log_backend)


# ----------------------------------------------------------------------------- connections
def _read_http_request(conn, limit=65536):
    """Read one request's head and discard its body. Returns (method, target), or None on EOF."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk or len(head) > limit:
            return None
        head += chunk
    head, _sep, body = head.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            length = int(value.strip())
    remaining = length - len(body)
    while remaining > 0:
        chunk = conn.recv(min(remaining, 65536))
        if not chunk:
            break
        remaining -= len(chunk)
    request_line = lines[0].split(" ")
    return request_line[0], request_line[1] if len(request_line) > 1 else ""


def answer_http(conn, listener):
    """UI/API: 200 for any request. OTLP/HTTP: 200 for ``POST /v1/traces``, else 404."""
    request = _read_http_request(conn)
    if request is None:
        return
    found = listener.name != "otlp-http" or request == ("POST", "/v1/traces")
    status, body = ("200 OK", b"Flopsar Server stand-in\n") if found else ("404 Not Found", b"not found\n")
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    conn.sendall(head.encode("ascii") + body)


def drain(conn):
    """Agent: read and discard until the peer closes."""
    while conn.recv(65536):
        pass


def handle_connection(conn, peer, listener, context):
    """Serve one accepted connection in its own thread; errors end only this connection."""
    try:
        conn.settimeout(None if listener.name == "agent" else 30)
        if context is not None:
            conn = context.wrap_socket(conn, server_side=True)
        if listener.scheme in ("http", "https"):
            answer_http(conn, listener)
        elif listener.name == "agent":
            drain(conn)
    except ssl.SSLError as exc:
        LOG.info("%s: TLS with %s failed: %s", listener.name, peer[0], exc.reason or exc)
    except OSError as exc:
        LOG.debug("%s: connection from %s ended: %s", listener.name, peer[0], exc)
    finally:
        conn.close()


# ----------------------------------------------------------------------------- serving
def open_listener(listener):
    """Bind and listen on the exact address; an IPv6 socket is IPv6-only. Raises OSError."""
    family = socket.AF_INET6 if ipaddress.ip_address(listener.address).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((listener.address, listener.port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def open_all(listeners):
    """Open every listener, or none: on the first failure close the others and raise OSError."""
    opened = []
    for listener in listeners:
        try:
            opened.append((open_listener(listener), listener))
        except OSError as exc:
            for sock, _listener in opened:
                sock.close()
            raise OSError(f"cannot listen: {listener}: {exc.strerror}") from None
    return opened


def tls_contexts(settings):
    """One server TLS context per TLS scheme in use: HTTPS, and gRPC with ALPN h2."""
    contexts = {}
    for listener in settings.listeners:
        if listener.tls and listener.scheme not in contexts:
            alpn = ["h2"] if listener.scheme == "grpcs" else None
            contexts[listener.scheme] = make_tls_context(settings.cert_file, settings.key_file, alpn)
    return contexts


def serve(opened, contexts):
    """Accept on every listener until SIGTERM or SIGINT, one thread per connection."""
    wake_reader, wake_writer = socket.socketpair()
    wake_writer.setblocking(False)
    signal.set_wakeup_fd(wake_writer.fileno())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: None)  # the wake-up byte does the work
    with wake_reader, wake_writer, selectors.DefaultSelector() as selector:
        selector.register(wake_reader, selectors.EVENT_READ)
        for sock, listener in opened:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, listener)
        while True:
            for key, _events in selector.select():
                if key.fileobj is wake_reader:
                    signum = wake_reader.recv(1)[0]
                    LOG.info("stopping on %s", signal.Signals(signum).name)
                    return
                _accept(key.fileobj, key.data, contexts.get(key.data.scheme))


def _accept(sock, listener, context):
    """Accept one pending connection and hand it to a thread."""
    try:
        conn, peer = sock.accept()
    except BlockingIOError:
        return
    except OSError as exc:
        LOG.warning("%s: accept failed: %s", listener.name, exc)
        return
    conn.setblocking(True)
    threading.Thread(target=handle_connection, args=(conn, peer, listener, context), daemon=True).start()


def run(settings):
    """Bind all listeners, then serve until a signal. Returns the exit status."""
    LOG.info("starting: Flopsar Server TEST STAND-IN, settings %s, data %s", settings.path, settings.data_dir)
    contexts = tls_contexts(settings)
    try:
        opened = open_all(settings.listeners)
    except OSError as exc:
        LOG.error("%s", exc)
        return EXIT_BIND_FAILED
    for _sock, listener in opened:
        LOG.info("listening: %s", listener)
    LOG.info("started")
    try:
        serve(opened, contexts)
    finally:
        for sock, _listener in opened:
            sock.close()
    LOG.info("stopped")
    return 0


# ----------------------------------------------------------------------------- command line
def setup_logging():
    """Log to stderr, which systemd sends to the journal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)


def add_syslog(address="/dev/log"):
    """``[logger].backend = "Syslog"``: also log to the syslog socket as ``flopsar``; skip it when absent."""
    if not os.path.exists(address):
        return
    handler = logging.handlers.SysLogHandler(address=address)
    handler.ident = "flopsar: "
    LOG.addHandler(handler)


def parse_args(argv):
    """The 6.x CLI form: ``flopsar-server start -c <settings.toml>``."""
    parser = argparse.ArgumentParser(
        prog="flopsar-server",
        description="Flopsar Server 7 TEST STAND-IN (not the product): see its README.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    start = commands.add_parser("start", help="start the server in the foreground")
    start.add_argument(
        "-c", "--config", default=DEFAULT_SETTINGS, help=f"path of settings.toml (default {DEFAULT_SETTINGS})"
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point: validate everything, then bind everything, then serve."""
    args = parse_args(argv)
    setup_logging()
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        LOG.error("refusing to start: %s: %s", args.config, exc)
        return EXIT_CONFIG_ERROR
    if settings.log_backend == "Syslog":
        add_syslog()
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
