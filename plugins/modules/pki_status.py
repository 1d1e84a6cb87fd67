#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: pki_status
short_description: Tell in one read whether a host's TLS key and certificate are what the collection's PKI issues
version_added: 1.1.0
author: hardened.flopsar engineers (@hardened-flopsar)
description:
  - Reads the certificate file, the CA file and the private key's public half on the host, and their owners and
    modes, and compares them with what the collection's PKI would issue (roles/_common/tasks/pki.yml).
  - The certificate must name exactly O(names) with the common name O(common_name), match the private key, be
    signed by O(ca_cert), and stay valid for O(renew_days) more days; the files must hold it (and the CA after it
    with O(chain)) and the CA, with the given owners and modes.
  - Changes nothing. The private key is never returned, only whether its public half matches the certificate.
options:
  cert_path:
    description: The certificate file (the leaf first).
    type: path
    required: true
  key_path:
    description: The private key file.
    type: path
    required: true
  ca_path:
    description: The CA certificate file beside them.
    type: path
    required: true
  ca_cert:
    description: The CA certificate (PEM) that must have signed the certificate; empty when not known yet.
    type: str
    default: ""
  common_name:
    description: The certificate's common name.
    type: str
    required: true
  names:
    description: The subject alternative names, C(DNS:name) or C(IP:address).
    type: list
    elements: str
    required: true
  chain:
    description: The certificate file holds the certificate, then the CA.
    type: bool
    default: false
  renew_days:
    description: A certificate valid for fewer days than this needs a new one.
    type: int
    default: 30
  key_owner:
    description: Owner of the private key file.
    type: str
    required: true
  key_group:
    description: Group of the private key file.
    type: str
    required: true
  cert_group:
    description: Group of the certificate and CA files (their owner is root).
    type: str
    required: true
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
requirements:
  - cryptography (python3-cryptography) on the host, to read an existing certificate
notes:
  - Without the cryptography library an existing certificate cannot be read; the result then asks for a new one.
"""

EXAMPLES = r"""
- name: Is the server's TLS material up to date?
  hardened.flopsar.pki_status:
    cert_path: /etc/flopsar/ssl/server.crt
    key_path: /etc/flopsar/ssl/server.key
    ca_path: /etc/flopsar/ssl/ca.crt
    ca_cert: "{{ ca_pem }}"
    common_name: "{{ inventory_hostname }}"
    names: [DNS:server1, IP:10.0.0.10]
    chain: true
    renew_days: 30
    key_owner: flopsar
    key_group: flopsar
    cert_group: flopsar
  register: tls_status
"""

RETURN = r"""
up_to_date:
  description: Everything is right; nothing needs to be made, signed or written.
  type: bool
  returned: always
reissue:
  description: A new certificate must be signed (missing, other names, other key or CA, or due for renewal).
  type: bool
  returned: always
reasons:
  description: What is not right, one sentence each.
  type: list
  elements: str
  returned: always
leaf:
  description: The current certificate (PEM), when it can be kept; empty when it must be reissued.
  type: str
  returned: always
found:
  description: A certificate file exists.
  type: bool
  returned: always
"""

import datetime
import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.hardened.flopsar.plugins.module_utils import pki


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cert_path=dict(type="path", required=True),
            key_path=dict(type="path", required=True),
            ca_path=dict(type="path", required=True),
            ca_cert=dict(type="str", default=""),
            common_name=dict(type="str", required=True),
            names=dict(type="list", elements="str", required=True),
            chain=dict(type="bool", default=False),
            renew_days=dict(type="int", default=30),
            key_owner=dict(type="str", required=True, no_log=False),
            key_group=dict(type="str", required=True, no_log=False),
            cert_group=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cert_bytes = _read(p["cert_path"])
    ca_bytes = _read(p["ca_path"])
    facts = dict(
        certificate_text=to_text(cert_bytes or b"", errors="surrogate_or_strict"),
        ca_text=to_text(ca_bytes or b"", errors="surrogate_or_strict"),
        leaf=None,
        key_public="",
        inspect_error="",
    )
    leaf_pem = pki.first_certificate(facts["certificate_text"])
    if leaf_pem and not pki.HAS_CRYPTOGRAPHY:
        facts["inspect_error"] = "the Python cryptography library is not installed on the host"
    elif leaf_pem:
        try:
            facts["leaf"] = pki.inspect_certificate(leaf_pem, p["ca_cert"])
        except ValueError as exc:
            facts["inspect_error"] = str(exc)
        key_bytes = _read(p["key_path"])
        facts["key_public"] = pki.private_key_public_pem(key_bytes) if key_bytes else ""
    names = dict(user=_user, group=_group)
    facts["attributes"] = (
        pki.attribute_differences(p["key_path"], _stat(p["key_path"]), p["key_owner"], p["key_group"], "0600", names)
        + pki.attribute_differences(p["cert_path"], _stat(p["cert_path"]), "root", p["cert_group"], "0644", names)
        + pki.attribute_differences(p["ca_path"], _stat(p["ca_path"]), "root", p["cert_group"], "0644", names)
    )
    wanted = dict(
        common_name=p["common_name"],
        names=p["names"],
        ca_cert=p["ca_cert"],
        chain=p["chain"],
        now=datetime.datetime.now(datetime.timezone.utc),  # noqa: UP017  (older Pythons on hosts)
        renew_days=p["renew_days"],
    )
    result = pki.status(facts, wanted)
    module.exit_json(changed=False, found=bool(leaf_pem), **result)


if __name__ == "__main__":
    main()
