"""The surveys playbooks/awx.yml gives its job templates agree with the argument specs.

The expectations here are written from the argument specs directly (not through the survey
module's mapping), so a wrong mapping, a renamed variable or a changed default fails a test.
"""

import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.hardened.flopsar.plugins.filter.argspec import argspec_to_survey
from ansible_collections.hardened.flopsar.plugins.module_utils.argspec_survey import inventory_variables

REPO = Path(__file__).resolve().parents[4]
PLAYBOOK = yaml.safe_load((REPO / "playbooks" / "awx.yml").read_text())[0]


class UnsafeLoader(yaml.SafeLoader):
    """Reads Ansible's !unsafe tag as the plain string it marks."""


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_vars(name):
    return yaml.load((REPO / "playbooks" / name).read_text(), Loader=UnsafeLoader)  # noqa: S506 (a SafeLoader)


# What playbooks/awx.yml reads (awx_argument_spec_files): every role's spec and the report's.
SPEC_FILES = [*sorted(REPO.glob("roles/*/meta/argument_specs.yml")), REPO / "playbooks/awx/surface_report_specs.yml"]
DOCS = [yaml.safe_load(f.read_text()) for f in SPEC_FILES]
OPTIONS = {}
for doc in DOCS:
    OPTIONS.update(doc["argument_specs"]["main"]["options"])
TEMPLATES = load_vars("awx/job_templates.yml")["awx_job_templates"]
CREDENTIAL_TYPES = load_vars("awx/credential_types.yml")["awx_credential_types"]

SURVEY_TYPE = {"str": "text", "path": "text", "int": "integer", "float": "float"}
EXAMPLE_INVENTORY = yaml.safe_load((REPO / "docs" / "examples" / "inventory.yml").read_text())


def expected(name, option):
    """The question type, choices and default an option must have, from its spec alone."""
    kind = option.get("type", "str")
    if option.get("choices"):
        return "multiplechoice", [str(c) for c in option["choices"]], str(option["default"])
    if kind == "bool":
        return "multiplechoice", ["yes", "no"], "yes" if option["default"] else "no"
    return SURVEY_TYPE[kind], None, option["default"]


def test_the_playbook_reads_every_role_spec_and_the_report_spec():
    (find,) = [t for t in PLAYBOOK["tasks"] if "ansible.builtin.find" in t]
    assert find["ansible.builtin.find"]["paths"] == "{{ playbook_dir }}/../roles"
    assert find["ansible.builtin.find"]["patterns"] == "argument_specs.yml"
    assert "/awx/surface_report_specs.yml" in PLAYBOOK["vars"]["awx_argument_spec_files"]


def test_job_templates_are_deploy_verify_and_report():
    assert {t["key"]: (t["playbook"], t["job_tags"]) for t in TEMPLATES} == {
        "deploy": ("playbooks/site.yml", ""),
        "verify": ("playbooks/site.yml", "verify"),
        "report": ("playbooks/surface_report.yml", ""),
    }
    assert all((REPO / t["playbook"]).is_file() for t in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_every_survey_question_matches_its_argument_spec(template):
    survey = argspec_to_survey(DOCS, template["survey"], template["name"], template["description"])
    asked = [v if isinstance(v, str) else v["variable"] for v in template["survey"]]
    assert [q["variable"] for q in survey["spec"]] == asked
    for q in survey["spec"]:
        option = OPTIONS[q["variable"]]
        kind, choices, default = expected(q["variable"], option)
        assert q["type"] == kind, q["variable"]
        assert q.get("choices") == choices, q["variable"]
        assert q["default"] == default, q["variable"]
        assert q["required"] == bool(option.get("required", False)), q["variable"]
        if choices:
            assert q["default"] in choices


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_no_question_can_override_an_inventory_variable_and_none_has_an_empty_default(template):
    """AWX sends every default with every launch; extra vars beat the inventory."""
    survey = argspec_to_survey(DOCS, template["survey"])
    asked = {q["variable"] for q in survey["spec"]}
    site = inventory_variables(EXAMPLE_INVENTORY["all"])
    assert {"firewall_dns_servers", "server_tls_mode", "server_ui_sources"} <= site  # the example sets them
    assert asked & site == set()
    # Whatever a real inventory sets, the generator refuses to ask it.
    with pytest.raises(AnsibleFilterError, match="is set by the inventory"):
        argspec_to_survey(DOCS, template["survey"], "", "", "main", sorted(asked)[:1])
    for q in survey["spec"]:
        assert "default" in q and q["default"] not in ("", None), q["variable"]


def test_no_site_setting_of_any_role_can_become_a_question():
    """Every role option that is not a per-job choice is refused, whatever its type or default."""
    askable = set()
    for name in OPTIONS:
        try:
            argspec_to_survey(DOCS, [name])
            askable.add(name)
        except AnsibleFilterError:
            pass
    assert askable <= {n for n in OPTIONS if n.endswith(("_timeout", "_probe")) or n.startswith("surface_report_")}
    assert {
        "firewall_dns_servers",
        "firewall_ntp_servers",
        "firewall_strict_egress",
        "server_tls_mode",
    } & askable == set()


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_no_secret_is_asked_in_a_survey(template):
    """Secrets come from credentials (encrypted, injected), never from a survey answer."""
    survey = argspec_to_survey(DOCS, template["survey"])
    assert [q["variable"] for q in survey["spec"] if q["type"] == "password"] == []


@pytest.mark.parametrize("ctype", CREDENTIAL_TYPES, ids=[c["key"] for c in CREDENTIAL_TYPES])
def test_credential_types_inject_declared_variables_and_secrets_into_no_log_options(ctype):
    fields = {f["id"]: f for f in ctype["inputs"]["fields"]}
    assert set(ctype["inputs"]["required"]) <= set(fields)
    referenced = set()
    for var, template in ctype["injectors"]["extra_vars"].items():
        assert var in OPTIONS, var
        used = set(re.findall(r"\{\{\s*(\w+)", str(template)))
        assert used <= set(fields), var
        referenced |= used
        if any(fields[f].get("secret") for f in used):
            assert OPTIONS[var].get("no_log") is True, var
    assert referenced == set(fields)


def test_credentials_named_by_job_templates_exist():
    names = PLAYBOOK["vars"]["awx_credential_names"]
    assert {c for t in TEMPLATES for c in t["credentials"]} <= set(names)
    assert {c["key"] for c in CREDENTIAL_TYPES} <= set(names)
