# -*- coding: utf-8 -*-
"""The live probe, against fakes: no network (one group of tests uses loopback sockets only)."""

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta

import ldap3
import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils import ldap_probe
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.ca import (
    check_ca,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
)
from ansible_collections.hardened.flopsar.plugins.module_utils.ldap_probe import (
    ProbeRequest,
    SystemNetwork,
    ca_facts,
    run_probe,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SECRET = "S3cr3t-bind-pw"  # noqa: S105  (test data, must never show up in output)
USER_SECRET = "us3r-pw"  # noqa: S105
BASE = "ou=People,dc=example,dc=com"
SVC = "cn=svc,dc=example,dc=com"
JDOE = "uid=jdoe,ou=People,dc=example,dc=com"


# --------------------------------------------------------------------------- fakes


class FakeSession:
    def __init__(self, net):
        self.net = net
        self.closed = False

    def bind(self, dn, password):
        self.net.calls.append(("bind", dn))
        if self.net.ldap_error:
            raise self.net.ldap_error
        if dn in self.net.passwords and self.net.passwords[dn] == password:
            return {"result": 0, "description": "success", "message": "", "matched": ""}
        if dn is None and self.net.anonymous:
            return {"result": 0, "description": "success", "message": "", "matched": ""}
        return dict(self.net.bind_failure)

    def search(self, base, search_filter, scope, attributes, size_limit=0):
        self.net.calls.append(("search", base, search_filter, scope, tuple(attributes), size_limit))
        if scope == "base":
            if self.net.base_result is not None:
                return dict(self.net.base_result)
            if base in self.net.entries:
                return {"result": 0, "description": "success", "message": "", "matched": "", "entries": [{"dn": base}]}
            return {
                "result": 32,
                "description": "noSuchObject",
                "message": "",
                "matched": "dc=example,dc=com",
                "entries": [],
            }
        if self.net.search_result is not None:
            return dict(self.net.search_result)
        return {"result": 0, "description": "success", "message": "", "matched": "", "entries": self.net.users}

    def close(self):
        self.closed = True


class FakeNetwork:
    """Answers like a directory at dir.example.com (192.0.2.10, 2001:db8::10) whose checks all pass."""

    def __init__(self):
        self.addresses = ["192.0.2.10", "2001:db8::10"]
        self.resolve_error = None
        self.connect_errors = {}
        self.handshake_errors = {}
        self.cert_not_after = "Jan  1 00:00:00 2099 GMT"
        self.ldap_error = None
        self.passwords = {SVC: SECRET, JDOE: USER_SECRET}
        self.anonymous = False
        self.bind_failure = {"result": 49, "description": "invalidCredentials", "message": "", "matched": ""}
        self.entries = {BASE: {}}
        self.base_result = None
        self.search_result = None
        self.users = [{"dn": JDOE, "attributes": {"uid": ["jdoe"], "cn": ["John Doe"]}}]
        self.calls = []
        self.sessions = []

    def resolve(self, host, port):
        self.calls.append(("resolve", host, port))
        if self.resolve_error:
            raise self.resolve_error
        return list(self.addresses)

    def connect(self, address, port, timeout):
        self.calls.append(("connect", address, port, timeout))
        if address in self.connect_errors:
            raise self.connect_errors[address]

    def handshake(self, address, port, server_name, ca_pem, verify, timeout):
        self.calls.append(("handshake", address, port, server_name, ca_pem, verify))
        if address in self.handshake_errors:
            raise self.handshake_errors[address]
        return {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "not_after": self.cert_not_after}

    def open_ldap(self, host, port, use_ssl, ca_pem, verify, timeout):
        self.calls.append(("open_ldap", host, port, use_ssl, ca_pem, verify))
        session = FakeSession(self)
        self.sessions.append(session)
        return session


def request(**overrides):
    values = {
        "host": "dir.example.com",
        "port": 636,
        "user_base_dn": BASE,
        "user_filter": "(&(objectClass=person)(uid={username}))",
        "level": "search",
        "use_ssl": True,
        "skip_verify": False,
        "ca_pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "bind_dn": SVC,
        "bind_password": SECRET,
        "uid_attribute": "uid",
        "test_user": "jdoe",
        "test_password": USER_SECRET,
        "timeout": 3,
    }
    values.update(overrides)
    return ProbeRequest(**values)


def codes(findings):
    return [f.code for f in findings]


def stages(report):
    return [(s["stage"], s["ok"]) for s in report["stages"]]


def no_secret_anywhere(report, findings):
    text = repr(report) + repr([f.as_dict() for f in findings])
    assert SECRET not in text and USER_SECRET not in text


# --------------------------------------------------------------------------- the happy path


def test_everything_passes():
    net = FakeNetwork()
    report, findings = run_probe(net, request())
    assert findings == []
    assert report["completed"] is True
    assert stages(report) == [
        ("dns", True),
        ("tcp", True),
        ("tls", True),
        ("bind", True),
        ("base_dn", True),
        ("search", True),
        ("user_bind", True),
    ]
    assert report["addresses"] == ["192.0.2.10", "2001:db8::10"]
    assert report["reachable"] == ["192.0.2.10", "2001:db8::10"]
    assert report["user_dn"] == JDOE and report["uid_value"] == "jdoe"
    assert [t["address"] for t in report["tls"]] == ["192.0.2.10", "2001:db8::10"]
    # TLS: verified, for the configured name, against the given CA, on every address.
    handshakes = [c for c in net.calls if c[0] == "handshake"]
    assert [(c[1], c[3], c[5]) for c in handshakes] == [
        ("192.0.2.10", "dir.example.com", True),
        ("2001:db8::10", "dir.example.com", True),
    ]
    assert all(c[4].startswith("-----BEGIN CERTIFICATE") for c in handshakes)
    # The search: base scope for the base DN, then subtree with the filter, at most two entries, the uid asked for.
    searches = [c for c in net.calls if c[0] == "search"]
    assert searches == [
        ("search", BASE, "(objectClass=*)", "base", (), 0),
        ("search", BASE, "(&(objectClass=person)(uid=jdoe))", "subtree", ("uid",), 2),
    ]
    # The user bind is a fresh connection; every session was closed.
    assert [c[1] for c in net.calls if c[0] == "bind"] == [SVC, JDOE]
    assert len(net.sessions) == 2 and all(s.closed for s in net.sessions)
    no_secret_anywhere(report, findings)


@pytest.mark.parametrize(
    "level, last",
    [("connect", "tls"), ("bind", "bind"), ("search", "user_bind")],
)
def test_levels_stop_where_asked(level, last):
    report, findings = run_probe(FakeNetwork(), request(level=level))
    assert findings == [] and report["completed"] is True
    assert report["stages"][-1]["stage"] == last


def test_connect_level_opens_no_ldap_session():
    net = FakeNetwork()
    run_probe(net, request(level="connect"))
    assert not [c for c in net.calls if c[0] in ("open_ldap", "bind")]


def test_cleartext_has_no_tls_stage():
    net = FakeNetwork()
    report, findings = run_probe(net, request(use_ssl=False, port=389, ca_pem=None))
    assert findings == []
    assert "tls" not in [s["stage"] for s in report["stages"]]
    assert not [c for c in net.calls if c[0] == "handshake"]


def test_skip_verify_handshakes_without_verification():
    net = FakeNetwork()
    report, _findings = run_probe(net, request(skip_verify=True, level="connect"))
    assert [c[5] for c in net.calls if c[0] == "handshake"] == [False, False]
    assert "not verified" in report["stages"][-1]["message"]


def test_no_test_password_no_user_bind():
    net = FakeNetwork()
    report, findings = run_probe(net, request(test_password=None))
    assert findings == [] and report["stages"][-1]["stage"] == "search"
    assert [c[1] for c in net.calls if c[0] == "bind"] == [SVC]


def test_anonymous_bind():
    net = FakeNetwork()
    net.anonymous = True
    report, findings = run_probe(net, request(bind_dn=None, bind_password=None, level="bind"))
    assert findings == []
    assert report["stages"][-1]["message"] == "bound as anonymous"


def test_credentials_withheld_when_offline_checks_failed():
    net = FakeNetwork()
    report, findings = run_probe(net, request(credentials_allowed=False))
    assert findings == []
    assert stages(report) == [("dns", True), ("tcp", True), ("tls", True), ("bind", None)]
    assert report["completed"] is False
    assert not [c for c in net.calls if c[0] in ("open_ldap", "bind")]


def test_unknown_level():
    with pytest.raises(ValueError):
        run_probe(FakeNetwork(), request(level="everything"))


# --------------------------------------------------------------------------- each failure has its code


def only_error(findings, code):
    errors = [f for f in findings if f.severity == ERROR]
    assert [f.code for f in errors] == [code], findings
    return errors[0]


def test_dns_failed():
    net = FakeNetwork()
    net.resolve_error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    report, findings = run_probe(net, request())
    finding = only_error(findings, "DNS_FAILED")
    assert "dir.example.com" in finding.message and "Name or service not known" in finding.message
    assert stages(report) == [("dns", False)]
    assert report["stages"][0]["code"] == "DNS_FAILED"


def test_dns_no_address():
    net = FakeNetwork()
    net.addresses = []
    _report, findings = run_probe(net, request())
    only_error(findings, "DNS_FAILED")


def test_tcp_refused_and_timeout_are_told_apart():
    net = FakeNetwork()
    net.connect_errors = {
        "192.0.2.10": ConnectionRefusedError(111, "Connection refused"),
        "2001:db8::10": TimeoutError(),
    }
    report, findings = run_probe(net, request())
    finding = only_error(findings, "TCP_FAILED")
    assert "192.0.2.10: refused" in finding.message
    assert "2001:db8::10: timed out after 3s" in finding.message and "firewall drops" in finding.message
    assert stages(report) == [("dns", True), ("tcp", False)]


def test_tcp_timeout_with_a_message_is_a_timeout():
    net = FakeNetwork()
    net.addresses = ["192.0.2.10"]
    net.connect_errors = {"192.0.2.10": TimeoutError("timed out")}
    _report, findings = run_probe(net, request())
    assert "timed out after" in only_error(findings, "TCP_FAILED").message


def test_tcp_other_errors():
    net = FakeNetwork()
    net.addresses = ["192.0.2.10"]
    net.connect_errors = {"192.0.2.10": OSError(113, "No route to host")}
    _report, findings = run_probe(net, request())
    assert "No route to host" in only_error(findings, "TCP_FAILED").message


def test_tcp_partial_is_a_warning_and_the_probe_goes_on():
    net = FakeNetwork()
    net.connect_errors = {"2001:db8::10": OSError(101, "Network is unreachable")}
    report, findings = run_probe(net, request())
    assert [(f.code, f.severity) for f in findings] == [("TCP_PARTIAL", WARNING)]
    assert report["completed"] is True and report["reachable"] == ["192.0.2.10"]
    assert [c[1] for c in net.calls if c[0] == "handshake"] == ["192.0.2.10"]


def test_tls_verify_failed():
    net = FakeNetwork()
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "Hostname mismatch, certificate is not valid for 'dir.example.com'."
    net.handshake_errors = {"2001:db8::10": error}
    report, findings = run_probe(net, request())
    finding = only_error(findings, "TLS_VERIFY_FAILED")
    assert "2001:db8::10" in finding.message and "Hostname mismatch" in finding.message
    assert finding.field == "ca_cert"
    assert stages(report)[-1] == ("tls", False)


@pytest.mark.parametrize(
    "error, fragment",
    [
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "WRONG_VERSION_NUMBER"),
        (TimeoutError(), "No TLS handshake"),
        (ConnectionResetError(104, "Connection reset by peer"), "reset"),
    ],
)
def test_tls_failed(error, fragment):
    net = FakeNetwork()
    net.handshake_errors = {"192.0.2.10": error}
    _report, findings = run_probe(net, request())
    assert fragment in only_error(findings, "TLS_FAILED").message


