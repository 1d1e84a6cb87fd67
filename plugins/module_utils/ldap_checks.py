# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline checks of the Flopsar Server's LDAP settings, before an operator types them into the product.

The product (Identity & Access screens) takes: a server URL (host[:port], no
scheme), a bind DN and password, a user base DN, a user filter, a user UID
attribute, ``use_ssl`` (ldaps, 636; otherwise ldap, 389), ``skip_verify`` and a
CA certificate (docs/ldap.md, flopsar.md sections 3.4 and 4).

Every check returns *findings*: ``Finding(code, severity, field, message)``,
where ``severity`` is ``error`` or ``warning``, ``code`` is stable (the table in
docs/ldap.md) and the message says how to fix the setting. Nothing here echoes
a password: the functions that need to know about one take a boolean.

Pure functions only: no Ansible imports, no third-party imports, no I/O. The
certificate checks take facts (``ca_facts()`` in ldap_probe.py parses PEM).

Grammars implemented: RFC 4514 (DN strings, with the RFC 2253 leniency for
spaces around separators reported as a warning), RFC 4515 (filters), RFC 4512
(attribute descriptions).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import ipaddress
import re
from dataclasses import asdict, dataclass
from datetime import timedelta

ERROR = "error"
WARNING = "warning"
PROFILES = ("production", "lab")

DEFAULT_PORTS = {True: 636, False: 389}
# Well-known ports of one protocol that are a mistake with the other one (AD global catalog included).
TLS_PORTS = (636, 3269)
CLEARTEXT_PORTS = (389, 3268)

CA_EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    field: str
    message: str

    def as_dict(self):
        return asdict(self)


def has_errors(findings):
    return any(f.severity == ERROR for f in findings)


def error_codes(findings):
    """The distinct error codes, in the order they were found."""
    out = []
    for f in findings:
        if f.severity == ERROR and f.code not in out:
            out.append(f.code)
    return out


# --------------------------------------------------------------------------- URL


@dataclass(frozen=True)
class ParsedURL:
    scheme: object  # None, "ldap" or "ldaps": only what was written
    host: str  # IPv6 without brackets, compressed
    port: object  # None when the URL has no port
    ip_version: object  # None for a host name, 4 or 6 for an address


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PORT = re.compile(r"^[0-9]+$")
_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def _ipv6(text):
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def _port_value(text, findings):
    if not _PORT.match(text or ""):
        findings.append(
            Finding(
                "URL_BAD_PORT",
                ERROR,
                "url",
                "The port %r is not a number; write host:port with a port from 1 to 65535, or leave the port out "
                "to use the default (636 with use_ssl, 389 without)." % (text,),
            )
        )
        return None
    port = int(text)
    if not 1 <= port <= 65535:
        findings.append(
            Finding("URL_BAD_PORT", ERROR, "url", "The port %d is out of range; use a port from 1 to 65535." % port)
        )
        return None
    return port


