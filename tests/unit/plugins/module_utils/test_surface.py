import copy

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils import surface

FACTS = {
    "interfaces": ["lo", "eth0", "eth1", "br-app"],
    "default_ipv4": {"interface": "eth0", "address": "10.89.10.10"},
    "lo": {"ipv4": {"address": "127.0.0.1"}, "ipv6": [{"address": "::1", "scope": "host"}]},
    "eth0": {
        "ipv4": {"address": "10.89.10.10"},
        "ipv6": [
            {"address": "fe80::1", "scope": "link"},
            {"address": "fd00:89:10::10", "scope": "global"},
        ],
    },
    "eth1": {"ipv4": {"address": "10.89.11.10"}},
    "br_app": {"ipv4": {"address": "10.89.12.10"}},
    "all_ipv4_addresses": ["10.89.10.10", "10.89.11.10", "10.89.12.10"],
    "all_ipv6_addresses": ["fe80::1", "fd00:89:10::10"],
}


def spec(name="agent", **kw):
    base = {
        "name": name,
        "service": "flopsar-server",
        "variable": "server_" + name,
        "enabled": True,
        "interface": "",
        "address": "",
        "family": "ipv4",
        "port": 9000,
        "tls": None,
        "sources": [],
    }
    base.update(kw)
    return base


def resolve_ok(*specs, **kw):
    listeners, errors = surface.resolve(list(specs), copy.deepcopy(FACTS), **kw)
    assert errors == []
    return listeners


def resolve_errors(*specs, **kw):
    _listeners, errors = surface.resolve(list(specs), copy.deepcopy(FACTS), **kw)
    assert errors, "expected an error"
    return errors


def test_interface_resolves_to_its_address():
    (lst,) = resolve_ok(spec(interface="eth1", sources=["10.89.11.0/24"]))
    assert (lst["address"], lst["family"], lst["port"], lst["protocol"]) == ("10.89.11.10", "ipv4", 9000, "tcp")
    assert lst["sources"] == ["10.89.11.0/24"]


def test_interface_with_dash_uses_underscored_fact_key():
    (lst,) = resolve_ok(spec(interface="br-app"))
    assert lst["address"] == "10.89.12.10"


def test_ipv6_family_takes_the_global_address():
    (lst,) = resolve_ok(spec(interface="eth0", family="ipv6", sources=["fd00:89:10::/64"]))
    assert lst["address"] == "fd00:89:10::10"
    assert lst["family"] == "ipv6"


def test_explicit_ipv6_address_is_normalised():
    (lst,) = resolve_ok(spec(address="[FD00:89:10:0::10]"))
    assert lst["address"] == "fd00:89:10::10"


def test_no_interface_or_address_takes_the_default_route_interface():
    (lst,) = resolve_ok(spec())
    assert (lst["interface"], lst["address"]) == ("eth0", "10.89.10.10")


def test_strings_from_surveys_are_accepted():
    (lst,) = resolve_ok(spec(port="9000", enabled="yes", interface="eth1", sources="10.89.11.0/24, 10.89.12.0/24"))
    assert lst["port"] == 9000
    assert lst["sources"] == ["10.89.11.0/24", "10.89.12.0/24"]


def test_loopback_is_an_address_of_the_host():
    (lst,) = resolve_ok(spec(name="ui", address="127.0.0.1", tls=False, port=9443))
    assert lst["tls"] is False


def test_wildcard_needs_the_opt_in():
    (err,) = resolve_errors(spec(address="0.0.0.0"))
    assert err.startswith("server_agent_address: 0.0.0.0 binds every interface")
    assert "server_allow_wildcard_bind" in err
    (lst,) = resolve_ok(spec(address="::"), allow_wildcard=True)
    assert lst["address"] == "::"


@pytest.mark.parametrize(
    ("kw", "start"),
    [
        ({"interface": "eth9"}, "server_agent_interface: interface 'eth9' does not exist on this host (it has: "),
        ({"interface": "eth1", "family": "ipv6"}, "server_agent_interface: interface 'eth1' has no ipv6 address"),
        ({"address": "10.1.2.3"}, "server_agent_address: 10.1.2.3 is not an address of this host"),
        ({"address": "eth1"}, "server_agent_address: 'eth1' is not an IP address"),
        ({"interface": "eth1", "address": "10.89.11.10"}, "server_agent_interface and server_agent_address: set one"),
        ({"port": 0}, "server_agent_port: port 0 is outside 1-65535"),
        ({"port": 70000}, "server_agent_port: port 70000 is outside 1-65535"),
        ({"port": "http"}, "server_agent_port: "),
        ({"port": True}, "server_agent_port: a port is a number"),
        ({"family": "ipx"}, "server_agent_family: must be ipv4 or ipv6"),
        ({"enabled": "maybe"}, "server_agent_enabled: not a boolean"),
        ({"sources": ["10.89.11.5/24"]}, "server_agent_sources: '10.89.11.5/24' is not a network"),
        ({"sources": ["fd00::/64"]}, "server_agent_sources: fd00::/64 is IPv6 but the listener binds IPv4"),
        ({"sources": ["banana"]}, "server_agent_sources: 'banana' is not a network"),
    ],
)
def test_bad_specs_name_the_variable(kw, start):
    errors = resolve_errors(spec(**kw))
    assert any(e.startswith(start) for e in errors), errors


