# -*- coding: utf-8 -*-
"""hardened.flopsar.ldap_validate driven through main(), with the network faked."""

import json
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.hardened.flopsar.plugins.module_utils import ldap_checks, ldap_probe
from ansible_collections.hardened.flopsar.plugins.modules import ldap_validate
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[4]
BIND_PW = "Bind-Pa55-never-shown"
USER_PW = "User-Pa55-never-shown"
BASE = "ou=People,dc=example,dc=com"
SVC = "cn=Flopsar\\, Service,ou=Services,dc=example,dc=com"
JDOE = "uid=jdoe,ou=People,dc=example,dc=com"


def make_ca(is_ca=True, days=(-30, 365)):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Root CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days[0]))
        .not_valid_after(now + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


CA_PEM = make_ca()


class FakeSession:
    def __init__(self, net):
        self.net = net

    def bind(self, dn, password):
        self.net.calls.append(("bind", dn))
        ok = {SVC: BIND_PW, JDOE: USER_PW}.get(dn) == password
        return {
            "result": 0 if ok else 49,
            "description": "success" if ok else "invalidCredentials",
            "message": "",
            "matched": "",
        }

    def search(self, base, search_filter, scope, attributes, size_limit=0):
        self.net.calls.append(("search", base, search_filter, scope))
        if scope == "base":
            entries = [{"dn": base}]
        else:
            entries = [{"dn": JDOE, "attributes": {"uid": ["jdoe"]}}] if "=jdoe)" in search_filter else []
        return {"result": 0, "description": "success", "message": "", "matched": "", "entries": entries}

    def close(self):
        pass


class FakeNetwork:
    def __init__(self):
        self.addresses = ["192.0.2.10", "2001:db8::10"]
        self.resolve_errors = []
        self.calls = []

    def resolve(self, host, port):
        self.calls.append(("resolve", host, port))
        if self.resolve_errors:
            raise self.resolve_errors[0]
        return list(self.addresses)

    def connect(self, address, port, timeout):
        self.calls.append(("connect", address, port))

    def handshake(self, address, port, server_name, ca_pem, verify, timeout):
        self.calls.append(("handshake", address, server_name, bool(ca_pem), verify))
        return {"version": "TLSv1.3", "cipher": "TLS_AES_128_GCM_SHA256", "not_after": "Jan  1 00:00:00 2099 GMT"}

    def open_ldap(self, host, port, use_ssl, ca_pem, verify, timeout):
        self.calls.append(("open_ldap", host, port, use_ssl))
        return FakeSession(self)


@pytest.fixture
def net(monkeypatch):
    fake = FakeNetwork()
    monkeypatch.setattr(ldap_validate, "SystemNetwork", lambda: fake)
    return fake


GOOD = {
    "url": "dc01.example.com:636",
    "bind_dn": SVC,
    "bind_password": BIND_PW,
    "user_base_dn": BASE,
    "user_filter": "(&(objectClass=person)(|(uid={username})(mail={username})))",
    "ca_cert": CA_PEM,
}


def good(**overrides):
    args = dict(GOOD)
    args.update(overrides)
    return args


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as info:
        ldap_validate.main()
    out = capsys.readouterr().out
    assert BIND_PW not in out and USER_PW not in out
    return info.value.code, json.loads(out)


def codes(result):
    return [f["code"] for f in result["findings"]]


# --------------------------------------------------------------------------- offline


def test_good_settings(capsys, net):
    rc, result = run(capsys, **GOOD)
    assert rc == 0
    assert result["changed"] is False and result["valid"] is True and result["findings"] == []
    assert result["settings"] == {
        "scheme": "ldaps",
        "host": "dc01.example.com",
        "port": 636,
        "url_for_product": "dc01.example.com:636",
        "use_ssl": True,
        "skip_verify": False,
        "bind_dn": SVC,
        "user_base_dn": BASE,
        "user_filter": GOOD["user_filter"],
        "uid_attribute": "uid",
        "ca_certificate": CA_PEM,
    }
    assert result["egress"] == [
        {
            "name": "ldaps to dc01.example.com",
            "host": "dc01.example.com",
            "port": 636,
            "addresses": ["192.0.2.10", "2001:db8::10"],
            "protocol": "tcp",
        }
    ]
    assert result["probe"] == {"level": "none", "completed": False, "stages": []}
    # probe=none: the name is resolved for the egress entry, nothing else touches the network.
    assert net.calls == [("resolve", "dc01.example.com", 636)]


def test_egress_feeds_the_firewall_plan(capsys, net):
    from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_plan import outbound

    _rc, result = run(capsys, **GOOD)
    errors = []
    rules = outbound(result["egress"], errors)
    assert errors == []
    assert [(r["family"], r["port"], r["daddr"]) for r in rules] == [
        ("ipv4", 636, ["192.0.2.10/32"]),
        ("ipv6", 636, ["2001:db8::10/128"]),
    ]


def test_egress_empty_when_the_name_does_not_resolve(capsys, net):
    net.resolve_errors = [socket.gaierror(socket.EAI_NONAME, "Name or service not known")]
    rc, result = run(capsys, **GOOD)
    assert rc == 0 and result["valid"] is True
    assert result["egress"][0]["addresses"] == []


def test_errors_fail_the_task_and_name_their_codes(capsys, net):
    rc, result = run(
        capsys,
        **good(
            url="ldap://dc01.example.com:636",
            user_base_dn="ou=People;dc=example",
            user_filter="({username}=jdoe)",
            skip_verify=True,
        ),
    )
    assert rc == 1 and result["failed"] is True and result["valid"] is False
    assert result["msg"].startswith(
        "LDAP settings are not valid: URL_SCHEME_CONFLICT, SKIP_VERIFY, DN_SYNTAX, FILTER_NO_PLACEHOLDER."
    )
    assert set(codes(result)) >= {
        "URL_SCHEME_CONFLICT",
        "SKIP_VERIFY",
        "CA_IGNORED",
        "DN_SYNTAX",
        "FILTER_NO_PLACEHOLDER",
    }
    assert result["changed"] is False
    assert result["settings"]["ca_certificate"] is None  # skip_verify: the CA is not used
    assert result["settings"]["skip_verify"] is True


def test_fail_on_error_false_reports_instead(capsys, net):
    rc, result = run(capsys, **good(use_ssl=False, fail_on_error=False))
    assert rc == 0 and "failed" not in result
    assert result["valid"] is False
    assert "CLEARTEXT_LDAP" in codes(result) and "PORT_PROTOCOL_MISMATCH" in codes(result)


def test_lab_profile_turns_cleartext_into_a_warning(capsys, net, monkeypatch):
    # Where module warnings end up depends on whether controller code is loaded in the process
    # (ansible-core 2.19 routes them to Display then): record the calls instead.
    warned = []
    monkeypatch.setattr(ldap_validate.AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    rc, result = run(capsys, **good(url="ldap.lab.test", use_ssl=False, profile="lab", ca_cert=None))
    assert rc == 0 and result["valid"] is True
    assert codes(result) == ["CLEARTEXT_LDAP"]
    assert len(warned) == 1 and warned[0].startswith("CLEARTEXT_LDAP (use_ssl): use_ssl is off")
    assert result["settings"]["url_for_product"] == "ldap.lab.test:389"
    assert result["egress"][0]["name"] == "ldap to ldap.lab.test"


def test_unparsable_url_gives_no_egress(capsys, net):
    rc, result = run(capsys, **good(url="2001:db8::1:636", fail_on_error=False, probe="connect"))
    assert rc == 0 and codes(result) == ["URL_BAD_HOST"]
    assert result["egress"] == []
    assert result["settings"]["host"] is None and result["settings"]["url_for_product"] is None
    assert result["probe"]["stages"] == [{"stage": "dns", "ok": None, "message": "skipped: the URL cannot be parsed"}]
    assert net.calls == []


def test_ipv6_url(capsys, net):
    rc, result = run(capsys, **good(url="[2001:db8::10]", fail_on_error=False))
    assert rc == 0
    assert result["settings"]["url_for_product"] == "[2001:db8::10]:636"
    assert codes(result) == ["URL_IP_WITH_TLS"]


# --------------------------------------------------------------------------- CA certificate


def test_ca_cert_from_a_file(capsys, net, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(CA_PEM)
    rc, result = run(capsys, **good(ca_cert=str(path)))
    assert rc == 0 and result["findings"] == []
    assert result["settings"]["ca_certificate"] == CA_PEM


def test_ca_cert_file_missing(capsys, net, tmp_path):
    rc, result = run(capsys, **good(ca_cert=str(tmp_path / "nope.pem")))
    assert rc == 1 and codes(result) == ["CA_UNREADABLE"]
    assert "No such file" in result["findings"][0]["message"]


def test_ca_cert_file_without_pem(capsys, net, tmp_path):
    path = tmp_path / "ca.cer"
    path.write_bytes(b"\x30\x82\x01\x00binary DER")
    rc, result = run(capsys, **good(ca_cert=str(path)))
    assert rc == 1 and codes(result) == ["CA_UNPARSABLE"]


def test_ca_cert_file_too_large(capsys, net, tmp_path):
    path = tmp_path / "huge.pem"
    path.write_text("x" * (ldap_validate.MAX_CA_BYTES + 10))
    rc, result = run(capsys, **good(ca_cert=str(path)))
    assert rc == 1 and codes(result) == ["CA_UNPARSABLE"]


@pytest.mark.parametrize(
    "pem, expected",
    [
        (make_ca(is_ca=False), ["CA_NOT_CA"]),
        (make_ca(days=(-400, -2)), ["CA_EXPIRED"]),
        (make_ca(days=(3, 400)), ["CA_NOT_YET_VALID"]),
        (make_ca(days=(-400, 5)), ["CA_EXPIRES_SOON"]),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", ["CA_UNPARSABLE"]),
        (CA_PEM + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ["CA_PRIVATE_KEY"]),
    ],
)
def test_ca_cert_problems(capsys, net, pem, expected):
    _rc, result = run(capsys, **good(ca_cert=pem, fail_on_error=False))
    assert codes(result) == expected


def test_no_ca_cert_is_a_warning(capsys, net):
    rc, result = run(capsys, **good(ca_cert=None))
    assert rc == 0 and codes(result) == ["CA_NOT_GIVEN"]
    assert result["settings"]["ca_certificate"] is None


# --------------------------------------------------------------------------- probe


def test_probe_search_with_a_user_bind(capsys, net):
    rc, result = run(capsys, **good(probe="search", test_user="jdoe", test_password=USER_PW))
    assert rc == 0 and result["valid"] is True and result["findings"] == []
    probe = result["probe"]
    assert probe["completed"] is True and probe["user_dn"] == JDOE and probe["uid_value"] == "jdoe"
    assert [s["stage"] for s in probe["stages"]] == ["dns", "tcp", "tls", "bind", "base_dn", "search", "user_bind"]
    assert ("bind", JDOE) in net.calls
    # The probe's resolution is reused for the egress entry: one lookup only.
    assert [c for c in net.calls if c[0] == "resolve"] == [("resolve", "dc01.example.com", 636)]
    assert result["egress"][0]["addresses"] == ["192.0.2.10", "2001:db8::10"]
    # TLS is verified against the CA given.
    assert ("handshake", "192.0.2.10", "dc01.example.com", True, True) in net.calls


def test_probe_failure_fails_the_task(capsys, net):
    rc, result = run(capsys, **good(probe="search", test_user="jdoe", test_password="wrong"))  # noqa: S106
    assert rc == 1 and result["valid"] is False
    assert codes(result) == ["USER_BIND_FAILED"]
    assert "USER_BIND_FAILED (test_password)" in result["msg"]


def test_probe_search_without_test_user(capsys, net):
    rc, result = run(capsys, **good(probe="search"))
    assert rc == 1 and codes(result) == ["PROBE_TEST_USER_MISSING"]


def test_probe_withholds_credentials_after_offline_errors(capsys, net):
    rc, result = run(capsys, **good(probe="search", test_user="jdoe", skip_verify=True))
    assert rc == 1
    assert [(s["stage"], s["ok"]) for s in result["probe"]["stages"]][-1] == ("bind", None)
    assert not [c for c in net.calls if c[0] in ("open_ldap", "bind")]


def test_probe_runs_in_check_mode(capsys, net):
    rc, result = run(capsys, **good(probe="bind", _ansible_check_mode=True))
    assert rc == 0 and result["probe"]["completed"] is True and result["changed"] is False


@pytest.mark.parametrize("probe", ["bind", "search"])
def test_missing_ldap3_is_reported_only_when_needed(capsys, net, monkeypatch, probe):
    monkeypatch.setattr(ldap_validate, "HAS_LDAP3", False)
    rc, result = run(capsys, **good(probe=probe, test_user="jdoe"))
    assert rc == 1 and "ldap3" in result["msg"] and "python" in result["msg"].lower()


def test_probe_connect_needs_no_ldap3(capsys, net, monkeypatch):
    monkeypatch.setattr(ldap_validate, "HAS_LDAP3", False)
    rc, result = run(capsys, **good(probe="connect"))
    assert rc == 0 and result["probe"]["completed"] is True


def test_real_ldap3_import_state():
    assert ldap_probe.HAS_LDAP3 is True and ldap_probe.LDAP3_IMPORT_ERROR is None


# --------------------------------------------------------------------------- parameters


def test_bind_dn_requires_a_password(capsys, net):
    args = good()
    del args["bind_password"]
    rc, result = run(capsys, **args)
    assert rc == 1 and "required together" in result["msg"]


def test_empty_bind_password_is_a_finding(capsys, net):
    rc, result = run(capsys, **good(bind_password=""))
    assert rc == 1 and codes(result) == ["BIND_DN_NO_PASSWORD"]


def test_test_password_requires_test_user(capsys, net):
    rc, result = run(capsys, **good(test_password=USER_PW))
    assert rc == 1 and "test_user" in result["msg"]


@pytest.mark.parametrize("timeout", [0, 301])
def test_timeout_range(capsys, net, timeout):
    rc, result = run(capsys, **good(timeout=timeout))
    assert rc == 1 and "timeout" in result["msg"]


def test_empty_placeholder(capsys, net):
    rc, result = run(capsys, **good(user_placeholder=""))
    assert rc == 1 and "user_placeholder" in result["msg"]


def test_passwords_never_echoed_even_when_they_appear_in_a_value(capsys, net):
    # A password that is also the test user's name ends up in SEARCH_NO_ENTRY's message (the filter searched):
    # no_log masking and scrub() hide it there too.
    rc, result = run(capsys, **good(probe="search", test_user=USER_PW, test_password=USER_PW))
    assert rc == 1 and codes(result) == ["SEARCH_NO_ENTRY"]
    assert "(uid=********)" in result["findings"][0]["message"]
    assert USER_PW not in json.dumps(result)


def test_scrub():
    value = {"a": ["x secret y", ("secret",)], "b": 3, "c": None}
    assert ldap_validate.scrub(value, ["secret"]) == {"a": ["x ******** y", ["********"]], "b": 3, "c": None}
    assert ldap_validate.scrub("secret", []) == "secret"


# --------------------------------------------------------------------------- documentation


def test_documentation_matches_the_argument_spec():
    options = yaml.safe_load(ldap_validate.DOCUMENTATION)["options"]
    assert set(options) == set(ldap_validate.ARGUMENT_SPEC)
    for name, spec in ldap_validate.ARGUMENT_SPEC.items():
        doc = options[name]
        assert doc["type"] == spec["type"], name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
        assert bool(doc.get("required")) == bool(spec.get("required")), name
        assert bool(spec.get("no_log")) == ("password" in name), name


def test_examples_and_return_are_yaml():
    assert len(yaml.safe_load(ldap_validate.EXAMPLES)) == 4
    assert set(yaml.safe_load(ldap_validate.RETURN)) == {
        "valid",
        "findings",
        "settings",
        "egress",
        "probe",
        "ldap3_available",
    }


def source_codes():
    found = set()
    for path in [
        *sorted((REPO / "plugins/module_utils/_ldap").glob("*.py")),
        REPO / "plugins/module_utils/ldap_checks.py",
        REPO / "plugins/module_utils/ldap_probe.py",
        REPO / "plugins/modules/ldap_validate.py",
    ]:
        text = path.read_text()
        found |= set(re.findall(r'Finding\(\s*"([A-Z0-9_]+)"', text))
        found |= set(re.findall(r'self\.fail\(\s*[\w"]+,\s*"([A-Z0-9_]+)"', text))
        found |= set(re.findall(r'self\.warn\(\s*"([A-Z0-9_]+)"', text))
    return found


def test_every_finding_code_is_documented():
    table = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", (REPO / "docs/ldap.md").read_text(), re.M))
    codes_in_source = source_codes()
    assert len(codes_in_source) > 40
    assert codes_in_source == table


@pytest.mark.parametrize(
    "path",
    [*sorted((REPO / "plugins/module_utils/_ldap").glob("*.py")), REPO / "plugins/module_utils/ldap_checks.py"],
    ids=lambda p: p.name,
)
def test_the_offline_checks_have_no_ansible_or_third_party_imports(path):
    imports = set(re.findall(r"^(?:from|import) (\S+)", path.read_text(), re.M))
    own = {i for i in imports if i.startswith("ansible_collections.hardened.flopsar.plugins.module_utils._ldap.")}
    assert imports - own <= {"__future__", "ipaddress", "re", "dataclasses", "datetime"}
    assert ldap_checks.__doc__
