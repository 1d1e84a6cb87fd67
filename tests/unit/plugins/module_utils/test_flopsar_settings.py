import pytest
from ansible_collections.hardened.flopsar.plugins.module_utils.flopsar_settings import (
    backups_to_remove,
    check,
    merged_errors,
    model_conflicts,
    resolve_path,
    undocumented,
)

GOOD = {
    "name": "lab",
    "data": "/var/lib/flopsar",
    "agent": {"server_ip": "10.0.1.10", "server_port": 9000},
    "ui_srv": {"server_ip": "10.0.0.10", "server_port": 9443, "ssl": True},
    "otlp": {"enable": False},
    "ssl": {"cert": "server.crt", "key": "/srv/keys/server.key"},
    "logger": {"backend": "Syslog", "max_size": "50.00 MiB", "max_files": 5},
    "archive": {"enable": False, "policy": "purge", "start_at": "03:00:00.0", "retention": "3days"},
    "pass_policy": {"enable": True, "min_len": 12},
    "master_key": {"provider": "file", "value": "master.key"},
}


def merged(**tables):
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    for key, value in tables.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def test_good_settings_pass():
    assert check(GOOD, "/etc/flopsar") == ([], [])


def test_relative_paths_resolve_in_ssl_dir():
    assert resolve_path("/etc/flopsar", "server.crt") == "/etc/flopsar/ssl/server.crt"
    assert resolve_path("/etc/flopsar", "/srv/x.pem") == "/srv/x.pem"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (merged(agent={"server_port": 70000}), "agent.server_port must be a port (1-65535)"),
        (merged(agent={"server_port": "9000"}), "agent.server_port must be an integer"),
        (merged(ui_srv={"server_ip": "eth0"}), "ui_srv.server_ip must be an IPv4 or IPv6 address"),
        (merged(ui_srv={"ssl": "yes"}), "ui_srv.ssl must be true or false"),
        (merged(logger={"max_size": "50MB"}), "logger.max_size must be a size"),
        (merged(logger={"backend": "File"}), "logger.backend must be Local or Syslog"),
        (merged(archive={"retention": "soon"}), "archive.retention must be a duration"),
        (merged(archive={"start_at": "25:00:00"}), "archive.start_at must be a time of day"),
        (merged(eula=False), "eula is present and not true"),
        (merged(data=""), "data (the data directory) is required"),
        ({k: v for k, v in GOOD.items() if k != "master_key"}, "[master_key] is required"),
        (merged(agent="x"), "agent must be a table"),
        (
            merged(ui_srv={"server_ip": "10.0.1.10", "server_port": 9000}),
            "agent and ui both listen on 10.0.1.10 port 9000",
        ),
    ],
)
def test_errors(settings, expected):
    errors, _warnings = check(settings, "/etc/flopsar")
    assert any(e.startswith(expected) for e in errors), errors


def test_undocumented_keys_are_warnings():
    errors, warnings = check(merged(ldap={"url": "x"}, agent={"psk": "x"}), "/etc/flopsar")
    assert errors == []
    assert warnings == [
        "agent.psk is not a documented setting; the server may reject it",
        "ldap is not a documented setting; the server may reject it",
    ]


def test_documented_defaults_apply_to_absent_listener_keys():
    # otlp.enable defaults to true in v7, with both listeners on 0.0.0.0: the checks see them.
    settings = merged()
    del settings["otlp"]
    errors, _warnings = check(settings, "/etc/flopsar", address_is_local=lambda a: a in ("10.0.0.10", "10.0.1.10"))
    assert errors == []


def test_host_checks():
    seen = []

    def readable(path):
        seen.append(path)
        return path != "/srv/keys/server.key"

    errors, _warnings = check(GOOD, "/etc/flopsar", file_readable=readable, address_is_local=lambda a: a == "10.0.0.10")
    assert seen == ["/etc/flopsar/ssl/server.crt", "/srv/keys/server.key", "/etc/flopsar/ssl/master.key"]
    assert errors == [
        "agent listens on 10.0.1.10, which is not an address of this host",
        "ssl.key refers to /srv/keys/server.key, which does not exist or cannot be read",
    ]


def test_no_tls_listener_means_no_certificate_needed():
    settings = merged(ui_srv={"server_ip": "127.0.0.1", "ssl": False})
    seen = []
    check(settings, "/etc/flopsar", file_readable=lambda p: seen.append(p) or True)
    assert seen == ["/etc/flopsar/ssl/master.key"]


MODEL = {
    "agent": {"server_ip": "10.0.1.10", "server_port": 9000},
    "ui_srv": {"server_ip": "10.0.0.10", "server_port": 9443, "ssl": True},
    "otlp": {"enable": False},
}


def test_the_models_own_document_has_no_merged_errors():
    assert merged_errors(GOOD, MODEL) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"agent": {"server_ip": "0.0.0.0"}}, "agent.server_ip is '0.0.0.0' but the surface model says '10.0.1.10'"),
        ({"ui_srv": {"ssl": False}}, "ui_srv.ssl is False but the surface model says True"),
        ({"ui_srv": {"server_port": 8443}}, "ui_srv.server_port is 8443 but the surface model says 9443"),
        ({"otlp": {"enable": True}}, "otlp.enable is True but the surface model says False"),
        (
            {"otlp": {"enable": False, "grpc": {"server_ip": "10.0.1.10"}}},
            "[otlp.grpc] opens a listener the surface model does not declare",
        ),
        ({"agnet": {"server_port": 9001}}, "agnet is not a documented setting"),
        ({"logger": {"max_file": 3}}, "logger.max_file is not a documented setting"),
        ({"logger": {"max_files": "many"}}, "logger.max_files must be an integer"),
    ],
)
def test_merged_settings_leaving_the_model_or_the_schema_are_refused(extra, expected):
    document = merged(**extra)
    errors = merged_errors(document, MODEL)
    assert any(expected in error for error in errors), errors


def test_an_allowed_unknown_key_passes_with_its_subtree():
    document = merged(future={"knob": 1}, logger={"colour": True})
    assert sorted(undocumented(document)) == ["future", "logger.colour"]
    assert merged_errors(document, MODEL, allowed=["future", "logger.colour"]) == []


def test_listener_conflicts_name_the_variables_to_use():
    (error,) = merged_errors(merged(agent={"server_ip": "0.0.0.0"}), MODEL)
    assert "server_<listener>_* variables" in error
    assert model_conflicts(GOOD, MODEL) == []


def test_only_the_newest_backups_are_kept():
    names = [
        "settings.toml",
        "settings.toml.101.2026-11-01@03:00:00~",
        "settings.toml.99.2026-11-03@03:00:00~",
        "settings.toml.120.2026-11-02@03:00:00~",
        "other.toml.1.2026-10-01@03:00:00~",
        "settings.toml.bak",
    ]
    assert backups_to_remove(names, "settings.toml", 2) == ["settings.toml.101.2026-11-01@03:00:00~"]
    assert backups_to_remove(names, "settings.toml", 3) == []
    assert backups_to_remove(names, "settings.toml", 0) == []
