import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.argspec_survey import (
    SurveyError,
    merge_options,
    plain_text,
    question,
    survey_spec,
)

NETS = ["10.0.0.0/8", "192.0.2.1/32"]


def spec(**options):
    return {"argument_specs": {"main": {"short_description": "x", "options": options}}}


@pytest.mark.parametrize(
    ("option", "kind", "default"),
    [
        ({"type": "str", "default": "Flopsar"}, "text", "Flopsar"),
        ({"type": "path", "default": "/etc/flopsar"}, "text", "/etc/flopsar"),
        ({"default": "implicit str"}, "text", "implicit str"),
        ({"type": "int", "default": 9443}, "integer", 9443),
        ({"type": "float", "default": 0.5}, "float", 0.5),
        ({"type": "list", "elements": "str", "default": NETS}, "textarea", ", ".join(NETS)),
        ({"type": "list", "elements": "str", "default": []}, "textarea", ""),
    ],
)
def test_types_and_defaults(option, kind, default):
    q = question("server_x", option)
    assert q["type"] == kind
    assert q["default"] == default
    assert type(q["default"]) is type(default)
    assert "choices" not in q


@pytest.mark.parametrize(("default", "answer"), [(True, "yes"), (False, "no")])
def test_bool_is_a_yes_no_choice(default, answer):
    q = question("server_ui_tls", {"type": "bool", "default": default})
    assert q["type"] == "multiplechoice"
    assert q["choices"] == ["yes", "no"]
    assert q["default"] == answer


def test_choices_are_a_multiplechoice_of_strings():
    q = question("server_tls_mode", {"type": "str", "choices": ["internal_ca", "provided"], "default": "provided"})
    assert (q["type"], q["choices"], q["default"]) == ("multiplechoice", ["internal_ca", "provided"], "provided")


def test_int_choices_become_strings():
    q = question("x_level", {"type": "int", "choices": [1, 2], "default": 2})
    assert (q["choices"], q["default"]) == (["1", "2"], "2")


@pytest.mark.parametrize(
    ("name", "option"),
    [
        ("ldap_bind_password", {"type": "str", "default": "", "no_log": True}),
        ("server_tls_key_content", {"type": "str", "default": "", "no_log": True}),
        ("anything_secret", {"type": "str", "default": "do-not-copy"}),
        ("api_token", {"type": "str"}),
        ("x_passphrase", {"type": "str", "default": "s3cr3t"}),
        ("plain_name", {"type": "str", "default": "s3cr3t", "no_log": True}),
    ],
)
def test_secrets_are_passwords_without_default(name, option):
    q = question(name, option)
    assert q["type"] == "password"
    assert q["default"] == ""


def test_secret_that_is_not_a_string_is_refused():
    with pytest.raises(SurveyError, match="x_password: a secret must be a string"):
        question("x_password", {"type": "dict", "no_log": True})


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"type": "dict", "default": {}}, "an option of type dict"),
        ({"type": "list", "elements": "dict", "default": []}, "a list of dict"),
    ],
)
def test_inexpressible_options_are_refused(option, message):
    with pytest.raises(SurveyError, match=message):
        question("firewall_egress", option)


def test_template_default_is_left_out():
    q = question("server_tls_ca_dir", {"type": "path", "default": "{{ lookup('env', 'HOME') }}/pki"})
    assert "default" not in q


def test_required_comes_from_spec_and_may_be_overridden():
    assert question("x_a", {"type": "str", "required": True})["required"] is True
    assert question("x_a", {"type": "str"})["required"] is False
    assert question("x_a", {"type": "str"}, {"required": True})["required"] is True


def test_question_name_and_description():
    option = {"type": "str", "description": ["Interface C(eth0) or O(server_ui_address).", "See L(docs,https://x)."]}
    q = question("server_ui_interface", option)
    assert q["question_name"] == "server_ui_interface"
    assert q["question_description"] == "Interface eth0 or server_ui_address. See docs."
    q = question("server_ui_interface", option, {"question_name": "UI interface"})
    assert q["question_name"] == "UI interface"


def test_type_and_default_cannot_be_overridden():
    with pytest.raises(SurveyError, match="not default, type"):
        question("x_a", {"type": "str"}, {"type": "integer", "default": "1"})


def test_plain_text_of_nothing():
    assert plain_text(None) == ""


def test_merge_options_across_roles_and_conflicts():
    merged = merge_options([spec(a_x={"type": "str"}), {"main": {"options": {"b_y": {"type": "int"}}}}])
    assert sorted(merged) == ["a_x", "b_y"]
    assert merge_options([spec(a_x={"type": "str"}), spec(a_x={"type": "str"})]) == {"a_x": {"type": "str"}}
    with pytest.raises(SurveyError, match="a_x is declared differently"):
        merge_options([spec(a_x={"type": "str"}), spec(a_x={"type": "int"})])


def test_merge_options_reads_the_entry_point():
    doc = {"argument_specs": {"main": {"options": {"a": {}}}, "verify": {"options": {"b": {}}}}}
    assert list(merge_options([doc], "verify")) == ["b"]


def test_merge_options_refuses_a_non_mapping():
    with pytest.raises(SurveyError, match="must be a mapping"):
        merge_options(["not a spec"])


def test_survey_spec_keeps_order_and_names():
    docs = [spec(x_b={"type": "int", "default": 1}, x_a={"type": "bool", "default": True})]
    out = survey_spec(docs, ["x_a", {"variable": "x_b", "question_name": "B"}], "Deploy", "The deployment")
    assert out["name"] == "Deploy" and out["description"] == "The deployment"
    assert [(q["variable"], q["question_name"], q["type"]) for q in out["spec"]] == [
        ("x_a", "x_a", "multiplechoice"),
        ("x_b", "B", "integer"),
    ]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (["x_missing"], "x_missing is not declared by any argument spec"),
        (["x_a", "x_a"], "x_a is asked twice"),
        ([{"question_name": "no variable"}], "needs a name"),
    ],
)
def test_survey_spec_errors(variables, message):
    with pytest.raises(SurveyError, match=message):
        survey_spec([spec(x_a={"type": "str"})], variables)
