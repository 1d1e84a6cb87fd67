# -*- coding: utf-8 -*-
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.ca import (
    check_ca,
    check_ca_text,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.dn import (
    DNSyntaxError,
    check_dn,
    escape_dn_value,
    format_dn,
    parse_dn,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.filter import (
    FilterSyntaxError,
    check_attribute,
    check_filter,
    escape_filter_value,
    parse_filter,
    search_filter,
    substitute,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
    error_codes,
    has_errors,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.policy import (
    check_bind,
    check_security,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.url import (
    check_url,
    normalise,
    parse_url,
)
from ansible_collections.hardened.flopsar.plugins.module_utils.ldap_checks import (
    check_settings,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def codes(findings):
    return [f.code for f in findings]


def by_code(findings, code):
    matches = [f for f in findings if f.code == code]
    assert matches, f"no {code} in {codes(findings)}"
    return matches[0]


# --------------------------------------------------------------------------- URL


@pytest.mark.parametrize(
    "url, host, port, ip_version, scheme",
    [
        ("dc01.win.local:636", "dc01.win.local", 636, None, None),
        ("dc01.win.local", "dc01.win.local", None, None, None),
        ("192.168.1.198", "192.168.1.198", None, 4, None),
        ("1.2.3.4:10636", "1.2.3.4", 10636, 4, None),
        ("[2001:db8::1]:636", "2001:db8::1", 636, 6, None),
        ("[2001:db8::1]", "2001:db8::1", None, 6, None),
        ("[2001:0DB8:0:0::1]:389", "2001:db8::1", 389, 6, None),
        ("2001:db8::1", "2001:db8::1", None, 6, None),  # bare, but no port can be read into it
        ("2001:db8:0:0:0:0:0:1", "2001:db8::1", None, 6, None),
        ("ldaps://dc01.win.local:636", "dc01.win.local", 636, None, "ldaps"),
        ("LDAP://dc01.win.local/", "dc01.win.local", None, None, "ldap"),
        ("ldaps://[2001:db8::1]:636/", "2001:db8::1", 636, 6, "ldaps"),
        ("localhost", "localhost", None, None, None),
        ("dc01.win.local.:636", "dc01.win.local.", 636, None, None),
        ("a-b.c-d.example:1", "a-b.c-d.example", 1, None, None),
        ("x.example:65535", "x.example", 65535, None, None),
    ],
)
def test_url_forms_that_parse(url, host, port, ip_version, scheme):
    parsed, findings = parse_url(url)
    assert not has_errors(findings), findings
    assert (parsed.host, parsed.port, parsed.ip_version, parsed.scheme) == (host, port, ip_version, scheme)


@pytest.mark.parametrize(
    "url, code, fragment",
    [
        ("", "URL_EMPTY", "empty"),
        ("   ", "URL_EMPTY", "empty"),
        (None, "URL_EMPTY", "empty"),
        ("host:", "URL_BAD_PORT", "not a number"),
        ("host:0", "URL_BAD_PORT", "out of range"),
        ("host:65536", "URL_BAD_PORT", "out of range"),
        ("host:-1", "URL_BAD_PORT", "not a number"),
        ("host:+636", "URL_BAD_PORT", "not a number"),
        ("host:ldaps", "URL_BAD_PORT", "not a number"),
        ("host:\u0666\u0663\u0666", "URL_BAD_PORT", "not a number"),  # Arabic-Indic digits are not a port
        ("[2001:db8::1]:99999", "URL_BAD_PORT", "out of range"),
        ("[2001:db8::1]:", "URL_BAD_PORT", "not a number"),
        (":636", "URL_BAD_HOST", "empty"),
        ("ldaps://:636", "URL_BAD_HOST", "empty"),
        ("2001:db8::1:636", "URL_BAD_HOST", "[2001:db8::1]:636"),  # ambiguous: address or address + port
        ("fe80::1:389", "URL_BAD_HOST", "brackets"),
        ("a:b:c", "URL_BAD_HOST", "brackets"),
        ("[dc01.win.local]:636", "URL_BAD_HOST", "only for IPv6"),
        ("[2001:db8::1", "URL_BAD_HOST", "never closed"),
        ("[2001:db8::1]636", "URL_BAD_HOST", "[address]:port"),
        ("-dc01.win.local", "URL_BAD_HOST", "hyphen"),
        ("dc01-.win.local", "URL_BAD_HOST", "hyphen"),
        ("dc01..win.local", "URL_BAD_HOST", "empty label"),
        (".dc01", "URL_BAD_HOST", "empty label"),
        ("dc 01.win.local", "URL_BAD_HOST", "letters, digits"),
        ("admin@dc01.win.local", "URL_BAD_HOST", "letters, digits"),
        ("a" * 64 + ".example", "URL_BAD_HOST", "longer than 63"),
        (".".join(["a" * 63] * 4) + ".com", "URL_BAD_HOST", "253"),
        ("256.1.1.1", "URL_BAD_HOST", "IPv4"),
        ("1.2.3", "URL_BAD_HOST", "IPv4"),
        ("01.2.3.4", "URL_BAD_HOST", "IPv4"),
        ("dc01.\u017c\u00f3\u0142w.pl", "URL_BAD_HOST", "xn--"),
        ("http://dc01.win.local", "URL_BAD_SCHEME", "not LDAP"),
        ("ldapi://%2Fvar%2Frun%2Fslapd", "URL_BAD_SCHEME", "not LDAP"),
        ("ldaps://dc01.win.local/dc=win,dc=local", "URL_PATH_PRESENT", "user_base_dn"),
        ("dc01.win.local:636/?uid", "URL_PATH_PRESENT", "host[:port]"),
    ],
)
def test_url_errors(url, code, fragment):
    parsed, findings = parse_url(url)
    assert parsed is None
    assert codes(findings)[-1] == code
    finding = by_code(findings, code)
    assert finding.severity == ERROR and finding.field == "url"
    assert fragment in finding.message


def test_url_whitespace_is_a_warning_and_stripped():
    parsed, findings = parse_url("  dc01.win.local:636\n")
    assert parsed.host == "dc01.win.local"
    assert codes(findings) == ["URL_WHITESPACE"]
    assert findings[0].severity == WARNING


def test_url_underscore_is_a_warning():
    parsed, findings = parse_url("dc_01.win.local")
    assert parsed.host == "dc_01.win.local"
    assert [(f.code, f.severity) for f in findings] == [("URL_HOST_UNDERSCORE", WARNING)]


@pytest.mark.parametrize(
    "url, use_ssl, expected",
    [
        ("ldaps://dc01:636", True, ["URL_SCHEME_PRESENT"]),
        ("ldap://dc01", False, ["URL_SCHEME_PRESENT"]),
        ("ldaps://dc01", False, ["URL_SCHEME_CONFLICT"]),
        ("ldap://dc01:389", True, ["URL_SCHEME_CONFLICT", "PORT_PROTOCOL_MISMATCH"]),
        ("dc01:389", True, ["PORT_PROTOCOL_MISMATCH"]),
        ("dc01:3268", True, ["PORT_PROTOCOL_MISMATCH"]),
        ("dc01:636", False, ["PORT_PROTOCOL_MISMATCH"]),
        ("dc01:3269", False, ["PORT_PROTOCOL_MISMATCH"]),
        ("dc01:636", True, []),
        ("dc01:3269", True, []),
        ("dc01:10636", True, []),
        ("dc01:389", False, []),
        ("dc01", True, []),
    ],
)
def test_url_against_use_ssl(url, use_ssl, expected):
    _parsed, findings = check_url(url, use_ssl)
    assert codes(findings) == expected


def test_scheme_present_message_gives_what_to_enter():
    _parsed, findings = check_url("ldaps://[2001:db8::1]", True)
    assert "[2001:db8::1]:636" in by_code(findings, "URL_SCHEME_PRESENT").message


def test_scheme_conflict_is_an_error_naming_both_fixes():
    _parsed, findings = check_url("ldaps://dc01.win.local", False)
    finding = by_code(findings, "URL_SCHEME_CONFLICT")
    assert finding.severity == ERROR
    assert "use_ssl: True" in finding.message and "dc01.win.local:389" in finding.message


@pytest.mark.parametrize(
    "url, use_ssl, skip_verify, expected",
    [
        (
            "dc01.win.local",
            True,
            False,
            {
                "scheme": "ldaps",
                "host": "dc01.win.local",
                "port": 636,
                "url_for_product": "dc01.win.local:636",
                "use_ssl": True,
                "skip_verify": False,
            },
        ),
        (
            "ldap://192.168.1.198",
            False,
            True,
            {
                "scheme": "ldap",
                "host": "192.168.1.198",
                "port": 389,
                "url_for_product": "192.168.1.198:389",
                "use_ssl": False,
                "skip_verify": False,  # ignored by the product without TLS
            },
        ),
        (
            "[2001:db8::1]",
            True,
            True,
            {
                "scheme": "ldaps",
                "host": "2001:db8::1",
                "port": 636,
                "url_for_product": "[2001:db8::1]:636",
                "use_ssl": True,
                "skip_verify": True,
            },
        ),
        (
            "2001:db8::1",
            True,
            False,
            {
                "scheme": "ldaps",
                "host": "2001:db8::1",
                "port": 636,
                "url_for_product": "[2001:db8::1]:636",
                "use_ssl": True,
                "skip_verify": False,
            },
        ),
        (
            "ldaps://dc01.win.local:10636/",
            True,
            False,
            {
                "scheme": "ldaps",
                "host": "dc01.win.local",
                "port": 10636,
                "url_for_product": "dc01.win.local:10636",
                "use_ssl": True,
                "skip_verify": False,
            },
        ),
        (
            "host:0",
            True,
            False,
            {
                "scheme": "ldaps",
                "host": None,
                "port": None,
                "url_for_product": None,
                "use_ssl": True,
                "skip_verify": False,
            },
        ),
    ],
)
def test_normalise(url, use_ssl, skip_verify, expected):
    assert normalise(url, use_ssl, skip_verify) == expected


_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z")


@given(
    labels=st.lists(_LABEL, min_size=1, max_size=4).filter(lambda ls: not all(x.isdigit() for x in ls)),
    port=st.integers(1, 65535),
)
def test_host_and_port_round_trip(labels, port):
    host = ".".join(labels)
    parsed, findings = parse_url(f"{host}:{port}")
    assert not findings
    assert (parsed.host, parsed.port) == (host, port)


@given(address=st.ip_addresses(), port=st.integers(1, 65535), use_ssl=st.booleans())
def test_addresses_round_trip_through_url_for_product(address, port, use_ssl):
    settings = normalise(f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}", use_ssl)
    assert settings["host"] == str(address)
    again = normalise(settings["url_for_product"], use_ssl)
    assert again == settings


@given(st.text(max_size=40))
def test_parse_url_never_raises(text):
    parsed, findings = parse_url(text)
    assert parsed is not None or has_errors(findings)


# --------------------------------------------------------------------------- DN

VALID_DNS = [
    ("cn=Smith\\, John,ou=People,dc=example,dc=com", [[("cn", "Smith, John")], [("ou", "People")]]),
    ("cn=\u0141ukasz \u017b\u00f3\u0142w,dc=example,dc=pl", [[("cn", "\u0141ukasz \u017b\u00f3\u0142w")]]),
    ("cn=\\C5\\81ukasz,dc=example,dc=pl", [[("cn", "\u0141ukasz")]]),
    ("cn=\\c5\\81ukasz,dc=example,dc=pl", [[("cn", "\u0141ukasz")]]),
    ("cn=Before\\0dAfter,dc=example,dc=com", [[("cn", "Before\rAfter")]]),
    ("ou=Sales+cn=J. Smith,dc=example,dc=net", [[("ou", "Sales"), ("cn", "J. Smith")]]),
    ("cn=a+sn=b+uid=c,dc=x", [[("cn", "a"), ("sn", "b"), ("uid", "c")]]),
    ("1.3.6.1.4.1.1466.0=#04024869,dc=example,dc=com", [[("1.3.6.1.4.1.1466.0", "#04024869")]]),
    ("2.5.4.3=John,dc=example", [[("2.5.4.3", "John")]]),
    ('cn=James \\"Jim\\" Smith\\, III,dc=example,dc=net', [[("cn", 'James "Jim" Smith, III')]]),
    ("cn=\\<x\\>\\;\\=\\+\\\\,dc=x", [[("cn", "<x>;=+\\")]]),
    ("cn=\\ leading and trailing\\ ,dc=x", [[("cn", " leading and trailing ")]]),
    ("cn=\\#hash,dc=x", [[("cn", "#hash")]]),
    ("cn=mid#hash,dc=x", [[("cn", "mid#hash")]]),
    ("cn=a=b,dc=x", [[("cn", "a=b")]]),  # '=' needs no escape in a value (RFC 4514)
    ("cn=,dc=x", [[("cn", "")]]),
    ("CN=svc-flopsar,OU=Service Accounts,DC=win,DC=local", [[("CN", "svc-flopsar")]]),
    ("uid=jdoe", [[("uid", "jdoe")]]),
    ("x-custom-attr=1,dc=x", [[("x-custom-attr", "1")]]),
]


@pytest.mark.parametrize("dn, head", VALID_DNS)
def test_valid_dns(dn, head):
    rdns = parse_dn(dn)
    assert rdns[: len(head)] == head
    assert check_dn(dn, "user_base_dn", required=True) == []


def test_dn_with_everything_at_once():
    dn = "cn=Smith\\, John+uid=js\\2Bx,ou=\u017b\u00f3\u0142w \\C5\\81,2.5.4.11=#0403414243,dc=example,dc=com"
    assert parse_dn(dn) == [
        [("cn", "Smith, John"), ("uid", "js+x")],
        [("ou", "\u017b\u00f3\u0142w \u0141")],
        [("2.5.4.11", "#0403414243")],
        [("dc", "example")],
        [("dc", "com")],
    ]


@pytest.mark.parametrize(
    "dn, fragment",
    [
        ("cn=Smith, John,dc=example", "escape it as \\,"),
        ("cn=a,", "ends with ','"),
        (",dc=x", "expected an attribute type"),
        ("cn", "expected '='"),
        ("cn=a,dc", "expected '='"),
        ("=a", "expected an attribute type"),
        ("1cn=a", "OID"),
        ("2=a", "at least two numbers"),
        ("01.2=a", "leading zeros"),
        ("1..2=a", "a number after each '.'"),
        ("1.2.=a", "a number after each '.'"),
        ("OID.2.5.4.3=a", "expected '='"),
        ("c_n=a", "expected '='"),
        ("cn=a;dc=b", "\\;"),
        ('cn=a"b', '\\"'),
        ("cn=<a>", "\\<"),
        ("cn=a\\", "escapes nothing"),
        ("cn=a\\q", "is not an escape"),
        ("cn=a\\4", "is not an escape"),
        ("cn=\\C5,dc=x", "UTF-8"),
        ("cn=\\FF\\FE", "UTF-8"),
        ("cn=#", "hex string"),
        ("cn=#123", "hex string"),
        ("cn=#12zz", "hex string"),
        ("cn=a\x00b", "\\00"),
        ("cn=a+,dc=x", "expected an attribute type"),
    ],
)
def test_invalid_dns(dn, fragment):
    with pytest.raises(DNSyntaxError) as info:
        parse_dn(dn)
    assert fragment in str(info.value)
    finding = by_code(check_dn(dn, "bind_dn"), "DN_SYNTAX")
    assert finding.severity == ERROR and finding.field == "bind_dn"
    assert fragment in finding.message


def test_dn_empty():
    assert codes(check_dn("", "user_base_dn", required=True)) == ["DN_EMPTY"]
    assert check_dn(None, "bind_dn") == []
    assert parse_dn("") == []


@pytest.mark.parametrize(
    "dn, normal",
    [
        ("cn=a, dc=b", "cn=a,dc=b"),
        ("cn = a,dc=b", "cn=a,dc=b"),
        ("cn=a ,dc=b", "cn=a,dc=b"),
        ("cn=a + sn=b, dc=c", "cn=a+sn=b,dc=c"),
        ("CN=Smith\\, John, OU=People", "CN=Smith\\, John,OU=People"),
        ("cn=x\\ , dc=y", "cn=x\\ ,dc=y"),  # the escaped space stays
        ("cn=#0401 ,dc=y", "cn=#0401,dc=y"),
    ],
)
def test_dn_spaces_around_separators_are_a_warning(dn, normal):
    findings = check_dn(dn, "user_base_dn")
    assert [(f.code, f.severity) for f in findings] == [("DN_SPACES", WARNING)]
    assert findings[0].message.endswith(f"Enter it as {normal}.")


@pytest.mark.parametrize("name", ["svc-flopsar@win.local", "WIN\\svc-flopsar"])
def test_ad_bind_names_are_a_warning(name):
    assert [(f.code, f.severity) for f in check_dn(name, "bind_dn", bind_name=True)] == [("BIND_DN_NOT_DN", WARNING)]
    assert codes(check_dn(name, "user_base_dn")) == ["DN_SYNTAX"]


@given(st.text())
@example("")
@example(" ")
@example("#")
@example("  a  ")
@example("\\")
@example("\x00")
@example('a,b+c=d;e<f>g"h\\i')
def test_any_escaped_value_round_trips(value):
    assert parse_dn("cn=" + escape_dn_value(value)) == [[("cn", value)]]
    assert check_dn(f"cn={escape_dn_value(value)},dc=example,dc=com", "user_base_dn") == []


_ATTR_TYPES = st.one_of(
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,10}\Z"),
    st.lists(st.integers(0, 99999), min_size=2, max_size=6).map(lambda ns: ".".join(map(str, ns))),
)
# parse_dn() returns a hex-string value as written ("#04..."), so format_dn() keeps values starting with '#':
# string values here do not start with one (escape_dn_value's own round trip covers them).
_STRING_VALUES = st.text(max_size=12).filter(lambda v: not v.startswith("#"))
_RDNS = st.lists(st.lists(st.tuples(_ATTR_TYPES, _STRING_VALUES), min_size=1, max_size=3), min_size=1, max_size=5)


@given(_RDNS)
def test_generated_dns_round_trip(rdns):
    text = format_dn(rdns)
    assert parse_dn(text) == rdns
    assert check_dn(text, "user_base_dn") == []


@given(st.text(max_size=30))
def test_parse_dn_raises_only_its_own_error(text):
    with contextlib.suppress(DNSyntaxError):
        parse_dn(text)


# --------------------------------------------------------------------------- attribute descriptions


@pytest.mark.parametrize(
    "attr",
    [
        "uid",
        "sAMAccountName",
        "userPrincipalName",
        "cn;lang-en",
        "cn;lang-en;x-opt",
        "0.9.2342.19200300.100.1.1",
        "x-a1",
    ],
)
def test_valid_attributes(attr):
    assert check_attribute(attr) == []


@pytest.mark.parametrize(
    "attr", ["", "1uid", "u_id", "uid;", "cn;lang_en", "1", "01.2", "1.2.", "uid ", "mail,cn", "\u0142"]
)
def test_invalid_attributes(attr):
    finding = by_code(check_attribute(attr), "ATTR_SYNTAX")
    assert finding.severity == ERROR and finding.field == "uid_attribute"


# --------------------------------------------------------------------------- filters

VALID_FILTERS = [
    "(uid={username})",
    "(&(objectClass=person)(|(uid={username})(mail={username})))",
    "(&(objectClass=user)(sAMAccountName={username})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
    "(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=cn=Flopsar Users,ou=Groups,dc=example,dc=com)"
    "(sAMAccountName={username}))",
    "(cn:dn:2.4.6.8.10:={username})",
    "(uid:caseExactMatch:={username})",
    "(&(:dn:2.4.6.8.10:=Dino)(uid={username}))",
    "(&(uid={username})(cn=*))",
    "(&(uid={username})(cn=Jo*n*)(sn=*son)(o=Ex*))",
    "(&(uid={username})(employeeNumber>=100)(employeeNumber<=900)(sn~=smith))",
    "(&(uid={username})(cn=Babs J\\2a)(o=Parens R Us \\28for all your parenthetical needs\\29))",
    "(&(uid={username})(cn=\\5c)(cn=\\00))",
    "(&(uid={username})(cn=\u0141ukasz \u017b\u00f3\u0142w))",
    "(&(uid={username})(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69))",
    "(&(uid={username})(cn;lang-en=x))",
    "(&(uid={username})(cn=))",
    "(!(!(!(uid={username}))))",
    "(uid=prefix-{username}@example.com)",
]


@pytest.mark.parametrize("text", VALID_FILTERS)
def test_valid_filters(text):
    assert check_filter(text, "{username}", "uid" if "uid=" in text else None) == []


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("uid={username}", "enclosed in parentheses"),
        ("(uid={username}", "')' is missing"),
        ("((uid={username}))", "after '(' comes '&', '|', '!' or an attribute"),
        ("(uid={username}))", "one ')' too many"),
        ("(&(uid={username})", "')' is missing"),
        ("(&(uid={username})(cn=a)", "')' is missing"),
        ("(uid={username})(cn=a)", "text after"),
        ("(&)", "at least one filter"),
        ("(|)", "at least one filter"),
        ("(!(uid={username})(cn=a))", "exactly one filter"),
        ("(!uid={username})", "expected '('"),
        ("(& (uid={username}))", "spaces between filters"),
        ("(&(uid={username}) (cn=a))", "spaces between filters"),
        ("(&(uid={username})x)", "expected '(' or ')'"),
        ("(uid)", "'=' is missing"),
        ("(={username})", "attribute before"),
        ("(u id={username})", "not an attribute"),
        ("(uid>={username}*)", "'*' is only allowed"),
        ("(uid:={username}*)", "'*' is only allowed"),
        ("(uid={username}\\)", "two-hex-digit"),
        ("(uid={username}\\2)", "two-hex-digit"),
        ("(uid={username}\\zz)", "two-hex-digit"),
        ("(cn=a(b)(uid={username}))", "\\28"),
        ("(:={username})", "needs an attribute or a matching rule"),
        ("(:dn:={username})", "needs a matching rule"),
        ("(cn:dn:1.2:x:={username})", "attr[:dn][:rule]"),
        ("(cn:1..2:={username})", "not a matching rule"),
        ("(c_n:dn:={username})", "not an attribute"),
        ("(uid={username}\x00)", "\\00"),
        ("", "empty"),
    ],
)
def test_invalid_filters(text, fragment):
    finding = by_code(check_filter(text), "FILTER_SYNTAX")
    assert finding.severity == ERROR and finding.field == "user_filter"
    assert fragment in finding.message


def test_filter_depth_is_bounded():
    deep = "(!" * 100 + "(uid={username})" + ")" * 100
    assert "deeper" in by_code(check_filter(deep), "FILTER_SYNTAX").message


def test_filter_without_placeholder_nor_uid_attribute():
    finding = by_code(check_filter("(objectClass=person)"), "FILTER_NO_PLACEHOLDER")
    assert finding.severity == ERROR
    assert "not documented" in finding.message and "uid_attribute" in finding.message
    assert codes(check_filter("(objectClass=person)", uid_attribute="not an attribute")) == ["FILTER_NO_PLACEHOLDER"]


@pytest.mark.parametrize(
    ("user_filter", "uid_attribute"),
    [
        ("(uid={username})", "uid"),
        ("(&(objectClass=person)(uid={username}))", "uid"),
        ("(objectClass=person)", "uid"),
        ("(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))", "sAMAccountName"),
    ],
)
def test_both_filter_forms_are_accepted(user_filter, uid_attribute):
    assert check_filter(user_filter, "{username}", uid_attribute) == []


@pytest.mark.parametrize(
    ("user_filter", "uid_attribute", "login", "expected"),
    [
        ("(uid={username})", "uid", "alice", "(uid=alice)"),
        ("(|(uid={username})(mail={username}))", "uid", "a*b", "(|(uid=a\\2ab)(mail=a\\2ab))"),
        ("(objectClass=person)", "uid", "alice", "(&(objectClass=person)(uid=alice))"),
        (
            "(objectClass=person)",
            "sAMAccountName",
            "a)(uid=*",
            "(&(objectClass=person)(sAMAccountName=a\\29\\28uid=\\2a))",
        ),
    ],
)
def test_each_form_is_searched_with_the_escaped_login(user_filter, uid_attribute, login, expected):
    built = search_filter(user_filter, "{username}", uid_attribute, login)
    assert built == expected
    assert parse_filter(built)


def test_placeholder_only_in_an_attribute_name():
    assert codes(check_filter("({username}=x)")) == ["FILTER_NO_PLACEHOLDER"]


def test_custom_placeholder_with_filter_metacharacters():
    # %(user)s holds '(' and ')': the check stands a login name in for it, so the filter is valid.
    assert check_filter("(uid=%(user)s)", "%(user)s", "uid") == []
    assert codes(check_filter("(uid={username})", "%(user)s")) == ["FILTER_NO_PLACEHOLDER"]


def test_uid_attribute_not_compared_with_the_login_name():
    findings = check_filter("(sAMAccountName={username})", "{username}", "uid")
    assert [(f.code, f.severity, f.field) for f in findings] == [
        ("UID_ATTRIBUTE_NOT_IN_FILTER", WARNING, "uid_attribute")
    ]
    assert check_filter("(sAMAccountName={username})", "{username}", "samaccountname") == []
    assert check_filter("(|(uid;x-o={username})(mail={username}))", "{username}", "UID") == []


def test_filter_items():
    items = parse_filter("(&(a=*)(b=x*y)(c>=1)(d<=2)(e~=3)(f:dn:1.2:=4)(g=5))")
    assert [(i.attr, i.op) for i in items] == [
        ("a", "present"),
        ("b", "substring"),
        ("c", ">="),
        ("d", "<="),
        ("e", "~="),
        ("f", "extensible"),
        ("g", "="),
    ]


@pytest.mark.parametrize(
    "login, escaped",
    [
        ("jdoe", "jdoe"),
        ("*", "\\2a"),
        ("admin)(uid=*", "admin\\29\\28uid=\\2a"),
        ("a\\b", "a\\5cb"),
        ("nul\x00", "nul\\00"),
        ("\u0141ukasz", "\u0141ukasz"),
    ],
)
def test_escape_filter_value(login, escaped):
    assert escape_filter_value(login) == escaped


# A generator of RFC 4515 filters: items with escaped values, composed with &, | and !.
_ATTRS = st.sampled_from(["uid", "cn", "mail", "sAMAccountName", "cn;lang-en", "2.5.4.3"])
_VALUES = st.text(max_size=8).map(escape_filter_value)
_ITEMS = st.one_of(
    st.builds(lambda a, op, v: f"({a}{op}{v})", _ATTRS, st.sampled_from(["=", ">=", "<=", "~="]), _VALUES),
    _ATTRS.map(lambda a: f"({a}=*)"),
    st.builds(lambda a, parts: f"({a}={'*'.join(parts)})", _ATTRS, st.lists(_VALUES, min_size=2, max_size=4)),
    st.builds(lambda a, v: f"({a}:dn:2.5.13.5:={v})", _ATTRS, _VALUES),
)
FILTERS = st.recursive(
    _ITEMS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda fs: "(&" + "".join(fs) + ")"),
        st.lists(inner, min_size=1, max_size=3).map(lambda fs: "(|" + "".join(fs) + ")"),
        inner.map(lambda f: "(!" + f + ")"),
    ),
    max_leaves=12,
)


