# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The surface model: every listener of a host, resolved, validated, and rendered.

A *listener spec* is what an operator declares (the roles build these from their
flat, survey-friendly variables)::

    {"name": "agent", "service": "flopsar-server", "enabled": True,
     "interface": "eth1", "address": "", "family": "ipv4", "port": 9000,
     "tls": None, "sources": ["10.89.11.0/24"], "variable": "server_agent"}

``resolve()`` turns specs plus the host's Ansible facts into *listeners*: the
same records with a concrete ``address`` and normalised ``sources``, or a list
of errors that each name the variable to fix. Everything else (settings.toml,
the firewall rules, the report, the tests) is derived from the resolved list,
so a port or a source network is written once.

Pure functions only: no Ansible imports, no I/O.
"""

from __future__ import absolute_import, division, print_function

import ipaddress

WILDCARDS = ("0.0.0.0", "::")

# Listeners that carry a TLS switch must use it off the loopback (flopsar.md: the UI always, and
# [otlp.grpc].ssl = true whenever OTLP traffic leaves the host).
TLS_REQUIRED_OFF_LOOPBACK = {
    "ui": ("the UI", "the documentation strongly discourages plain HTTP anywhere else"),
    "otlp_grpc": (
        "OTLP/gRPC",
        "the documentation asks for [otlp.grpc].ssl = true whenever OTLP traffic leaves the host",
    ),
}
# IPv4-mapped IPv6 addresses: a source network covering all of it admits every IPv4 client.
_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")

# Where each Flopsar listener lives in settings.toml (flopsar.md, section 1.2):
# the table path and, when the listener has a TLS switch, the key of that switch.
FLOPSAR_SETTINGS = {
    "agent": (("agent",), None),
    "ui": (("ui_srv",), "ssl"),
    "otlp_http": (("otlp", "http"), None),
    "otlp_grpc": (("otlp", "grpc"), "ssl"),
}


def as_list(value):
    """Sources may arrive as a list or, from an AWX survey, as text separated by commas or whitespace."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return list(value)


def _as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("no", "false", "off", "0", ""):
        return False
    if isinstance(value, int):
        return bool(value)
    raise ValueError("not a boolean: %r" % (value,))


def as_port(value):
    if isinstance(value, bool):
        raise ValueError("a port is a number, not %r" % (value,))
    port = int(str(value).strip())
    if not 1 <= port <= 65535:
        raise ValueError("port %d is outside 1-65535" % port)
    return port


def any_source(networks):
    """The networks among `networks` (ipaddress objects) that admit every source of their family.

    0.0.0.0/0 and ::/0, an IPv6 network covering all IPv4-mapped addresses, and sets that together cover
    a whole family (0.0.0.0/1 with 128.0.0.0/1) all count: the firewall would accept any client.
    """
    found = [net for net in networks if net.prefixlen == 0 or (net.version == 6 and _V4_MAPPED.subnet_of(net))]
    for version in (4, 6):
        same = [net for net in networks if net.version == version]
        if same and any(net.prefixlen == 0 for net in ipaddress.collapse_addresses(same)) and not found:
            found.extend(same)
    return found


def _fact_key(interface):
    """Ansible stores facts of interface 'br-lan' under 'br_lan'."""
    return interface.replace("-", "_").replace(".", "_").replace(":", "_")


def host_interfaces(facts):
    return sorted(facts.get("interfaces", []))


def host_addresses(facts):
    """Every address on the host, loopback included, as ipaddress objects."""
    found = set()
    for name in facts.get("interfaces", []):
        iface = facts.get(_fact_key(name)) or {}
        v4 = iface.get("ipv4") or {}
        if v4.get("address"):
            found.add(ipaddress.ip_address(v4["address"]))
        for extra in iface.get("ipv4_secondaries") or []:
            if extra.get("address"):
                found.add(ipaddress.ip_address(extra["address"]))
        for v6 in iface.get("ipv6") or []:
            if v6.get("address"):
                found.add(ipaddress.ip_address(v6["address"].split("%")[0]))
    for key in ("all_ipv4_addresses", "all_ipv6_addresses"):
        for addr in facts.get(key) or []:
            found.add(ipaddress.ip_address(addr.split("%")[0]))
    return found


def interface_address(facts, interface, family):
    """The primary address of `interface` in `family` ('ipv4' or 'ipv6', global scope), or None."""
    iface = facts.get(_fact_key(interface))
    if not iface:
        return None
    if family == "ipv6":
        for v6 in iface.get("ipv6") or []:
            if v6.get("scope") in ("global", None) and v6.get("address"):
                return v6["address"].split("%")[0]
        return None
    return (iface.get("ipv4") or {}).get("address")


def _default_interface(facts):
    return (facts.get("default_ipv4") or {}).get("interface")


