"""ldap_validate against a real directory, from the server host, through its firewall.

Each case changes one thing in otherwise correct settings and must produce its own finding code.
"""

import json
import os
import subprocess

import pytest

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRECTORY = "10.89.61.50"
BIND_PASSWORD = "svc-bind-secret"
USER_PASSWORD = "alice-login-secret"


@pytest.fixture(scope="module")
def directory_ca(lab):
    return lab("fl-ldap-directory").file("/etc/ldap/ldap.crt").content_string


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    out = tmp_path_factory.mktemp("ca")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=some other CA",
            "-keyout",
            str(out / "k"),
            "-out",
            str(out / "c"),
        ],
        check=True,
        capture_output=True,
    )
    return (out / "c").read_text()


def good(ca):
    return {
        "url": f"{DIRECTORY}:636",
        "bind_dn": "cn=flopsar-svc,ou=Service,dc=flopsar,dc=test",
        "bind_password": BIND_PASSWORD,
        "user_base_dn": "ou=People,dc=flopsar,dc=test",
        "user_filter": "(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))",
        "uid_attribute": "uid",
        "use_ssl": True,
        "ca_cert": ca,
        "test_user": "alice",
        "test_password": USER_PASSWORD,
    }


def validate(case, tmp_path, verbosity=""):
    result_file = tmp_path / "result.json"
    cmd = [
        "ansible-playbook",
        "-i",
        os.environ["MOLECULE_INVENTORY_FILE"],
        os.path.join(SCENARIO, "validate.yml"),
        "-e",
        json.dumps({"case": case, "result_file": str(result_file)}),
    ]
    if verbosity:
        cmd.append(verbosity)
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return json.loads(result_file.read_text()), run.stdout + run.stderr


def error_codes(result):
    return sorted({f["code"] for f in result["findings"] if f["severity"] == "error"})


def test_correct_settings_pass(directory_ca, tmp_path):
    result, _output = validate(good(directory_ca), tmp_path)
    assert result["valid"] is True, result["findings"]
    assert error_codes(result) == []
    # Every live stage ran and passed, down to the bind as the test user.
    assert result["probe"]["completed"] is True
    assert [s["stage"] for s in result["probe"]["stages"] if s["ok"]] == [
        "dns",
        "tcp",
        "tls",
        "bind",
        "base_dn",
        "search",
        "user_bind",
    ]
    assert result["egress"][0]["port"] == 636
    assert DIRECTORY in result["egress"][0]["addresses"]


CASES = {
    "wrong CA": ({"ca_cert": "OTHER"}, "TLS_VERIFY_FAILED"),
    "skip_verify in production": ({"skip_verify": True}, "SKIP_VERIFY"),
    "cleartext in production": ({"use_ssl": False, "url": f"{DIRECTORY}:389"}, "CLEARTEXT_LDAP"),
    "wrong port for TLS": ({"url": f"{DIRECTORY}:389"}, "PORT_PROTOCOL_MISMATCH"),
    "wrong bind password": ({"bind_password": "not-the-password"}, "BIND_FAILED"),
    "base DN that does not exist": ({"user_base_dn": "ou=Nobody,dc=flopsar,dc=test"}, "BASE_DN_NOT_FOUND"),
    "filter matching no entry": ({"test_user": "nobody", "test_password": None}, "SEARCH_NO_ENTRY"),
    "filter matching two entries": (
        {"test_user": "shared@flopsar.test", "test_password": None},
        "SEARCH_MULTIPLE_ENTRIES",
    ),
    "entry without the UID attribute": (
        {"test_user": "dave@flopsar.test", "test_password": None},
        "UID_ATTRIBUTE_MISSING",
    ),
    "directory port blocked by the firewall": (
        {"use_ssl": False, "url": f"{DIRECTORY}:389", "profile": "lab", "ca_cert": None},
        "TCP_FAILED",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_fault_has_its_own_code(directory_ca, other_ca, tmp_path, name):
    change, code = CASES[name]
    case = good(directory_ca)
    for key, value in change.items():
        if value is None:
            case.pop(key, None)
        else:
            case[key] = other_ca if value == "OTHER" else value
    result, _output = validate(case, tmp_path)
    assert result["valid"] is False
    assert code in error_codes(result), result["findings"]


def test_passwords_never_appear_in_verbose_output(directory_ca, tmp_path):
    result, output = validate(good(directory_ca), tmp_path, verbosity="-vvv")
    assert result["valid"] is True
    assert "ESTABLISH SSH CONNECTION" in output  # the output really is verbose
    for secret in (BIND_PASSWORD, USER_PASSWORD):
        assert secret not in output
        assert secret not in json.dumps(result)


def test_class_filter_with_the_uid_attribute_finds_the_login(directory_ca, tmp_path):
    """The class-filter form: (objectClass=...) searched together with uid=<login>, down to the user bind."""
    case = dict(good(directory_ca), user_filter="(objectClass=inetOrgPerson)", uid_attribute="uid")
    result, _output = validate(case, tmp_path)
    assert result["valid"] is True, result["findings"]
    assert result["probe"]["completed"] is True
    assert result["probe"]["uid_value"] == "alice"
    assert "user_bind" in [s["stage"] for s in result["probe"]["stages"] if s["ok"]]


def test_class_filter_matches_the_login_on_the_uid_attribute_only(directory_ca, tmp_path):
    """The same login looked up on another attribute finds no entry: the UID attribute is what is searched."""
    case = dict(good(directory_ca), user_filter="(objectClass=inetOrgPerson)", uid_attribute="cn")
    case.pop("test_password")
    result, _output = validate(case, tmp_path)
    assert result["valid"] is False
    assert "SEARCH_NO_ENTRY" in error_codes(result), result["findings"]