def test_server_certificate_about_to_expire_is_a_warning():
    net = FakeNetwork()
    soon = datetime.now(UTC) + timedelta(days=3)
    net.cert_not_after = soon.strftime("%b %d %H:%M:%S %Y GMT")
    report, findings = run_probe(net, request(level="connect"))
    assert set(codes(findings)) == {"TLS_CERT_EXPIRES_SOON"}
    assert report["completed"] is True


@pytest.mark.parametrize(
    "failure, fragment",
    [
        ({"result": 49, "description": "invalidCredentials", "message": ""}, "bind_password"),
        (
            {
                "result": 49,
                "description": "invalidCredentials",
                "message": "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563",
            },
            "locked out",
        ),
        ({"result": 13, "description": "confidentialityRequired", "message": ""}, "turn use_ssl on"),
        ({"result": 53, "description": "unwillingToPerform", "message": ""}, "unwilling"),
        (
            {"result": 50, "description": "insufficientAccessRights", "message": "no"},
            "insufficientAccessRights (50): no",
        ),
    ],
)
def test_bind_failed(failure, fragment):
    net = FakeNetwork()
    net.passwords = {}
    net.bind_failure = dict(failure, matched="")
    report, findings = run_probe(net, request())
    finding = only_error(findings, "BIND_FAILED")
    assert fragment in finding.message and SVC in finding.message
    assert stages(report)[-1] == ("bind", False)
    no_secret_anywhere(report, findings)


