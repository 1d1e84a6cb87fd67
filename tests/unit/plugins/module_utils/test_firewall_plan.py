from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_plan import (
    client_egress,
    firewalld_ipsets,
    plan,
)


def listener(name, address, port, sources, enabled=True, service="flopsar-server"):
    return {
        "name": name,
        "service": service,
        "enabled": enabled,
        "address": address,
        "port": port,
        "protocol": "tcp",
        "sources": sources,
    }


LISTENERS = [
    listener("agent", "10.89.21.10", 9000, ["10.89.21.0/24"]),
    listener("ui", "10.89.20.10", 9443, ["10.89.20.0/24", "10.89.99.0/24"]),
    listener("otlp_http", "", 4318, [], enabled=False),
    listener("ui6", "fd00:89:20::10", 9443, ["fd00:89:20::/64"]),
    listener("loopback-only", "127.0.0.1", 8080, []),
]


def test_one_inbound_rule_per_listener_with_sources():
    result, errors = plan(LISTENERS, ["10.89.20.0/24"], 22, [])
    assert errors == []
    assert result["inbound"] == [
        {
            "comment": "flopsar-server agent",
            "family": "ipv4",
            "protocol": "tcp",
            "daddr": "10.89.21.10",
            "port": 9000,
            "saddr": ["10.89.21.0/24"],
        },
        {
            "comment": "flopsar-server ui",
            "family": "ipv4",
            "protocol": "tcp",
            "daddr": "10.89.20.10",
            "port": 9443,
            "saddr": ["10.89.20.0/24", "10.89.99.0/24"],
        },
        {
            "comment": "flopsar-server ui6",
            "family": "ipv6",
            "protocol": "tcp",
            "daddr": "fd00:89:20::10",
            "port": 9443,
            "saddr": ["fd00:89:20::/64"],
        },
    ]
    assert result["admin"] == {"ipv4": ["10.89.20.0/24"], "ipv6": []}


def test_admin_network_required_under_strict_egress():
    _result, errors = plan(LISTENERS, [], 22, [])
    assert errors[0].startswith("firewall_admin_networks: at least one network is required")
    # Without strict egress a default-drop input chain would still shut SSH out.
    _result, errors = plan(LISTENERS, [], 22, [], strict_egress=False)
    assert errors[0].startswith("firewall_admin_networks: at least one network is required")
    _result, errors = plan(LISTENERS, [], 22, [], strict_egress=False, input_policy="accept")
    assert errors == []


def test_sources_are_collapsed_so_sets_never_overlap():
    sources = ["10.1.0.0/16", "10.1.2.0/24", "10.2.0.0/24", "10.2.1.0/24", "10.1.0.0/16", "fd00::/64"]
    result, errors = plan([listener("agent", "::", 9000, sources)], ["10.0.0.0/8"], 22, [])
    assert errors == []
    assert [r["saddr"] for r in result["inbound"]] == [["10.1.0.0/16", "10.2.0.0/23"], ["fd00::/64"]]


def test_input_policy_is_checked_and_returned():
    result, errors = plan([], ["10.0.0.0/8"], 22, [], input_policy="accept")
    assert errors == [] and result["input_policy"] == "accept"
    _result, errors = plan([], ["10.0.0.0/8"], 22, [], input_policy="reject")
    assert errors == ["firewall_input_policy: 'reject' is not drop or accept"]


def test_wildcard_listeners_and_families():
    listeners = [
        listener("v4any", "0.0.0.0", 9000, ["10.1.0.0/16", "fd00:1::/64"]),
        listener("dual", "::", 9443, ["10.2.0.0/16", "fd00:2::/64"]),
    ]
    result, errors = plan(listeners, ["10.0.0.0/8"], 22, [])
    assert errors == []
    assert [(r["comment"], r["family"], r["daddr"], r["saddr"]) for r in result["inbound"]] == [
        ("flopsar-server v4any", "ipv4", None, ["10.1.0.0/16"]),
        ("flopsar-server dual", "ipv4", None, ["10.2.0.0/16"]),
        ("flopsar-server dual", "ipv6", None, ["fd00:2::/64"]),
    ]


