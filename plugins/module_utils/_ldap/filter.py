# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user filter (RFC 4515) and the UID attribute (RFC 4512): parsing, escaping, both accepted forms
(a placeholder in the filter, or a class filter with the UID attribute), and how each is searched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import re
from dataclasses import dataclass

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.dn import (
    HEXDIGITS,
)
from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
)

_ATTRIBUTE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9-]*|(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+)(?:;[A-Za-z0-9-]+)*$", re.ASCII
)


def is_attribute_description(text):
    return bool(text) and bool(_ATTRIBUTE.match(text))


def attribute_type(description):
    """``cn;lang-en`` -> ``cn`` (lower-cased, for comparisons)."""
    return description.split(";", 1)[0].lower()


def check_attribute(attr, field="uid_attribute"):
    if is_attribute_description(attr):
        return []
    return [
        Finding(
            "ATTR_SYNTAX",
            ERROR,
            field,
            "%r is not an attribute description (RFC 4512): a name that starts with a letter and holds letters, "
            "digits and '-' (e.g. uid, sAMAccountName), or an OID (e.g. 0.9.2342.19200300.100.1.1), optionally "
            "followed by options such as ;lang-en." % (attr,),
        )
    ]


class FilterSyntaxError(ValueError):
    def __init__(self, position, reason):
        ValueError.__init__(self, "at character %d: %s" % (position + 1, reason))
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class FilterItem:
    attr: object  # None for an extensible match without attribute (":dn:2.5.13.5:=x")
    op: str  # "=", "~=", ">=", "<=", "present", "substring", "extensible"
    value: str  # as written (escapes kept)
    start: int  # index of the item's first character (after "(")
    value_start: int  # index of the value's first character
    end: int  # index of the closing ")"


MAX_FILTER_DEPTH = 64
_OID_DESCR = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+)$", re.ASCII)


def _check_value(text, start, end, allow_star):
    """valueencoding (RFC 4515) in text[start:end]; '*' only where the caller allows it."""
    i = start
    while i < end:
        c = text[i]
        if c == "\\":
            if i + 2 < end and text[i + 1] in HEXDIGITS and text[i + 2] in HEXDIGITS:
                i += 3
                continue
            raise FilterSyntaxError(
                i,
                "a '\\' in a filter value starts a two-hex-digit escape (\\2a for '*', \\28 '(', \\29 ')', \\5c '\\')",
            )
        if c == "*" and not allow_star:
            raise FilterSyntaxError(i, "'*' is only allowed in an equality match (attr=*, attr=a*b); write \\2a")
        if c == "\x00":
            raise FilterSyntaxError(i, "a NUL character must be written \\00")
        i += 1


def _parse_item(text, start, end):
    """An item in text[start:end] (between '(' and ')')."""
    eq = text.find("=", start, end)
    if eq < 0:
        raise FilterSyntaxError(
            start, "a filter item is attribute, operator and value, e.g. (uid=jdoe); '=' is missing"
        )
    left_end = eq
    value_start = eq + 1
    if eq > start and text[eq - 1] == ":":
        parts = text[start : eq - 1].split(":")
        attr = parts[0] or None
        rest = parts[1:]
        if attr is None and not rest:
            raise FilterSyntaxError(start, "an extensible match needs an attribute or a matching rule")
        if rest and rest[0].lower() == "dn":
            rest = rest[1:]
        if len(rest) > 1:
            raise FilterSyntaxError(start, "an extensible match is attr[:dn][:rule]:=value")
        rule = rest[0] if rest else None
        if attr is None and not rule:
            raise FilterSyntaxError(
                start, "an extensible match without an attribute needs a matching rule: (:dn:2.5.13.5:=x)"
            )
        if rule is not None and not _OID_DESCR.match(rule):
            raise FilterSyntaxError(start, "%r is not a matching rule name or OID" % rule)
        if attr is not None and not is_attribute_description(attr):
            raise FilterSyntaxError(start, "%r is not an attribute description" % attr)
        _check_value(text, value_start, end, allow_star=False)
        return FilterItem(attr, "extensible", text[value_start:end], start, value_start, end)
    op = "="
    if eq > start and text[eq - 1] in "~<>":
        op = text[eq - 1] + "="
        left_end = eq - 1
    attr = text[start:left_end]
    if not is_attribute_description(attr):
        if not attr:
            raise FilterSyntaxError(start, "the attribute before %r is missing" % op)
        raise FilterSyntaxError(
            start, "%r is not an attribute description (letters, digits, '-', options after ';', or an OID)" % attr
        )
    value = text[value_start:end]
    if op != "=":
        _check_value(text, value_start, end, allow_star=False)
        return FilterItem(attr, op, value, start, value_start, end)
    if value == "*":
        return FilterItem(attr, "present", value, start, value_start, end)
    _check_value(text, value_start, end, allow_star=True)
    kind = "substring" if "*" in value else "="
    return FilterItem(attr, kind, value, start, value_start, end)


