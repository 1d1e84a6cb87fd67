# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flopsar Server 7 settings.toml: the documented keys and the checks made before a file is trusted.

The key list is the one the public documentation gives (CONFREF, NET, AUTHN,
LOGAUDIT; see docs/server.md). Keys outside it are reported as warnings, not
errors: the documentation is known to be partial, and the role has a
pass-through for keys it does not model. Pure functions; the host-dependent
facts (does a file exist, is an address local) come in as callables.
"""

from __future__ import absolute_import, division, print_function

import ipaddress
import os
import re

STR, INT, BOOL, IP, PORT, SIZE, DURATION, TIME = "str", "int", "bool", "ip", "port", "size", "duration", "time"

SCHEMA = {
    "eula": BOOL,
    "name": STR,
    "data": STR,
    "max_ext_size": SIZE,
    "req_timeout": DURATION,
    "xstack_maxsize": INT,
    "agent": {"server_ip": IP, "server_port": PORT},
    "ui_srv": {"server_ip": IP, "server_port": PORT, "ssl": BOOL},
    "otlp": {
        "enable": BOOL,
        "http": {"server_ip": IP, "server_port": PORT},
        "grpc": {"server_ip": IP, "server_port": PORT, "ssl": BOOL},
    },
    "ssl": {"cert": STR, "key": STR},
    "logger": {"backend": STR, "max_size": SIZE, "max_files": INT},
    "archive": {"enable": BOOL, "policy": STR, "start_at": TIME, "retention": DURATION},
    "pass_policy": {
        "enable": BOOL,
        "min_len": INT,
        "digits": BOOL,
        "special_chars": BOOL,
        "capital_letters": BOOL,
        "forbidden_chars": STR,
    },
    "master_key": {"provider": STR, "value": STR},
}

# Documented defaults the checks need when a key is absent (flopsar.md, section 1.2).
DEFAULT_CERT, DEFAULT_KEY = "server.crt", "server.pem"

_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KiB|MiB|GiB)$")
_DURATION = re.compile(r"^(\d+\s*(ms|s|m|h|d|days?|min|mins|hours?|weeks?|w)\s*)+$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?$")


def resolve_path(config_dir, value):
    """ssl.cert, ssl.key and master_key.value: absolute as written, otherwise inside <config dir>/ssl/."""
    return value if value.startswith("/") else os.path.join(config_dir, "ssl", value)


def _type_error(path, kind, value):
    if kind == BOOL:
        return None if isinstance(value, bool) else "must be true or false"
    if kind in (INT, PORT):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if kind == PORT and not 1 <= value <= 65535:
            return "must be a port (1-65535)"
        return None
    if not isinstance(value, str):
        return "must be a string"
    if kind == IP:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return "must be an IPv4 or IPv6 address"
    if kind == SIZE and not _SIZE.match(value):
        return 'must be a size such as "1.00 MiB" (units KiB, MiB, GiB)'
    if kind == DURATION and not _DURATION.match(value):
        return 'must be a duration such as "90s", "3m", "72h" or "3days"'
    if kind == TIME and not _TIME.match(value):
        return 'must be a time of day such as "03:00:00.0"'
    return None


def _walk(schema, data, path, errors, warnings):
    for key, value in data.items():
        dotted = ".".join(path + [key])
        if key not in schema:
            warnings.append("%s is not a documented setting; the server may reject it" % dotted)
            continue
        kind = schema[key]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                errors.append("%s must be a table" % dotted)
            else:
                _walk(kind, value, path + [key], errors, warnings)
            continue
        problem = _type_error(dotted, kind, value)
        if problem:
            errors.append("%s %s (got %r)" % (dotted, problem, value))


def listeners_of(settings):
    """(name, address, port, tls) of each listener the settings open (documented defaults for absent keys)."""
    out = []
    agent = settings.get("agent", {})
    out.append(("agent", agent.get("server_ip", "0.0.0.0"), agent.get("server_port", 9000), False))
    ui = settings.get("ui_srv", {})
    out.append(("ui", ui.get("server_ip", "0.0.0.0"), ui.get("server_port", 9443), ui.get("ssl", True)))
    otlp = settings.get("otlp", {})
    if otlp.get("enable", True):
        http, grpc = otlp.get("http", {}), otlp.get("grpc", {})
        out.append(("otlp_http", http.get("server_ip", "0.0.0.0"), http.get("server_port", 4318), False))
        out.append(
            ("otlp_grpc", grpc.get("server_ip", "0.0.0.0"), grpc.get("server_port", 4317), grpc.get("ssl", False))
        )
    return out


def check(settings, config_dir, file_readable=None, address_is_local=None):
    """Errors and warnings for a settings dict. Host checks run only when their callables are given."""
    errors, warnings = [], []
    if not isinstance(settings, dict):
        return ["settings must be a table"], warnings
    _walk(SCHEMA, settings, [], errors, warnings)
    if "eula" in settings and settings["eula"] is not True:
        errors.append("eula is present and not true: the server will not start")
    if not settings.get("data"):
        errors.append("data (the data directory) is required")
    backend = settings.get("logger", {}).get("backend")
    if backend is not None and backend not in ("Local", "Syslog"):
        errors.append("logger.backend must be Local or Syslog (got %r)" % (backend,))
    master = settings.get("master_key")
    if not master:
        errors.append("[master_key] is required")
    if errors:
        return errors, warnings

    listeners = listeners_of(settings)
    seen = {}
    for name, address, port, _tls in listeners:
        if (address, port) in seen:
            errors.append("%s and %s both listen on %s port %d" % (seen[(address, port)], name, address, port))
        seen[(address, port)] = name
        if address_is_local is not None and address not in ("0.0.0.0", "::") and not address_is_local(address):
            errors.append("%s listens on %s, which is not an address of this host" % (name, address))
    if file_readable is not None:
        needed = []
        if any(tls for _n, _a, _p, tls in listeners):
            ssl = settings.get("ssl", {})
            needed.append(("ssl.cert", resolve_path(config_dir, ssl.get("cert", DEFAULT_CERT))))
            needed.append(("ssl.key", resolve_path(config_dir, ssl.get("key", DEFAULT_KEY))))
        if master.get("provider") == "file" and master.get("value"):
            needed.append(("master_key.value", resolve_path(config_dir, master["value"])))
        for key, path in needed:
            if not file_readable(path):
                errors.append("%s refers to %s, which does not exist or cannot be read" % (key, path))
    return errors, warnings


# The listener part of settings.toml: the surface model alone decides it (section 1.2 of flopsar.md).
LISTENER_KEYS = (("agent",), ("ui_srv",), ("otlp", "http"), ("otlp", "grpc"))


def _table(settings, path):
    table = settings
    for part in path:
        table = table.get(part) if isinstance(table, dict) else None
        if table is None:
            return {}
    return table if isinstance(table, dict) else {}


def undocumented(settings, allowed=(), path=()):
    """Dotted names of the keys of `settings` that SCHEMA does not list and `allowed` does not name.

    A name in `allowed` admits that key and everything below it.
    """
    found = []
    schema = SCHEMA
    for part in path:
        schema = schema.get(part, {}) if isinstance(schema, dict) else {}
    for key, value in (settings or {}).items():
        dotted = ".".join(path + (key,))
        if dotted in allowed:
            continue
        if not isinstance(schema, dict) or key not in schema:
            found.append(dotted)
        elif isinstance(schema[key], dict) and isinstance(value, dict):
            found.extend(undocumented(value, allowed, path + (key,)))
    return found


def model_conflicts(settings, model):
    """Listener settings in `settings` that differ from `model` (surface.flopsar_settings() of the model).

    Covers a wildcard or foreign address, another port, TLS switched off, and a listener the model does
    not declare (OTLP turned on, or an OTLP table while the model keeps OTLP off).
    """
    conflicts = []
    have_on, want_on = _table(settings, ("otlp",)).get("enable"), _table(model, ("otlp",)).get("enable")
    if have_on != want_on:
        conflicts.append("otlp.enable is %r but the surface model says %r (server_otlp_enabled)" % (have_on, want_on))
    for path in LISTENER_KEYS:
        have, want = _table(settings, path), _table(model, path)
        name = ".".join(path)
        if have and not want:
            conflicts.append("[%s] opens a listener the surface model does not declare" % name)
            continue
        for key in sorted(set(have) | set(want)):
            if have.get(key) != want.get(key):
                conflicts.append(
                    "%s.%s is %r but the surface model says %r" % (name, key, have.get(key), want.get(key))
                )
    return conflicts


def merged_errors(settings, model, allowed=(), config_dir="/etc/flopsar"):
    """Everything wrong with the merged document (the model's settings plus the operator's extra ones).

    Runs without the host: types and required keys (check() without its host callables), keys the
    collection does not know (unless allowed), and listener settings that leave the surface model.
    """
    errors, _warnings = check(settings, config_dir)
    errors += [
        "%s is not a documented setting (a typo would stop the server); fix the name, or list it in "
        "server_settings_extra_allow to write it unchecked" % key
        for key in undocumented(settings, tuple(allowed or ()))
    ]
    errors += [
        "%s; listeners, their addresses, ports and TLS come from the server_<listener>_* variables, "
        "not from server_settings_extra" % conflict
        for conflict in model_conflicts(settings, model)
    ]
    return errors


_BACKUP = re.compile(r"^(?P<base>.+)\.(?P<pid>[0-9]+)\.(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}@[0-9:.]+)~$")


def backups_to_remove(names, basename, keep):
    """The backups of `basename` among `names` (AnsibleModule.backup_local() names them
    <file>.<pid>.<YYYY-MM-DD@HH:MM:SS>~) beyond the `keep` newest; keep 0 keeps them all."""
    if keep < 1:
        return []
    ours = []
    for name in names:
        match = _BACKUP.match(name)
        if match and match.group("base") == basename:
            ours.append((match.group("stamp"), name))
    ours.sort(reverse=True)
    return sorted(name for _stamp, name in ours[keep:])
