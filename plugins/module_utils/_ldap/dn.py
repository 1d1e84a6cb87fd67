# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Distinguished names (RFC 4514): parsing, escaping, and the checks of the bind DN and the user base DN."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import re

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
)


class DNSyntaxError(ValueError):
    def __init__(self, position, reason):
        ValueError.__init__(self, "at character %d: %s" % (position + 1, reason))
        self.position = position
        self.reason = reason


_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
HEXDIGITS = frozenset("0123456789abcdefABCDEF")
_KEYCHARS = _ALPHA | _DIGITS | frozenset("-")
# After a backslash, RFC 4514 accepts these characters as themselves ("special" and ESC).
_DN_PAIR_CHARS = frozenset('"+,;<>\\ #=')
_DN_MUST_ESCAPE = frozenset('"+,;<>\\')


def _attribute_type(text, i):
    """descr / numericoid starting at i -> (type, next index)."""
    n = len(text)
    if i < n and text[i] in _ALPHA:
        j = i + 1
        while j < n and text[j] in _KEYCHARS:
            j += 1
        return text[i:j], j
    if i < n and text[i] in _DIGITS:
        j = i
        numbers = 0
        while True:
            k = j
            while k < n and text[k] in _DIGITS:
                k += 1
            if k == j:
                raise DNSyntaxError(j, "an OID needs a number after each '.'")
            if text[j] == "0" and k - j > 1:
                raise DNSyntaxError(j, "numbers in an OID have no leading zeros")
            numbers += 1
            j = k
            if j < n and text[j] == ".":
                if j + 1 < n and text[j + 1] in _DIGITS:
                    j += 1
                    continue
                raise DNSyntaxError(j, "an OID needs a number after each '.'")
            break
        if numbers < 2:
            raise DNSyntaxError(i, "a numeric attribute type is an OID with at least two numbers, e.g. 2.5.4.3")
        return text[i:j], j
    if i >= n:
        raise DNSyntaxError(i, "an attribute type (e.g. cn, ou, dc) is missing at the end")
    raise DNSyntaxError(
        i, "expected an attribute type (a name such as cn, or an OID such as 2.5.4.3), found %r" % text[i]
    )


def _skip_spaces(text, i):
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _attribute_value(text, i, spaces):
    """An RFC 4514 attributeValue starting at i -> (value, next index). ``spaces`` collects leniencies."""
    n = len(text)
    if i < n and text[i] == "#":
        j = i + 1
        while j < n and text[j] in HEXDIGITS:
            j += 1
        if j == i + 1 or (j - i - 1) % 2:
            raise DNSyntaxError(
                i, "a value starting with '#' is a hex string (pairs of hex digits); write \\# for a '#'"
            )
        k = _skip_spaces(text, j)
        if k < n and text[k] not in ",+":
            raise DNSyntaxError(j, "a hex string value ends at ',' or '+', found %r" % text[j])
        if k != j:
            spaces.append(j)
        return text[i:j], k
    raw = bytearray()
    trailing = 0  # unescaped spaces at the end of raw
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                raise DNSyntaxError(i, "a '\\' at the end of the DN escapes nothing; write \\\\ for a backslash")
            nxt = text[i + 1]
            if nxt in HEXDIGITS and i + 2 < n and text[i + 2] in HEXDIGITS:
                raw.append(int(text[i + 1 : i + 3], 16))
                i += 3
            elif nxt in _DN_PAIR_CHARS:
                raw.extend(nxt.encode("ascii"))
                i += 2
            else:
                raise DNSyntaxError(
                    i,
                    "'\\%s' is not an escape: a backslash precedes one of , + \" \\ < > ; = # space, or two hex digits"
                    % nxt,
                )
            trailing = 0
            continue
        if c in ",+":
            break
        if c in '"<>;':
            hint = " (RDNs are separated by ',')" if c == ";" else ""
            raise DNSyntaxError(i, "%r must be escaped in a value: write \\%s%s" % (c, c, hint))
        if c == "\x00":
            raise DNSyntaxError(i, "a NUL character must be written \\00")
        raw.extend(c.encode("utf-8", "surrogatepass"))
        trailing = trailing + 1 if c == " " else 0
        i += 1
    if trailing:
        del raw[len(raw) - trailing :]
        spaces.append(i - trailing)
    try:
        return raw.decode("utf-8"), i
    except UnicodeDecodeError:
        raise DNSyntaxError(i - 1, "the hex escapes of the value do not form UTF-8 text") from None


