"""The surface report's parsing and drift detection, on output captured from a converged lab server
(fixtures/surface_ss.txt, fixtures/surface_nft.json: the site scenario's fl-site-server)."""

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils import surface_report as sr

FIXTURES = Path(__file__).parent / "fixtures"
SS = (FIXTURES / "surface_ss.txt").read_text()
NFT = (FIXTURES / "surface_nft.json").read_text()
TABLE = "hardened_flopsar"
SSH = [{"name": "ssh", "process": "sshd", "port": 22, "protocol": "tcp"}]


def declared():
    return [
        {
            "name": "agent",
            "service": "flopsar-server",
            "enabled": True,
            "address": "10.89.11.10",
            "port": 9000,
            "protocol": "tcp",
            "tls": None,
            "sources": ["10.89.11.30/32"],
        },
        {
            "name": "ui",
            "service": "flopsar-server",
            "enabled": True,
            "address": "10.89.10.10",
            "port": 9443,
            "protocol": "tcp",
            "tls": True,
            "sources": ["10.89.10.20/32"],
        },
        {
            "name": "otlp_http",
            "service": "flopsar-server",
            "enabled": False,
            "address": "",
            "port": 4318,
            "sources": [],
        },
    ]


def report(listeners_text=SS, nft_text=NFT, model=None, accepted=None, firewall_expected=True):
    return sr.compare(
        "fl-site-server",
        declared() if model is None else model,
        {"listeners": sr.parse_ss(listeners_text)},
        sr.parse_nft(nft_text, TABLE),
        SSH if accepted is None else accepted,
        firewall_expected,
    )


def codes(rep, drift_only=True):
    return sorted(f["code"] for f in (rep["drift"] if drift_only else rep["findings"]))


def test_parse_ss_reads_address_port_and_process():
    listeners = sr.parse_ss(SS)
    assert {"protocol": "tcp", "address": "10.89.10.10", "port": 9443, "process": "flopsar-server"} in listeners
    assert {"protocol": "tcp", "address": "::", "port": 22, "process": "sshd"} in listeners
    assert {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"} in listeners
    assert len(listeners) == 4


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=9,fd=1))', ("127.0.0.53", 53)),
        ("tcp LISTEN 0 4096 [fd89:51::10]:9000 [::]:*", ("fd89:51::10", 9000)),
        ("tcp LISTEN 0 4096 *:8080 *:*", ("*", 8080)),
    ],
)
def test_parse_ss_address_forms(line, expected):
    (listener,) = sr.parse_ss(line)
    assert (listener["address"], listener["port"]) == expected


def test_parse_ss_skips_garbage():
    assert sr.parse_ss("State Recv-Q\nnonsense\n\n") == []


def test_parse_nft_openings_and_egress():
    fw = sr.parse_nft(NFT, TABLE)
    assert fw["present"] is True
    by_port = {o["port"]: o for o in fw["openings"]}
    assert set(by_port) == {22, 9000, 9443}
    assert by_port[9000]["daddr"] == "10.89.11.10"
    assert by_port[9000]["saddr"] == ["10.89.11.30/32"]
    assert by_port[22]["daddr"] is None
    assert by_port[22]["saddr"] == ["10.89.10.1/32", "10.89.10.20/32"]
    # ssh replies match a source port, not a destination: no egress flow.
    assert fw["egress"] == []


def test_parse_nft_missing_table():
    fw = sr.parse_nft("", TABLE)
    assert fw == {"table": TABLE, "present": False, "openings": [], "egress": []}


DADDR = {"protocol": "ip", "field": "daddr"}
DPORT = {"protocol": "tcp", "field": "dport"}


def test_parse_nft_egress_rule():
    data = json.loads(NFT)
    data["nftables"].append(
        {
            "rule": {
                "family": "inet",
                "table": TABLE,
                "chain": "output",
                "comment": "ldaps to the directory",
                "expr": [
                    {
                        "match": {
                            "op": "==",
                            "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                            "right": "10.89.12.50",
                        }
                    },
                    {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 636}},
                    {"accept": None},
                ],
            }
        }
    )
    fw = sr.parse_nft(json.dumps(data), TABLE)
    assert fw["egress"] == [
        {"protocol": "tcp", "port": 636, "comment": "ldaps to the directory", "daddr": ["10.89.12.50/32"]}
    ]


