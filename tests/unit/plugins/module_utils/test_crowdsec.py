import hashlib

import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.crowdsec import (
    ONLINE_FQDNS,
    bouncer_action,
    config_extra_errors,
    dpkg_status,
    egress,
    hub_links,
    lapi_url,
    listener_errors,
    online_fqdns,
    package_plan,
    packages_to_install,
    path_drift,
    plan,
    state_errors,
)

OPTIONS = {
    "use_wal": True,
    "hub_branch": "v1.4.6",
    "acquisition_path": "/etc/crowdsec/acquis.hardened-flopsar.yaml",
    "acquisition_dir": "/etc/crowdsec/acquis.d",
    "metrics_level": "full",
    "tls_cert": "/etc/crowdsec/tls/lapi.crt",
    "tls_key": "/etc/crowdsec/tls/lapi.key",
    "tls_ca": "/etc/crowdsec/tls/ca.crt",
    "tls_client_verification": "NoClientCert",
    "bouncer_update_frequency": "10s",
    "bouncer_deny_action": "DROP",
    "bouncer_deny_log": False,
    "bouncer_ipv6": True,
}


def lst(name, address, port, sources=(), enabled=True, tls=None, variable=None, service="crowdsec"):
    return {
        "name": name,
        "service": service,
        "enabled": enabled,
        "address": address if enabled else "",
        "port": port,
        "tls": tls,
        "sources": list(sources),
        "variable": variable or "crowdsec_" + name,
    }


def default_listeners():
    return [
        lst("lapi", "127.0.0.1", 8080, tls=False),
        lst("metrics", "", 6060, enabled=False),
        lst("bouncer_metrics", "", 60601, enabled=False, service="crowdsec-firewall-bouncer"),
    ]


def test_defaults_keep_everything_on_loopback_and_metrics_off():
    result = plan(default_listeners(), OPTIONS)
    assert result["errors"] == []
    assert result["config"]["api"]["server"] == {"listen_uri": "127.0.0.1:8080", "trusted_ips": ["127.0.0.1", "::1"]}
    assert result["config"]["prometheus"] == {
        "enabled": False,
        "level": "full",
        "listen_addr": "127.0.0.1",
        "listen_port": 6060,
    }
    assert result["config"]["cscli"] == {"hub_branch": "v1.4.6"}
    assert result["credentials"] == {"url": "http://127.0.0.1:8080"}
    assert result["bouncer"]["api_url"] == "http://127.0.0.1:8080/"
    assert result["bouncer"]["prometheus"]["enabled"] is False
    assert "ca_cert_path" not in result["bouncer"]
    assert result["verify_urls"] == [{"url": "http://127.0.0.1:8080/health", "ca_path": None}]


def test_remote_lapi_gets_tls_and_clients_follow():
    listeners = default_listeners()
    listeners[0] = lst("lapi", "10.89.71.10", 8080, sources=["10.89.71.0/24"], tls=True)
    result = plan(listeners, OPTIONS)
    assert result["errors"] == []
    server = result["config"]["api"]["server"]
    assert server["listen_uri"] == "10.89.71.10:8080"
    assert server["tls"] == {
        "cert_file": "/etc/crowdsec/tls/lapi.crt",
        "key_file": "/etc/crowdsec/tls/lapi.key",
        "client_verification": "NoClientCert",
    }
    assert result["credentials"] == {"url": "https://10.89.71.10:8080", "ca_cert_path": "/etc/crowdsec/tls/ca.crt"}
    assert result["bouncer"]["api_url"] == "https://10.89.71.10:8080/"
    assert result["bouncer"]["ca_cert_path"] == "/etc/crowdsec/tls/ca.crt"
    assert result["verify_urls"] == [{"url": "https://10.89.71.10:8080/health", "ca_path": "/etc/crowdsec/tls/ca.crt"}]


def test_ipv6_lapi_address_is_bracketed():
    listeners = default_listeners()
    listeners[0] = lst("lapi", "fd00::10", 8080, sources=["fd00::/64"], tls=True)
    assert lapi_url(listeners) == "https://[fd00::10]:8080"
    assert plan(listeners, OPTIONS)["config"]["api"]["server"]["listen_uri"] == "[fd00::10]:8080"