def test_host_bits_error_suggests_the_network():
    (err,) = resolve_errors(spec(sources=["10.89.11.5/24"]))
    assert "did you mean 10.89.11.0/24?" in err


def test_duplicate_ports_on_the_same_address():
    errors = resolve_errors(spec(interface="eth1"), spec(name="ui", interface="eth1", port=9000, tls=True))
    assert errors == ["server_agent_port and server_ui_port: both listen on 10.89.11.10 port 9000"]


def test_same_port_on_different_addresses_is_fine():
    resolve_ok(spec(interface="eth1"), spec(name="ui", interface="eth0", port=9000, tls=True))


def test_wildcard_overlaps_every_address_of_its_family():
    errors = resolve_errors(spec(address="0.0.0.0"), spec(name="ui", interface="eth0", port=9000), allow_wildcard=True)
    assert "both listen on" in errors[0]


def test_ui_tls_off_only_on_loopback():
    (err,) = resolve_errors(spec(name="ui", interface="eth0", port=9443, tls=False))
    assert err.startswith("server_ui_tls: TLS may only be off when the UI binds to loopback")


def test_disabled_listener_is_not_resolved_or_validated():
    lst = resolve_ok(spec(name="otlp_http", enabled=False, interface="nope", port=4318))[0]
    assert lst == {
        **spec(name="otlp_http", enabled=False, interface="nope", port=4318),
        "protocol": "tcp",
        "address": "",
        "sources": [],
    }


def test_declared_twice():
    errors = resolve_errors(spec(), spec())
    assert errors == ["listener 'agent' is declared twice"]


def test_settings_from_listeners():
    listeners = resolve_ok(
        spec(interface="eth1"),
        spec(name="ui", interface="eth0", port=9443, tls=True),
        spec(name="otlp_http", enabled=False, port=4318),
        spec(name="otlp_grpc", enabled=False, port=4317, tls=True),
    )
    assert surface.flopsar_settings(listeners) == {
        "agent": {"server_ip": "10.89.11.10", "server_port": 9000},
        "ui_srv": {"server_ip": "10.89.10.10", "server_port": 9443, "ssl": True},
        "otlp": {"enable": False},
    }


def test_settings_with_otlp_on():
    listeners = resolve_ok(
        spec(name="otlp_http", interface="eth1", port=4318),
        spec(name="otlp_grpc", interface="eth1", port=4317, tls=True),
    )
    assert surface.flopsar_settings(listeners) == {
        "otlp": {
            "enable": True,
            "http": {"server_ip": "10.89.11.10", "server_port": 4318},
            "grpc": {"server_ip": "10.89.11.10", "server_port": 4317, "ssl": True},
        }
    }


def test_tls_listeners():
    listeners = resolve_ok(spec(interface="eth1"), spec(name="ui", interface="eth0", port=9443, tls=True))
    assert [lst["name"] for lst in surface.tls_listeners(listeners)] == ["ui"]


@pytest.mark.parametrize(
    "sources, family, interface",
    [
        (["0.0.0.0/0"], "ipv4", "eth1"),
        (["10.89.11.0/24", "0.0.0.0/1", "128.0.0.0/1"], "ipv4", "eth1"),
        (["::/0"], "ipv6", "eth0"),
        (["::ffff:0:0/96"], "ipv6", "eth0"),
        ("0.0.0.0/0", "ipv4", "eth1"),
    ],
)
def test_any_source_is_refused_without_the_listeners_opt_in(sources, family, interface):
    (err,) = resolve_errors(spec(interface=interface, family=family, sources=sources))
    assert err.startswith("server_agent_sources: ") and "admits every source address" in err
    assert "server_agent_allow_any_source" in err


def test_any_source_is_accepted_when_the_listener_opts_in():
    (lst,) = resolve_ok(spec(interface="eth1", sources=["0.0.0.0/0"], allow_any_source="true"))
    assert lst["sources"] == ["0.0.0.0/0"]


def test_a_wide_but_partial_network_is_not_any_source():
    assert surface.any_source([surface.ipaddress.ip_network("0.0.0.0/1")]) == []
    resolve_ok(spec(interface="eth1", sources=["10.0.0.0/8"]))


def test_otlp_grpc_without_tls_is_refused_on_a_network_address():
    (err,) = resolve_errors(spec("otlp_grpc", interface="eth1", port=4317, tls=False))
    assert err.startswith("server_otlp_grpc_tls: TLS may only be off when OTLP/gRPC binds to loopback")
    assert "[otlp.grpc].ssl = true" in err


def test_otlp_grpc_without_tls_is_accepted_on_loopback():
    (lst,) = resolve_ok(spec("otlp_grpc", interface="lo", port=4317, tls=False))
    assert lst["tls"] is False