@given(FILTERS)
def test_generated_filters_are_valid(text):
    parse_filter(text)
    assert check_filter("(&" + text + "(uid={username}))", "{username}") == []


@given(FILTERS, st.text(max_size=20))
def test_any_login_substituted_keeps_the_filter_valid(text, login):
    template = "(&" + text + "(uid={username}))"
    assert len(parse_filter(substitute(template, "{username}", login))) == len(
        parse_filter(template.replace("{username}", "x"))
    )


@given(st.text(alphabet="()&|!=*\\:ab;.12 ", max_size=25))
@settings(max_examples=300)
def test_parse_filter_raises_only_its_own_error(text):
    with contextlib.suppress(FilterSyntaxError):
        parse_filter(text)


# --------------------------------------------------------------------------- security switches and bind account


@pytest.mark.parametrize(
    "use_ssl, skip_verify, profile, ca_given, host_is_ip, expected",
    [
        (True, False, "production", True, False, []),
        (True, False, "production", False, False, [("CA_NOT_GIVEN", WARNING)]),
        (True, False, "production", True, True, [("URL_IP_WITH_TLS", WARNING)]),
        (True, True, "production", False, False, [("SKIP_VERIFY", ERROR)]),
        (True, True, "lab", False, False, [("SKIP_VERIFY", WARNING)]),
        (True, True, "production", True, False, [("SKIP_VERIFY", ERROR), ("CA_IGNORED", WARNING)]),
        (False, False, "production", False, False, [("CLEARTEXT_LDAP", ERROR)]),
        (False, False, "lab", False, True, [("CLEARTEXT_LDAP", WARNING)]),
        (
            False,
            True,
            "production",
            True,
            False,
            [("CLEARTEXT_LDAP", ERROR), ("SKIP_VERIFY_WITHOUT_SSL", WARNING), ("CA_IGNORED", WARNING)],
        ),
        (False, True, "lab", False, False, [("CLEARTEXT_LDAP", WARNING), ("SKIP_VERIFY_WITHOUT_SSL", WARNING)]),
    ],
)
def test_security_matrix(use_ssl, skip_verify, profile, ca_given, host_is_ip, expected):
    findings = check_security(use_ssl, skip_verify, profile, ca_given=ca_given, host_is_ip=host_is_ip)
    assert [(f.code, f.severity) for f in findings] == expected


