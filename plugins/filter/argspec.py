# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over roles' argument specs (plugins/module_utils/argspec_survey.py)."""

from __future__ import absolute_import, division, print_function

from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.module_utils import argspec_survey


def argspec_to_survey(documents, variables, name="", description="", entry_point="main", inventory_variables=None):
    if isinstance(documents, dict):
        documents = [documents]
    try:
        return argspec_survey.survey_spec(
            list(documents), list(variables), name, description, entry_point, list(inventory_variables or [])
        )
    except argspec_survey.SurveyError as exc:
        raise AnsibleFilterError("argspec_to_survey: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"argspec_to_survey": argspec_to_survey}
