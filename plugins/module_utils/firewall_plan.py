# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the surface model to firewall rules: what is allowed in, what is allowed out.

``plan()`` takes the resolved listeners of every role on the host (the surface
model), the admin networks, the egress endpoints and the operator's extra
rules, validates them, and returns rules split by address family, ready for a
backend (the nftables template, the firewalld templates) to express. Nothing
here knows a backend's syntax; ``firewalld_ipsets()`` only groups a plan's
rules the way the firewalld backend names and matches them (one ipset a rule).

``client_egress()`` is the other end of a flow: on a monitored application
host or an OTLP sender it turns the listeners the servers published into
egress entries towards exactly their addresses and ports. Pure functions.
"""

from __future__ import absolute_import, division, print_function

import ipaddress

from ansible_collections.hardened.flopsar.plugins.module_utils.surface import as_list, as_port

PROTOCOLS = ("tcp", "udp")
INPUT_POLICIES = ("drop", "accept")


def _family(net):
    return "ipv6" if net.version == 6 else "ipv4"


def _networks(values, var, errors):
    out = []
    for value in as_list(values):
        try:
            out.append(ipaddress.ip_network(str(value).strip(), strict=True))
        except ValueError as exc:
            errors.append("%s: %r is not a network (%s)" % (var, value, exc))
    return out


def _port(value, var, errors):
    try:
        return as_port(value)
    except (TypeError, ValueError):
        errors.append("%s: %r is not a port (1-65535)" % (var, value))
        return None


def _by_family(nets):
    """Networks split by family, each list collapsed (duplicates and networks inside others merged, sorted):
    firewalld's interval sets refuse overlapping elements, and a shorter list is a smaller set."""
    out = {}
    for family, version in (("ipv4", 4), ("ipv6", 6)):
        out[family] = [str(n) for n in ipaddress.collapse_addresses(n for n in nets if n.version == version)]
    return out


def inbound(listeners, errors):
    rules = []
    for lst in listeners:
        if not lst.get("enabled", True) or not lst.get("sources"):
            continue
        label = "%s %s" % (lst.get("service", ""), lst["name"])
        port = _port(lst.get("port"), "%s port" % label, errors)
        if port is None:
            continue
        sources = _by_family(_networks(lst["sources"], "%s sources" % label, errors))
        wildcard = lst["address"] in ("0.0.0.0", "::")
        for family in ("ipv4", "ipv6"):
            if not sources[family]:
                continue
            # 0.0.0.0 is IPv4 only; :: is both families (a dual-stack socket, Linux's default).
            if lst["address"] == "0.0.0.0" and family == "ipv6":
                continue
            daddr = None if wildcard else lst["address"]
            if daddr and _family(ipaddress.ip_address(daddr)) != family:
                continue
            rules.append(
                {
                    "comment": label.strip(),
                    "family": family,
                    "protocol": lst.get("protocol", "tcp"),
                    "daddr": daddr,
                    "port": port,
                    "saddr": sources[family],
                }
            )
    return rules


def outbound(egress, errors):
    """Egress entries: {name, addresses: [..], port, protocol} -> one rule per family and protocol."""
    rules = []
    for i, entry in enumerate(egress):
        name = entry.get("name") or "egress %d" % i
        protocols = entry.get("protocol", "tcp")
        protocols = [protocols] if isinstance(protocols, str) else list(protocols)
        for proto in protocols:
            if proto not in PROTOCOLS:
                errors.append("%s: protocol %r is not tcp or udp" % (name, proto))
        port = _port(entry.get("port"), "%s port" % name, errors)
        addresses = _by_family(_networks(entry.get("addresses"), "%s addresses" % name, errors))
        if port is None:
            continue
        if not addresses["ipv4"] and not addresses["ipv6"]:
            errors.append("%s: no addresses (resolve the host name first, or list its addresses)" % name)
            continue
        for family in ("ipv4", "ipv6"):
            if addresses[family]:
                for proto in protocols:
                    if proto in PROTOCOLS:
                        rules.append(
                            {
                                "comment": name,
                                "family": family,
                                "protocol": proto,
                                "port": port,
                                "daddr": addresses[family],
                            }
                        )
    return rules


