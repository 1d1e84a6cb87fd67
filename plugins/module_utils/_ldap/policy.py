# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security switches (use_ssl, skip_verify, the CA) against the profile, and the bind account."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    PROFILES,
    WARNING,
    Finding,
)


def check_security(use_ssl, skip_verify, profile="production", ca_given=False, host_is_ip=False):
    """CLEARTEXT_LDAP, SKIP_VERIFY, SKIP_VERIFY_WITHOUT_SSL, CA_IGNORED, CA_NOT_GIVEN, URL_IP_WITH_TLS."""
    if profile not in PROFILES:
        raise ValueError("profile must be one of %s" % ", ".join(PROFILES))
    strict = ERROR if profile == "production" else WARNING
    findings = []
    if not use_ssl:
        findings.append(
            Finding(
                "CLEARTEXT_LDAP",
                strict,
                "use_ssl",
                "use_ssl is off: the bind password and every user's password cross the network in clear text "
                "(ldap://). Turn use_ssl on (ldaps, port 636) with the directory's CA certificate.",
            )
        )
        if skip_verify:
            findings.append(
                Finding(
                    "SKIP_VERIFY_WITHOUT_SSL",
                    WARNING,
                    "skip_verify",
                    "skip_verify has no effect without use_ssl (the product ignores it); turn use_ssl on and "
                    "skip_verify off.",
                )
            )
        if ca_given:
            findings.append(
                Finding(
                    "CA_IGNORED",
                    WARNING,
                    "ca_cert",
                    "A CA certificate is given but use_ssl is off, so the product ignores it. Turn use_ssl on.",
                )
            )
        return findings
    if skip_verify:
        findings.append(
            Finding(
                "SKIP_VERIFY",
                strict,
                "skip_verify",
                "skip_verify accepts any certificate, so anyone on the path can impersonate the directory and "
                "collect passwords. Turn it off and give the CA that issued the directory's certificate in ca_cert "
                "(the product's CA Certificate field).",
            )
        )
        if ca_given:
            findings.append(
                Finding(
                    "CA_IGNORED",
                    WARNING,
                    "ca_cert",
                    "A CA certificate is given but skip_verify is on, so it is not used. Turn skip_verify off.",
                )
            )
        return findings
    if not ca_given:
        findings.append(
            Finding(
                "CA_NOT_GIVEN",
                WARNING,
                "ca_cert",
                "No CA certificate is given: the probe verifies the directory against this host's system trust "
                "store, and whether the product does the same is not documented. Give the issuing CA in ca_cert "
                "and paste it into the product's CA Certificate field.",
            )
        )
    if host_is_ip:
        findings.append(
            Finding(
                "URL_IP_WITH_TLS",
                WARNING,
                "url",
                "The URL names an IP address, so the directory's certificate must list that address as an IP "
                "subject alternative name; directory certificates usually carry DNS names only. Prefer the DNS name "
                "the certificate was issued for.",
            )
        )
    return findings


def check_bind(bind_dn, bind_password_given):
    """BIND_DN_NO_PASSWORD and BIND_ANONYMOUS (the password itself is never seen here)."""
    if bind_dn:
        if not bind_password_given:
            return [
                Finding(
                    "BIND_DN_NO_PASSWORD",
                    ERROR,
                    "bind_password",
                    "A bind DN without a password is an unauthenticated bind (RFC 4513 5.1.2): many servers treat "
                    "it as anonymous, some refuse it. Give the service account's password in bind_password.",
                )
            ]
        return []
    return [
        Finding(
            "BIND_ANONYMOUS",
            WARNING,
            "bind_dn",
            "No bind DN: the product would search the directory anonymously, which most directories (Active "
            "Directory included) refuse or restrict. Create a read-only service account and give its DN and "
            "password.",
        )
    ]
