# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live, read-only checks of the LDAP settings from the host that will connect, and certificate parsing.

This is the half of the LDAP validation that needs the network or a library
outside the standard library; ldap_checks.py holds the pure half.

``run_probe(network, request)`` walks the stages the Flopsar Server goes
through at a login (flopsar.md 3.4): resolve the directory's name, connect,
TLS handshake with certificate and host-name verification, bind as the service
account, check the user base DN, search for a test user with the filter, and
bind as that user. It stops at the first stage that fails and returns a report
plus findings with their own codes (``DNS_FAILED``, ``TCP_FAILED``, ...).
Nothing is written to the directory.

Every socket, ssl and ldap3 call is a method of ``SystemNetwork`` (and of the
session it opens), so tests hand ``run_probe`` a fake with the same methods.
``SystemNetwork(strategy=ldap3.MOCK_SYNC)`` runs the real ldap3 adapter against
ldap3's in-memory directory.

``ca_facts(pem)`` turns a CA bundle into the facts ``_ldap.ca.check_ca()``
judges, with ``cryptography`` when it is importable and with Python's ``ssl``
module otherwise.

Passwords go to the directory and nowhere else: no message built here contains one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import ipaddress
import re
import socket
import ssl
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.ca import (
    pem_blocks,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.filter import (
    attribute_type,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.filter import (
    search_filter as build_search_filter,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
)

try:
    import ldap3
    from ldap3.core.exceptions import LDAPException
except ImportError:
    ldap3 = None
    LDAPException = None
    LDAP3_IMPORT_ERROR = traceback.format_exc()
else:
    LDAP3_IMPORT_ERROR = None
HAS_LDAP3 = ldap3 is not None

try:
    from cryptography import x509
except ImportError:
    x509 = None
HAS_CRYPTOGRAPHY = x509 is not None

LEVELS = ("connect", "bind", "search")
CERT_EXPIRY_WARNING_DAYS = 30
_UTC = timezone.utc  # noqa: UP017  (datetime.UTC is Python 3.11+; hosts may be older)
_TIMEOUTS = (socket.timeout, TimeoutError)  # distinct classes before Python 3.10

# Active Directory's sub-codes in the diagnostic message of a failed bind ("... data 52e, v4563").
AD_BIND_REASONS = {
    "525": "the account does not exist",
    "52e": "the password is wrong",
    "530": "the account may not log on at this time",
    "531": "the account may not log on from this host",
    "532": "the password has expired",
    "533": "the account is disabled",
    "701": "the account has expired",
    "773": "the password must be changed at next logon",
    "775": "the account is locked out",
}


# --------------------------------------------------------------------------- the real calls


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def tls_context(ca_pem, verify):
    """Verification against ``ca_pem`` only (the system store without one), host name included."""
    if verify:
        return ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class SystemNetwork:
    """DNS, TCP and TLS through the standard library; LDAP through ldap3."""

    def __init__(self, strategy=None):
        self.strategy = strategy  # an ldap3 client strategy; tests pass ldap3.MOCK_SYNC

    def resolve(self, host, port):
        """Every address of host, in the resolver's order. Raises OSError (socket.gaierror)."""
        out = []
        for _family, _type, _proto, _canon, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            if sockaddr[0] not in out:
                out.append(sockaddr[0])
        return out

    def connect(self, address, port, timeout):
        """Open and close a TCP connection. Raises OSError (ConnectionRefusedError, TimeoutError, ...)."""
        with socket.create_connection((address, port), timeout=timeout):
            pass

    def handshake(self, address, port, server_name, ca_pem, verify, timeout):
        """TLS handshake with address, verified for server_name. Raises ssl.SSLError or OSError."""
        context = tls_context(ca_pem, verify)
        # Nested, not parenthesised: that form is Python 3.10+ syntax, and hosts may run 3.9.
        with socket.create_connection((address, port), timeout=timeout) as raw:  # noqa: SIM117
            with context.wrap_socket(raw, server_hostname=server_name) as tls:
                cert = tls.getpeercert() if verify else None
                cipher = tls.cipher()
                return {
                    "version": tls.version(),
                    "cipher": cipher[0] if cipher else None,
                    "not_after": (cert or {}).get("notAfter"),
                }

    def open_ldap(self, host, port, use_ssl, ca_pem, verify, timeout):
        return Ldap3Session(host, port, use_ssl, ca_pem, verify, timeout, self.strategy)


class Ldap3Session:
    """One directory server, one connection at a time (each bind opens a fresh one)."""

    def __init__(self, host, port, use_ssl, ca_pem, verify, timeout, strategy=None):
        tls = None
        if use_ssl:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if verify else ssl.CERT_NONE,
                ca_certs_data=ca_pem or None,
                sni=None if _is_ip(host) else host,
            )
        self.server = ldap3.Server(
            host, port=port, use_ssl=use_ssl, tls=tls, get_info=ldap3.NONE, connect_timeout=timeout
        )
        self._timeout = timeout
        self._strategy = strategy or ldap3.SYNC
        self._conn = None

    @staticmethod
    def _result(conn):
        result = conn.result or {}
        return {
            "result": result.get("result"),
            "description": result.get("description"),
            "message": result.get("message") or "",
            "matched": result.get("dn") or "",
        }

    def bind(self, dn, password):
        """-> {result, description, message, matched}. ldap3 raises LDAPException on transport errors."""
        self.close()
        if dn:
            auth = dict(user=dn, password=password, authentication=ldap3.SIMPLE)
        else:
            auth = dict(authentication=ldap3.ANONYMOUS)
        self._conn = ldap3.Connection(
            self.server,
            client_strategy=self._strategy,
            read_only=True,
            auto_referrals=False,
            raise_exceptions=False,
            receive_timeout=self._timeout,
            auto_escape=False,
            **auth,
        )
        self._conn.bind()
        return self._result(self._conn)

    def search(self, base, search_filter, scope, attributes, size_limit=0):
        """scope: 'base' or 'subtree'. -> {result, description, message, matched, entries: [{dn, attributes}]}."""
        conn = self._conn
        conn.search(
            base,
            search_filter,
            search_scope=ldap3.BASE if scope == "base" else ldap3.SUBTREE,
            attributes=attributes or ldap3.NO_ATTRIBUTES,
            size_limit=size_limit,
            time_limit=self._timeout,
        )
        out = self._result(conn)
        out["entries"] = [
            {"dn": item.get("dn"), "attributes": dict(item.get("attributes") or {})}
            for item in (conn.response or [])
            if item.get("type") == "searchResEntry"
        ]
        return out

    def close(self):
        if self._conn is not None:
            try:
                self._conn.unbind()
            except Exception:  # noqa: BLE001, S110  (closing is best effort)
                pass
            self._conn = None


# --------------------------------------------------------------------------- the probe


@dataclass
class ProbeRequest:
    host: str
    port: int
    user_base_dn: str
    user_filter: str
    level: str = "search"  # connect | bind | search
    use_ssl: bool = True
    skip_verify: bool = False
    ca_pem: object = None
    bind_dn: object = None
    bind_password: object = None
    uid_attribute: str = "uid"
    user_placeholder: str = "{username}"
    test_user: object = None
    test_password: object = None
    timeout: int = 5
    credentials_allowed: bool = True  # False when the offline checks found errors: no bind is attempted


class _Stop(Exception):
    pass


class _Probe:
    def __init__(self, network, request):
        self.net = network
        self.req = request
        self.findings = []
        self.report = {
            "level": request.level,
            "completed": False,
            "stages": [],
            "addresses": [],
            "reachable": [],
            "tls": [],
            "user_dn": None,
            "uid_value": None,
        }

    def ok(self, stage, message):
        self.report["stages"].append({"stage": stage, "ok": True, "message": message})

    def warn(self, code, field, message):
        self.findings.append(Finding(code, WARNING, field, message))

    def fail(self, stage, code, field, message):
        self.report["stages"].append({"stage": stage, "ok": False, "message": message, "code": code})
        self.findings.append(Finding(code, ERROR, field, message))
        raise _Stop()

    def skip(self, stage, message):
        self.report["stages"].append({"stage": stage, "ok": None, "message": message})
        raise _Stop()

    # -- stages

    def dns(self):
        req = self.req
        try:
            addresses = list(self.net.resolve(req.host, req.port))
        except (OSError, UnicodeError) as exc:
            self.fail(
                "dns",
                "DNS_FAILED",
                "url",
                "%s cannot be resolved on this host (%s). Check the name, /etc/resolv.conf, and that this "
                "host may reach its DNS servers (firewall_dns_servers under strict egress)." % (req.host, _reason(exc)),
            )
        if not addresses:
            self.fail("dns", "DNS_FAILED", "url", "%s resolves to no address on this host." % req.host)
        self.report["addresses"] = addresses
        self.ok("dns", "%s resolves to %s" % (req.host, ", ".join(addresses)))

    def tcp(self):
        req = self.req
        failures = []
        for address in self.report["addresses"]:
            try:
                self.net.connect(address, req.port, req.timeout)
            except ConnectionRefusedError:
                failures.append(
                    "%s: refused (nothing listens on port %d there, or a firewall rejects the connection)"
                    % (address, req.port)
                )
            except _TIMEOUTS:
                failures.append(
                    "%s: timed out after %ds (a firewall drops the packets: this host's egress rules, e.g. "
                    "firewall_egress of hardened.flopsar.firewall, or one on the way; or the host is down)"
                    % (address, req.timeout)
                )
            except OSError as exc:
                failures.append("%s: %s" % (address, _reason(exc)))
            else:
                self.report["reachable"].append(address)
        if not self.report["reachable"]:
            self.fail("tcp", "TCP_FAILED", "url", "No TCP connection to port %d: %s." % (req.port, "; ".join(failures)))
        if failures:
            self.warn(
                "TCP_PARTIAL",
                "url",
                "Port %d is reachable on %s but not on every address of %s: %s. Logins may stall while the "
                "product tries an unreachable address; allow them all or fix the DNS records."
                % (req.port, ", ".join(self.report["reachable"]), req.host, "; ".join(failures)),
            )
        self.ok("tcp", "port %d reachable on %s" % (req.port, ", ".join(self.report["reachable"])))

    def tls(self):
        req = self.req
        verify = not req.skip_verify
        for address in self.report["reachable"]:
            try:
                info = self.net.handshake(address, req.port, req.host, req.ca_pem, verify, req.timeout)
            except ssl.SSLCertVerificationError as exc:
                why = getattr(exc, "verify_message", None) or _reason(exc)
                self.fail(
                    "tls",
                    "TLS_VERIFY_FAILED",
                    "ca_cert",
                    "The certificate of %s (%s) does not verify: %s. The certificate must be issued by the CA in "
                    "ca_cert (or one the system trusts, without ca_cert) and name %s in its subject alternative "
                    "names; give the issuing CA, or connect by the name the certificate carries."
                    % (req.host, address, why, req.host),
                )
            except ssl.SSLError as exc:
                self.fail(
                    "tls",
                    "TLS_FAILED",
                    "use_ssl",
                    "TLS handshake with %s port %d failed: %s. Is this an LDAPS port (636)? A cleartext LDAP port "
                    "(389) cannot speak TLS directly, and old servers may offer only protocols this host refuses."
                    % (address, req.port, _reason(exc)),
                )
            except _TIMEOUTS:
                self.fail(
                    "tls",
                    "TLS_FAILED",
                    "use_ssl",
                    "No TLS handshake from %s port %d within %ds: the port may not speak TLS (is it 389?)."
                    % (address, req.port, req.timeout),
                )
            except OSError as exc:
                self.fail(
                    "tls",
                    "TLS_FAILED",
                    "use_ssl",
                    "TLS handshake with %s port %d failed: %s." % (address, req.port, _reason(exc)),
                )
            info = info or {}
            self.report["tls"].append(dict(info, address=address))
            expiry = _cert_time(info.get("not_after"))
            if expiry is not None and expiry < datetime.now(_UTC) + timedelta(days=CERT_EXPIRY_WARNING_DAYS):
                self.warn(
                    "TLS_CERT_EXPIRES_SOON",
                    "url",
                    "The certificate of %s (%s) expires on %s, in less than %d days."
                    % (req.host, address, expiry.strftime("%Y-%m-%d"), CERT_EXPIRY_WARNING_DAYS),
                )
        how = "certificate not verified (skip_verify)" if req.skip_verify else "certificate and host name verified"
        versions = sorted({t.get("version") or "?" for t in self.report["tls"]})
        self.ok("tls", "%s, %s" % ("/".join(versions), how))

    def bind(self, session):
        req = self.req
        who = "the service account %s" % req.bind_dn if req.bind_dn else "an anonymous bind"
        result = self._ldap("bind", lambda: session.bind(req.bind_dn, req.bind_password))
        if result["result"] != 0:
            self.fail(
                "bind",
                "BIND_FAILED",
                "bind_dn",
                "The directory refused %s: %s. %s" % (who, _describe(result), _bind_hint(result, service=True)),
            )
        self.ok("bind", "bound as %s" % (req.bind_dn or "anonymous"))

    def base_dn(self, session):
        req = self.req
        result = self._ldap("base_dn", lambda: session.search(req.user_base_dn, "(objectClass=*)", "base", []))
        code = result["result"]
        if code == 32:
            matched = " (the nearest existing entry is %s)" % result["matched"] if result["matched"] else ""
            self.fail(
                "base_dn",
                "BASE_DN_NOT_FOUND",
                "user_base_dn",
                "%s does not exist (noSuchObject)%s. Check user_base_dn." % (req.user_base_dn, matched),
            )
        if code == 10:
            self.fail(
                "base_dn",
                "BASE_DN_NOT_FOUND",
                "user_base_dn",
                "The directory answered with a referral: %s is not held by %s. Use a base DN inside this server's "
                "naming context (for Active Directory, the domain's DC=... components)." % (req.user_base_dn, req.host),
            )
        if code != 0:
            self.fail(
                "base_dn",
                "SEARCH_FAILED",
                "user_base_dn",
                "Reading %s failed: %s." % (req.user_base_dn, _describe(result)),
            )
        if not result["entries"]:
            self.fail(
                "base_dn",
                "BASE_DN_NOT_FOUND",
                "user_base_dn",
                "%s is not visible to %s: it does not exist, or access controls hide it. Check user_base_dn and "
                "the service account's read rights." % (req.user_base_dn, req.bind_dn or "an anonymous bind"),
            )
        self.ok("base_dn", "%s exists" % req.user_base_dn)

    def search(self, session):
        req = self.req
        if not req.test_user:
            self.fail(
                "search",
                "PROBE_TEST_USER_MISSING",
                "test_user",
                "probe=search needs test_user: the login name of a user who should be able to log in.",
            )
        search_filter = build_search_filter(req.user_filter, req.user_placeholder, req.uid_attribute, req.test_user)
        result = self._ldap(
            "search",
            lambda: session.search(req.user_base_dn, search_filter, "subtree", [req.uid_attribute], size_limit=2),
        )
        if result["result"] == 32:
            self.fail("search", "BASE_DN_NOT_FOUND", "user_base_dn", "%s does not exist." % req.user_base_dn)
        if result["result"] not in (0, 4):  # success, sizeLimitExceeded (two entries is all it takes)
            self.fail(
                "search",
                "SEARCH_FAILED",
                "user_filter",
                "The search %s under %s failed: %s." % (search_filter, req.user_base_dn, _describe(result)),
            )
        entries = result["entries"]
        if not entries:
            self.fail(
                "search",
                "SEARCH_NO_ENTRY",
                "user_filter",
                "No entry under %s matches %s. Check the filter and its attribute names, user_base_dn (users must "
                "be below it), test_user, and the service account's read rights." % (req.user_base_dn, search_filter),
            )
        if len(entries) > 1:
            self.fail(
                "search",
                "SEARCH_MULTIPLE_ENTRIES",
                "user_filter",
                "More than one entry matches %s (%s%s); a login must find exactly one. Make the filter match a "
                "unique attribute, or narrow user_base_dn."
                % (search_filter, "; ".join(str(e["dn"]) for e in entries[:2]), ", ..." if result["result"] else ""),
            )
        entry = entries[0]
        self.report["user_dn"] = entry["dn"]
        values = _uid_values(entry["attributes"], req.uid_attribute)
        if not values:
            self.fail(
                "search",
                "UID_ATTRIBUTE_MISSING",
                "uid_attribute",
                "The entry %s has no %s attribute, or the service account may not read it. Choose the attribute "
                "that holds the login name (uid for OpenLDAP, sAMAccountName for Active Directory)."
                % (entry["dn"], req.uid_attribute),
            )
        self.report["uid_value"] = _text(values[0])
        self.ok("search", "found %s with %s=%s" % (entry["dn"], req.uid_attribute, self.report["uid_value"]))

    def user_bind(self):
        req = self.req
        session = self.net.open_ldap(req.host, req.port, req.use_ssl, req.ca_pem, not req.skip_verify, req.timeout)
        try:
            result = self._ldap("user_bind", lambda: session.bind(self.report["user_dn"], req.test_password))
        finally:
            session.close()
        if result["result"] != 0:
            self.fail(
                "user_bind",
                "USER_BIND_FAILED",
                "test_password",
                "Binding as %s failed: %s. %s"
                % (self.report["user_dn"], _describe(result), _bind_hint(result, service=False)),
            )
        self.ok("user_bind", "bound as %s" % self.report["user_dn"])

    def _ldap(self, stage, call):
        try:
            return call()
        except (OSError, ssl.SSLError) as exc:
            reason = _reason(exc)
        except Exception as exc:  # ldap3 raises its own hierarchy, and only it is expected here
            if LDAPException is None or not isinstance(exc, LDAPException):
                raise
            reason = _reason(exc)
        self.fail(
            stage,
            "LDAP_FAILED",
            "url",
            "The LDAP exchange with %s port %d failed (%s): is it an LDAP server, and does use_ssl match the port?"
            % (self.req.host, self.req.port, reason),
        )
        return None  # not reached

    def run(self):
        req = self.req
        if req.level not in LEVELS:
            raise ValueError("level must be one of %s" % ", ".join(LEVELS))
        session = None
        try:
            self.dns()
            self.tcp()
            if req.use_ssl:
                self.tls()
            if req.level == "connect":
                self.report["completed"] = True
                return
            if not req.credentials_allowed:
                self.skip("bind", "skipped: the offline checks found errors; no credentials were sent")
            session = self.net.open_ldap(req.host, req.port, req.use_ssl, req.ca_pem, not req.skip_verify, req.timeout)
            self.bind(session)
            if req.level == "bind":
                self.report["completed"] = True
                return
            self.base_dn(session)
            self.search(session)
            if req.test_password:
                self.user_bind()
            self.report["completed"] = True
        except _Stop:
            pass
        finally:
            if session is not None:
                session.close()


def run_probe(network, request):
    """Run the stages up to ``request.level``. Returns ``(report, findings)``."""
    probe = _Probe(network, request)
    probe.run()
    return probe.report, probe.findings


# --------------------------------------------------------------------------- helpers


def _reason(exc):
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror and not text:
        text = exc.strerror
    return text or exc.__class__.__name__


def _describe(result):
    text = "%s (%s)" % (result.get("description") or "error", result.get("result"))
    if result.get("message"):
        text += ": %s" % result["message"].strip()
    return text


def _bind_hint(result, service):
    message = result.get("message") or ""
    match = re.search(r"\bdata ([0-9a-f]{3,4})\b", message, re.I)
    if match and match.group(1).lower() in AD_BIND_REASONS:
        return "Active Directory says %s." % AD_BIND_REASONS[match.group(1).lower()]
    code = result.get("result")
    if code == 49:
        if service:
            return "Check bind_dn (the full DN of the service account) and bind_password."
        return "Check test_password; the user's entry was found, so the filter and base DN are right."
    if code in (8, 13):
        return "The directory requires a protected connection: turn use_ssl on."
    if code == 53:
        return "The directory is unwilling to perform the bind (anonymous or unauthenticated binds disabled?)."
    return ""


def _uid_values(attributes, uid_attribute):
    """The non-empty values of uid_attribute in an entry (names compared without case and options)."""

    def non_empty(values):
        values = values if isinstance(values, (list, tuple)) else [values]
        return [v for v in values if v not in (None, "", b"")]

    wanted = attribute_type(uid_attribute)
    for name, values in attributes.items():
        if attribute_type(name) == wanted:
            return non_empty(values)
    if wanted[:1].isdigit() and len(attributes) == 1:  # asked by OID, the server answers with the name
        return non_empty(next(iter(attributes.values())))
    return []


def _text(value):
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    return str(value)


def _cert_time(text):
    if not text:
        return None
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(text), _UTC)
    except ValueError:
        return None


