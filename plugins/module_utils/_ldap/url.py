# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The directory URL as the product takes it: host[:port] without a scheme, the port and TLS agreeing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # noqa: UP001  (ansible-core module_utils boilerplate)

import ipaddress
import re
from dataclasses import dataclass

from ansible_collections.hardened.flopsar.plugins.module_utils._ldap.findings import (
    ERROR,
    WARNING,
    Finding,
)

DEFAULT_PORTS = {True: 636, False: 389}
# Well-known ports of one protocol that are a mistake with the other one (AD global catalog included).
TLS_PORTS = (636, 3269)
CLEARTEXT_PORTS = (389, 3268)


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