def test_ldap_transport_failure():
    net = FakeNetwork()
    net.ldap_error = ldap3.core.exceptions.LDAPSocketOpenError("socket ssl wrapping error")
    report, findings = run_probe(net, request())
    assert "socket ssl wrapping error" in only_error(findings, "LDAP_FAILED").message
    assert stages(report)[-1] == ("bind", False)


def test_unexpected_exceptions_are_not_swallowed():
    net = FakeNetwork()
    net.ldap_error = KeyError("bug")
    with pytest.raises(KeyError):
        run_probe(net, request())


def test_base_dn_not_found():
    net = FakeNetwork()
    net.entries = {}
    _report, findings = run_probe(net, request())
    finding = only_error(findings, "BASE_DN_NOT_FOUND")
    assert "noSuchObject" in finding.message and "dc=example,dc=com" in finding.message


def test_base_dn_referral():
    net = FakeNetwork()
    net.base_result = {"result": 10, "description": "referral", "message": "", "matched": "", "entries": []}
    _report, findings = run_probe(net, request())
    assert "referral" in only_error(findings, "BASE_DN_NOT_FOUND").message


def test_base_dn_hidden():
    net = FakeNetwork()
    net.base_result = {"result": 0, "description": "success", "message": "", "matched": "", "entries": []}
    _report, findings = run_probe(net, request())
    assert "access controls" in only_error(findings, "BASE_DN_NOT_FOUND").message