def _resolve_one(spec, facts, allow_wildcard, errors):
    var = spec.get("variable") or spec["name"]
    out = dict(spec)
    out["protocol"] = "tcp"
    try:
        out["enabled"] = _as_bool(spec.get("enabled", True))
    except ValueError as exc:
        errors.append("%s_enabled: %s" % (var, exc))
        return None
    if spec.get("tls") is not None:
        try:
            out["tls"] = _as_bool(spec["tls"])
        except ValueError as exc:
            errors.append("%s_tls: %s" % (var, exc))
            return None
    try:
        out["port"] = as_port(spec.get("port"))
    except (TypeError, ValueError) as exc:
        errors.append("%s_port: %s" % (var, exc))
    if not out["enabled"]:
        out.update(address="", sources=[])
        return out

    family = spec.get("family") or "ipv4"
    if family not in ("ipv4", "ipv6"):
        errors.append("%s_family: must be ipv4 or ipv6, not %r" % (var, family))
        return None
    interface = (spec.get("interface") or "").strip()
    address = (spec.get("address") or "").strip()
    if interface and address:
        errors.append("%s_interface and %s_address: set one of them, not both" % (var, var))
        return None
    if not interface and not address:
        interface = _default_interface(facts) or ""
        if not interface:
            errors.append(
                "%s_interface: not set and the host has no default IPv4 route to take it from; "
                "set %s_interface or %s_address" % (var, var, var)
            )
            return None
    if interface:
        if interface not in facts.get("interfaces", []):
            errors.append(
                "%s_interface: interface %r does not exist on this host (it has: %s)"
                % (var, interface, ", ".join(host_interfaces(facts)))
            )
            return None
        address = interface_address(facts, interface, family)
        if not address:
            errors.append("%s_interface: interface %r has no %s address" % (var, interface, family))
            return None
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        errors.append("%s_address: %r is not an IP address" % (var, address))
        return None
    if str(ip) in WILDCARDS:
        if not allow_wildcard:
            errors.append(
                "%s_address: %s binds every interface; name an interface or address, "
                "or set server_allow_wildcard_bind to true to accept it" % (var, ip)
            )
            return None
    elif ip not in host_addresses(facts):
        errors.append("%s_address: %s is not an address of this host" % (var, ip))
        return None
    out.update(address=str(ip), family="ipv6" if ip.version == 6 else "ipv4", interface=interface)

    sources = []
    for source in as_list(spec.get("sources")):
        try:
            net = ipaddress.ip_network(str(source).strip(), strict=True)
        except ValueError as exc:
            hint = ""
            try:
                hint = "; did you mean %s?" % ipaddress.ip_network(str(source).strip(), strict=False)
            except ValueError:
                pass
            errors.append("%s_sources: %r is not a network (%s)%s" % (var, source, exc, hint))
            continue
        if net.version != ip.version and str(ip) not in WILDCARDS:
            errors.append(
                "%s_sources: %s is IPv%d but the listener binds IPv%d address %s; it could never match"
                % (var, net, net.version, ip.version, ip)
            )
            continue
        if str(net) not in sources:
            sources.append(str(net))
    wide = any_source([ipaddress.ip_network(src) for src in sources])
    if wide:
        try:
            opted_in = _as_bool(spec.get("allow_any_source", False))
        except ValueError as exc:
            errors.append("%s_allow_any_source: %s" % (var, exc))
            return None
        if not opted_in:
            errors.append(
                "%s_sources: %s admits every source address; name the networks that use this listener, "
                "or set %s_allow_any_source to true to accept it" % (var, ", ".join(str(n) for n in wide), var)
            )
            return None
    out["sources"] = sources
    return out


def _overlaps(a, b):
    if a["port"] != b["port"]:
        return False
    if a["address"] == b["address"]:
        return True
    fam_a = ipaddress.ip_address(a["address"]).version
    fam_b = ipaddress.ip_address(b["address"]).version
    return fam_a == fam_b and (a["address"] in WILDCARDS or b["address"] in WILDCARDS)


def resolve(specs, facts, allow_wildcard=False):
    """Resolve listener specs against a host's facts. Returns (listeners, errors)."""
    errors = []
    resolved = []
    names = set()
    for spec in specs:
        if spec["name"] in names:
            errors.append("listener %r is declared twice" % spec["name"])
            continue
        names.add(spec["name"])
        listener = _resolve_one(spec, facts, _as_bool(allow_wildcard), errors)
        if listener is not None:
            resolved.append(listener)
    active = [lst for lst in resolved if lst["enabled"] and lst.get("address") and isinstance(lst.get("port"), int)]
    for i, a in enumerate(active):
        for b in active[i + 1 :]:
            if _overlaps(a, b):
                errors.append(
                    "%s_port and %s_port: both listen on %s port %d"
                    % (a.get("variable", a["name"]), b.get("variable", b["name"]), b["address"], a["port"])
                )
    for lst in active:
        rule = TLS_REQUIRED_OFF_LOOPBACK.get(lst["name"])
        if rule and lst.get("tls") is False and not ipaddress.ip_address(lst["address"]).is_loopback:
            errors.append(
                "%s_tls: TLS may only be off when %s binds to loopback (it binds %s); %s"
                % (lst.get("variable", lst["name"]), rule[0], lst["address"], rule[1])
            )
    return resolved, errors


def flopsar_settings(listeners):
    """The listener part of settings.toml, from resolved Flopsar listeners."""
    by_name = {lst["name"]: lst for lst in listeners}
    settings = {}

    def put(path, values):
        table = settings
        for part in path:
            table = table.setdefault(part, {})
        table.update(values)

    otlp_on = any(by_name.get(n, {}).get("enabled") for n in ("otlp_http", "otlp_grpc"))
    for name, (path, tls_key) in FLOPSAR_SETTINGS.items():
        lst = by_name.get(name)
        if lst is None or not lst["enabled"]:
            continue
        values = {"server_ip": lst["address"], "server_port": lst["port"]}
        if tls_key is not None:
            values[tls_key] = bool(lst.get("tls"))
        put(path, values)
    if "otlp_http" in by_name or "otlp_grpc" in by_name:
        put(("otlp",), {"enable": otlp_on})
    return settings


def tls_listeners(listeners):
    return [lst for lst in listeners if lst["enabled"] and lst.get("tls")]
