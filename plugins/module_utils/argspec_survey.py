# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX / Automation Platform survey specs from roles' argument specs (one source of truth).

A survey question is generated from a role option (``meta/argument_specs.yml``)::

    str, path, raw           -> text
    int                      -> integer
    float                    -> float
    bool                     -> multiplechoice "yes" / "no" (the roles apply ``| bool``)
    list of scalars          -> textarea, items separated by commas (the roles split them)
    choices                  -> multiplechoice of the choices
    no_log, or a secret name -> password, never with a default

``required`` and ``default`` come from the spec; a default that is a Jinja template (resolved on the
controller at run time) is left out, so the role computes it. Options a survey cannot express
(dicts, lists of dicts) are refused with an error that names them.

Pure functions only: no Ansible imports, no I/O.
"""

from __future__ import absolute_import, division, print_function

import re

SECRET_NAME = re.compile(r"password|passphrase|secret|token|private_key|key_content", re.IGNORECASE)
BOOL_CHOICES = ["yes", "no"]
SCALAR_ELEMENTS = (None, "str", "path", "raw", "int", "float")
TEXT_TYPES = ("str", "path", "raw")
# Ansible documentation markup: C(x), O(x), V(x), M(x), I(x), B(x), U(x), E(x), P(x), L(text,url).
_MARKUP = re.compile(r"\b([COVMIBUEP])\(([^()]*)\)")
_LINK = re.compile(r"\bL\(([^,()]*),[^()]*\)")
# Option names a question may override, and nothing else: the type, choices and default stay the spec's.
OVERRIDABLE = ("question_name", "question_description", "required")


class SurveyError(ValueError):
    """An option the survey cannot express, or a variable no argument spec declares."""


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
        if kind not in TEXT_TYPES:
            raise SurveyError("%s: a secret must be a string to be a password question, not %s" % (name, kind))
        return "password"
    if spec.get("choices"):
        return "multiplechoice"
    if kind == "bool":
        return "multiplechoice"
    if kind == "int":
        return "integer"
    if kind == "float":
        return "float"
    if kind == "list":
        if spec.get("elements") not in SCALAR_ELEMENTS:
            raise SurveyError("%s: a list of %s cannot be a survey answer" % (name, spec.get("elements")))
        return "textarea"
    if kind in TEXT_TYPES:
        return "text"
    raise SurveyError("%s: an option of type %s cannot be a survey answer" % (name, kind))


def survey_choices(spec):
    """The choices of a multiplechoice question (as AWX stores them: strings)."""
    if spec.get("choices"):
        return [str(answer(c)) for c in spec["choices"]]
    return list(BOOL_CHOICES)


def answer(value):
    """A value as a survey answer: booleans as yes/no, lists as comma-separated text, numbers kept."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(answer(v) for v in value)
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
    if kind == "password":
        out["default"] = ""  # a secret's default never goes into AWX
    elif default is not None and not is_template(default):
        out["default"] = answer(default)
        if kind == "multiplechoice":  # AWX requires the default to be one of the choices, as text
            out["default"] = str(out["default"])
    return out


def survey_spec(documents, variables, name="", description="", entry_point="main"):
    """An AWX survey spec for ``variables`` (names, or dicts with ``variable`` and overrides)."""
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
        questions.append(question(var, options[var], overrides))
    return {"name": name, "description": description, "spec": questions}
