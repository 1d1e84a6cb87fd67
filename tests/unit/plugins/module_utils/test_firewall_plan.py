from ansible_collections.hardened.flopsar.plugins.module_utils.firewall_plan import plan


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
    _result, errors = plan(LISTENERS, [], 22, [], strict_egress=False)
    assert errors == []


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