@pytest.mark.parametrize(
    "lapi, message",
    [
        (lst("lapi", "127.0.0.1", 8080, sources=["10.0.0.0/8"], tls=True), "crowdsec_lapi_sources: remote"),
        (lst("lapi", "10.89.71.10", 8080, tls=False), "crowdsec_lapi_interface: the Local API leaves loopback"),
        (lst("lapi", "10.89.71.10", 8080, sources=["10.0.0.0/8"], tls=False), "must use TLS"),
        (lst("lapi", "", 8080, enabled=False), "must be enabled"),
    ],
)
def test_lapi_placement_rules(lapi, message):
    listeners = default_listeners()
    listeners[0] = lapi
    errors = plan(listeners, OPTIONS)["errors"]
    assert any(message in e for e in errors), errors


def test_metrics_off_loopback_need_sources():
    listeners = default_listeners()
    listeners[1] = lst("metrics", "10.89.71.10", 6060)
    errors = listener_errors(listeners)
    assert errors and errors[0].startswith("crowdsec_metrics_sources:") and "pprof" in errors[0]


def test_metrics_on_loopback_with_sources_are_refused():
    listeners = default_listeners()
    listeners[1] = lst("metrics", "127.0.0.1", 6060, sources=["10.89.71.30/32"])
    assert "could never reach them" in listener_errors(listeners)[0]


def test_metrics_for_the_prometheus_host():
    listeners = default_listeners()
    listeners[1] = lst("metrics", "10.89.71.10", 6060, sources=["10.89.71.30/32"])
    result = plan(listeners, dict(OPTIONS, metrics_level="aggregated"))
    assert result["errors"] == []
    assert result["config"]["prometheus"] == {
        "enabled": True,
        "level": "aggregated",
        "listen_addr": "10.89.71.10",
        "listen_port": 6060,
    }


def test_port_clash_with_the_server_is_named():
    listeners = default_listeners()
    listeners[1] = lst("metrics", "10.89.71.10", 9443, sources=["10.89.71.30/32"])
    server = [{"name": "ui", "enabled": True, "address": "10.89.71.10", "port": 9443, "variable": "server_ui"}]
    errors = listener_errors(listeners, server)
    assert errors == ["crowdsec_metrics_port: 10.89.71.10 port 9443 is already taken by server_ui ()"]


def test_port_clash_with_a_wildcard_listener():
    server = [{"name": "x", "enabled": True, "address": "0.0.0.0", "port": 8080, "service": "other"}]
    assert "already taken by x (other)" in listener_errors(default_listeners(), server)[0]


def test_no_clash_on_other_family_or_disabled():
    server = [
        {"name": "x", "enabled": True, "address": "::", "port": 8080},
        {"name": "y", "enabled": False, "address": "", "port": 8080},
    ]
    assert listener_errors(default_listeners(), server) == []


def test_bouncer_writes_both_families_explicitly():
    result = plan(default_listeners(), dict(OPTIONS, bouncer_ipv6=False))
    nft = result["bouncer"]["nftables"]
    assert nft["ipv4"]["enabled"] is True and nft["ipv6"]["enabled"] is False
    assert result["bouncer"]["disable_ipv6"] is True
    assert (nft["ipv4"]["table"], nft["ipv6"]["table"]) == ("crowdsec", "crowdsec6")


def test_bouncer_metrics_only_on_loopback():
    listeners = default_listeners()
    listeners[2] = lst("bouncer_metrics", "10.89.71.10", 60601, service="crowdsec-firewall-bouncer")
    assert "stay on loopback" in listener_errors(listeners)[0]
    listeners[2] = lst("bouncer_metrics", "127.0.0.1", 60601, service="crowdsec-firewall-bouncer")
    assert plan(listeners, OPTIONS)["bouncer"]["prometheus"] == {
        "enabled": True,
        "listen_addr": "127.0.0.1",
        "listen_port": 60601,
    }


def test_extra_trusted_ips_are_appended_once():
    result = plan(default_listeners(), dict(OPTIONS, trusted_ips=["127.0.0.1", "10.1.0.0/16"]))
    assert result["config"]["api"]["server"]["trusted_ips"] == ["127.0.0.1", "::1", "10.1.0.0/16"]


KEY = "A" * 40


def registered(name, key, revoked=False):
    return {"name": name, "api_key": hashlib.sha512(key.encode()).hexdigest(), "revoked": revoked}


@pytest.mark.parametrize(
    "bouncers, expected",
    [
        ([], "add"),
        (None, "add"),
        ([registered("other", KEY)], "add"),
        ([registered("fw", KEY)], "keep"),
        ([registered("fw", "B" * 40)], "rotate"),
        ([registered("fw", KEY, revoked=True)], "rotate"),
        ([registered("fw", KEY), registered("fw", KEY)], "rotate"),
    ],
)
def test_bouncer_action(bouncers, expected):
    assert bouncer_action(bouncers, "fw", KEY) == expected


