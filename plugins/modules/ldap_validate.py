#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module boilerplate)

DOCUMENTATION = r"""
module: ldap_validate
short_description: Check the Flopsar Server's LDAP settings before they are entered in the product
version_added: 1.0.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - The Flopsar Server's only outbound connection is to an LDAP directory. Its settings (server URL, bind DN
    and password, user base DN, user filter, user UID attribute, Use SSL/TLS, Skip Certificate Verification,
    CA Certificate) are entered in the product's Identity & Access screens, not in C(settings.toml). This
    module tells an operator, before typing them in, that they are right and safe.
  - Offline checks, always, of the URL (host or host:port, IPv6 in brackets, port range, a scheme that
    contradicts O(use_ssl), a port of the other protocol), the DNs (RFC 4514), the filter (RFC 4515) and its
    placeholder, the UID attribute (RFC 4512), the CA certificate (parsable, a CA, within its validity), and
    the security switches (cleartext LDAP and skipped verification are errors in the V(production) profile).
  - Live checks, when O(probe) is not V(none), read-only, from the managed host, in this order. DNS, TCP to
    every address, TLS with certificate and host name verification, the service-account bind, the base DN, the
    search for O(test_user), and a bind as that user. The probe stops at the first stage that fails. The bind and later
    stages are skipped when the offline checks found errors, so no credentials are sent over a connection
    already known to be unsafe.
  - Every problem is a finding with a stable code and a message that says how to fix it. The module fails
    when any finding is an error, unless O(fail_on_error=false).
  - Returns the settings to enter in the product (never a password) and the egress endpoint the firewall
    role takes in C(firewall_egress).
options:
  url:
    description:
      - The directory's address as the product's Server URL field takes it, C(host) or C(host:port), for
        example V(dc01.example.com:636), V(192.0.2.10) or V([2001:db8::10]:636).
      - An V(ldap://) or V(ldaps://) prefix and a trailing C(/) are accepted with a warning (the product's
        field takes none); a prefix that contradicts O(use_ssl) is an error.
      - Without a port, the default of the protocol applies (636 with O(use_ssl), 389 without).
    type: str
    required: true
  bind_dn:
    description:
      - DN of the read-only service account the product binds with to search for users.
      - An Active Directory user principal name (C(svc@example.com)) or C(DOMAIN\user) is accepted with a warning.
      - Without it the product would search anonymously (a warning).
    type: str
  bind_password:
    description:
      - Password of O(bind_dn). Used only by the probe; never returned.
    type: str
  user_base_dn:
    description:
      - DN under which users are searched, for example V(ou=People,dc=example,dc=com).
    type: str
    required: true
  user_filter:
    description:
      - LDAP filter (RFC 4515) that finds the entry of the user logging in, in one of two forms.
      - With O(user_placeholder) where the login name goes, for example V((&(objectClass=person\)(uid={username}\)\)).
      - Or a class filter without it, for example V((objectClass=person\)), searched AND-ed with O(uid_attribute)
        matched on the login name (V((&(objectClass=person\)(uid=<login>\)\))).
    type: str
    required: true
  uid_attribute:
    description:
      - The attribute of the user's entry that holds the user name (the product's user UID attribute), for
        example V(uid) (OpenLDAP) or V(sAMAccountName) (Active Directory).
    type: str
    default: uid
  use_ssl:
    description:
      - The product's Use SSL/TLS switch. On means V(ldaps://) (port 636 by default), off means cleartext
        V(ldap://) (port 389 by default). The product does not use StartTLS.
    type: bool
    default: true
  skip_verify:
    description:
      - The product's Skip Certificate Verification switch. An error in the V(production) profile, a warning in
        V(lab). Ignored, with a warning, when O(use_ssl) is off.
    type: bool
    default: false
  ca_cert:
    description:
      - The CA certificate that issued the directory's certificate, as the product's CA Certificate field takes
        it. Either PEM text (it contains C(-----BEGIN CERTIFICATE-----)) or the absolute path of a PEM file on the
        managed host.
      - Checked offline (a certificate, a CA, within its validity, no private key with it) and used by the probe
        to verify the directory. Without it the probe verifies against the managed host's system trust store.
    type: str
  profile:
    description:
      - V(production) treats cleartext LDAP and O(skip_verify) as errors, V(lab) as warnings.
    type: str
    choices: [production, lab]
    default: production
  probe:
    description:
      - How far the live checks go. V(none) checks offline only. V(connect) resolves, connects and, with
        O(use_ssl), completes a verified TLS handshake. V(bind) also binds as O(bind_dn). V(search) also checks
        O(user_base_dn), searches for O(test_user) with O(user_filter) (exactly one entry, carrying
        O(uid_attribute)) and, when O(test_password) is given, binds as the entry found.
      - V(bind) and V(search) need the C(ldap3) Python library on the managed host.
    type: str
    choices: [none, connect, bind, search]
    default: none
  test_user:
    description:
      - A login name to search for with O(probe=search); it is escaped (RFC 4515) before it replaces
        O(user_placeholder).
    type: str
  test_password:
    description:
      - The password of O(test_user). With O(probe=search), the module also binds as the entry found, as the
        product does at a login. Never returned.
    type: str
  timeout:
    description:
      - Seconds to wait for each network operation of the probe (1 to 300).
    type: int
    default: 5
  user_placeholder:
    description:
      - The token in O(user_filter) that the product replaces with the login name.
      - The product's placeholder syntax is B(not documented); V({username}) is an assumption. Set this to the
        token your product version uses. The filter is checked with the placeholder standing for a login name.
    type: str
    default: "{username}"
  fail_on_error:
    description:
      - Fail the task when a finding is an error. When false, the task succeeds and RV(valid) says whether the
        settings are good.
    type: bool
    default: true
attributes:
  check_mode:
    description: Nothing is changed in any mode; the checks and the probe (read-only) run in check mode too.
    support: full
  diff_mode:
    description: Nothing is changed, so there is nothing to show.
    support: none
requirements:
  - ldap3 (only for O(probe=bind) and O(probe=search); Debian package C(python3-ldap3))
notes:
  - Run it where the product runs, on the Flopsar Server host (C(delegate_to) it when the play targets something
    else), with the host firewall in place. The probe then takes the same path as the server's own connection,
    through the same DNS servers and egress rules; a probe from the controller proves nothing about the server.
  - The probe verifies TLS with Python's C(ssl) module (OpenSSL). The product's TLS library for LDAP is not
    documented; a certificate that passes here is very likely, not certainly, accepted there.
  - The C(cryptography) library, when importable on the managed host, parses the CA certificate; otherwise
    OpenSSL, through Python's C(ssl) module, does, with less detail about certificates that are not CAs.
  - The finding codes and what to do about each are listed in the collection's C(docs/ldap.md).
seealso:
  - name: Flopsar 7 network surface and port reference
    description: The LDAP connection is the server's only outbound connection.
    link: https://docs.flopsar.com/7/security/network-surface-and-port-reference
  - name: Flopsar 7 LDAP
    description: The product's LDAP fields and modes.
    link: https://docs.flopsar.com/7/administrator-guide/ldap
"""