# --------------------------------------------------------------------------- CA certificate facts


def ca_facts(pem_text):
    """The facts of every certificate in a PEM bundle, for ``_ldap.ca.check_ca()``.

    Returns ``(facts, error)``: ``facts`` a list of ``{subject, is_ca, not_before, not_after}``,
    ``error`` a reason when a certificate cannot be parsed (then ``facts`` is None).
    """
    if HAS_CRYPTOGRAPHY:
        return _facts_cryptography(pem_text)
    return _facts_ssl(pem_text)


def _facts_cryptography(pem_text):
    facts = []
    blocks = [body for label, body in pem_blocks(pem_text) if label == "CERTIFICATE"]
    for number, body in enumerate(blocks, 1):
        pem = "-----BEGIN CERTIFICATE-----%s-----END CERTIFICATE-----\n" % body
        try:
            cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        except (ValueError, TypeError, UnicodeError) as exc:
            return None, "certificate %d of %d is not a valid X.509 certificate (%s)" % (number, len(blocks), exc)
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = None
        except ValueError as exc:  # a malformed extension
            return None, "certificate %d of %d has a malformed extension (%s)" % (number, len(blocks), exc)
        facts.append(
            {
                "subject": cert.subject.rfc4514_string(),
                "is_ca": is_ca,
                "not_before": _utc(cert, "not_valid_before"),
                "not_after": _utc(cert, "not_valid_after"),
            }
        )
    return facts, None