def test_egress_entries_sorted_and_deduplicated():
    entries = egress(
        "crowdsec",
        {"b.example": ["192.0.2.2", "192.0.2.1", "192.0.2.2", "2001:db8::1"], "a.example": [], "c": ["192.0.2.9"]},
    )
    assert entries == [
        {
            "name": "crowdsec b.example",
            "addresses": ["192.0.2.1", "192.0.2.2", "2001:db8::1"],
            "port": 443,
            "protocol": "tcp",
        },
        {"name": "crowdsec c", "addresses": ["192.0.2.9"], "port": 443, "protocol": "tcp"},
    ]


def test_online_mode_lists_every_central_destination_and_the_hub_only_with_updates():
    base = list(ONLINE_FQDNS)
    assert base == ["api.crowdsec.net", "blocklists.api.crowdsec.net", "papi.api.crowdsec.net"]
    assert online_fqdns(base) == base
    with_hub = online_fqdns(base, hub_updates=True)
    assert with_hub[:3] == base and "hub-cdn.crowdsec.net" in with_hub and "cdn-hub.crowdsec.net" in with_hub
    assert online_fqdns([*base, "api.crowdsec.net"]) == base


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"api": {"server": {"listen_uri": "0.0.0.0:8080"}}}, "sets api.server.listen_uri to '0.0.0.0:8080'"),
        ({"api": {"server": {"tls": {"cert_file": "/x"}}}}, "sets api.server.tls to {'cert_file': '/x'}"),
        ({"prometheus": {"listen_addr": "0.0.0.0"}}, "sets prometheus.listen_addr to '0.0.0.0'"),
        ({"prometheus": {"enabled": True}}, "sets prometheus.enabled to True"),
        ({"api": {"server": {"enable": False}}}, "sets api.server.enable to False"),
        ({"promethues": {"level": "full"}}, "promethues is not a section of CrowdSec's config.yaml"),
    ],
)
def test_config_extra_may_not_leave_the_model(extra, message):
    config = plan(default_listeners(), OPTIONS)["config"]
    errors = config_extra_errors(config, extra)
    assert any(message in error for error in errors), errors


def test_config_extra_inside_the_model_and_allowed_sections_pass():
    config = plan(default_listeners(), OPTIONS)["config"]
    assert (
        config_extra_errors(config, {"db_config": {"use_wal": False}, "api": {"server": {"log_level": "info"}}}) == []
    )
    assert config_extra_errors(config, {"future": {}}, allowed=["future"]) == []
    assert config_extra_errors(config, "text") == ["crowdsec_config_extra must be a mapping"]


def test_hub_links_leave_the_author_directory_out():
    assert hub_links(
        ["collections/crowdsecurity/sshd.yaml", "parsers/s01-parse/crowdsecurity/sshd-logs.yaml"],
        "/var/lib/crowdsec/hub/",
        "/etc/crowdsec",
    ) == [
        ["/var/lib/crowdsec/hub/collections/crowdsecurity/sshd.yaml", "/etc/crowdsec/collections/sshd.yaml"],
        [
            "/var/lib/crowdsec/hub/parsers/s01-parse/crowdsecurity/sshd-logs.yaml",
            "/etc/crowdsec/parsers/s01-parse/sshd-logs.yaml",
        ],
    ]


@pytest.mark.parametrize("item", ["sshd.yaml", "collections/sshd.yaml", "collections/../x/sshd.yaml", "a/b/c.yml"])
def test_hub_links_refuse_what_is_not_a_hub_item(item):
    with pytest.raises(ValueError, match="not a hub item path"):
        hub_links([item], "/hub", "/etc/crowdsec")


def test_package_plan_from_files_and_from_the_repository():
    files = [{"Package": "crowdsec", "Version": "1.4.6"}, {}]
    paths = ["/a/crowdsec.deb", "/a/odd.deb"]
    plan_of_files = package_plan(files, ["ignored"], paths=paths)
    assert plan_of_files == {"wanted": {"crowdsec": "1.4.6"}, "unreadable": ["/a/odd.deb"]}
    names = ["crowdsec", "crowdsec-firewall-bouncer"]
    assert package_plan([], names)["wanted"] == {"crowdsec": None, "crowdsec-firewall-bouncer": None}
    assert package_plan([], names, bouncer=False) == {"wanted": {"crowdsec": None}, "unreadable": []}


