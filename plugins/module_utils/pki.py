# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a host's TLS material already what the collection's PKI would issue? (roles/_common/tasks/pki.yml)

One read decides it, so that an idempotent run skips the key, the request, the signing and the copies:
``status()`` compares what is on the host (the certificate file, the CA file, the key's public half,
their owners and modes) with what the PKI wants (the names, the CA, the renewal window) and says
whether everything is right (``up_to_date``), whether a new certificate must be signed (``reissue``)
and why (``reasons``).

``status()`` is a pure function over facts: ``inspect_certificate()`` turns a PEM certificate into
those facts with the ``cryptography`` library (the host has it: the server role installs
python3-cryptography before its TLS phase). Nothing here reads or returns a private key: the caller
passes its public half.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import datetime
import ipaddress
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    HAS_CRYPTOGRAPHY = True
except ImportError:  # the caller reports it; a host without the library gets a new certificate path
    HAS_CRYPTOGRAPHY = False

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")


def first_certificate(text):
    """The first PEM certificate of a file's text ('' when there is none)."""
    found = PEM_CERTIFICATE.search(text or "")
    return found.group(0) if found else ""


def certificate_file(leaf, ca_cert, chain):
    """The certificate file the PKI writes: the leaf, then the CA when the service reads the chain from one file."""
    parts = [leaf.strip()] + ([ca_cert.strip()] if chain and ca_cert.strip() else [])
    return "\n".join(parts) + "\n"


def normalise_name(name):
    """'DNS:x' or 'IP:a' in one spelling (lower-case DNS names, compressed IP addresses)."""
    kind, _sep, value = name.partition(":")
    kind = kind.strip().upper()
    if kind == "IP":
        try:
            return "IP:" + str(ipaddress.ip_address(value.strip()))
        except ValueError:
            return "IP:" + value.strip()
    return "%s:%s" % (kind, value.strip().lower())


def status(facts, wanted):
    """The verdict on a host's TLS material.

    ``facts``: ``certificate_text`` (the certificate file, '' when missing), ``ca_text`` (the host's CA
    file, '' when missing), ``leaf`` (``inspect_certificate()`` of the file's first certificate, or None),
    ``key_public`` (the key file's public key in PEM, '' when missing or unreadable), ``inspect_error``
    (why the certificate could not be read, or ''), ``attributes`` (a list of 'path: what differs').

    ``wanted``: ``common_name``, ``names`` ('DNS:..', 'IP:..'), ``ca_cert`` (PEM, '' when unknown yet),
    ``chain`` (bool), ``now`` (aware datetime), ``renew_days`` (int).

    Returns ``reissue`` (a new certificate must be signed), ``up_to_date`` (nothing to do at all),
    ``reasons`` (what is not right, for people), ``leaf`` (the current leaf PEM, kept when not reissued).
    """
    reasons = []
    leaf_pem = first_certificate(facts.get("certificate_text", ""))
    leaf = facts.get("leaf")
    ca_cert = (wanted.get("ca_cert") or "").strip()
    if not ca_cert:
        reasons.append("the CA certificate is not known yet")
    if not leaf_pem:
        reasons.append("no certificate")
    elif leaf is None:
        reasons.append("the certificate cannot be read: %s" % (facts.get("inspect_error") or "unknown error"))
    else:
        if leaf["common_name"] != wanted["common_name"]:
            reasons.append("its common name is %s, not %s" % (leaf["common_name"], wanted["common_name"]))
        have = sorted({normalise_name(n) for n in leaf["names"]})
        want = sorted({normalise_name(n) for n in wanted["names"]})
        if have != want:
            reasons.append("it names %s, not %s" % (", ".join(have), ", ".join(want)))
        if not facts.get("key_public"):
            reasons.append("no private key")
        elif facts["key_public"].strip() != leaf["public_key"].strip():
            reasons.append("it does not match the private key")
        if ca_cert and not leaf["signed_by_ca"]:
            reasons.append("it is not signed by the CA")
        renew_at = wanted["now"] + datetime.timedelta(days=int(wanted["renew_days"]))
        if not leaf["not_before"] <= wanted["now"] or leaf["not_after"] < renew_at:
            reasons.append("it expires within %s days (%s)" % (wanted["renew_days"], leaf["not_after"].isoformat()))
    reissue = bool(reasons)
    if not reissue:
        if facts.get("certificate_text", "") != certificate_file(leaf_pem, ca_cert, wanted["chain"]):
            reasons.append("the certificate file is not the certificate%s" % (" and the CA" if wanted["chain"] else ""))
        if (facts.get("ca_text") or "").strip() != ca_cert:
            reasons.append("the CA file is not the CA certificate")
    reasons.extend(facts.get("attributes", []))
    return dict(reissue=reissue, up_to_date=not reasons, reasons=reasons, leaf="" if reissue else leaf_pem)


def attribute_differences(path, stat_result, owner, group, mode, names):
    """'path: owner x, not y' lines for a file's owner, group and mode (``names`` maps uid/gid to names)."""
    if stat_result is None:
        return ["%s: missing" % path]
    found = []
    have_owner = names["user"](stat_result.st_uid)
    have_group = names["group"](stat_result.st_gid)
    if have_owner != owner:
        found.append("%s: owner %s, not %s" % (path, have_owner, owner))
    if have_group != group:
        found.append("%s: group %s, not %s" % (path, have_group, group))
    if stat_result.st_mode & 0o7777 != int(mode, 8):
        found.append("%s: mode %04o, not %s" % (path, stat_result.st_mode & 0o7777, mode))
    return found


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017  (the host may run an older Python)


def _signed_by(cert, ca):
    """Whether ``ca``'s key signed ``cert`` (EC and RSA, the keys the collection's PKI and operators' CAs use)."""
    if cert.issuer != ca.subject:
        return False
    key = ca.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            return False
    except Exception:  # noqa: BLE001  (InvalidSignature or an unsupported algorithm: not signed by it)
        return False
    return True


def public_key_pem(public_key):
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(
        "ascii"
    )


def private_key_public_pem(data):
    """The public half of a PEM private key ('' when it cannot be loaded). The private key is not kept."""
    try:
        return public_key_pem(serialization.load_pem_private_key(data, password=None).public_key())
    except Exception:  # noqa: BLE001  (unreadable, encrypted or not a key: the PKI makes a new one)
        return ""


def inspect_certificate(leaf_pem, ca_pem):
    """The facts ``status()`` reads about a PEM certificate (cryptography); raises ValueError when unreadable."""
    cert = x509.load_pem_x509_certificate(leaf_pem.encode("ascii"))
    names = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = ["DNS:" + n for n in san.get_values_for_type(x509.DNSName)]
        names += ["IP:" + str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    signed = False
    if ca_pem.strip():
        signed = _signed_by(cert, x509.load_pem_x509_certificate(first_certificate(ca_pem).encode("ascii")))
    return dict(
        common_name=cn[0].value if cn else "",
        names=names,
        public_key=public_key_pem(cert.public_key()),
        not_before=_aware(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before),
        not_after=_aware(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after),
        signed_by_ca=signed,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )
