# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA certificate the directory is verified with: PEM shape and the facts ldap_probe.ca_facts() gives."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import re
from datetime import timedelta

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
)

CA_EXPIRY_WARNING_DAYS = 30


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def pem_blocks(text):
    """``[(label, body)]`` of the PEM blocks in text (label e.g. 'CERTIFICATE')."""
    return [(m.group(1), m.group(2)) for m in _PEM_BLOCK.finditer(text or "")]


def looks_like_pem(value):
    return "-----BEGIN " in (value or "")


def check_ca_text(text):
    """CA_UNPARSABLE (no certificate in it) and CA_PRIVATE_KEY (a key pasted with it)."""
    findings = []
    labels = [label for label, _body in pem_blocks(text)]
    if any("PRIVATE KEY" in label for label in labels):
        findings.append(
            Finding(
                "CA_PRIVATE_KEY",
                ERROR,
                "ca_cert",
                "The CA text contains a private key. Give only the CA certificate(s); treat the key as disclosed "
                "if it was shared this way.",
            )
        )
    if "CERTIFICATE" not in labels:
        findings.append(
            Finding(
                "CA_UNPARSABLE",
                ERROR,
                "ca_cert",
                "No PEM certificate (-----BEGIN CERTIFICATE-----) found in ca_cert. Give the CA certificate in "
                "PEM form (convert DER with: openssl x509 -inform der -in ca.cer -out ca.pem).",
            )
        )
    return findings


def check_ca(facts, now, parse_error=None):
    """CA_UNPARSABLE, CA_NOT_CA, CA_EXPIRED, CA_NOT_YET_VALID, CA_EXPIRES_SOON from parsed facts.

    ``facts``: one dict per certificate, ``{subject, is_ca, not_before, not_after}`` where ``is_ca``
    is True, False (basicConstraints CA:FALSE) or None (no basicConstraints), and the dates are
    timezone-aware datetimes or None when unknown. ``now`` is a timezone-aware datetime.
    """
    if parse_error:
        return [
            Finding(
                "CA_UNPARSABLE",
                ERROR,
                "ca_cert",
                "The CA certificate cannot be read: %s. Give the CA certificate in PEM form." % parse_error,
            )
        ]
    findings = []
    for fact in facts or []:
        subject = fact.get("subject") or "(no subject)"
        if fact.get("is_ca") is not True:
            why = "has basicConstraints CA:FALSE" if fact.get("is_ca") is False else "has no basicConstraints extension"
            findings.append(
                Finding(
                    "CA_NOT_CA",
                    ERROR,
                    "ca_cert",
                    "The certificate %s %s, so it is not a CA certificate. Give the certificate of the CA that "
                    "issued the directory's certificate (not the directory's own certificate)." % (subject, why),
                )
            )
        not_before, not_after = fact.get("not_before"), fact.get("not_after")
        if not_after is not None and not_after < now:
            findings.append(
                Finding(
                    "CA_EXPIRED",
                    ERROR,
                    "ca_cert",
                    "The CA certificate %s expired on %s; get the CA's current certificate."
                    % (subject, not_after.strftime("%Y-%m-%d %H:%M UTC")),
                )
            )
        elif not_before is not None and not_before > now:
            findings.append(
                Finding(
                    "CA_NOT_YET_VALID",
                    ERROR,
                    "ca_cert",
                    "The CA certificate %s is valid only from %s; check this host's clock or the certificate."
                    % (subject, not_before.strftime("%Y-%m-%d %H:%M UTC")),
                )
            )
        elif not_after is not None and not_after < now + timedelta(days=CA_EXPIRY_WARNING_DAYS):
            findings.append(
                Finding(
                    "CA_EXPIRES_SOON",
                    WARNING,
                    "ca_cert",
                    "The CA certificate %s expires on %s, in less than %d days; plan its renewal."
                    % (subject, not_after.strftime("%Y-%m-%d"), CA_EXPIRY_WARNING_DAYS),
                )
            )
    return findings