def hand_rule(chain, field, address, port):
    """An accept rule as `nft insert rule inet hardened_flopsar <chain> ip <field> <address> tcp dport <port>
    accept` lists it: no comment."""
    return {
        "rule": {
            "family": "inet",
            "table": TABLE,
            "chain": chain,
            "expr": [
                {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": field}}, "right": address}},
                {"match": {"op": "==", "left": {"payload": DPORT}, "right": port}},
                {"accept": None},
            ],
        }
    }


def test_a_rule_added_by_hand_is_not_in_the_model():
    data = json.loads(NFT)
    data["nftables"] += [
        hand_rule("input", "saddr", "10.89.11.40", 9000),
        hand_rule("output", "daddr", "192.0.2.9", 25),
    ]
    rep = report(nft_text=json.dumps(data))
    found = [f for f in rep["drift"] if f["code"] == "rule-not-in-model"]
    assert [f["subject"] for f in found] == ["inbound any address:9000/tcp", "outbound 25/tcp"]
    assert "from 10.89.11.40/32" in found[0]["detail"] and "to 192.0.2.9/32" in found[1]["detail"]
    assert codes(rep) == ["rule-not-in-model", "rule-not-in-model", "sources-differ"]


def test_the_converged_server_has_no_drift():
    rep = report()
    assert rep["drift"] == []
    assert codes(rep, drift_only=False) == ["accepted-listener", "accepted-listener", "cleartext-listener"]
    ui = next(r for r in rep["listeners"] if r["name"] == "ui")
    assert ui["up"] and ui["declared"] and ui["tls"] is True
    assert ui["firewall_sources"] == ["10.89.10.20/32"]


def test_sshd_on_every_address_is_drift_unless_accepted():
    rep = report(accepted=[])
    assert codes(rep) == ["undeclared-listener", "undeclared-listener", "wildcard-bind", "wildcard-bind"]


def test_an_extra_listener_is_flagged():
    extra = SS + 'tcp LISTEN 0 5 0.0.0.0:8081 0.0.0.0:* users:(("python3",pid=77,fd=3))\n'
    rep = report(listeners_text=extra)
    assert codes(rep) == ["undeclared-listener", "wildcard-bind"]
    assert all("8081" in f["subject"] and "python3" in f["subject"] for f in rep["drift"])


def test_an_extra_loopback_listener_is_a_note_not_drift():
    extra = SS + 'tcp LISTEN 0 5 127.0.0.1:8081 0.0.0.0:* users:(("python3",pid=77,fd=3))\n'
    rep = report(listeners_text=extra)
    assert rep["drift"] == []
    assert "undeclared-loopback-listener" in codes(rep, drift_only=False)


def test_a_declared_listener_that_is_down():
    down = "\n".join(line for line in SS.splitlines() if ":9000 " not in line)
    rep = report(listeners_text=down)
    assert codes(rep) == ["declared-listener-down", "opening-without-listener"]


def test_an_opening_the_model_no_longer_declares():
    model = declared()
    model[1]["sources"] = []  # the operator no longer admits anyone to the UI, but the rule is still loaded
    rep = report(model=model)
    assert codes(rep) == ["sources-differ"]


def test_sources_that_differ_from_the_model():
    model = declared()
    model[0]["sources"] = ["10.89.11.0/24"]
    rep = report(model=model)
    (finding,) = rep["drift"]
    assert finding["code"] == "sources-differ"
    assert "10.89.11.0/24" in finding["detail"] and "10.89.11.30/32" in finding["detail"]


def test_a_missing_firewall_table():
    rep = report(nft_text="")
    assert codes(rep) == ["firewall-missing", "sources-differ", "sources-differ"]
    assert report(nft_text="", firewall_expected=False)["drift"] == []


def test_a_wildcard_declared_listener_is_still_flagged():
    wild = SS.replace("10.89.10.10:9443", "0.0.0.0:9443")
    rep = report(listeners_text=wild)
    assert "wildcard-bind" in codes(rep)
    assert "declared-listener-down" not in codes(rep)


def test_markdown_lists_hosts_listeners_and_findings():
    clean = report()
    dirty = copy.deepcopy(clean)
    dirty["host"] = "other"
    dirty["drift"] = dirty["findings"] = [{"code": "wildcard-bind", "drift": True, "subject": "x|y", "detail": "d"}]
    text = sr.markdown([clean, dirty], generated="2026-11-23T00:00:00Z")
    assert "## fl-site-server" in text and "## other" in text
    assert "| 10.89.10.10 | 9443/tcp | yes |" in text
    assert "| DRIFT | wildcard-bind | x\\|y | d |" in text
    assert "1 drift finding(s)" in text


def test_svg_is_well_formed_and_names_every_listener():
    text = sr.svg([report()])
    root = ET.fromstring(text)
    labels = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "10.89.10.10:9443/tcp ui TLS" in labels
    assert "10.89.11.30/32" in labels
    assert len(list(root.iter("{http://www.w3.org/2000/svg}line"))) >= 3


def test_cleartext_listeners_on_network_addresses_are_noted():
    model = declared()
    model[2].update(enabled=True, address="10.89.11.10", sources=["10.89.11.0/24"], tls=None)
    model.append(dict(model[0], name="metrics", service="crowdsec", address="127.0.0.1", port=6060, sources=[]))
    notes = {f["subject"]: f for f in sr.cleartext_findings(model)}
    assert sorted(notes) == [
        "flopsar-server agent (10.89.11.10:9000)",
        "flopsar-server otlp_http (10.89.11.10:4318)",
    ]
    otlp = notes["flopsar-server otlp_http (10.89.11.10:4318)"]
    assert otlp["drift"] is False and "OTLP/HTTP has no documented TLS switch" in otlp["detail"]
    assert otlp["detail"].endswith("admitted only from 10.89.11.0/24")


def test_grpc_without_tls_on_a_network_address_is_noted():
    model = [dict(declared()[1], name="otlp_grpc", port=4317, tls=False)]
    (note,) = sr.cleartext_findings(model)
    assert note["code"] == "cleartext-listener" and "clear text" in note["detail"]