def test_unknown_profile_is_a_programming_error():
    with pytest.raises(ValueError):
        check_security(True, False, "staging")


def test_bind_account():
    assert codes(check_bind("cn=svc,dc=x", False)) == ["BIND_DN_NO_PASSWORD"]
    assert check_bind("cn=svc,dc=x", True) == []
    assert [(f.code, f.severity) for f in check_bind(None, False)] == [("BIND_ANONYMOUS", WARNING)]
    assert codes(check_bind("", True)) == ["BIND_ANONYMOUS"]


# --------------------------------------------------------------------------- CA certificate

PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


def fact(is_ca=True, before=-365, after=365, subject="CN=Example Root CA"):
    return {
        "subject": subject,
        "is_ca": is_ca,
        "not_before": None if before is None else NOW + timedelta(days=before),
        "not_after": None if after is None else NOW + timedelta(days=after),
    }


def test_ca_text():
    assert check_ca_text(PEM_CERT) == []
    assert codes(check_ca_text("not a certificate")) == ["CA_UNPARSABLE"]
    assert codes(check_ca_text(PEM_KEY)) == ["CA_PRIVATE_KEY", "CA_UNPARSABLE"]
    assert codes(check_ca_text(PEM_CERT + "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----")) == [
        "CA_PRIVATE_KEY"
    ]