def extra_listeners(extra, errors):
    """The operator's extra inbound rules, as listener records: {name, port, protocol, sources, address}."""
    out = []
    for i, rule in enumerate(extra or []):
        name = rule.get("name") or "extra inbound %d" % i
        protocol = rule.get("protocol", "tcp")
        if protocol not in PROTOCOLS:
            errors.append("firewall_extra_inbound: %s: protocol %r is not tcp or udp" % (name, protocol))
            continue
        address = rule.get("address") or ""
        if address:
            try:
                address = str(ipaddress.ip_address(address))
            except ValueError:
                errors.append("firewall_extra_inbound: %s: %r is not an IP address" % (name, address))
                continue
        nets = _networks(rule.get("sources"), "firewall_extra_inbound: %s sources" % name, errors)
        if not nets:
            errors.append("firewall_extra_inbound: %s: sources is required" % name)
            continue
        if not address:
            # Every address: :: covers both families, 0.0.0.0 IPv4 only.
            address = "::" if any(n.version == 6 for n in nets) else "0.0.0.0"
        out.append(
            {
                "name": name,
                "service": "extra",
                "enabled": True,
                "address": address,
                "port": rule.get("port"),
                "protocol": protocol,
                "sources": [str(n) for n in nets],
            }
        )
    return out


def plan(listeners, admin_networks, ssh_port, egress, strict_egress=True, extra_inbound=None, input_policy="drop"):
    """Validate and derive every rule. Returns (plan, errors)."""
    errors = []
    listeners = list(listeners) + extra_listeners(extra_inbound, errors)
    admin = _by_family(_networks(admin_networks, "firewall_admin_networks", errors))
    if input_policy not in INPUT_POLICIES:
        errors.append("firewall_input_policy: %r is not drop or accept" % (input_policy,))
    if (strict_egress or input_policy != "accept") and not (admin["ipv4"] or admin["ipv6"]):
        errors.append(
            "firewall_admin_networks: at least one network is required (SSH is allowed only from these, "
            "before anything is denied; without one the controller would lock itself out)"
        )
    port = _port(ssh_port, "firewall_ssh_port", errors)
    result = {
        "admin": admin,
        "ssh_port": port,
        "inbound": inbound(listeners, errors),
        "outbound": outbound(egress, errors),
        "strict_egress": bool(strict_egress),
        "input_policy": input_policy,
    }
    seen = set()
    for rule in result["inbound"]:
        key = (rule["family"], rule["protocol"], rule["daddr"], rule["port"])
        if key in seen:
            errors.append(
                "two listeners open %s port %s/%d" % (rule["daddr"] or "every address", rule["protocol"], rule["port"])
            )
        seen.add(key)
    return result, errors


def firewalld_ipsets(rules, zone):
    """One firewalld ipset per rule of a plan: the admin networks per family (``<zone>-admin4``,
    ``<zone>-admin6``), each inbound rule (``<zone>-inN``) and each outbound rule (``<zone>-outN``).
    Each rule of the zone and the egress policy then matches its set, so 1,000 sources stay one rule.
    ``kind`` is admin, in or out; ``entries`` the set's networks; ``daddr`` the inbound destination."""
    out = []
    for family in ("ipv4", "ipv6"):
        if rules["admin"][family]:
            out.append(
                {
                    "kind": "admin",
                    "name": "%s-admin%s" % (zone, family[-1]),
                    "family": family,
                    "entries": rules["admin"][family],
                    "daddr": None,
                    "port": rules["ssh_port"],
                    "protocol": "tcp",
                    "comment": "ssh from admin networks",
                }
            )
    for kind, key, entries in (("in", "inbound", "saddr"), ("out", "outbound", "daddr")):
        for index, rule in enumerate(rules[key]):
            out.append(
                {
                    "kind": kind,
                    "name": "%s-%s%d" % (zone, kind, index),
                    "family": rule["family"],
                    "entries": rule[entries],
                    "daddr": rule["daddr"] if kind == "in" else None,
                    "port": rule["port"],
                    "protocol": rule["protocol"],
                    "comment": rule["comment"],
                }
            )
    return out