def test_a_thousand_sources_stay_one_rule():
    sources = [f"10.{i // 125}.{2 * (i % 125)}.0/24" for i in range(1000)]  # none adjacent
    result, errors = plan([listener("agent", "10.89.21.10", 9000, sources)], ["10.0.0.0/8"], 22, [])
    assert errors == []
    assert len(result["inbound"]) == 1 and len(result["inbound"][0]["saddr"]) == 1000


def test_bad_networks_and_ports_are_reported():
    _result, errors = plan([listener("x", "10.0.0.1", 99999, ["10.0.0.0/33"])], ["10.0.0.1/8"], "ssh", [])
    assert any(e.startswith("firewall_admin_networks: '10.0.0.1/8' is not a network") for e in errors)
    assert any(e.startswith("firewall_ssh_port: 'ssh' is not a port") for e in errors)
    assert any("flopsar-server x port: 99999 is not a port" in e for e in errors)


def test_egress_split_by_family_and_protocol():
    egress = [
        {"name": "ldaps", "addresses": ["10.89.22.40", "fd00::40"], "port": 636},
        {"name": "dns", "addresses": ["10.89.20.1"], "port": 53, "protocol": ["udp", "tcp"]},
    ]
    result, errors = plan([], ["10.0.0.0/8"], 22, egress)
    assert errors == []
    assert result["outbound"] == [
        {"comment": "ldaps", "family": "ipv4", "protocol": "tcp", "port": 636, "daddr": ["10.89.22.40/32"]},
        {"comment": "ldaps", "family": "ipv6", "protocol": "tcp", "port": 636, "daddr": ["fd00::40/128"]},
        {"comment": "dns", "family": "ipv4", "protocol": "udp", "port": 53, "daddr": ["10.89.20.1/32"]},
        {"comment": "dns", "family": "ipv4", "protocol": "tcp", "port": 53, "daddr": ["10.89.20.1/32"]},
    ]


def test_egress_without_addresses_is_an_error():
    _result, errors = plan([], ["10.0.0.0/8"], 22, [{"name": "ldap", "addresses": [], "port": 636}])
    assert errors == ["ldap: no addresses (resolve the host name first, or list its addresses)"]


def test_extra_inbound_rules():
    extra = [{"name": "node exporter", "port": 9100, "sources": ["10.89.20.5/32", "fd00::5/128"]}]
    result, errors = plan([], ["10.0.0.0/8"], 22, [], extra_inbound=extra)
    assert errors == []
    assert [(r["family"], r["daddr"], r["port"], r["saddr"]) for r in result["inbound"]] == [
        ("ipv4", None, 9100, ["10.89.20.5/32"]),
        ("ipv6", None, 9100, ["fd00::5/128"]),
    ]


def test_extra_inbound_needs_sources():
    _result, errors = plan([], ["10.0.0.0/8"], 22, [], extra_inbound=[{"name": "web", "port": 80}])
    assert errors == ["firewall_extra_inbound: web: sources is required"]


SERVER_SURFACE = [
    listener("agent", "10.89.51.10", 9000, ["10.89.51.30/32"]),
    listener("ui", "fd89:50::10", 9443, ["fd89:50::20/128"]),
    listener("otlp_http", "", 4318, [], enabled=False),
    listener("otlp_grpc", "0.0.0.0", 4317, ["10.89.51.0/24"]),
]
SERVER = {
    "host": "srv1",
    "surface": SERVER_SURFACE,
    "addresses": ["127.0.0.1", "10.89.50.10", "10.89.51.10", "fd89:50::10"],
}


def test_client_gets_exactly_the_listener_address_and_port():
    egress, warnings, errors = client_egress([SERVER], ["agent"], ["10.89.51.30", "10.89.50.30"])
    assert (egress, warnings, errors) == (
        [{"name": "agent on srv1", "addresses": ["10.89.51.10"], "port": 9000, "protocol": "tcp"}],
        [],
        [],
    )


def test_client_of_a_wildcard_listener_reaches_every_address_of_its_family():
    egress, _warnings, errors = client_egress([SERVER], "otlp_grpc, otlp_http", ["10.89.51.30"])
    assert errors == []
    assert egress == [
        {"name": "otlp_grpc on srv1", "addresses": ["10.89.50.10", "10.89.51.10"], "port": 4317, "protocol": "tcp"}
    ]