@pytest.mark.parametrize(
    "facts, expected",
    [
        ([fact()], []),
        ([fact(), fact(subject="CN=Intermediate")], []),
        ([fact(before=None, after=None)], []),
        ([fact(is_ca=False)], [("CA_NOT_CA", ERROR)]),
        ([fact(is_ca=None)], [("CA_NOT_CA", ERROR)]),
        ([fact(after=-1)], [("CA_EXPIRED", ERROR)]),
        ([fact(before=1)], [("CA_NOT_YET_VALID", ERROR)]),
        ([fact(after=10)], [("CA_EXPIRES_SOON", WARNING)]),
        ([fact(), fact(is_ca=False, after=-5, subject="CN=dc01")], [("CA_NOT_CA", ERROR), ("CA_EXPIRED", ERROR)]),
    ],
)
def test_ca_facts(facts, expected):
    assert [(f.code, f.severity) for f in check_ca(facts, NOW)] == expected


def test_ca_messages_say_why():
    assert "CA:FALSE" in check_ca([fact(is_ca=False)], NOW)[0].message
    assert "no basicConstraints" in check_ca([fact(is_ca=None)], NOW)[0].message
    assert "2025-05-31" in check_ca([fact(after=-1)], NOW)[0].message
    assert codes(check_ca(None, NOW, parse_error="bad base64")) == ["CA_UNPARSABLE"]