QUERY = "crowdsec 1.4.6-6 installed\ncrowdsec-firewall-bouncer 0.0.25-4 config-files\nother  not-installed\n"


def test_dpkg_status():
    assert dpkg_status(QUERY) == {
        "crowdsec": {"version": "1.4.6-6", "status": "installed"},
        "crowdsec-firewall-bouncer": {"version": "0.0.25-4", "status": "config-files"},
        "other": {"version": "", "status": "not-installed"},
    }
    assert dpkg_status("") == {}


@pytest.mark.parametrize(
    "wanted, expected",
    [
        ({"crowdsec": "1.4.6-6"}, []),
        ({"crowdsec": None}, []),
        ({"crowdsec": "1.4.6-7"}, ["crowdsec"]),
        ({"crowdsec-firewall-bouncer": "0.0.25-4"}, ["crowdsec-firewall-bouncer"]),
        ({"other": None, "missing": None, "crowdsec": None}, ["missing", "other"]),
    ],
)
def test_packages_to_install(wanted, expected):
    assert packages_to_install(wanted, dpkg_status(QUERY)) == expected
    assert packages_to_install(wanted, {}) == sorted(wanted)


FILE = {"type": "file", "mode": "0600", "owner": "root", "group": "root", "checksum": "abc"}


@pytest.mark.parametrize(
    "wanted, observed, reason",
    [
        ({"mode": "0600", "owner": "root", "group": "root", "checksum": "abc"}, FILE, ""),
        ({"mode": "600", "checksum": "abc"}, FILE, ""),
        ({"mode": "0644"}, FILE, "mode"),
        ({"owner": "crowdsec"}, FILE, "owner"),
        ({"group": "adm"}, FILE, "group"),
        ({"checksum": "def"}, FILE, "content"),
        ({"mode": "0600"}, {"type": None}, "missing"),
        ({"create_only": True, "mode": "0644", "checksum": "x"}, FILE, ""),
        ({"create_only": True}, {"type": None}, "missing"),
        ({"state": "absent"}, {"type": None}, ""),
        ({"state": "absent"}, FILE, "present"),
        ({"state": "directory", "mode": "0755"}, FILE, "a file, not a directory"),
        ({"state": "directory", "mode": "0755"}, dict(FILE, type="directory", mode="0755"), ""),
        ({"mode": "0600"}, {"type": "link", "src": "/x"}, "a link, not a file"),
        ({"state": "link", "src": "/hub/a.yaml"}, {"type": "link", "src": "/hub/a.yaml"}, ""),
        ({"state": "link", "src": "/hub/a.yaml"}, {"type": "link", "src": "/hub/b.yaml"}, "links elsewhere"),
        ({"state": "link", "src": "/hub/a.yaml"}, FILE, "a file, not a link"),
    ],
)
def test_path_drift(wanted, observed, reason):
    assert path_drift(wanted, observed) == reason


def test_verify_urls_name_every_enabled_metrics_endpoint():
    listeners = default_listeners()
    listeners[1] = lst("metrics", "10.89.71.10", 6060, sources=["10.89.71.30/32"])
    listeners[2] = lst("bouncer_metrics", "127.0.0.1", 60601, service="crowdsec-firewall-bouncer")
    assert [u["url"] for u in plan(listeners, OPTIONS)["verify_urls"]] == [
        "http://127.0.0.1:8080/health",
        "http://10.89.71.10:6060/metrics",
        "http://127.0.0.1:60601/metrics",
    ]


def test_state_errors_name_each_finding():
    assert (
        state_errors(
            {
                "differs": {},
                "units": {"crowdsec": {"active": "active"}},
                "tables": {"ip crowdsec": True},
                "urls": {"http://127.0.0.1:8080/health": {"status": 200}},
            }
        )
        == []
    )
    assert state_errors(
        {
            "differs": {"/etc/crowdsec/x": "mode"},
            "units": {"crowdsec": {"enabled": "enabled", "active": "failed"}},
            "tables": {"ip crowdsec": False},
            "urls": {"http://a/health": {"status": 0, "error": "refused"}, "http://a/metrics": {"status": 503}},
        }
    ) == [
        "/etc/crowdsec/x: mode",
        "crowdsec is failed",
        "the nftables table ip crowdsec is not loaded",
        "http://a/health answers nothing (refused)",
        "http://a/metrics answers 503",
    ]
