# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX / Automation Platform survey specs from roles' argument specs (one source of truth).

AWX sends every question's default with every launch, as job extra vars, and extra vars beat the
inventory. So a survey asks per-job choices only, and this module refuses anything else. An option
may be a question only when all of these hold (``askable``):

* it is a per-job choice: how this job runs and checks, never what a host ends up as. Such options
  are named ``*_timeout`` or ``*_probe``, or belong to a playbook's own variables (``surface_report_*``).
  Everything else (listeners, addresses, source networks, egress policy, DNS/NTP servers, TLS mode,
  packages, policies) is a site setting and lives in the inventory;
* it is not a secret (``no_log`` or a secret-looking name): secrets come from credentials;
* it has a default a survey can send: not empty, not ``None``, not a Jinja template, not a list or
  a dict (an empty answer arrives as ``None`` under ansible-core 2.19);
* the inventory AWX is given does not set it (``inventory_variables``).

A question is generated from the option::

    str, path, raw           -> text
    int                      -> integer
    float                    -> float
    bool                     -> multiplechoice "yes" / "no" (the roles apply ``| bool``)
    choices                  -> multiplechoice of the choices

``required`` and ``default`` come from the spec. Pure functions only: no Ansible imports, no I/O.
"""

from __future__ import absolute_import, division, print_function

import re

SECRET_NAME = re.compile(r"password|passphrase|secret|token|private_key|key_content|api_key", re.IGNORECASE)
# The options that are per-job choices (see the module's docstring); every other option is a site setting.
PER_JOB_NAME = re.compile(r"^surface_report_|_timeout$|_probe$")
BOOL_CHOICES = ["yes", "no"]
TEXT_TYPES = ("str", "path", "raw")
# Ansible documentation markup: C(x), O(x), V(x), M(x), I(x), B(x), U(x), E(x), P(x), L(text,url).
_MARKUP = re.compile(r"\b([COVMIBUEP])\(([^()]*)\)")
_LINK = re.compile(r"\bL\(([^,()]*),[^()]*\)")
# Option names a question may override, and nothing else: the type, choices and default stay the spec's.
OVERRIDABLE = ("question_name", "question_description", "required")


class SurveyError(ValueError):
    """An option a survey may not ask, or a variable no argument spec declares."""


def merge_options(documents, entry_point="main"):
    """The options of ``entry_point`` over a list of argument_specs documents, in order.

    Each document is either a whole ``meta/argument_specs.yml`` (``{"argument_specs": {...}}``)
    or the ``argument_specs`` mapping itself. Two roles declaring one option differently is an error.
    """
    merged = {}
    for doc in documents:
        specs = doc.get("argument_specs", doc) if isinstance(doc, dict) else None
        if not isinstance(specs, dict):
            raise SurveyError("an argument_specs document must be a mapping")
        options = (specs.get(entry_point) or {}).get("options") or {}
        for name, spec in options.items():
            if name in merged and merged[name] != spec:
                raise SurveyError("%s is declared differently by two argument specs" % name)
            merged[name] = spec
    return merged


def plain_text(description):
    """A spec description (a string or a list of them) as one plain-text paragraph, markup removed."""
    if description is None:
        return ""
    parts = description if isinstance(description, list) else [description]
    text = " ".join(str(p).strip() for p in parts)
    text = _LINK.sub(r"\1", text)
    return _MARKUP.sub(r"\2", text)


def is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def is_secret(name, spec):
    return bool(spec.get("no_log")) or bool(SECRET_NAME.search(name))


def survey_type(name, spec):
    """The survey question type for an option, or SurveyError when a survey cannot express it."""
    kind = spec.get("type", "str")
    if is_secret(name, spec):
        raise SurveyError("%s is a secret: it comes from a credential, never from a survey" % name)
    if spec.get("choices"):
        return "multiplechoice"
    if kind == "bool":
        return "multiplechoice"
    if kind == "int":
        return "integer"
    if kind == "float":
        return "float"
    if kind in TEXT_TYPES:
        return "text"
    raise SurveyError("%s: an option of type %s cannot be a survey answer" % (name, kind))


def is_empty(value):
    return value is None or (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def askable(name, spec, inventory_variables=()):
    """Refuse (SurveyError) an option a survey may not ask; see the module's docstring for the rule."""
    if is_secret(name, spec):
        raise SurveyError("%s is a secret: it comes from a credential, never from a survey" % name)
    if not PER_JOB_NAME.search(name):
        raise SurveyError(
            "%s is a site setting: it belongs to the inventory (a survey default would override it on every launch)"
            % name
        )
    if name in set(inventory_variables or ()):
        raise SurveyError("%s is set by the inventory: a survey default would override it on every launch" % name)
    default = spec.get("default")
    if is_empty(default) or is_template(default) or isinstance(default, (list, tuple, dict)):
        raise SurveyError("%s has no default a survey can send (empty, a template, a list or a dict)" % name)
    survey_type(name, spec)


def survey_choices(spec):
    """The choices of a multiplechoice question (as AWX stores them: strings)."""
    if spec.get("choices"):
        return [str(answer(c)) for c in spec["choices"]]
    return list(BOOL_CHOICES)


def answer(value):
    """A value as a survey answer: booleans as yes/no, numbers kept, the rest as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    return "" if value is None else str(value)


def question(name, spec, overrides=None):
    """One AWX survey question for option ``name`` with argument spec ``spec``."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(OVERRIDABLE) - {"variable"})
    if unknown:
        raise SurveyError("%s: only %s may be overridden, not %s" % (name, ", ".join(OVERRIDABLE), ", ".join(unknown)))
    kind = survey_type(name, spec)
    out = {
        "variable": name,
        "question_name": overrides.get("question_name") or name,
        "question_description": overrides.get("question_description") or plain_text(spec.get("description")),
        "required": bool(overrides.get("required", spec.get("required", False))),
        "type": kind,
    }
    if kind == "multiplechoice":
        out["choices"] = survey_choices(spec)
    default = spec.get("default")
    if default is not None and not is_template(default):
        out["default"] = answer(default)
        if kind == "multiplechoice":  # AWX requires the default to be one of the choices, as text
            out["default"] = str(out["default"])
    return out


def inventory_variables(group):
    """Every variable an inventory group in YAML inventory form (its vars, hosts and children) sets."""
    group = group or {}
    names = set(group.get("vars") or {})
    for host in (group.get("hosts") or {}).values():
        names |= set(host or {})
    for child in (group.get("children") or {}).values():
        names |= inventory_variables(child)
    return names


def survey_spec(documents, variables, name="", description="", entry_point="main", inventory_variables=()):
    """An AWX survey spec for ``variables`` (names, or dicts with ``variable`` and overrides).

    Each variable must be ``askable``; ``inventory_variables`` names what the job's inventory sets.
    """
    options = merge_options(documents, entry_point)
    questions = []
    seen = set()
    for item in variables:
        overrides = item if isinstance(item, dict) else {"variable": item}
        var = overrides.get("variable")
        if not var:
            raise SurveyError("a survey variable needs a name: %r" % (item,))
        if var not in options:
            raise SurveyError("%s is not declared by any argument spec (entry point %s)" % (var, entry_point))
        if var in seen:
            raise SurveyError("%s is asked twice" % var)
        seen.add(var)
        askable(var, options[var], inventory_variables)
        questions.append(question(var, options[var], overrides))
    return {"name": name, "description": description, "spec": questions}