# --------------------------------------------------------------------------- all together

GOOD = {
    "url": "dc01.win.local:636",
    "user_base_dn": "ou=People,dc=win,dc=local",
    "user_filter": "(&(objectClass=person)(|(uid={username})(mail={username})))",
    "bind_dn": "cn=Flopsar\\, Service,ou=Services,dc=win,dc=local",
    "bind_password_given": True,
    "ca_given": True,
}


def test_good_settings_have_no_findings():
    assert check_settings(**GOOD) == []


def test_settings_collect_every_problem_in_order():
    findings = check_settings(
        url="ldap://dc01.win.local:636",
        user_base_dn="ou=People;dc=win",
        user_filter="uid=jdoe",
        bind_dn="cn=svc,dc=win",
        bind_password_given=False,
        uid_attribute="u_id",
        use_ssl=False,
        skip_verify=True,
        profile="production",
    )
    assert codes(findings) == [
        "URL_SCHEME_PRESENT",
        "PORT_PROTOCOL_MISMATCH",
        "CLEARTEXT_LDAP",
        "SKIP_VERIFY_WITHOUT_SSL",
        "BIND_DN_NO_PASSWORD",
        "DN_SYNTAX",
        "ATTR_SYNTAX",
        "FILTER_SYNTAX",
    ]
    assert error_codes(findings) == [
        "PORT_PROTOCOL_MISMATCH",
        "CLEARTEXT_LDAP",
        "BIND_DN_NO_PASSWORD",
        "DN_SYNTAX",
        "ATTR_SYNTAX",
        "FILTER_SYNTAX",
    ]


def test_finding_as_dict():
    assert Finding("X", ERROR, "url", "m").as_dict() == {
        "code": "X",
        "severity": "error",
        "field": "url",
        "message": "m",
    }