def _check_hostname(host, findings):
    """True when ``host`` (no brackets, no port) is a valid IPv4 address or DNS name."""

    def bad(why):
        findings.append(Finding("URL_BAD_HOST", ERROR, "url", "The host %r is not valid: %s" % (host, why)))
        return False

    if not host:
        return bad("it is empty. Write the directory's DNS name or address, e.g. dc01.example.com:636.")
    if re.match(r"^[0-9.]+$", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return bad("it looks like an IPv4 address but is not one (four numbers 0-255, no leading zeros).")
        return True
    if not host.isascii():
        try:
            hint = " Write it in its ASCII (punycode) form: %s." % host.encode("idna").decode("ascii")
        except UnicodeError:
            hint = ""
        return bad("a host name must be ASCII." + hint)
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253:
        return bad("a DNS name has at most 253 characters.")
    for label in name.split("."):
        if not label:
            return bad("it has an empty label (two dots in a row, or a leading dot).")
        if len(label) > 63:
            return bad("the label %r is longer than 63 characters." % label)
        if not _LABEL.match(label):
            return bad(
                "the label %r may only hold letters, digits and hyphens, and may not start or end with a hyphen. "
                "Write host or host:port only (no user name, path or query)." % label
            )
    if "_" in name:
        findings.append(
            Finding(
                "URL_HOST_UNDERSCORE",
                WARNING,
                "url",
                "The host name %r contains '_', which is not valid in a host name (RFC 1123); resolvers usually "
                "accept it, TLS libraries may not. Prefer a name without underscores." % host,
            )
        )
    return True


def parse_url(url):
    """Parse the product's server URL. Returns ``(ParsedURL or None, findings)``.

    Accepts ``host``, ``host:port``, ``1.2.3.4``, ``[2001:db8::1]``, ``[2001:db8::1]:636`` and a bare
    IPv6 address when no port could be read into it, each with an optional ``ldap://`` or ``ldaps://``
    and an optional trailing ``/``. The findings here are about the text alone; the scheme against
    ``use_ssl`` is ``check_url()``'s business.
    """
    findings = []
    if url is None or not url.strip():
        findings.append(
            Finding("URL_EMPTY", ERROR, "url", "The server URL is empty; write host[:port], e.g. dc01.example.com:636.")
        )
        return None, findings
    text = url.strip()
    if text != url:
        findings.append(
            Finding(
                "URL_WHITESPACE",
                WARNING,
                "url",
                "The server URL has spaces around it; enter it without them (%r)." % text,
            )
        )
    scheme = None
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        text = text[match.end() :]
        if scheme not in ("ldap", "ldaps"):
            findings.append(
                Finding(
                    "URL_BAD_SCHEME",
                    ERROR,
                    "url",
                    "The scheme %s:// is not LDAP; the product connects with ldap:// or ldaps:// as use_ssl "
                    "says, and its URL field takes host[:port] only." % scheme,
                )
            )
            return None, findings
    if "/" in text:
        text, rest = text.split("/", 1)
        if rest:
            findings.append(
                Finding(
                    "URL_PATH_PRESENT",
                    ERROR,
                    "url",
                    "The URL has a path or query (/%s); the product takes host[:port] only. Put the base DN in "
                    "user_base_dn and the filter in user_filter." % rest,
                )
            )
            return None, findings

    port_text = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            findings.append(Finding("URL_BAD_HOST", ERROR, "url", "The '[' of an IPv6 address is never closed."))
            return None, findings
        host, after = text[1:end], text[end + 1 :]
        address = _ipv6(host)
        if address is None:
            findings.append(
                Finding(
                    "URL_BAD_HOST",
                    ERROR,
                    "url",
                    "%r is not an IPv6 address; brackets are only for IPv6 addresses, e.g. [2001:db8::1]:636." % host,
                )
            )
            return None, findings
        if after:
            if not after.startswith(":"):
                findings.append(
                    Finding(
                        "URL_BAD_HOST",
                        ERROR,
                        "url",
                        "Unexpected %r after the IPv6 address; write [address]:port." % after,
                    )
                )
                return None, findings
            port_text = after[1:]
        host, version = str(address), 6
    elif text.count(":") >= 2:
        head, _sep, tail = text.rpartition(":")
        portlike = bool(_PORT.match(tail)) and _ipv6(head) is not None
        if _ipv6(text) is not None and not portlike:
            host, version = str(_ipv6(text)), 6
        else:
            hint = "[%s]:%s or [%s]" % (head, tail, text) if portlike else "[address] or [address]:port"
            findings.append(
                Finding(
                    "URL_BAD_HOST",
                    ERROR,
                    "url",
                    "%r is ambiguous or not an address: an IPv6 address needs brackets, e.g. %s." % (text, hint),
                )
            )
            return None, findings
    else:
        host, sep, port_text = text.partition(":")
        if not sep:
            port_text = None
        if not _check_hostname(host, findings):
            return None, findings
        version = 4 if re.match(r"^[0-9.]+$", host) else None

    port = None
    if port_text is not None:
        port = _port_value(port_text, findings)
        if port is None:
            return None, findings
    return ParsedURL(scheme=scheme, host=host, port=port, ip_version=version), findings


def check_url(url, use_ssl):
    """The URL's own findings plus those about it against ``use_ssl``."""
    parsed, findings = parse_url(url)
    if parsed is None:
        return parsed, findings
    wanted = "ldaps" if use_ssl else "ldap"
    bare = url_for_product(parsed.host, parsed.port or DEFAULT_PORTS[bool(use_ssl)], parsed.ip_version)
    if parsed.scheme and parsed.scheme != wanted:
        findings.append(
            Finding(
                "URL_SCHEME_CONFLICT",
                ERROR,
                "url",
                "The URL says %s:// but use_ssl is %s, which means %s://. The product decides by use_ssl: "
                "set use_ssl: %s, or write the URL as %s."
                % (parsed.scheme, "on" if use_ssl else "off", wanted, parsed.scheme == "ldaps", bare),
            )
        )
    elif parsed.scheme:
        findings.append(
            Finding(
                "URL_SCHEME_PRESENT",
                WARNING,
                "url",
                "The product's URL field takes host[:port] without a scheme (the protocol comes from use_ssl); "
                "enter %s." % bare,
            )
        )
    port = parsed.port
    if port is not None and ((use_ssl and port in CLEARTEXT_PORTS) or (not use_ssl and port in TLS_PORTS)):
        findings.append(
            Finding(
                "PORT_PROTOCOL_MISMATCH",
                ERROR,
                "url",
                "Port %s is the %s port, but use_ssl is %s. Use port %d (or leave the port out), or turn use_ssl %s."
                % (
                    port,
                    "cleartext LDAP" if port in CLEARTEXT_PORTS else "LDAPS (TLS)",
                    "on" if use_ssl else "off",
                    DEFAULT_PORTS[bool(use_ssl)],
                    "off" if use_ssl else "on",
                ),
            )
        )
    return parsed, findings


def url_for_product(host, port, ip_version=None):
    """host:port as the product's URL field wants it; an IPv6 address in brackets."""
    if host is None:
        return None
    shown = "[%s]" % host if ip_version == 6 or (ip_version is None and ":" in host) else host
    return "%s:%d" % (shown, port)


def normalise(url, use_ssl=True, skip_verify=False):
    """What to enter in the product, from the URL as written and the two switches.

    Returns ``{scheme, host, port, url_for_product, use_ssl, skip_verify}``. The scheme follows
    ``use_ssl`` (that is what the product does); ``skip_verify`` is reported off when TLS is
    off, since the product ignores it then. ``host``, ``port`` and ``url_for_product`` are
    ``None`` when the URL cannot be parsed.
    """
    use_ssl = bool(use_ssl)
    parsed, _findings = parse_url(url)
    port = None if parsed is None else parsed.port or DEFAULT_PORTS[use_ssl]
    return {
        "scheme": "ldaps" if use_ssl else "ldap",
        "host": None if parsed is None else parsed.host,
        "port": port,
        "url_for_product": None if parsed is None else url_for_product(parsed.host, port, parsed.ip_version),
        "use_ssl": use_ssl,
        "skip_verify": bool(skip_verify) and use_ssl,
    }


# --------------------------------------------------------------------------- DN (RFC 4514)


class DNSyntaxError(ValueError):
    def __init__(self, position, reason):
        ValueError.__init__(self, "at character %d: %s" % (position + 1, reason))
        self.position = position
        self.reason = reason


_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
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
        while j < n and text[j] in _HEXDIGITS:
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
            if nxt in _HEXDIGITS and i + 2 < n and text[i + 2] in _HEXDIGITS:
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


# --------------------------------------------------------------------------- attribute description (RFC 4512)

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


# --------------------------------------------------------------------------- filter (RFC 4515)


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
            if i + 2 < end and text[i + 1] in _HEXDIGITS and text[i + 2] in _HEXDIGITS:
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


# --------------------------------------------------------------------------- security switches, bind account


def check_security(use_ssl, skip_verify, profile="production", ca_given=False, host_is_ip=False):
    """CLEARTEXT_LDAP, SKIP_VERIFY, SKIP_VERIFY_WITHOUT_SSL, CA_IGNORED, CA_NOT_GIVEN, URL_IP_WITH_TLS."""
    if profile not in PROFILES:
        raise ValueError("profile must be one of %s" % ", ".join(PROFILES))
    strict = ERROR if profile == "production" else WARNING
    findings = []
    if not use_ssl:
        findings.append(
            Finding(
                "CLEARTEXT_LDAP",
                strict,
                "use_ssl",
                "use_ssl is off: the bind password and every user's password cross the network in clear text "
                "(ldap://). Turn use_ssl on (ldaps, port 636) with the directory's CA certificate.",
            )
        )
        if skip_verify:
            findings.append(
                Finding(
                    "SKIP_VERIFY_WITHOUT_SSL",
                    WARNING,
                    "skip_verify",
                    "skip_verify has no effect without use_ssl (the product ignores it); turn use_ssl on and "
                    "skip_verify off.",
                )
            )
        if ca_given:
            findings.append(
                Finding(
                    "CA_IGNORED",
                    WARNING,
                    "ca_cert",
                    "A CA certificate is given but use_ssl is off, so the product ignores it. Turn use_ssl on.",
                )
            )
        return findings
    if skip_verify:
        findings.append(
            Finding(
                "SKIP_VERIFY",
                strict,
                "skip_verify",
                "skip_verify accepts any certificate, so anyone on the path can impersonate the directory and "
                "collect passwords. Turn it off and give the CA that issued the directory's certificate in ca_cert "
                "(the product's CA Certificate field).",
            )
        )
        if ca_given:
            findings.append(
                Finding(
                    "CA_IGNORED",
                    WARNING,
                    "ca_cert",
                    "A CA certificate is given but skip_verify is on, so it is not used. Turn skip_verify off.",
                )
            )
        return findings
    if not ca_given:
        findings.append(
            Finding(
                "CA_NOT_GIVEN",
                WARNING,
                "ca_cert",
                "No CA certificate is given: the probe verifies the directory against this host's system trust "
                "store, and whether the product does the same is not documented. Give the issuing CA in ca_cert "
                "and paste it into the product's CA Certificate field.",
            )
        )
    if host_is_ip:
        findings.append(
            Finding(
                "URL_IP_WITH_TLS",
                WARNING,
                "url",
                "The URL names an IP address, so the directory's certificate must list that address as an IP "
                "subject alternative name; directory certificates usually carry DNS names only. Prefer the DNS name "
                "the certificate was issued for.",
            )
        )
    return findings


def check_bind(bind_dn, bind_password_given):
    """BIND_DN_NO_PASSWORD and BIND_ANONYMOUS (the password itself is never seen here)."""
    if bind_dn:
        if not bind_password_given:
            return [
                Finding(
                    "BIND_DN_NO_PASSWORD",
                    ERROR,
                    "bind_password",
                    "A bind DN without a password is an unauthenticated bind (RFC 4513 5.1.2): many servers treat "
                    "it as anonymous, some refuse it. Give the service account's password in bind_password.",
                )
            ]
        return []
    return [
        Finding(
            "BIND_ANONYMOUS",
            WARNING,
            "bind_dn",
            "No bind DN: the product would search the directory anonymously, which most directories (Active "
            "Directory included) refuse or restrict. Create a read-only service account and give its DN and "
            "password.",
        )
    ]


# --------------------------------------------------------------------------- CA certificate

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def pem_blocks(text):
    """``[(label, body)]`` of the PEM blocks in text (label e.g. 'CERTIFICATE')."""
    return [(m.group(1), m.group(2)) for m in _PEM_BLOCK.finditer(text or "")]


def looks_like_pem(value):
    return "-----BEGIN " in (value or "")


def check_ca_text(text):
    """CA_UNPARSABLE (no certificate in it) and CA_PRIVATE_KEY (a key pasted with it)."""
    findings = []
    labels = [label for label, _body in pem_blocks(text)]
    if any("PRIVATE KEY" in label for label in labels):
        findings.append(
            Finding(
                "CA_PRIVATE_KEY",
                ERROR,
                "ca_cert",
                "The CA text contains a private key. Give only the CA certificate(s); treat the key as disclosed "
                "if it was shared this way.",
            )
        )
    if "CERTIFICATE" not in labels:
        findings.append(
            Finding(
                "CA_UNPARSABLE",
                ERROR,
                "ca_cert",
                "No PEM certificate (-----BEGIN CERTIFICATE-----) found in ca_cert. Give the CA certificate in "
                "PEM form (convert DER with: openssl x509 -inform der -in ca.cer -out ca.pem).",
            )
        )
    return findings


def check_ca(facts, now, parse_error=None):
    """CA_UNPARSABLE, CA_NOT_CA, CA_EXPIRED, CA_NOT_YET_VALID, CA_EXPIRES_SOON from parsed facts.

    ``facts``: one dict per certificate, ``{subject, is_ca, not_before, not_after}`` where ``is_ca``
    is True, False (basicConstraints CA:FALSE) or None (no basicConstraints), and the dates are
    timezone-aware datetimes or None when unknown. ``now`` is a timezone-aware datetime.
    """
    if parse_error:
        return [
            Finding(
                "CA_UNPARSABLE",
                ERROR,
                "ca_cert",
                "The CA certificate cannot be read: %s. Give the CA certificate in PEM form." % parse_error,
            )
        ]
    findings = []
    for fact in facts or []:
        subject = fact.get("subject") or "(no subject)"
        if fact.get("is_ca") is not True:
            why = "has basicConstraints CA:FALSE" if fact.get("is_ca") is False else "has no basicConstraints extension"
            findings.append(
                Finding(
                    "CA_NOT_CA",
                    ERROR,
                    "ca_cert",
                    "The certificate %s %s, so it is not a CA certificate. Give the certificate of the CA that "
                    "issued the directory's certificate (not the directory's own certificate)." % (subject, why),
                )
            )
        not_before, not_after = fact.get("not_before"), fact.get("not_after")
        if not_after is not None and not_after < now:
            findings.append(
                Finding(
                    "CA_EXPIRED",
                    ERROR,
                    "ca_cert",
                    "The CA certificate %s expired on %s; get the CA's current certificate."
                    % (subject, not_after.strftime("%Y-%m-%d %H:%M UTC")),
                )
            )
        elif not_before is not None and not_before > now:
            findings.append(
                Finding(
                    "CA_NOT_YET_VALID",
                    ERROR,
                    "ca_cert",
                    "The CA certificate %s is valid only from %s; check this host's clock or the certificate."
                    % (subject, not_before.strftime("%Y-%m-%d %H:%M UTC")),
                )
            )
        elif not_after is not None and not_after < now + timedelta(days=CA_EXPIRY_WARNING_DAYS):
            findings.append(
                Finding(
                    "CA_EXPIRES_SOON",
                    WARNING,
                    "ca_cert",
                    "The CA certificate %s expires on %s, in less than %d days; plan its renewal."
                    % (subject, not_after.strftime("%Y-%m-%d"), CA_EXPIRY_WARNING_DAYS),
                )
            )
    return findings


# --------------------------------------------------------------------------- everything


def check_settings(
    url,
    user_base_dn,
    user_filter,
    bind_dn=None,
    bind_password_given=False,
    uid_attribute="uid",
    use_ssl=True,
    skip_verify=False,
    profile="production",
    user_placeholder="{username}",
    ca_given=False,
):
    """All offline checks but the CA certificate's content. Returns findings."""
    parsed, findings = check_url(url, use_ssl)
    findings += check_security(
        use_ssl,
        skip_verify,
        profile,
        ca_given=ca_given,
        host_is_ip=parsed is not None and parsed.ip_version is not None,
    )
    findings += check_bind(bind_dn, bind_password_given)
    findings += check_dn(bind_dn, "bind_dn", bind_name=True)
    findings += check_dn(user_base_dn, "user_base_dn", required=True)
    findings += check_attribute(uid_attribute)
    findings += check_filter(user_filter, user_placeholder, uid_attribute)
    return findings
