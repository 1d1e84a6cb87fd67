import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.filter.preflight import argspec_without_defaults

SPECS = {
    "argument_specs": {
        "main": {
            "options": {
                "x_port": {"type": "int", "default": 9000, "description": ["A port."]},
                "x_rules": {
                    "type": "list",
                    "elements": "dict",
                    "default": "{{ other_role_fact }}",
                    "options": {"name": {"type": "str", "default": "a"}},
                },
            }
        }
    }
}


def test_defaults_are_dropped_everywhere_and_the_rest_kept():
    options = argspec_without_defaults(SPECS)
    assert options == {
        "x_port": {"type": "int", "description": ["A port."]},
        "x_rules": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}}},
    }
    assert SPECS["argument_specs"]["main"]["options"]["x_port"]["default"] == 9000


def test_a_missing_entry_point_is_an_error():
    with pytest.raises(AnsibleFilterError):
        argspec_without_defaults(SPECS, "verify")