def test_base_dn_search_failed():
    net = FakeNetwork()
    net.base_result = {"result": 1, "description": "operationsError", "message": "x", "matched": "", "entries": []}
    _report, findings = run_probe(net, request())
    assert "operationsError" in only_error(findings, "SEARCH_FAILED").message


def test_probe_search_without_test_user():
    report, findings = run_probe(FakeNetwork(), request(test_user=None))
    only_error(findings, "PROBE_TEST_USER_MISSING")
    assert stages(report)[-1] == ("search", False)
    assert ("base_dn", True) in stages(report)


def test_search_no_entry():
    net = FakeNetwork()
    net.users = []
    _report, findings = run_probe(net, request())
    assert "(&(objectClass=person)(uid=jdoe))" in only_error(findings, "SEARCH_NO_ENTRY").message


def test_search_multiple_entries():
    net = FakeNetwork()
    net.search_result = {
        "result": 4,
        "description": "sizeLimitExceeded",
        "message": "",
        "matched": "",
        "entries": [{"dn": JDOE, "attributes": {}}, {"dn": "uid=jdoe,ou=Old,dc=example,dc=com", "attributes": {}}],
    }
    _report, findings = run_probe(net, request())
    finding = only_error(findings, "SEARCH_MULTIPLE_ENTRIES")
    assert JDOE in finding.message and "ou=Old" in finding.message


def test_search_failed():
    net = FakeNetwork()
    net.search_result = {"result": 87, "description": "filterError", "message": "", "matched": "", "entries": []}
    _report, findings = run_probe(net, request())
    assert "filterError" in only_error(findings, "SEARCH_FAILED").message


def test_search_base_vanished():
    net = FakeNetwork()
    net.search_result = {"result": 32, "description": "noSuchObject", "message": "", "matched": "", "entries": []}
    _report, findings = run_probe(net, request())
    only_error(findings, "BASE_DN_NOT_FOUND")