def test_client_warnings_disabled_listener_and_sources_without_this_host():
    _egress, warnings, errors = client_egress([SERVER], ["otlp_http", "agent"], ["10.89.99.5"])
    assert errors == []
    assert warnings == [
        "otlp_http is not enabled on any host of group 'flopsar_servers': no outbound rule for it",
        "agent on srv1: none of this host's addresses is among the listener's sources (10.89.51.30/32); "
        "the server will drop its connections",
    ]


def test_client_errors_name_what_to_fix():
    _egress, _warnings, errors = client_egress([SERVER], ["agnet"])
    assert errors == [
        "firewall_client_listeners: 'agnet' is not a listener of the hosts in group 'flopsar_servers' "
        "(they have: agent, otlp_grpc, otlp_http, ui)"
    ]
    _egress, _warnings, errors = client_egress([{"host": "srv2", "surface": None, "addresses": []}], ["agent"])
    assert errors[0].startswith("host srv2 in group 'flopsar_servers' has not published server_surface")
    _egress, _warnings, errors = client_egress([], ["agent"], group="apm")
    assert errors[0].startswith("firewall_client_listeners: agent asked for, but group 'apm' has no other host")


def test_no_client_listeners_no_egress_and_no_questions():
    assert client_egress([], []) == ([], [], [])


def test_client_egress_feeds_the_plan_over_both_families():
    egress, _warnings, _errors = client_egress([SERVER, dict(SERVER, host="srv2")], ["agent", "ui"], ["10.89.51.30"])
    result, errors = plan([], ["10.89.50.1/32"], 22, egress)
    assert errors == []
    assert [(r["comment"], r["family"], r["daddr"], r["port"]) for r in result["outbound"]] == [
        ("agent on srv1", "ipv4", ["10.89.51.10/32"], 9000),
        ("agent on srv2", "ipv4", ["10.89.51.10/32"], 9000),
        ("ui on srv1", "ipv6", ["fd89:50::10/128"], 9443),
        ("ui on srv2", "ipv6", ["fd89:50::10/128"], 9443),
    ]


def test_firewalld_ipsets_one_set_per_rule_named_after_the_zone():
    result, errors = plan(
        LISTENERS,
        ["10.89.20.0/24", "fd00:89:20::/64"],
        2222,
        [{"name": "dns", "addresses": ["10.89.20.53"], "port": 53, "protocol": ["udp", "tcp"]}],
    )
    assert errors == []
    sets = firewalld_ipsets(result, "fl")
    assert [(s["kind"], s["name"], s["family"]) for s in sets] == [
        ("admin", "fl-admin4", "ipv4"),
        ("admin", "fl-admin6", "ipv6"),
        ("in", "fl-in0", "ipv4"),
        ("in", "fl-in1", "ipv4"),
        ("in", "fl-in2", "ipv6"),
        ("out", "fl-out0", "ipv4"),
        ("out", "fl-out1", "ipv4"),
    ]
    admin4, _admin6, agent, *_rest, dns_udp, _dns_tcp = sets
    assert admin4 == {
        "kind": "admin",
        "name": "fl-admin4",
        "family": "ipv4",
        "entries": ["10.89.20.0/24"],
        "daddr": None,
        "port": 2222,
        "protocol": "tcp",
        "comment": "ssh from admin networks",
    }
    inbound_rule = result["inbound"][0]
    assert agent["entries"] == inbound_rule["saddr"] and agent["daddr"] == inbound_rule["daddr"] == "10.89.21.10"
    assert (agent["port"], agent["protocol"], agent["comment"]) == (9000, "tcp", inbound_rule["comment"])
    outbound_rule = result["outbound"][0]
    assert dns_udp["entries"] == outbound_rule["daddr"] == ["10.89.20.53/32"]
    assert (dns_udp["daddr"], dns_udp["port"], dns_udp["protocol"]) == (None, 53, "udp")


def test_firewalld_ipsets_leave_out_a_family_without_admin_networks():
    result, errors = plan([], ["10.89.20.0/24"], 22, [], strict_egress=False)
    assert errors == []
    assert [s["name"] for s in firewalld_ipsets(result, "z")] == ["z-admin4"]