def _parse_filter(text, i, depth, items):
    n = len(text)
    if depth > MAX_FILTER_DEPTH:
        raise FilterSyntaxError(i, "the filter nests deeper than %d levels" % MAX_FILTER_DEPTH)
    if i >= n:
        raise FilterSyntaxError(i, "unbalanced parentheses: a '(' filter is missing at the end")
    if text[i] != "(":
        if i == 0:
            raise FilterSyntaxError(0, "a filter is enclosed in parentheses, e.g. (uid={username})")
        if text[i] == " ":
            raise FilterSyntaxError(i, "spaces between filters are not allowed")
        raise FilterSyntaxError(i, "expected '(', found %r" % text[i])
    i += 1
    if i >= n:
        raise FilterSyntaxError(i, "unbalanced parentheses: the filter ends after '('")
    c = text[i]
    if c in "&|":
        i += 1
        count = 0
        while i < n and text[i] == "(":
            i = _parse_filter(text, i, depth + 1, items)
            count += 1
        if i >= n:
            raise FilterSyntaxError(i, "unbalanced parentheses: a ')' is missing at the end")
        if text[i] == " ":
            raise FilterSyntaxError(i, "spaces between filters are not allowed")
        if text[i] != ")":
            raise FilterSyntaxError(i, "expected '(' or ')' in the %r list, found %r" % (c, text[i]))
        if count == 0:
            raise FilterSyntaxError(i, "(%s) needs at least one filter inside" % c)
        return i + 1
    if c == "!":
        i = _parse_filter(text, i + 1, depth + 1, items)
        if i >= n:
            raise FilterSyntaxError(i, "unbalanced parentheses: a ')' is missing at the end")
        if text[i] != ")":
            raise FilterSyntaxError(i, "(!...) takes exactly one filter")
        return i + 1
    j = i
    while j < n and text[j] not in "()":
        j += 1
    if j >= n:
        raise FilterSyntaxError(j, "unbalanced parentheses: a ')' is missing at the end")
    if text[j] == "(":
        if j == i:
            raise FilterSyntaxError(j, "'((' : after '(' comes '&', '|', '!' or an attribute")
        raise FilterSyntaxError(j, "a '(' inside a value must be written \\28 (and ')' \\29)")
    items.append(_parse_item(text, i, j))
    return j + 1


def parse_filter(text):
    """Validate an RFC 4515 filter; returns its items (``FilterItem``). Raises FilterSyntaxError."""
    items = []
    if not text:
        raise FilterSyntaxError(0, "the filter is empty")
    end = _parse_filter(text, 0, 0, items)
    if end != len(text):
        if text[end] == ")":
            raise FilterSyntaxError(end, "unbalanced parentheses: one ')' too many")
        raise FilterSyntaxError(end, "text after the filter's last ')'; combine filters with (&...) or (|...)")
    return items