@pytest.mark.parametrize("attributes", [{}, {"cn": ["John"]}, {"uid": []}, {"uid": [""]}])
def test_uid_attribute_missing(attributes):
    net = FakeNetwork()
    net.users = [{"dn": JDOE, "attributes": attributes}]
    _report, findings = run_probe(net, request())
    assert JDOE in only_error(findings, "UID_ATTRIBUTE_MISSING").message


@pytest.mark.parametrize(
    "uid_attribute, attributes, value",
    [
        ("sAMAccountName", {"sAMAccountName": "jdoe"}, "jdoe"),
        ("samaccountname", {"sAMAccountName": ["jdoe"]}, "jdoe"),
        ("uid;lang-en", {"uid": ["jdoe"]}, "jdoe"),
        ("0.9.2342.19200300.100.1.1", {"uid": ["jdoe"]}, "jdoe"),
        ("uid", {"uid": [b"jdoe"]}, "jdoe"),
        ("uid", {"uid": [b"\xff\x00"]}, "ff00"),
    ],
)
def test_uid_attribute_found(uid_attribute, attributes, value):
    net = FakeNetwork()
    net.users = [{"dn": JDOE, "attributes": attributes}]
    report, findings = run_probe(net, request(uid_attribute=uid_attribute))
    assert findings == []
    assert report["uid_value"] == value


def test_user_bind_failed():
    net = FakeNetwork()
    net.passwords = {SVC: SECRET, JDOE: "something else"}
    report, findings = run_probe(net, request())
    finding = only_error(findings, "USER_BIND_FAILED")
    assert JDOE in finding.message and "test_password" in finding.message
    assert stages(report)[-1] == ("user_bind", False)
    assert all(s.closed for s in net.sessions)
    no_secret_anywhere(report, findings)


@pytest.mark.parametrize(
    "login, sent",
    [
        ("*", "(&(objectClass=person)(uid=\\2a))"),
        ("admin)(|(uid=*", "(&(objectClass=person)(uid=admin\\29\\28|\\28uid=\\2a))"),
        ("back\\slash", "(&(objectClass=person)(uid=back\\5cslash))"),
        ("\u0141ukasz", "(&(objectClass=person)(uid=\u0141ukasz))"),
    ],
)
def test_the_test_user_is_escaped(login, sent):
    net = FakeNetwork()
    run_probe(net, request(test_user=login))
    assert [c[2] for c in net.calls if c[0] == "search"][-1] == sent


def test_custom_placeholder():
    net = FakeNetwork()
    run_probe(net, request(user_filter="(|(uid=%u)(mail=%u@example.com))", user_placeholder="%u"))
    assert [c[2] for c in net.calls if c[0] == "search"][-1] == "(|(uid=jdoe)(mail=jdoe@example.com))"


# --------------------------------------------------------------------------- the real ldap3 adapter, in memory


class MockDirectoryNetwork(SystemNetwork):
    """ldap3's MOCK_SYNC directory behind the real adapter; DNS, TCP and TLS faked."""

    def __init__(self):
        SystemNetwork.__init__(self, strategy=ldap3.MOCK_SYNC)
        self.server = None

    def resolve(self, host, port):
        return ["192.0.2.10"]

    def connect(self, address, port, timeout):
        return None

    def handshake(self, address, port, server_name, ca_pem, verify, timeout):
        return {"version": "TLSv1.3", "cipher": "x", "not_after": None}

    def open_ldap(self, host, port, use_ssl, ca_pem, verify, timeout):
        session = SystemNetwork.open_ldap(self, host, port, use_ssl, ca_pem, verify, timeout)
        if self.server is None:
            self.server = session.server
            admin = ldap3.Connection(session.server, client_strategy=ldap3.MOCK_SYNC)
            add = admin.strategy.add_entry
            add(SVC, {"objectClass": "person", "userPassword": SECRET})
            add(BASE, {"objectClass": "organizationalUnit"})
            add(JDOE, {"objectClass": "person", "uid": "jdoe", "userPassword": USER_SECRET})
            add("uid=a*b,ou=People,dc=example,dc=com", {"objectClass": "person", "uid": "a*b"})
            add("uid=twin,ou=People,dc=example,dc=com", {"objectClass": "person", "uid": "twin", "mail": "t@x"})
            add("uid=twin2,ou=People,dc=example,dc=com", {"objectClass": "person", "uid": "twin2", "mail": "t@x"})
        else:
            session.server = self.server
        return session


