# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline checks of the Flopsar Server's LDAP settings, before an operator types them into the product.

The product (Identity & Access screens) takes: a server URL (host[:port], no
scheme), a bind DN and password, a user base DN, a user filter, a user UID
attribute, ``use_ssl`` (ldaps, 636; otherwise ldap, 389), ``skip_verify`` and a
CA certificate (docs/ldap.md, flopsar.md sections 3.4 and 4).

Every check returns *findings*: ``Finding(code, severity, field, message)``,
where ``severity`` is ``error`` or ``warning``, ``code`` is stable (the table in
docs/ldap.md) and the message says how to fix the setting. Nothing here echoes
a password: the functions that need to know about one take a boolean.

Pure functions only: no Ansible imports, no third-party imports, no I/O. The
certificate checks take facts (``ca_facts()`` in ldap_probe.py parses PEM).

Each concern lives in a private module of plugins/module_utils/_ldap/: findings, url, dn,
filter (with the UID attribute), policy (the security switches and the bind account) and ca.
This module puts them together in ``check_settings()``; those modules are private to the collection
(ldap_probe.py and the ldap_validate module use them too).

Grammars implemented: RFC 4514 (DN strings, with the RFC 2253 leniency for
spaces around separators reported as a warning), RFC 4515 (filters), RFC 4512
(attribute descriptions).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.dn import (
    check_dn,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.filter import (
    check_attribute,
    check_filter,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.policy import (
    check_bind,
    check_security,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.url import (
    check_url,
)


def check_settings(
    url,
    user_base_dn,
    user_filter,
    bind_dn=None,
    bind_password_given=False,
    uid_attribute="uid",
    use_ssl=True,
    skip_verify=False,
    profile="production",
    user_placeholder="{username}",
    ca_given=False,
):
    """All offline checks but the CA certificate's content. Returns findings."""
    parsed, findings = check_url(url, use_ssl)
    findings += check_security(
        use_ssl,
        skip_verify,
        profile,
        ca_given=ca_given,
        host_is_ip=parsed is not None and parsed.ip_version is not None,
    )
    findings += check_bind(bind_dn, bind_password_given)
    findings += check_dn(bind_dn, "bind_dn", bind_name=True)
    findings += check_dn(user_base_dn, "user_base_dn", required=True)
    findings += check_attribute(uid_attribute)
    findings += check_filter(user_filter, user_placeholder, uid_attribute)
    return findings
