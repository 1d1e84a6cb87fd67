# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The surface report: what a host really exposes, compared with what the model declares.

Three inputs per host:

* the *declared* listeners (the surface model: ``server_surface + crowdsec_surface``);
* the *observed* listeners, parsed from ``ss -Htulnp``;
* the *observed* firewall, parsed from ``nft -j list table inet <table>``: the openings
  (accepted inbound destination ports, with their sources) and the egress (accepted
  outbound destinations).

``compare()`` returns the host's report with one finding per drift: a listener nobody
declared, a wildcard bind, a firewall opening with no listener behind it, a declared
listener that is down, a declared listener whose sources differ from the opening's.
``markdown()`` and ``svg()`` render reports for people. Pure functions, no I/O.
"""

from __future__ import absolute_import, division, print_function

import ipaddress
import json
import re

WILDCARD_ADDRESSES = ("0.0.0.0", "::", "*")

# Finding codes; those in DRIFT make a report fail with fail_on_drift.
DRIFT = (
    "undeclared-listener",
    "wildcard-bind",
    "opening-without-listener",
    "declared-listener-down",
    "sources-differ",
    "firewall-missing",
    "rule-not-in-model",
)
NOTES = ("undeclared-loopback-listener", "accepted-listener", "cleartext-listener")

# Why a declared listener without TLS matters, by listener name (flopsar.md: no TLS switch is documented
# for OTLP/HTTP or the agent port; OTLP/gRPC has [otlp.grpc].ssl).
CLEARTEXT_WHY = {
    "otlp_http": "OTLP/HTTP has no documented TLS switch: traces cross the network in clear text",
    "agent": "no TLS is documented for the agent protocol: agent traffic crosses the network in clear text",
}

_PROCESS = re.compile(r'\("([^"]+)",pid=(\d+)')


# --- observed listeners ---------------------------------------------------------------------


def _split_endpoint(text):
    """'10.0.0.1:9000', '[fd00::1]:9000', '*:22', '127.0.0.53%lo:53' -> (address, port)."""
    address, _sep, port = text.rpartition(":")
    address = address.strip("[]").split("%")[0]
    if address == "*":
        address = "*"
    return address, int(port)


def parse_ss(text):
    """Listeners from `ss -Htulnp` (columns: netid state recv-q send-q local peer [process])."""
    listeners = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[0] not in ("tcp", "udp"):
            continue
        try:
            address, port = _split_endpoint(fields[4])
        except ValueError:
            continue
        processes = sorted({name for name, _pid in _PROCESS.findall(" ".join(fields[6:]))})
        record = {
            "protocol": fields[0],
            "address": address,
            "port": port,
            "process": ",".join(processes),
        }
        if record not in listeners:
            listeners.append(record)
    return sorted(listeners, key=lambda r: (r["protocol"], r["port"], r["address"]))


def is_wildcard(address):
    return address in WILDCARD_ADDRESSES


def is_loopback(address):
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


# --- observed firewall (nftables JSON) ------------------------------------------------------


def _addresses(right):
    """The right-hand side of an address match as a list of CIDR strings."""
    items = right["set"] if isinstance(right, dict) and "set" in right else [right]
    out = []
    for item in items:
        if isinstance(item, str):
            if item.startswith("@"):
                out.append(item)
            else:
                out.append(str(ipaddress.ip_network(item, strict=False)))
        elif isinstance(item, dict) and "prefix" in item:
            out.append(
                str(ipaddress.ip_network("%s/%s" % (item["prefix"]["addr"], item["prefix"]["len"]), strict=False))
            )
        elif isinstance(item, dict) and "range" in item:
            out.append("%s-%s" % tuple(item["range"]))
    return out


def _ports(right):
    items = right["set"] if isinstance(right, dict) and "set" in right else [right]
    out = []
    for item in items:
        if isinstance(item, int):
            out.append(item)
        elif isinstance(item, dict) and "range" in item:
            low, high = item["range"]
            out.extend(range(int(low), int(high) + 1))
    return out


def _rule_matches(exprs):
    """The matches of an accept rule: {'saddr': [...], 'daddr': [...], 'protocol': p, 'dports': [...]}, or None."""
    found = {"saddr": None, "daddr": None, "protocol": None, "dports": None, "other": False}
    verdict = None
    for expr in exprs:
        if "accept" in expr:
            verdict = "accept"
        elif "drop" in expr or "reject" in expr:
            verdict = "drop"
        elif "match" in expr:
            match = expr["match"]
            left, right = match.get("left", {}), match.get("right")
            if match.get("op") not in ("==", "in"):
                found["other"] = True
                continue
            payload = left.get("payload") if isinstance(left, dict) else None
            if payload and payload.get("field") in ("saddr", "daddr") and payload.get("protocol") in ("ip", "ip6"):
                found[payload["field"]] = _addresses(right)
            elif payload and payload.get("field") == "dport" and payload.get("protocol") in ("tcp", "udp", "th"):
                found["dports"] = _ports(right)
                if payload["protocol"] != "th":
                    found["protocol"] = payload["protocol"]
            elif isinstance(left, dict) and "meta" in left and left["meta"].get("key") == "l4proto":
                found["protocol"] = right if isinstance(right, str) else None
            else:
                found["other"] = True
    if verdict != "accept":
        return None
    return found


def _host(daddrs):
    """An opening's destination: one address (the listener's), or None for any."""
    if not daddrs:
        return None
    net = ipaddress.ip_network(daddrs[0], strict=False) if not daddrs[0].startswith("@") else None
    return str(net.network_address) if net is not None and net.num_addresses == 1 else daddrs[0]


def parse_nft(text, table):
    """Openings and egress from `nft -j list table inet <table>`.

    Only base chains are read (hook input: openings; hook output: egress); a rule that also
    matches something this parser does not know (connection state, interface, ...) is not an
    opening: `ct state established` and `iif lo` rules are exactly that.
    """
    data = json.loads(text) if text else {"nftables": []}
    hooks = {}
    rules = []
    for item in data.get("nftables", []):
        if "chain" in item and item["chain"].get("table") == table:
            hooks[item["chain"]["name"]] = item["chain"].get("hook")
        elif "rule" in item and item["rule"].get("table") == table:
            rules.append(item["rule"])
    openings, egress = [], []
    for rule in rules:
        hook = hooks.get(rule.get("chain"))
        if hook not in ("input", "output"):
            continue
        found = _rule_matches(rule.get("expr", []))
        if found is None or found["other"] or not found["dports"]:
            continue
        for port in found["dports"]:
            record = {
                "protocol": found["protocol"] or "tcp",
                "port": port,
                "comment": rule.get("comment", ""),
            }
            if hook == "input":
                record.update(daddr=_host(found["daddr"]), saddr=sorted(found["saddr"] or ["any"]))
                openings.append(record)
            else:
                record.update(daddr=sorted(found["daddr"] or ["any"]))
                egress.append(record)
    return {"table": table, "present": bool(hooks), "openings": openings, "egress": egress}


# --- comparison -----------------------------------------------------------------------------


def _serves(listener, protocol, address, port):
    """Does an observed listener accept connections for (protocol, address, port)?"""
    if listener["protocol"] != protocol or listener["port"] != port:
        return False
    if address is None or listener["address"] == "*":
        return True
    if listener["address"] == "0.0.0.0":
        return ":" not in address
    if listener["address"] == "::":
        return True  # a v6 wildcard socket takes IPv4 too unless bindv6only is set
    return listener["address"] == address


def _accepted(listener, accepted):
    for entry in accepted:
        if int(entry.get("port", -1)) != listener["port"]:
            continue
        if entry.get("protocol", "tcp") != listener["protocol"]:
            continue
        if entry.get("process") and entry["process"] not in listener["process"].split(","):
            continue
        if entry.get("address") and entry["address"] != listener["address"]:
            continue
        return entry
    return None


def cleartext_findings(declared):
    """A cleartext-listener note for each enabled declared listener without TLS on a network address."""
    findings = []
    for lst in declared:
        if lst.get("tls") or not lst.get("enabled", True) or not lst.get("address") or is_loopback(lst["address"]):
            continue
        findings.append(
            {
                "code": "cleartext-listener",
                "drift": False,
                "subject": "%s %s (%s:%d)" % (lst.get("service", ""), lst["name"], lst["address"], lst["port"]),
                "detail": CLEARTEXT_WHY.get(lst["name"], "no TLS: its traffic crosses the network in clear text")
                + "; admitted only from %s" % (", ".join(lst.get("sources") or []) or "no network"),
            }
        )
    return findings


def compare(host, declared, observed, firewall, accepted=None, firewall_expected=True):
    """One host's report: every listener with its declared and observed state, and the findings."""
    accepted = accepted or []
    declared = [d for d in declared if d.get("enabled", True) and d.get("address")]
    listeners = observed.get("listeners", [])
    openings = firewall.get("openings", []) if firewall else []
    findings = []
    rows = []

    def find(code, subject, detail):
        findings.append({"code": code, "drift": code in DRIFT, "subject": subject, "detail": detail})

    matched = set()
    for lst in declared:
        protocol = lst.get("protocol", "tcp")
        subject = "%s %s (%s:%d)" % (lst.get("service", ""), lst["name"], lst["address"], lst["port"])
        up = [
            i
            for i, o in enumerate(listeners)
            if o["protocol"] == protocol
            and o["port"] == lst["port"]
            and (o["address"] == lst["address"] or is_wildcard(o["address"]))
        ]
        matched.update(up)
        covering = [
            o
            for o in openings
            if o["protocol"] == protocol and o["port"] == lst["port"] and o["daddr"] in (None, lst["address"])
        ]
        allowed = sorted({s for o in covering for s in o["saddr"]})
        sources = sorted(lst.get("sources") or [])
        if not up:
            find(
                "declared-listener-down",
                subject,
                "declared, but nothing listens on %s:%d/%s" % (lst["address"], lst["port"], protocol),
            )
        if firewall_expected and sorted(allowed) != sources and not is_loopback(lst["address"]):
            find(
                "sources-differ",
                subject,
                "declared sources %s, the firewall admits %s"
                % (", ".join(sources) or "none", ", ".join(allowed) or "none"),
            )
        rows.append(
            {
                "service": lst.get("service", ""),
                "name": lst["name"],
                "protocol": protocol,
                "address": lst["address"],
                "port": lst["port"],
                "tls": lst.get("tls"),
                "declared": True,
                "up": bool(up),
                "process": ",".join(sorted({listeners[i]["process"] for i in up})),
                "sources": sources,
                "firewall_sources": allowed,
            }
        )

    for index, obs in enumerate(listeners):
        entry = _accepted(obs, accepted)
        subject = "%s %s:%d/%s" % (obs["process"] or "unknown process", obs["address"], obs["port"], obs["protocol"])
        if is_wildcard(obs["address"]) and not entry:
            find("wildcard-bind", subject, "listens on every address of the host")
        if index in matched:
            continue
        if entry:
            find(
                "accepted-listener",
                subject,
                "accepted as %s by surface_report_accepted" % entry.get("name", "an entry"),
            )
        elif is_loopback(obs["address"]):
            find("undeclared-loopback-listener", subject, "not declared; reachable from this host only")
        else:
            find("undeclared-listener", subject, "listens, but no role declares it")
        covering = [
            o
            for o in openings
            if o["protocol"] == obs["protocol"]
            and o["port"] == obs["port"]
            and (o["daddr"] is None or _serves(obs, o["protocol"], o["daddr"], o["port"]))
        ]
        rows.append(
            {
                "service": entry.get("name", "") if entry else "",
                "name": obs["process"],
                "protocol": obs["protocol"],
                "address": obs["address"],
                "port": obs["port"],
                "tls": None,
                "declared": False,
                "accepted": bool(entry),
                "up": True,
                "process": obs["process"],
                "sources": [],
                "firewall_sources": sorted({s for o in covering for s in o["saddr"]}),
            }
        )

    for opening in openings:
        if not any(_serves(o, opening["protocol"], opening["daddr"], opening["port"]) for o in listeners):
            find(
                "opening-without-listener",
                "%s %s:%d/%s"
                % (
                    opening.get("comment") or "rule",
                    opening["daddr"] or "any address",
                    opening["port"],
                    opening["protocol"],
                ),
                "the firewall admits %s but nothing listens there" % ", ".join(opening["saddr"]),
            )
    # Every accept rule the firewall role writes carries a comment (the flow it serves); one without
    # is not in the model: made by hand, or by another tool. The next run of the role removes it.
    for direction, rules in (("inbound", openings), ("outbound", firewall.get("egress", []) if firewall else [])):
        for rule in rules:
            if not rule.get("comment"):
                peers = rule.get("saddr") if direction == "inbound" else rule.get("daddr")
                find(
                    "rule-not-in-model",
                    "%s %s:%d/%s" % (direction, rule.get("daddr") or "any address", rule["port"], rule["protocol"])
                    if direction == "inbound"
                    else "%s %s/%s" % (direction, rule["port"], rule["protocol"]),
                    "an accept rule the model does not declare (%s %s); the next run of the firewall role removes it"
                    % ("from" if direction == "inbound" else "to", ", ".join(peers or ["any"])),
                )
    if firewall_expected and firewall is not None and not firewall.get("present"):
        find("firewall-missing", "table inet %s" % firewall.get("table", ""), "the host firewall's table is not loaded")

    findings.extend(cleartext_findings(declared))
    return {
        "host": host,
        "listeners": sorted(rows, key=lambda r: (r["protocol"], r["port"], r["address"])),
        "egress": firewall.get("egress", []) if firewall else [],
        "findings": findings,
        "drift": [f for f in findings if f["drift"]],
    }


