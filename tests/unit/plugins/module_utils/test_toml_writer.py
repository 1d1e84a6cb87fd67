import math
import tomllib

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.toml_writer import dumps
from hypothesis import given
from hypothesis import strategies as st

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
)
keys = st.text(min_size=1, max_size=12)
values = st.one_of(scalars, st.lists(st.text(), max_size=4), st.lists(st.integers(), max_size=4))
documents = st.recursive(
    st.dictionaries(keys, values, max_size=5),
    lambda children: st.dictionaries(keys, st.one_of(values, children), max_size=4),
    max_leaves=20,
)


@given(documents)
def test_any_document_round_trips_through_tomllib(doc):
    assert tomllib.loads(dumps(doc)) == doc


@pytest.mark.parametrize(
    "text",
    ['quote " inside', "back\\slash", "new\nline", "tab\t", "\x00nul", "\x7fdel", "żółw ünïcode", "emoji 🦀", "\u2028"],
)
def test_strings_are_escaped(text):
    assert tomllib.loads(dumps({"name": text}))["name"] == text


def test_scalars_come_before_subtables_and_order_is_kept():
    out = dumps({"data": "/var/lib/flopsar", "agent": {"server_ip": "10.0.0.1", "server_port": 9000}, "eula": True})
    assert out.splitlines() == [
        'data = "/var/lib/flopsar"',
        "eula = true",
        "",
        "[agent]",
        'server_ip = "10.0.0.1"',
        "server_port = 9000",
    ]


def test_nested_tables_get_dotted_headers_and_empty_parents_are_skipped():
    out = dumps({"otlp": {"http": {"server_port": 4318}}})
    assert "[otlp.http]" in out
    assert "[otlp]\n" not in out
    assert tomllib.loads(out) == {"otlp": {"http": {"server_port": 4318}}}


def test_header_comment():
    out = dumps({"a": 1}, "Managed by Ansible\n\nDo not edit")
    assert out.startswith("# Managed by Ansible\n#\n# Do not edit\n\na = 1\n")


def test_keys_that_need_quotes():
    assert tomllib.loads(dumps({"a key.with dots": 1})) == {"a key.with dots": 1}


def test_special_floats():
    out = tomllib.loads(dumps({"a": math.inf, "b": -math.inf}))
    assert out == {"a": math.inf, "b": -math.inf}


@pytest.mark.parametrize("bad", [{"a": None}, {"a": object()}, {"a": [{"b": 1}]}, {1: "x"}, ["not", "a", "table"]])
def test_unrepresentable_values_raise(bad):
    with pytest.raises(TypeError):
        dumps(bad)
