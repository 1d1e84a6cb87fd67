# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the surface model to firewall rules: what is allowed in, what is allowed out.

``plan()`` takes the resolved listeners of every role on the host (the surface
model), the admin networks, the egress endpoints and the operator's extra
rules, validates them, and returns rules split by address family, ready for a
backend (the nftables template, the firewalld tasks) to express. Nothing here
knows a backend's syntax. Pure functions.
"""

from __future__ import absolute_import, division, print_function

import ipaddress

from ansible_collections.hardened.flopsar.plugins.module_utils.surface import as_list, as_port

PROTOCOLS = ("tcp", "udp")


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
    out = {"ipv4": [], "ipv6": []}
    for net in nets:
        if str(net) not in out[_family(net)]:
            out[_family(net)].append(str(net))
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
            if wildcard and lst["address"] != ("0.0.0.0" if family == "ipv4" else "::"):
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
        families = {_family(n) for n in nets}
        addresses = [address] if address else [("0.0.0.0" if f == "ipv4" else "::") for f in sorted(families)]
        for addr in addresses:
            out.append(
                {
                    "name": name,
                    "service": "extra",
                    "enabled": True,
                    "address": addr,
                    "port": rule.get("port"),
                    "protocol": protocol,
                    "sources": [str(n) for n in nets],
                }
            )
    return out


def plan(listeners, admin_networks, ssh_port, egress, strict_egress=True, extra_inbound=None):
    """Validate and derive every rule. Returns (plan, errors)."""
    errors = []
    listeners = list(listeners) + extra_listeners(extra_inbound, errors)
    admin = _by_family(_networks(admin_networks, "firewall_admin_networks", errors))
    if strict_egress and not (admin["ipv4"] or admin["ipv6"]):
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