EXAMPLES = r"""
- name: Check the LDAP settings offline
  hardened.flopsar.ldap_validate:
    url: dc01.example.com:636
    bind_dn: CN=svc-flopsar,OU=Service Accounts,DC=example,DC=com
    bind_password: "{{ vault_flopsar_ldap_bind_password }}"
    user_base_dn: OU=People,DC=example,DC=com
    user_filter: (&(objectClass=user)(sAMAccountName={username}))
    uid_attribute: sAMAccountName
    ca_cert: /etc/ssl/certs/example-root-ca.pem

- name: Check them from the Flopsar server, through its firewall, with a test login
  hardened.flopsar.ldap_validate:
    url: dc01.example.com:636
    bind_dn: CN=svc-flopsar,OU=Service Accounts,DC=example,DC=com
    bind_password: "{{ vault_flopsar_ldap_bind_password }}"
    user_base_dn: OU=People,DC=example,DC=com
    user_filter: (&(objectClass=user)(sAMAccountName={username}))
    uid_attribute: sAMAccountName
    ca_cert: "{{ lookup('ansible.builtin.file', 'files/example-root-ca.pem') }}"
    probe: search
    test_user: jdoe
    test_password: "{{ vault_flopsar_ldap_test_password }}"
  delegate_to: "{{ groups['flopsar_servers'][0] }}"
  register: flopsar_ldap

- name: Allow the server to reach the directory, and nothing else
  ansible.builtin.include_role:
    name: hardened.flopsar.firewall
  vars:
    firewall_egress: "{{ flopsar_ldap.egress }}"

- name: Report the findings of a lab directory without failing
  hardened.flopsar.ldap_validate:
    url: ldap.lab.test
    use_ssl: false
    profile: lab
    bind_dn: cn=admin,dc=flopsar,dc=test
    bind_password: "{{ lab_ldap_admin_password }}"
    user_base_dn: ou=People,dc=flopsar,dc=test
    user_filter: (uid={username})
    fail_on_error: false
  register: lab_ldap
"""

