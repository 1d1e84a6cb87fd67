import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.argspec_survey import (
    SurveyError,
    askable,
    inventory_variables,
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
        ("crowdsec_bouncer_api_key", {"type": "str", "default": "abc"}),
        ("x_API_KEY", {"type": "str", "default": "abc"}),
        ("x_passphrase", {"type": "str", "default": "s3cr3t"}),
        ("plain_name", {"type": "str", "default": "s3cr3t", "no_log": True}),
    ],
)
def test_secrets_are_never_questions(name, option):
    with pytest.raises(SurveyError, match=f"{name} is a secret: it comes from a credential"):
        question(name, option)
    with pytest.raises(SurveyError, match="is a secret"):
        askable(name, option)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"type": "dict", "default": {}}, "an option of type dict"),
        ({"type": "list", "elements": "str", "default": NETS}, "an option of type list"),
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
    docs = [spec(x_b_timeout={"type": "int", "default": 1}, x_a_probe={"type": "bool", "default": True})]
    out = survey_spec(
        docs, ["x_a_probe", {"variable": "x_b_timeout", "question_name": "B"}], "Deploy", "The deployment"
    )
    assert out["name"] == "Deploy" and out["description"] == "The deployment"
    assert [(q["variable"], q["question_name"], q["type"]) for q in out["spec"]] == [
        ("x_a_probe", "x_a_probe", "multiplechoice"),
        ("x_b_timeout", "B", "integer"),
    ]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (["x_missing"], "x_missing is not declared by any argument spec"),
        (["x_a_probe", "x_a_probe"], "x_a_probe is asked twice"),
        ([{"question_name": "no variable"}], "needs a name"),
    ],
)
def test_survey_spec_errors(variables, message):
    with pytest.raises(SurveyError, match=message):
        survey_spec([spec(x_a_probe={"type": "str", "default": "search"})], variables)


@pytest.mark.parametrize(
    ("name", "option", "message"),
    [
        # Site settings: what a host ends up as belongs to the inventory.
        ("firewall_dns_servers", {"type": "list", "elements": "str", "default": []}, "is a site setting"),
        ("firewall_strict_egress", {"type": "bool", "default": True}, "is a site setting"),
        ("server_tls_mode", {"type": "str", "choices": ["internal_ca", "provided"], "default": "internal_ca"}, "site"),
        ("server_ui_sources", {"type": "list", "elements": "str", "default": NETS}, "is a site setting"),
        ("server_otlp_enabled", {"type": "bool", "default": False}, "is a site setting"),
        # Per-job names, but nothing a survey can send.
        ("x_probe", {"type": "str", "default": ""}, "has no default a survey can send"),
        ("x_probe", {"type": "str"}, "has no default a survey can send"),
        ("x_timeout", {"type": "int", "default": "{{ other }}"}, "has no default a survey can send"),
        ("surface_report_dir", {"type": "str", "default": ""}, "has no default a survey can send"),
        ("x_probe", {"type": "list", "elements": "str", "default": ["a"]}, "has no default a survey can send"),
        ("x_timeout_password", {"type": "str", "default": "x"}, "is a secret"),
    ],
)
def test_only_per_job_choices_with_a_default_are_askable(name, option, message):
    with pytest.raises(SurveyError, match=message):
        askable(name, option)
    with pytest.raises(SurveyError, match=message):
        survey_spec([spec(**{name: option})], [name])


def test_a_variable_the_inventory_sets_is_refused():
    docs = [spec(ldap_probe={"type": "str", "choices": ["none", "search"], "default": "search"})]
    assert survey_spec(docs, ["ldap_probe"], inventory_variables=["firewall_dns_servers"])["spec"]
    with pytest.raises(SurveyError, match="ldap_probe is set by the inventory"):
        survey_spec(docs, ["ldap_probe"], inventory_variables=["ldap_probe"])


@pytest.mark.parametrize(
    ("name", "option", "default"),
    [
        ("ldap_probe", {"type": "str", "choices": ["none", "search"], "default": "search"}, "search"),
        ("server_start_timeout", {"type": "int", "default": 30}, 30),
        ("surface_report_fail_on_drift", {"type": "bool", "default": False}, "no"),
        ("surface_report_hosts", {"type": "str", "default": "flopsar_servers"}, "flopsar_servers"),
    ],
)
def test_per_job_choices_are_asked_with_their_default(name, option, default):
    (q,) = survey_spec([spec(**{name: option})], [name])["spec"]
    assert q["default"] == default


def test_inventory_variables_of_groups_children_and_hosts():
    inventory = {
        "vars": {"a_x": 1},
        "hosts": {"h1": {"a_y": 2}, "h2": None},
        "children": {"g": {"vars": {"a_z": 3}, "children": {"k": {"hosts": {"h3": {"a_w": 4}}}}}},
    }
    assert inventory_variables(inventory) == {"a_x", "a_y", "a_z", "a_w"}
    assert inventory_variables(None) == set()