def escape_filter_value(value):
    """Escape a string for use in an RFC 4515 assertion value (the login name the product substitutes)."""
    out = []
    for ch in value:
        if ch in "*()\\\x00":
            out.append("\\%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def substitute(user_filter, placeholder, login):
    """The filter with every placeholder replaced by the escaped login name."""
    return user_filter.replace(placeholder, escape_filter_value(login))


def search_filter(user_filter, placeholder, uid_attribute, login):
    """The filter a login is searched with, in either accepted form.

    Placeholder form, e.g. (&(objectClass=person)(uid={username})): every placeholder replaced by the
    escaped login name. Class-filter form, e.g. (objectClass=person) with the UID attribute uid: the
    filter AND-ed with an equality match of the UID attribute on the escaped login name,
    (&(objectClass=person)(uid=<login>)).
    """
    if placeholder and placeholder in user_filter:
        return substitute(user_filter, placeholder, login)
    return "(&%s(%s=%s))" % (user_filter, uid_attribute, escape_filter_value(login))


def check_filter(user_filter, placeholder="{username}", uid_attribute=None, field="user_filter"):
    """FILTER_SYNTAX, FILTER_NO_PLACEHOLDER and UID_ATTRIBUTE_NOT_IN_FILTER.

    Two forms are valid: a filter with the placeholder in an assertion value, or a filter without it
    combined with a valid UID attribute (search_filter() shows how each is searched).
    """
    if not user_filter:
        return [Finding("FILTER_SYNTAX", ERROR, field, "The user filter is empty; e.g. (uid=%s)." % placeholder)]
    findings = []
    positions = []
    if placeholder:
        at = user_filter.find(placeholder)
        while at >= 0:
            positions.append(at)
            at = user_filter.find(placeholder, at + len(placeholder))
    # The placeholder stands for an escaped login name: check the filter with a harmless token of the same length.
    probe_text = user_filter
    for at in positions:
        probe_text = probe_text[:at] + "x" * len(placeholder) + probe_text[at + len(placeholder) :]
    try:
        items = parse_filter(probe_text)
    except FilterSyntaxError as exc:
        return [
            Finding(
                "FILTER_SYNTAX",
                ERROR,
                field,
                "%r is not a valid LDAP filter (RFC 4515) %s. Example: (&(objectClass=person)(uid=%s))."
                % (user_filter, exc, placeholder),
            )
        ]
    if not positions:
        # The class-filter form: the login is matched on the UID attribute (see search_filter()).
        if uid_attribute and is_attribute_description(uid_attribute):
            return findings
        findings.append(
            Finding(
                "FILTER_NO_PLACEHOLDER",
                ERROR,
                field,
                "The filter does not contain the placeholder %r and no valid UID attribute is given, so every login "
                "would find the same entries. Either put the placeholder where the login name goes, e.g. (uid=%s), "
                "or keep a class filter such as (objectClass=person) and set uid_attribute (uid, sAMAccountName) "
                "to the attribute the login name is matched on. (The product's placeholder syntax is not "
                "documented; set user_placeholder to the one your product version uses.)" % (placeholder, placeholder),
            )
        )
        return findings
    with_login = [it for it in items if any(it.value_start <= p < it.end for p in positions)]
    if not with_login:
        findings.append(
            Finding(
                "FILTER_NO_PLACEHOLDER",
                ERROR,
                field,
                "The placeholder %r appears only outside an assertion value (e.g. in an attribute name); put it "
                "after the '=', e.g. (uid=%s)." % (placeholder, placeholder),
            )
        )
        return findings
    if uid_attribute and is_attribute_description(uid_attribute):
        compared = {attribute_type(it.attr) for it in with_login if it.attr}
        if attribute_type(uid_attribute) not in compared:
            findings.append(
                Finding(
                    "UID_ATTRIBUTE_NOT_IN_FILTER",
                    WARNING,
                    "uid_attribute",
                    "The filter matches the login name against %s, but the UID attribute is %s. Entries found "
                    "this way may carry a different %s (or none): usually both name the same attribute "
                    "(uid for OpenLDAP, sAMAccountName for Active Directory)."
                    % (", ".join(sorted(compared)) or "no attribute", uid_attribute, uid_attribute),
                )
            )
    return findings
