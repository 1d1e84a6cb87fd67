import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.filter.argspec import FilterModule

DOC = {"argument_specs": {"main": {"options": {"x_port": {"type": "int", "default": 9000}}}}}


def test_filter_is_registered():
    assert set(FilterModule().filters()) == {"argspec_to_survey"}


def test_one_document_or_a_list():
    survey = FilterModule().filters()["argspec_to_survey"]
    assert survey(DOC, ["x_port"]) == survey([DOC], ["x_port"])
    assert survey(DOC, ["x_port"], "Deploy")["spec"] == [
        {
            "variable": "x_port",
            "question_name": "x_port",
            "question_description": "",
            "required": False,
            "type": "integer",
            "default": 9000,
        }
    ]


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="argspec_to_survey: x_other is not declared"):
        FilterModule().filters()["argspec_to_survey"]([DOC], ["x_other"])