def test_ldap3_adapter_full_probe():
    report, findings = run_probe(MockDirectoryNetwork(), request(use_ssl=False, port=389))
    assert findings == [] and report["completed"] is True
    assert report["user_dn"] == JDOE and report["uid_value"] == "jdoe"


def test_ldap3_adapter_escaped_login_matches_literally():
    report, findings = run_probe(MockDirectoryNetwork(), request(use_ssl=False, test_user="a*b", test_password=None))
    assert findings == []
    assert report["user_dn"] == "uid=a*b,ou=People,dc=example,dc=com"


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"bind_password": "wrong"}, "BIND_FAILED"),
        ({"user_base_dn": "ou=Nobody,dc=example,dc=com"}, "BASE_DN_NOT_FOUND"),
        ({"test_user": "nobody"}, "SEARCH_NO_ENTRY"),
        ({"user_filter": "(mail={username})", "test_user": "t@x"}, "SEARCH_MULTIPLE_ENTRIES"),
        ({"uid_attribute": "employeeNumber"}, "UID_ATTRIBUTE_MISSING"),
        ({"test_password": "wrong"}, "USER_BIND_FAILED"),
    ],
)
def test_ldap3_adapter_failures(overrides, code):
    report, findings = run_probe(MockDirectoryNetwork(), request(use_ssl=False, **overrides))
    only_error(findings, code)
    no_secret_anywhere(report, findings)


def test_ldap3_tls_settings():
    session = SystemNetwork().open_ldap("dir.example.com", 636, True, "PEM", True, 4)
    tls = session.server.tls
    assert session.server.ssl is True and tls.validate == ssl.CERT_REQUIRED
    assert tls.ca_certs_data == "PEM" and tls.sni == "dir.example.com"
    assert SystemNetwork().open_ldap("192.0.2.10", 636, True, None, False, 4).server.tls.validate == ssl.CERT_NONE
    assert SystemNetwork().open_ldap("2001:db8::10", 636, True, None, True, 4).server.tls.sni is None
    assert SystemNetwork().open_ldap("dir.example.com", 389, False, None, True, 4).server.ssl is False


# --------------------------------------------------------------------------- CA certificate facts


def make_cert(common_name, is_ca=True, days=(-30, 365), issuer=None, basic_constraints=True, names=()):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days[0]))
        .not_valid_after(now + timedelta(days=days[1]))
    )
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return cert, key


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.fixture(params=["cryptography", "ssl"])
def facts_of(request, monkeypatch):
    if request.param == "ssl":
        monkeypatch.setattr(ldap_probe, "HAS_CRYPTOGRAPHY", False)
    return ca_facts


def test_ca_facts_of_a_ca(facts_of):
    ca, _key = make_cert("Example Root CA")
    facts, error = facts_of(pem(ca))
    assert error is None
    assert len(facts) == 1 and facts[0]["is_ca"] is True and "Example Root CA" in facts[0]["subject"]
    assert facts[0]["not_after"] > datetime.now(UTC)
    assert check_ca(facts, datetime.now(UTC)) == []


def test_ca_facts_of_a_leaf(facts_of):
    ca = make_cert("Example Root CA")
    leaf, _key = make_cert("dir.example.com", is_ca=False, issuer=ca)
    facts, error = facts_of(pem(ca[0]) + pem(leaf))
    assert error is None
    assert sorted(f["is_ca"] for f in facts) == [False, True]
    assert codes(check_ca(facts, datetime.now(UTC))) == ["CA_NOT_CA"]


def test_ca_facts_without_basic_constraints():
    cert, _key = make_cert("No Constraints", basic_constraints=False)
    facts, _error = ca_facts(pem(cert))
    assert facts[0]["is_ca"] is None
    assert "no basicConstraints" in check_ca(facts, datetime.now(UTC))[0].message


def test_ca_facts_expired_and_future(facts_of):
    old, _k = make_cert("Old CA", days=(-400, -1))
    new, _k = make_cert("New CA", days=(2, 400))
    facts, _error = facts_of(pem(old) + pem(new))
    assert codes(check_ca(facts, datetime.now(UTC))) == ["CA_EXPIRED", "CA_NOT_YET_VALID"]