# --- rendering ------------------------------------------------------------------------------


def _cell(value):
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value).replace("|", "\\|")


def markdown(reports, title="Attack surface report", generated=""):
    lines = ["# %s" % title, ""]
    if generated:
        lines += ["Generated %s by hardened.flopsar (playbooks/surface_report.yml)." % generated, ""]
    drift = sum(len(r["drift"]) for r in reports)
    lines += [
        "%d host(s); %s." % (len(reports), "no drift" if not drift else "%d drift finding(s)" % drift),
        "",
        "| Host | Listeners | Declared | Drift |",
        "|---|---:|---:|---:|",
    ]
    for rep in reports:
        lines.append(
            "| %s | %d | %d | %d |"
            % (rep["host"], len(rep["listeners"]), sum(1 for r in rep["listeners"] if r["declared"]), len(rep["drift"]))
        )
    for rep in reports:
        lines += ["", "## %s" % rep["host"], "", "### Listeners", ""]
        lines += [
            "| Service | Listener | Address | Port | TLS | Declared | Up | Process "
            "| Declared sources | Firewall admits |",
            "|---|---|---|---:|---|---|---|---|---|---|",
        ]
        for row in rep["listeners"]:
            lines.append(
                "| %s |"
                % " | ".join(
                    _cell(v)
                    for v in (
                        row["service"],
                        row["name"],
                        row["address"],
                        "%d/%s" % (row["port"], row["protocol"]),
                        row["tls"],
                        row["declared"],
                        row["up"],
                        row["process"],
                        row["sources"],
                        row["firewall_sources"],
                    )
                )
            )
        lines += ["", "### Outbound flows allowed", ""]
        if rep["egress"]:
            lines += ["| Flow | Destinations | Port |", "|---|---|---:|"]
            for flow in rep["egress"]:
                lines.append(
                    "| %s | %s | %d/%s |"
                    % (_cell(flow["comment"]), _cell(flow["daddr"]), flow["port"], flow["protocol"])
                )
        else:
            lines.append("None listed by the firewall (no strict egress, or no outbound flow).")
        lines += ["", "### Findings", ""]
        if rep["findings"]:
            lines += ["| Drift | Code | Subject | Detail |", "|---|---|---|---|"]
            for f in rep["findings"]:
                lines.append(
                    "| %s | %s | %s | %s |"
                    % ("DRIFT" if f["drift"] else "note", f["code"], _cell(f["subject"]), _cell(f["detail"]))
                )
        else:
            lines.append("None: the host exposes exactly what the model declares.")
    return "\n".join(lines) + "\n"


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def svg(reports):
    """A diagram: for each host, its allowed sources (left), its listeners (middle), its egress (right).

    Undeclared, down or wildcard listeners are red; listeners the operator accepted are amber."""
    row_h, width = 22, 980
    left_x, mid_x, right_x = 20, 340, 720
    box_w = 300
    parts = []
    y = 20
    for rep in reports:
        listeners = [r for r in rep["listeners"] if r["up"] or r["declared"]]
        sources = sorted({s for r in listeners for s in (r["firewall_sources"] or r["sources"])})
        egress = rep["egress"]
        rows = max(len(listeners), len(sources), len(egress), 1)
        height = rows * row_h + 40
        parts.append(
            '<text x="%d" y="%d" class="host">%s%s</text>'
            % (mid_x, y + 14, _esc(rep["host"]), " (DRIFT)" if rep["drift"] else "")
        )
        parts.append(
            '<rect x="%d" y="%d" width="%d" height="%d" class="hostbox"/>' % (mid_x, y + 20, box_w, rows * row_h + 10)
        )
        src_y = {}
        for i, src in enumerate(sources):
            sy = y + 40 + i * row_h
            src_y[src] = sy
            parts.append('<rect x="%d" y="%d" width="220" height="18" class="net"/>' % (left_x, sy - 13))
            parts.append('<text x="%d" y="%d">%s</text>' % (left_x + 6, sy, _esc(src)))
        for i, row in enumerate(listeners):
            ly = y + 40 + i * row_h
            if row.get("accepted"):
                cls = "note"
            elif not row["declared"] or not row["up"] or is_wildcard(row["address"]):
                cls = "bad"
            else:
                cls = "ok"
            label = "%s:%d/%s %s%s" % (
                "[%s]" % row["address"] if ":" in row["address"] else row["address"],
                row["port"],
                row["protocol"],
                row["name"],
                " TLS" if row["tls"] else "",
            )
            parts.append('<text x="%d" y="%d" class="%s">%s</text>' % (mid_x + 8, ly, cls, _esc(label)))
            for src in row["firewall_sources"]:
                if src in src_y:
                    parts.append(
                        '<line x1="%d" y1="%d" x2="%d" y2="%d" class="flow"/>'
                        % (left_x + 220, src_y[src] - 4, mid_x, ly - 4)
                    )
        for i, flow in enumerate(egress):
            ey = y + 40 + i * row_h
            parts.append(
                '<line x1="%d" y1="%d" x2="%d" y2="%d" class="flow"/>' % (mid_x + box_w, ey - 4, right_x, ey - 4)
            )
            label = "%s %s:%d/%s" % (flow["comment"], ",".join(flow["daddr"]), flow["port"], flow["protocol"])
            parts.append('<text x="%d" y="%d">%s</text>' % (right_x + 6, ey, _esc(label)))
        y += height + 20
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">'
        "<style>text{font:12px monospace}.host{font-weight:bold}.hostbox{fill:#f4f6fa;stroke:#345}"
        ".net{fill:#eef7ee;stroke:#585}.flow{stroke:#357;marker-end:url(#arrow)}.bad{fill:#b00}.note{fill:#a60}.ok{fill:#000}</style>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#357"/></marker></defs>'
        '<text x="%d" y="14" class="host">allowed sources</text><text x="%d" y="14" class="host">outbound</text>'
    ) % (width, y, width, y, left_x, right_x)
    return head + "".join(parts) + "</svg>\n"