def _listener_addresses(lst, server_addresses):
    """Where a client reaches a listener: its bind address, or every address of the server in the
    family a wildcard bind covers (0.0.0.0: IPv4; ::, a dual-stack socket: both)."""
    if lst["address"] not in ("0.0.0.0", "::"):
        return [lst["address"]]
    families = (4,) if lst["address"] == "0.0.0.0" else (4, 6)
    out = []
    for value in server_addresses:
        try:
            addr = ipaddress.ip_address(str(value).partition("%")[0])
        except ValueError:
            continue
        if addr.version in families and not (addr.is_loopback or addr.is_link_local) and str(addr) not in out:
            out.append(str(addr))
    return out


def client_egress(servers, listener_names, client_addresses=None, group="flopsar_servers"):
    """The other end of the flows: egress entries from a client host to the servers' listeners.

    ``servers``: [{"host": name, "surface": [resolved listeners] or None, "addresses": [every address
    of that host]}] (the hosts of ``group`` but this one). ``listener_names``: the listeners this host
    is a client of (``agent``, ``otlp_http``, ...). ``client_addresses``: this host's addresses, to
    warn when a server does not list any of them among the listener's sources.
    Returns (egress, warnings, errors); egress entries are in ``outbound()``'s format.
    """
    egress, warnings, errors = [], [], []
    names = [str(n).strip() for n in as_list(listener_names) if str(n).strip()]
    if not names:
        return egress, warnings, errors
    if not servers:
        errors.append(
            "firewall_client_listeners: %s asked for, but group %r has no other host to connect to "
            "(set firewall_server_group)" % (", ".join(names), group)
        )
        return egress, warnings, errors
    mine = set()
    for value in as_list(client_addresses):
        try:
            mine.add(ipaddress.ip_address(str(value).partition("%")[0]))
        except ValueError:
            continue
    known = set()
    for server in servers:
        if server.get("surface") is None:
            errors.append(
                "host %s in group %r has not published server_surface, so this host's outbound rules cannot be "
                "derived: keep the servers in the run (e.g. --limit '<this host>,%s'; playbooks/site.yml resolves "
                "them in its first play), nothing was changed" % (server["host"], group, group)
            )
            continue
        known.update(lst["name"] for lst in server["surface"])
    if errors:
        return egress, warnings, errors
    for name in names:
        if name not in known:
            errors.append(
                "firewall_client_listeners: %r is not a listener of the hosts in group %r (they have: %s)"
                % (name, group, ", ".join(sorted(known)) or "none")
            )
            continue
        opened = False
        for server in servers:
            for lst in server["surface"]:
                if lst["name"] != name or not lst.get("enabled") or not lst.get("address"):
                    continue
                addresses = _listener_addresses(lst, server.get("addresses") or [])
                if not addresses:
                    errors.append(
                        "%s on %s binds %s, and that host's facts list no address for it"
                        % (name, server["host"], lst["address"])
                    )
                    continue
                opened = True
                egress.append(
                    {
                        "name": "%s on %s" % (name, server["host"]),
                        "addresses": addresses,
                        "port": lst["port"],
                        "protocol": lst.get("protocol", "tcp"),
                    }
                )
                sources = _networks(lst.get("sources"), "%s on %s sources" % (name, server["host"]), [])
                if mine and not any(addr in net for addr in mine for net in sources):
                    warnings.append(
                        "%s on %s: none of this host's addresses is among the listener's sources (%s); "
                        "the server will drop its connections"
                        % (name, server["host"], ", ".join(map(str, sources)) or "none")
                    )
        if not opened:
            warnings.append("%s is not enabled on any host of group %r: no outbound rule for it" % (name, group))
    return egress, warnings, errors