def test_ca_facts_unparsable(facts_of):
    facts, error = facts_of("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    assert facts is None and error
    assert codes(check_ca(facts, datetime.now(UTC), parse_error=error)) == ["CA_UNPARSABLE"]


def test_ca_facts_of_nothing(facts_of):
    assert facts_of("no pem here") == ([], None)


# --------------------------------------------------------------------------- the real transport, on loopback only


@pytest.fixture(scope="module")
def tls_server():
    """A TLS server on 127.0.0.1 whose certificate names 'localhost' and 127.0.0.1, issued by a test CA."""
    ca = make_cert("Probe Test CA")
    leaf, key = make_cert(
        "localhost",
        is_ca=False,
        issuer=ca,
        names=[x509.DNSName("localhost"), x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))],
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
        handle.write(pem(leaf))
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode("ascii")
        )
        path = handle.name
    context.load_cert_chain(path)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn):
        try:
            conn.settimeout(5)
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def serve():
        # A thread per connection: a client that keeps its connection open never delays the next test's.
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield {"port": listener.getsockname()[1], "ca": pem(ca[0]), "other_ca": pem(make_cert("Other CA")[0])}
    stop.set()
    thread.join(2)
    listener.close()
    __import__("os").unlink(path)


def closed_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_system_resolve_of_an_address():
    assert SystemNetwork().resolve("127.0.0.1", 636) == ["127.0.0.1"]


def test_system_connect_refused():
    with pytest.raises(ConnectionRefusedError):
        SystemNetwork().connect("127.0.0.1", closed_port(), 2)


def test_system_handshake_verified(tls_server):
    info = SystemNetwork().handshake("127.0.0.1", tls_server["port"], "localhost", tls_server["ca"], True, 3)
    assert info["version"] in ("TLSv1.2", "TLSv1.3") and info["not_after"]


def test_system_handshake_wrong_ca(tls_server):
    with pytest.raises(ssl.SSLCertVerificationError):
        SystemNetwork().handshake("127.0.0.1", tls_server["port"], "localhost", tls_server["other_ca"], True, 3)


def test_system_handshake_wrong_name(tls_server):
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        SystemNetwork().handshake("127.0.0.1", tls_server["port"], "dir.example.com", tls_server["ca"], True, 3)
    assert "dir.example.com" in str(info.value)


def test_system_handshake_unverified(tls_server):
    info = SystemNetwork().handshake("127.0.0.1", tls_server["port"], "anything", None, False, 3)
    assert info["not_after"] is None


def test_system_probe_on_loopback(tls_server):
    report, findings = run_probe(
        SystemNetwork(), request(host="127.0.0.1", port=tls_server["port"], ca_pem=tls_server["ca"], level="connect")
    )
    assert findings == [] and report["completed"] is True
    _report, findings = run_probe(
        SystemNetwork(),
        request(host="127.0.0.1", port=tls_server["port"], ca_pem=tls_server["other_ca"], level="connect"),
    )
    assert codes(findings) == ["TLS_VERIFY_FAILED"]
    _report, findings = run_probe(SystemNetwork(), request(host="127.0.0.1", port=closed_port(), level="connect"))
    assert codes(findings) == ["TCP_FAILED"] and "refused" in findings[0].message


def test_system_ldap3_verifies_tls_too(tls_server):
    session = SystemNetwork().open_ldap("127.0.0.1", tls_server["port"], True, tls_server["other_ca"], True, 3)
    with pytest.raises(ldap3.core.exceptions.LDAPSocketOpenError, match="CERTIFICATE_VERIFY_FAILED"):
        session.bind(SVC, SECRET)
    session.close()


def test_system_probe_reaches_ldap3_on_loopback(tls_server):
    # The loopback server speaks TLS but not LDAP: TLS passes (verified by ldap3 as well), the bind cannot.
    report, findings = run_probe(
        SystemNetwork(), request(host="127.0.0.1", port=tls_server["port"], ca_pem=tls_server["ca"], level="bind")
    )
    assert [(s["stage"], s["ok"]) for s in report["stages"]] == [
        ("dns", True),
        ("tcp", True),
        ("tls", True),
        ("bind", False),
    ]
    assert codes(findings) == ["LDAP_FAILED"]
    no_secret_anywhere(report, findings)
