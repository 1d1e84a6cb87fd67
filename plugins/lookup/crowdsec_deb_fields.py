# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup: Package, Version and Architecture of .deb files on the controller (parsing in
plugins/module_utils/crowdsec.py)."""

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
name: crowdsec_deb_fields
author: hardened.flopsar engineers (@hardened-flopsar)
version_added: 1.1.0
short_description: Package name and version of .deb files on the controller
description:
  - Reads the control file of each given Debian package file on the controller, in Python (no C(dpkg-deb) needed,
    so it works in any execution environment), and returns its C(package), C(version) and C(architecture).
  - A file whose control member cannot be read (compressed with zstd, or not a .deb) gives C(package) and
    C(version) empty; the crowdsec role then copies and installs that file as it would without the lookup.
options:
  _terms:
    description: Paths of .deb files on the controller.
    type: list
    elements: path
    required: true
"""

EXAMPLES = r"""
- name: Versions of the package files
  ansible.builtin.debug:
    msg: "{{ query('hardened.flopsar.crowdsec_deb_fields', *crowdsec_package_files) }}"
"""

RETURN = r"""
_raw:
  description: One mapping per file, in the given order.
  type: list
  elements: dict
  contains:
    path:
      description: The file's path.
      type: str
    package:
      description: The package's name, empty when the file could not be read.
      type: str
    version:
      description: The package's version, empty when the file could not be read.
      type: str
    architecture:
      description: The package's architecture, empty when the file could not be read.
      type: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.hardened.flopsar.plugins.module_utils import crowdsec


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        out = []
        for path in terms:
            try:
                with open(path, "rb") as stream:
                    fields = crowdsec.deb_fields(stream)
            except OSError as exc:
                raise AnsibleLookupError("crowdsec_deb_fields: cannot read %s: %s" % (path, exc)) from exc
            except ValueError:
                fields = {}
            out.append(
                {
                    "path": path,
                    "package": fields.get("package", ""),
                    "version": fields.get("version", ""),
                    "architecture": fields.get("architecture", ""),
                }
            )
        return out
