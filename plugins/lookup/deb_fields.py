# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
name: deb_fields
author: hardened.flopsar engineers (@hardened-flopsar)
version_added: 1.1.0
short_description: The control fields of a Debian package file on the controller
description:
  - Reads a C(.deb) file where the playbook runs and returns its control fields (C(Package), C(Version), ...).
  - "Needs no dpkg (an execution environment has none): the package's ar archive and its C(control.tar) (gzip,
    xz, bzip2 or none) are read with Python's standard library."
  - The server and crowdsec roles compare the version with the installed one before they copy anything to the host.
options:
  _terms:
    description: Paths of package files on the controller.
    type: list
    elements: path
    required: true
  unreadable:
    description:
      - What a file whose control fields cannot be read (not a package, or a control member compressed with
        zstd) gives.
      - V(fail) stops with the reason; V(empty) gives an empty mapping for it (the crowdsec role then installs
        that file without comparing). A file that cannot be opened always fails.
    type: str
    choices: [fail, empty]
    default: fail
"""

EXAMPLES = r"""
- name: The vendor package's version
  ansible.builtin.debug:
    msg: "{{ lookup('hardened.flopsar.deb_fields', '/srv/packages/flopsar-server_7.0.0_all.deb').Version }}"
"""

RETURN = r"""
_raw:
  description: The control fields of each file, one dict per path.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.hardened.flopsar.plugins.module_utils.deb import control_fields


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        results = []
        for term in terms:
            try:
                with open(term, "rb") as handle:
                    results.append(control_fields(handle))
            except (ValueError, EOFError) as exc:
                if self.get_option("unreadable") != "empty":
                    raise AnsibleLookupError("deb_fields: %s: %s" % (term, exc)) from exc
                results.append({})
            except OSError as exc:
                raise AnsibleLookupError("deb_fields: %s: %s" % (term, exc)) from exc
        return results