RETURN = r"""
valid:
  description: True when no finding is an error.
  type: bool
  returned: always
  sample: true
findings:
  description:
    - Every problem found, offline and by the probe, errors and warnings.
    - Warnings are also shown as task warnings.
  type: list
  elements: dict
  returned: always
  contains:
    code:
      description: Stable code of the finding (see docs/ldap.md), for example C(DN_SYNTAX) or C(TLS_VERIFY_FAILED).
      type: str
      sample: SKIP_VERIFY
    severity:
      description: C(error) or C(warning).
      type: str
      sample: error
    field:
      description: The option the finding is about.
      type: str
      sample: skip_verify
    message:
      description: What is wrong and how to fix it.
      type: str
      sample: skip_verify accepts any certificate, ...
settings:
  description:
    - What to enter in the product, normalised. Never contains a password.
    - The host, port and url_for_product keys are null when the URL cannot be parsed.
  type: dict
  returned: always
  contains:
    url_for_product:
      description: The Server URL field, C(host:port) with an IPv6 address in brackets.
      type: str
      sample: dc01.example.com:636
    scheme:
      description: C(ldaps) or C(ldap), as O(use_ssl) decides.
      type: str
      sample: ldaps
    host:
      description: The directory's host name or address (IPv6 without brackets).
      type: str
      sample: dc01.example.com
    port:
      description: The port, the protocol's default when the URL has none.
      type: int
      sample: 636
    use_ssl:
      description: The Use SSL/TLS switch.
      type: bool
      sample: true
    skip_verify:
      description: The Skip Certificate Verification switch (false when O(use_ssl) is off, since it is then ignored).
      type: bool
      sample: false
    bind_dn:
      description: The bind DN, as given.
      type: str
      sample: CN=svc-flopsar,OU=Service Accounts,DC=example,DC=com
    user_base_dn:
      description: The user base DN, as given.
      type: str
      sample: OU=People,DC=example,DC=com
    user_filter:
      description: The user filter, as given.
      type: str
      sample: (&(objectClass=user)(sAMAccountName={username}))
    uid_attribute:
      description: The user UID attribute.
      type: str
      sample: sAMAccountName
    ca_certificate:
      description:
        - The PEM text for the CA Certificate field.
        - Null without O(ca_cert), without O(use_ssl) or with O(skip_verify).
      type: str
      sample: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU...\n-----END CERTIFICATE-----"
egress:
  description:
    - The outbound endpoint the server needs, in the form C(firewall_egress) of the firewall role takes.
    - One entry when the URL can be parsed, none otherwise. Its addresses are resolved on the managed host, also
      with O(probe=none); the list is empty when the name does not resolve there.
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: A label for the firewall rule.
      type: str
      sample: ldaps to dc01.example.com
    host:
      description: The directory's host name or address.
      type: str
      sample: dc01.example.com
    port:
      description: The destination port.
      type: int
      sample: 636
    addresses:
      description: The addresses the host resolves to on the managed host.
      type: list
      elements: str
      sample: [192.0.2.10, 2001:db8::10]
    protocol:
      description: Always C(tcp).
      type: str
      sample: tcp
ldap3_available:
  description:
    - Whether the C(ldap3) library the live probe needs is importable on the managed host (the ldap role installs
      python3-ldap3 only when it is not).
  type: bool
  returned: always
  version_added: 1.1.0
probe:
  description: What the live checks did.
  type: dict
  returned: always
  contains:
    level:
      description: The O(probe) requested.
      type: str
      sample: search
    completed:
      description: True when every requested stage passed.
      type: bool
      sample: true
    stages:
      description:
        - One entry per stage run, C(stage) (dns, tcp, tls, bind, base_dn, search, user_bind), C(ok) (true, false,
          or null when skipped), C(message) and, on failure, C(code).
      type: list
      elements: dict
      sample: [{stage: dns, ok: true, message: dc01.example.com resolves to 192.0.2.10}]
    addresses:
      description: The addresses resolved.
      type: list
      elements: str
      sample: [192.0.2.10]
    reachable:
      description: The addresses that accepted a TCP connection.
      type: list
      elements: str
      sample: [192.0.2.10]
    tls:
      description: Per reachable address, the TLS C(version), C(cipher) and certificate C(not_after).
      type: list
      elements: dict
      sample:
        - {address: 192.0.2.10, version: TLSv1.3, cipher: TLS_AES_256_GCM_SHA384, not_after: "Jun  1 00:00:00 2030 GMT"}
    user_dn:
      description: The DN of the entry O(test_user) found.
      type: str
      sample: CN=John Doe,OU=People,DC=example,DC=com
    uid_value:
      description: The value of O(uid_attribute) in that entry.
      type: str
      sample: jdoe
"""

