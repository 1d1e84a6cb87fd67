import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.filter.surface import FilterModule


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"surface_resolve", "surface_settings", "to_toml"}


def test_to_toml_error_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="to_toml: cannot write NoneType"):
        FilterModule().filters()["to_toml"]({"a": None})


def test_surface_resolve_returns_listeners_and_errors():
    facts = {"interfaces": ["lo"], "lo": {"ipv4": {"address": "127.0.0.1"}}}
    spec = {"name": "ui", "variable": "server_ui", "address": "0.0.0.0", "port": 9443, "sources": []}
    out = FilterModule().filters()["surface_resolve"]([spec], facts)
    assert out["listeners"] == []
    assert len(out["errors"]) == 1
