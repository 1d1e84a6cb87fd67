import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.filter.argspec import FilterModule

DOC = {"argument_specs": {"main": {"options": {"x_timeout": {"type": "int", "default": 9000}}}}}


def test_filter_is_registered():
    assert set(FilterModule().filters()) == {"argspec_to_survey"}


def test_one_document_or_a_list():
    survey = FilterModule().filters()["argspec_to_survey"]
    assert survey(DOC, ["x_timeout"]) == survey([DOC], ["x_timeout"])
    assert survey(DOC, ["x_timeout"], "Deploy")["spec"] == [
        {
            "variable": "x_timeout",
            "question_name": "x_timeout",
            "question_description": "",
            "required": False,
            "type": "integer",
            "default": 9000,
        }
    ]


def test_inventory_variables_are_refused():
    with pytest.raises(AnsibleFilterError, match="x_timeout is set by the inventory"):
        FilterModule().filters()["argspec_to_survey"]([DOC], ["x_timeout"], "", "", "main", ["x_timeout"])


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="argspec_to_survey: x_other is not declared"):
        FilterModule().filters()["argspec_to_survey"]([DOC], ["x_other"])