from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.ca import (
    check_ca,
    check_ca_text,
    looks_like_pem,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
    error_codes,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.url import (
    normalise,
)
from ansible_collections.hardened.flopsar.plugins.module_utils.ldap_checks import (
    check_settings,
)
from ansible_collections.hardened.flopsar.plugins.module_utils.ldap_probe import (
    HAS_LDAP3,
    LDAP3_IMPORT_ERROR,
    ProbeRequest,
    SystemNetwork,
    ca_facts,
    run_probe,
)

ARGUMENT_SPEC = dict(
    url=dict(type="str", required=True),
    bind_dn=dict(type="str"),
    bind_password=dict(type="str", no_log=True),
    user_base_dn=dict(type="str", required=True),
    user_filter=dict(type="str", required=True),
    uid_attribute=dict(type="str", default="uid"),
    use_ssl=dict(type="bool", default=True),
    skip_verify=dict(type="bool", default=False),
    ca_cert=dict(type="str"),
    profile=dict(type="str", default="production", choices=["production", "lab"]),
    probe=dict(type="str", default="none", choices=["none", "connect", "bind", "search"]),
    test_user=dict(type="str"),
    test_password=dict(type="str", no_log=True),
    timeout=dict(type="int", default=5),
    user_placeholder=dict(type="str", default="{username}"),
    fail_on_error=dict(type="bool", default=True),
)

MAX_CA_BYTES = 1024 * 1024


def load_ca(value):
    """The CA option -> (PEM text or None, findings). Inline PEM is used as is, anything else is a path."""
    if not value:
        return None, []
    if looks_like_pem(value):
        return value, []
    try:
        with open(value, "rb") as handle:
            data = handle.read(MAX_CA_BYTES + 1)
    except OSError as exc:
        return None, [
            Finding(
                "CA_UNREADABLE",
                ERROR,
                "ca_cert",
                "ca_cert is not PEM text, and as a path on this host it cannot be read: %s. Give the absolute "
                "path of a PEM file on the managed host, or the PEM text itself." % (exc.strerror or exc),
            )
        ]
    if len(data) > MAX_CA_BYTES:
        return None, [
            Finding("CA_UNPARSABLE", ERROR, "ca_cert", "%s is larger than 1 MiB; it is not a CA certificate." % value)
        ]
    return to_text(data, errors="surrogate_or_replace"), []


def ca_findings(text, now):
    findings = check_ca_text(text)
    if any(f.code == "CA_UNPARSABLE" for f in findings):
        return findings
    facts, error = ca_facts(text)
    return findings + check_ca(facts, now, parse_error=error)


def egress_for(settings, addresses):
    if not settings["host"]:
        return []
    return [
        dict(
            name="%s to %s" % (settings["scheme"], settings["host"]),
            host=settings["host"],
            port=settings["port"],
            addresses=list(addresses),
            protocol="tcp",
        )
    ]


def scrub(value, secrets):
    """Replace any secret that slipped into a string (defence in depth; no message is built with one)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "********")
        return value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, secrets) for v in value]
    return value


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_together=[("bind_dn", "bind_password")],
        required_by={"test_password": "test_user"},
    )
    p = module.params
    if not 1 <= p["timeout"] <= 300:
        module.fail_json(msg="timeout must be between 1 and 300 seconds, not %d" % p["timeout"])
    if not p["user_placeholder"]:
        module.fail_json(msg="user_placeholder must not be empty")
    secrets = [s for s in (p["bind_password"], p["test_password"]) if s]
    now = datetime.now(timezone.utc)  # noqa: UP017  (datetime.UTC is Python 3.11+)

    ca_text, findings = load_ca(p["ca_cert"])
    findings += check_settings(
        p["url"],
        p["user_base_dn"],
        p["user_filter"],
        bind_dn=p["bind_dn"],
        bind_password_given=bool(p["bind_password"]),
        uid_attribute=p["uid_attribute"],
        use_ssl=p["use_ssl"],
        skip_verify=p["skip_verify"],
        profile=p["profile"],
        user_placeholder=p["user_placeholder"],
        ca_given=bool(p["ca_cert"]),
    )
    if ca_text is not None:
        findings += ca_findings(ca_text, now)

    settings = normalise(p["url"], p["use_ssl"], p["skip_verify"])
    verify = settings["use_ssl"] and not settings["skip_verify"]
    settings.update(
        bind_dn=p["bind_dn"],
        user_base_dn=p["user_base_dn"],
        user_filter=p["user_filter"],
        uid_attribute=p["uid_attribute"],
        ca_certificate=ca_text if verify else None,
    )

    network = SystemNetwork()
    report = dict(level=p["probe"], completed=False, stages=[])
    addresses = None
    if p["probe"] != "none" and settings["host"]:
        if p["probe"] in ("bind", "search") and not HAS_LDAP3:
            module.fail_json(msg=missing_required_lib("ldap3"), exception=LDAP3_IMPORT_ERROR)
        request = ProbeRequest(
            host=settings["host"],
            port=settings["port"],
            user_base_dn=p["user_base_dn"],
            user_filter=p["user_filter"],
            level=p["probe"],
            use_ssl=settings["use_ssl"],
            skip_verify=settings["skip_verify"],
            ca_pem=ca_text if verify else None,
            bind_dn=p["bind_dn"],
            bind_password=p["bind_password"],
            uid_attribute=p["uid_attribute"],
            user_placeholder=p["user_placeholder"],
            test_user=p["test_user"],
            test_password=p["test_password"],
            timeout=p["timeout"],
            credentials_allowed=not any(f.severity == ERROR for f in findings),
        )
        report, probe_findings = run_probe(network, request)
        findings += probe_findings
        if report["addresses"]:
            addresses = report["addresses"]
    elif p["probe"] != "none":
        report["stages"] = [dict(stage="dns", ok=None, message="skipped: the URL cannot be parsed")]
    if addresses is None and settings["host"]:
        try:
            addresses = network.resolve(settings["host"], settings["port"])
        except (OSError, UnicodeError):
            addresses = []

    for finding in findings:
        if finding.severity == WARNING:
            module.warn(scrub("%s (%s): %s" % (finding.code, finding.field, finding.message), secrets))
    codes = error_codes(findings)
    result = scrub(
        dict(
            changed=False,
            valid=not codes,
            findings=[f.as_dict() for f in findings],
            settings=settings,
            egress=egress_for(settings, addresses or []),
            probe=report,
            ldap3_available=HAS_LDAP3,
        ),
        secrets,
    )
    if codes and p["fail_on_error"]:
        details = "; ".join("%s (%s): %s" % (f.code, f.field, f.message) for f in findings if f.severity == ERROR)
        module.fail_json(
            msg=scrub("LDAP settings are not valid: %s. %s" % (", ".join(codes), details), secrets), **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