def parse_dn(dn, spaces=None):
    """Parse an RFC 4514 DN into a list of RDNs, each a list of ``(type, value)``; raises DNSyntaxError.

    Hex-string values (``#04024869``) are returned as written. Spaces around ',', '+' and '='
    (RFC 2253 allowed them) are skipped; their positions are appended to ``spaces`` when given.
    """
    if spaces is None:
        spaces = []
    if dn == "":
        return []
    rdns = []
    i, n = 0, len(dn)
    while True:
        rdn = []
        while True:
            j = _skip_spaces(dn, i)
            if j != i:
                spaces.append(i)
            attr, i = _attribute_type(dn, j)
            j = _skip_spaces(dn, i)
            if j != i:
                spaces.append(i)
            if j >= n or dn[j] != "=":
                found = "the end" if j >= n else repr(dn[j])
                hint = ""
                if rdns and not rdn:
                    hint = "; if the ',' before %r belongs to the previous value, escape it as \\," % attr
                raise DNSyntaxError(j, "expected '=' after the attribute type %r, found %s%s" % (attr, found, hint))
            i = j + 1
            j = _skip_spaces(dn, i)
            if j != i and (j >= n or dn[j] not in ",+"):
                spaces.append(i)
                i = j
            value, i = _attribute_value(dn, i, spaces)
            rdn.append((attr, value))
            if i >= n:
                rdns.append(rdn)
                return rdns
            if dn[i] == "+":
                i += 1
                continue
            rdns.append(rdn)
            i += 1  # ','
            if i >= n:
                raise DNSyntaxError(i - 1, "the DN ends with ','; remove it or add the missing RDN")
            break


def escape_dn_value(value):
    """Escape a string for use as an RFC 4514 attribute value."""
    out = []
    last = len(value) - 1
    for idx, ch in enumerate(value):
        if ch in _DN_MUST_ESCAPE:
            out.append("\\" + ch)
        elif ch == "\x00":
            out.append("\\00")
        elif (idx == 0 and ch in " #") or (idx == last and ch == " "):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def format_dn(rdns):
    """The RFC 4514 string of ``parse_dn()``'s result (hex-string values kept as they are)."""
    return ",".join(
        "+".join("%s=%s" % (t, v if v.startswith("#") else escape_dn_value(v)) for t, v in rdn) for rdn in rdns
    )


_UPN = re.compile(r"^[^@\s=,]+@[^@\s=,]+$")
_DOWNLEVEL = re.compile(r"^[^\\\s=,]+\\[^\\\s=,]+$")


def check_dn(dn, field, required=False, bind_name=False):
    """DN_EMPTY, DN_SYNTAX, DN_SPACES (and BIND_DN_NOT_DN for an AD-style bind name)."""
    if dn is None or dn == "":
        if required:
            return [
                Finding("DN_EMPTY", ERROR, field, "%s is empty; give the DN, e.g. ou=People,dc=example,dc=com." % field)
            ]
        return []
    if bind_name and (_UPN.match(dn) or _DOWNLEVEL.match(dn)):
        return [
            Finding(
                "BIND_DN_NOT_DN",
                WARNING,
                field,
                "%r is a user principal name or DOMAIN\\user, not a DN. Active Directory accepts it for a simple "
                "bind, other directories do not. The product calls the field bind DN: prefer the account's DN, "
                "e.g. CN=svc-flopsar,OU=Service Accounts,DC=example,DC=com." % dn,
            )
        ]
    spaces = []
    try:
        rdns = parse_dn(dn, spaces)
    except DNSyntaxError as exc:
        return [
            Finding(
                "DN_SYNTAX",
                ERROR,
                field,
                "%s is not a valid DN (RFC 4514) %s. Example: cn=Smith\\, John,ou=People,dc=example,dc=com."
                % (field, exc),
            )
        ]
    if spaces:
        return [
            Finding(
                "DN_SPACES",
                WARNING,
                field,
                "%s has spaces around ',', '+' or '=', which RFC 4514 does not allow (most servers ignore them). "
                "Enter it as %s." % (field, format_dn(rdns)),
            )
        ]
    return []
