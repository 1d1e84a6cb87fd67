# -*- coding: utf-8 -*-
"""plugins/module_utils/pki.py: the one read that lets an idempotent run skip the PKI's steps."""

import datetime
import ipaddress
import os

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils import pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn="hardened.flopsar internal CA"):
    key = ec.generate_private_key(ec.SECP384R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(ca_key, ca_cert, cn="server1", dns=("server1",), ips=("10.0.0.10",), days=365, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    san = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def material():
    ca_key, ca_cert = _ca()
    key, leaf = _leaf(ca_key, ca_cert)
    return {"ca_key": ca_key, "ca_pem": _pem(ca_cert), "ca_cert": ca_cert, "key": key, "leaf_pem": _pem(leaf)}


def _facts(m, chain=True, leaf_pem=None, key=None, ca_text=None, attributes=()):
    leaf_pem = leaf_pem or m["leaf_pem"]
    return {
        "certificate_text": pki.certificate_file(leaf_pem, m["ca_pem"], chain),
        "ca_text": m["ca_pem"].strip() + "\n" if ca_text is None else ca_text,
        "leaf": pki.inspect_certificate(leaf_pem, m["ca_pem"]),
        "key_public": pki.private_key_public_pem(_key_pem(key or m["key"])),
        "inspect_error": "",
        "attributes": list(attributes),
    }


def _wanted(m, **kw):
    wanted = {
        "common_name": "server1",
        "names": ["DNS:server1", "IP:10.0.0.10"],
        "ca_cert": m["ca_pem"],
        "chain": True,
        "now": NOW,
        "renew_days": 30,
    }
    wanted.update(kw)
    return wanted


def test_everything_right_is_up_to_date_and_keeps_the_leaf(material):
    result = pki.status(_facts(material), _wanted(material))
    assert result == {"reissue": False, "up_to_date": True, "reasons": [], "leaf": material["leaf_pem"].strip()}


def test_names_compare_as_a_set_in_one_spelling(material):
    wanted = _wanted(material, names=["IP:10.0.0.10", "dns:SERVER1", "DNS:server1"])
    assert pki.status(_facts(material), wanted)["up_to_date"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"names": ["DNS:server1", "IP:10.0.0.11"]}, "it names"),
        ({"common_name": "server2"}, "its common name is server1, not server2"),
        ({"renew_days": 400}, "it expires within 400 days"),
        ({"now": NOW + datetime.timedelta(days=340)}, "it expires within 30 days"),
        ({"ca_cert": ""}, "the CA certificate is not known yet"),
    ],
)
def test_what_calls_for_a_new_certificate(material, change, reason):
    result = pki.status(_facts(material), _wanted(material, **change))
    assert result["reissue"] and not result["up_to_date"] and result["leaf"] == ""
    assert any(r.startswith(reason) for r in result["reasons"]), result["reasons"]


def test_another_key_calls_for_a_new_certificate(material):
    other = ec.generate_private_key(ec.SECP256R1())
    result = pki.status(_facts(material, key=other), _wanted(material))
    assert result["reissue"] and "it does not match the private key" in result["reasons"]


def test_a_missing_key_calls_for_a_new_certificate(material):
    facts = _facts(material)
    facts["key_public"] = ""
    assert "no private key" in pki.status(facts, _wanted(material))["reasons"]


def test_another_ca_calls_for_a_new_certificate(material):
    _other_key, other_ca = _ca("another CA")
    facts = _facts(material)
    facts["leaf"] = pki.inspect_certificate(material["leaf_pem"], _pem(other_ca))
    result = pki.status(facts, _wanted(material, ca_cert=_pem(other_ca)))
    assert result["reissue"] and "it is not signed by the CA" in result["reasons"]


def test_a_ca_with_the_same_name_but_another_key_did_not_sign_it(material):
    _impostor_key, impostor = _ca()  # same subject, another key
    assert not pki.inspect_certificate(material["leaf_pem"], _pem(impostor))["signed_by_ca"]
    assert pki.inspect_certificate(material["leaf_pem"], material["ca_pem"])["signed_by_ca"]


def test_no_certificate_or_an_unreadable_one(material):
    facts = {
        "certificate_text": "",
        "ca_text": "",
        "leaf": None,
        "key_public": "",
        "inspect_error": "",
        "attributes": [],
    }
    assert pki.status(facts, _wanted(material))["reasons"][0] == "no certificate"
    facts.update(certificate_text=material["leaf_pem"], inspect_error="no cryptography")
    result = pki.status(facts, _wanted(material))
    assert result["reissue"] and "the certificate cannot be read: no cryptography" in result["reasons"]


def test_files_to_rewrite_without_a_new_certificate(material):
    facts = _facts(material, chain=False, ca_text="stale\n", attributes=["/x/server.key: mode 0644, not 0600"])
    result = pki.status(facts, _wanted(material))
    assert not result["reissue"] and not result["up_to_date"]
    assert result["leaf"] == material["leaf_pem"].strip()
    assert result["reasons"] == [
        "the certificate file is not the certificate and the CA",
        "the CA file is not the CA certificate",
        "/x/server.key: mode 0644, not 0600",
    ]


def test_certificate_file_layout():
    assert pki.certificate_file("LEAF\n", "CA\n", True) == "LEAF\nCA\n"
    assert pki.certificate_file("LEAF", "CA", False) == "LEAF\n"
    assert pki.first_certificate("junk") == ""


def test_attribute_differences():
    stat = os.stat_result((0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0))
    names = {"user": lambda uid: {0: "root"}[uid], "group": lambda gid: {0: "root"}[gid]}
    assert pki.attribute_differences("/f", stat, "root", "root", "0644", names) == []
    assert pki.attribute_differences("/f", stat, "flopsar", "flopsar", "0600", names) == [
        "/f: owner root, not flopsar",
        "/f: group root, not flopsar",
        "/f: mode 0644, not 0600",
    ]
    assert pki.attribute_differences("/f", None, "root", "root", "0644", names) == ["/f: missing"]


def test_an_unreadable_private_key_has_no_public_half():
    assert pki.private_key_public_pem(b"not a key") == ""