def _utc(cert, name):
    value = getattr(cert, name + "_utc", None)  # cryptography >= 42
    if value is None:
        value = getattr(cert, name).replace(tzinfo=_UTC)
    return value


def _facts_ssl(pem_text):
    """Without cryptography: OpenSSL parses the bundle; only its CA certificates expose their details."""
    blocks = [body for label, body in pem_blocks(pem_text) if label == "CERTIFICATE"]
    if not blocks:
        return [], None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(
            cadata="".join("-----BEGIN CERTIFICATE-----%s-----END CERTIFICATE-----\n" % b for b in blocks)
        )
    except (ssl.SSLError, ValueError) as exc:
        return None, "OpenSSL cannot load it (%s)" % _reason(exc)
    facts = []
    for cert in context.get_ca_certs():
        facts.append(
            {
                "subject": ",".join("%s=%s" % pair for rdn in cert.get("subject", ()) for pair in rdn),
                "is_ca": True,
                "not_before": _cert_time(cert.get("notBefore")),
                "not_after": _cert_time(cert.get("notAfter")),
            }
        )
    stats = context.cert_store_stats()
    for _n in range(stats.get("x509", 0) - stats.get("x509_ca", 0)):
        facts.append(
            {"subject": "(a certificate in the bundle)", "is_ca": False, "not_before": None, "not_after": None}
        )
    return facts, None
