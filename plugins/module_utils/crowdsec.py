# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CrowdSec (Debian 12: crowdsec 1.4.6, crowdsec-firewall-bouncer 0.0.25) from the surface model.

``plan()`` takes the role's resolved listeners (``lapi``, ``metrics``, ``bouncer_metrics``; see
plugins/module_utils/surface.py) and a few options, checks the placement rules of the hardening
(the Local API leaves loopback only for declared remote clients, and then with TLS; metrics off
the loopback only with the Prometheus host as source) and renders the three ``.local`` override
files as dictionaries. Only keys that 1.4.6's strict parser accepts are written.

``bouncer_action()`` decides what the bouncer registration needs, from ``cscli -o json bouncers
list``: 1.4.6 lists the SHA-512 of each key, so a key can be compared without being printed.

Pure functions only: no Ansible imports, no I/O.
"""

from __future__ import absolute_import, division, print_function

import hashlib
import ipaddress

TABLES = {"ipv4": ("crowdsec", "crowdsec-chain"), "ipv6": ("crowdsec6", "crowdsec6-chain")}

# Outbound destinations in online mode (shared/reference/crowdsec.md, section 1.5): the Central API,
# the blocklists pull and the Polling API; the hub only when hub updates are enabled (Debian's 1.4.6
# downloads from hub-cdn, 1.6.3 and later from cdn-hub, data files from hub-data).
ONLINE_FQDNS = ("api.crowdsec.net", "blocklists.api.crowdsec.net", "papi.api.crowdsec.net")
HUB_FQDNS = ("hub-cdn.crowdsec.net", "cdn-hub.crowdsec.net", "hub-data.crowdsec.net")

# config.yaml keys the surface model decides; crowdsec_config_extra may not change them.
MODEL_KEYS = (
    ("api", "server", "enable"),
    ("api", "server", "listen_uri"),
    ("api", "server", "listen_socket"),
    ("api", "server", "tls"),
    ("prometheus", "enabled"),
    ("prometheus", "listen_addr"),
    ("prometheus", "listen_port"),
)
# The top-level sections of config.yaml that 1.4.6 knows (its strict parser refuses others).
CONFIG_SECTIONS = (
    "common",
    "config_paths",
    "crowdsec_service",
    "cscli",
    "db_config",
    "api",
    "prometheus",
    "plugin_config",
)


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _hostport(address, port):
    if ":" in address:
        return "[%s]:%d" % (address, port)
    return "%s:%d" % (address, port)


def _overlap(a, b):
    if a["port"] != b["port"] or not a.get("address") or not b.get("address"):
        return False
    if a["address"] == b["address"]:
        return True
    version_a = ipaddress.ip_address(a["address"]).version
    version_b = ipaddress.ip_address(b["address"]).version
    wildcard = a["address"] in ("0.0.0.0", "::") or b["address"] in ("0.0.0.0", "::")
    return version_a == version_b and wildcard


def listener_errors(listeners, others=()):
    """Placement rules for the CrowdSec listeners, and port clashes with the host's other listeners."""
    errors = []
    by_name = {lst["name"]: lst for lst in listeners}
    lapi = by_name.get("lapi")
    if lapi is None or not lapi.get("enabled"):
        errors.append("crowdsec_lapi: the Local API must be enabled (cscli and the bouncer use it)")
    else:
        loop = _is_loopback(lapi["address"])
        if loop and lapi["sources"]:
            errors.append(
                "crowdsec_lapi_sources: remote agents or bouncers are declared (%s) but the Local API binds "
                "loopback %s; set crowdsec_lapi_interface to the interface they reach"
                % (", ".join(lapi["sources"]), lapi["address"])
            )
        if not loop and not lapi["sources"]:
            errors.append(
                "crowdsec_lapi_interface: the Local API leaves loopback (%s) only for remote agents or bouncers; "
                "declare them in crowdsec_lapi_sources, or leave crowdsec_lapi_interface and crowdsec_lapi_address "
                "empty to keep it on 127.0.0.1" % lapi["address"]
            )
        if not loop and not lapi.get("tls"):
            errors.append("crowdsec_lapi: a Local API reachable from other hosts must use TLS")
    metrics = by_name.get("metrics")
    if metrics is not None and metrics.get("enabled"):
        loop = _is_loopback(metrics["address"])
        if loop and metrics["sources"]:
            errors.append(
                "crowdsec_metrics_sources: metrics bind loopback %s, so %s could never reach them; "
                "set crowdsec_metrics_interface" % (metrics["address"], ", ".join(metrics["sources"]))
            )
        if not loop and not metrics["sources"]:
            errors.append(
                "crowdsec_metrics_sources: metrics on %s (with pprof's /debug/pprof on the same port) need the "
                "Prometheus host(s) as sources; name them, or set crowdsec_metrics_enabled to false"
                % metrics["address"]
            )
    bouncer = by_name.get("bouncer_metrics")
    if bouncer is not None and bouncer.get("enabled") and not _is_loopback(bouncer["address"]):
        errors.append("crowdsec_bouncer_metrics: the bouncer's metrics stay on loopback")
    active = [lst for lst in listeners if lst.get("enabled") and isinstance(lst.get("port"), int)]
    for mine in active:
        for other in others:
            if other.get("enabled") and isinstance(other.get("port"), int) and _overlap(mine, other):
                errors.append(
                    "%s_port: %s port %d is already taken by %s (%s)"
                    % (
                        mine.get("variable", mine["name"]),
                        mine["address"],
                        mine["port"],
                        other.get("variable", other["name"]),
                        other.get("service", ""),
                    )
                )
    return errors


def lapi_url(listeners):
    lapi = {lst["name"]: lst for lst in listeners}["lapi"]
    scheme = "https" if lapi.get("tls") else "http"
    return "%s://%s" % (scheme, _hostport(lapi["address"], lapi["port"]))


def plan(listeners, options, others=()):
    """The .local override files (as dicts) for the engine, its client credentials and the bouncer, and the
    URLs the verify phase asks (``verify_urls``).

    ``options`` keys: use_wal, hub_branch, acquisition_path, acquisition_dir, metrics_level,
    tls_cert, tls_key, tls_ca, tls_client_verification, trusted_ips, bouncer_update_frequency,
    bouncer_deny_action, bouncer_deny_log, bouncer_ipv6.
    """
    errors = listener_errors(listeners, others)
    if errors:
        return {"errors": errors}
    by_name = {lst["name"]: lst for lst in listeners}
    lapi = by_name["lapi"]
    metrics = by_name.get("metrics") or {"enabled": False, "address": "", "port": 6060}
    bouncer_metrics = by_name.get("bouncer_metrics") or {"enabled": False, "address": "", "port": 60601}
    tls = bool(lapi.get("tls"))
    url = lapi_url(listeners)

    server = {
        "listen_uri": _hostport(lapi["address"], lapi["port"]),
        "trusted_ips": ["127.0.0.1", "::1"]
        + [ip for ip in options.get("trusted_ips") or [] if ip not in ("127.0.0.1", "::1")],
    }
    if tls:
        server["tls"] = {
            "cert_file": options["tls_cert"],
            "key_file": options["tls_key"],
            "client_verification": options.get("tls_client_verification") or "NoClientCert",
        }
    config = {
        "db_config": {"use_wal": bool(options.get("use_wal", True))},
        "cscli": {"hub_branch": options["hub_branch"]},
        "crowdsec_service": {
            "acquisition_path": options["acquisition_path"],
            "acquisition_dir": options["acquisition_dir"],
        },
        "api": {"server": server},
        "prometheus": {
            "enabled": bool(metrics["enabled"]),
            "level": options.get("metrics_level") or "full",
            "listen_addr": metrics["address"] if metrics["enabled"] else "127.0.0.1",
            "listen_port": metrics["port"],
        },
    }
    credentials = {"url": url}
    if tls:
        credentials["ca_cert_path"] = options["tls_ca"]

    ipv6 = bool(options.get("bouncer_ipv6", True))
    bouncer = {
        "mode": "nftables",
        "api_url": url + "/",
        "update_frequency": options.get("bouncer_update_frequency") or "10s",
        "deny_action": options.get("bouncer_deny_action") or "DROP",
        "deny_log": bool(options.get("bouncer_deny_log", False)),
        # 0.0.25 turns IPv4 off when disable_ipv6 is set and nftables.ipv6.enabled is not:
        # both are always written.
        "disable_ipv6": not ipv6,
        "nftables": {
            "ipv4": {"enabled": True, "set-only": False, "table": TABLES["ipv4"][0], "chain": TABLES["ipv4"][1]},
            "ipv6": {"enabled": ipv6, "set-only": False, "table": TABLES["ipv6"][0], "chain": TABLES["ipv6"][1]},
        },
        "prometheus": {
            "enabled": bool(bouncer_metrics["enabled"]),
            "listen_addr": "127.0.0.1",
            "listen_port": bouncer_metrics["port"],
        },
    }
    if tls:
        bouncer["ca_cert_path"] = options["tls_ca"]
    # What the verify phase asks: the Local API's /health (verified against the CA with TLS), each metrics endpoint.
    urls = [{"url": url + "/health", "ca_path": options["tls_ca"] if tls else None}]
    for lst in (metrics, bouncer_metrics):
        if lst["enabled"]:
            urls.append({"url": "http://%s/metrics" % _hostport(lst["address"], lst["port"]), "ca_path": None})
    return {
        "errors": [],
        "config": config,
        "credentials": credentials,
        "bouncer": bouncer,
        "lapi_url": url,
        "verify_urls": urls,
    }


def key_hash(key):
    return hashlib.sha512(key.encode("utf-8")).hexdigest()


def bouncer_action(bouncers, name, key):
    """'add' (not registered), 'rotate' (registered with another key, or revoked) or 'keep'."""
    matches = [b for b in bouncers or [] if b.get("name") == name]
    if not matches:
        return "add"
    if len(matches) > 1 or any(b.get("revoked") for b in matches):
        return "rotate"
    return "keep" if matches[0].get("api_key") == key_hash(key) else "rotate"


def egress(name, resolved, port=443):
    """Egress entries for firewall_plan.outbound() from {fqdn: [address, ...]}; sorted, no duplicates."""
    entries = []
    for fqdn in sorted(resolved):
        addresses = sorted(
            set(resolved[fqdn]), key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a))
        )
        if addresses:
            entries.append(
                {"name": "%s %s" % (name, fqdn), "addresses": addresses, "port": int(port), "protocol": "tcp"}
            )
    return entries


def online_fqdns(fqdns, hub_updates=False):
    """The destinations online mode needs: `fqdns` (the role's list), plus the hub when hub updates are on."""
    out = []
    for fqdn in list(fqdns or []) + (list(HUB_FQDNS) if hub_updates else []):
        if fqdn not in out:
            out.append(fqdn)
    return out


def hub_links(items, hub_dir, config_dir):
    """[target, link] for each hub item, as Debian's offline hub links them: the item at
    ``<hub_dir>/<type>/[<stage>/]<author>/<name>.yaml`` is enabled by the link
    ``<config_dir>/<type>/[<stage>/]<name>.yaml`` (the author's directory left out)."""
    pairs = []
    for item in items or []:
        parts = str(item).strip("/").split("/")
        if len(parts) < 3 or ".." in parts or not parts[-1].endswith(".yaml"):
            raise ValueError("%s is not a hub item path such as collections/crowdsecurity/sshd.yaml" % item)
        pairs.append(
            [
                "%s/%s" % (hub_dir.rstrip("/"), "/".join(parts)),
                "%s/%s" % (config_dir.rstrip("/"), "/".join(parts[:-2] + parts[-1:])),
            ]
        )
    return pairs


def package_plan(files, names, bouncer=True, paths=()):
    """What the role installs. ``files``: the package files' control fields, in the order of ``paths``
    (the deb_fields lookup; an empty mapping for a file it could not read); without files, the repository
    packages ``names`` (the bouncer's left out unless ``bouncer``).
    Returns {"wanted": {package: version or None}, "unreadable": [path, ...]}."""
    if files:
        paths = list(paths) + [""] * (len(files) - len(paths))
        return {
            "wanted": {f["Package"]: f.get("Version") for f in files if f.get("Package")},
            "unreadable": [paths[i] for i, f in enumerate(files) if not f.get("Package")],
        }
    return {
        "wanted": {n: None for n in names if bouncer or "bouncer" not in n},
        "unreadable": [],
    }


def dpkg_status(query_output):
    """{package: {"version", "status"}} from ``dpkg-query --show --showformat '${Package} ${Version}
    ${db:Status-Status}\\n'`` (a package dpkg does not know is simply absent)."""
    packages = {}
    for line in (query_output or "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            packages[parts[0]] = {"version": parts[1], "status": parts[2]}
        elif len(parts) == 2:
            packages[parts[0]] = {"version": "", "status": parts[1]}
    return packages


def packages_to_install(wanted, installed):
    """The entries of ``wanted`` ({package: version, or None for any version}) that ``installed`` (dpkg_status())
    does not show installed at that version, sorted."""
    return sorted(
        name
        for name, version in wanted.items()
        if (installed.get(name) or {}).get("status") != "installed"
        or version not in (None, installed[name].get("version"))
    )


def path_drift(wanted, observed):
    """Why a managed path differs from what the role would make of it ('' when it does not).

    ``wanted``: ``state`` (file, directory, link, absent), and as the role's task would set them ``mode``
    ('0644'), ``owner``, ``group``, ``checksum`` (SHA-1 of the content; none for a file whose content the role
    does not manage), ``src`` (a link's target), ``create_only`` (a seed written only when missing).
    ``observed``: ``type`` (file, directory, link, other, or None when missing), ``mode``, ``owner``,
    ``group``, ``checksum``, ``src``, as read on the host (see the crowdsec_state module).
    Anything unusual counts as a difference: the role's own task then runs and decides."""
    state = wanted.get("state", "file")
    kind = observed.get("type")
    if state == "absent":
        return "" if kind is None else "present"
    if kind is None:
        return "missing"
    if wanted.get("create_only"):
        return ""
    if kind != state:
        return "a %s, not a %s" % (kind, state)
    if state == "link":
        return "" if observed.get("src") == wanted.get("src") else "links elsewhere"
    if wanted.get("mode") not in (None, "") and "%04o" % int(str(wanted["mode"]), 8) != observed.get("mode"):
        return "mode"
    for key in ("owner", "group", "checksum"):
        if wanted.get(key) not in (None, "") and str(wanted[key]) != str(observed.get(key)):
            return "content" if key == "checksum" else key
    return ""


def state_errors(state):
    """What the crowdsec_state module's result shows wrong for the verify phase: a path that differs, a unit
    that is not active, a table that is not loaded, a URL that does not answer 200."""
    errors = ["%s: %s" % (path, reason) for path, reason in sorted((state.get("differs") or {}).items())]
    for unit, seen in sorted((state.get("units") or {}).items()):
        if seen.get("active") != "active":
            errors.append("%s is %s" % (unit, seen.get("active") or "not running"))
    for table, loaded in sorted((state.get("tables") or {}).items()):
        if not loaded:
            errors.append("the nftables table %s is not loaded" % table)
    for url, seen in sorted((state.get("urls") or {}).items()):
        if seen.get("status") != 200:
            errors.append("%s answers %s" % (url, seen.get("status") or "nothing (%s)" % seen.get("error", "")))
    return errors


def _get(data, path):
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _merge(base, extra):
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def config_extra_errors(config, extra, allowed=()):
    """What crowdsec_config_extra would break in config.yaml.local: a listener setting that leaves the
    surface model (address, wildcard, port, TLS, metrics on or off), or a section 1.4.6 does not know
    (unless `allowed` names it)."""
    if not isinstance(extra, dict):
        return ["crowdsec_config_extra must be a mapping"]
    errors = []
    merged = _merge(config, extra)
    for path in MODEL_KEYS:
        if _get(merged, path) != _get(config, path):
            errors.append(
                "crowdsec_config_extra sets %s to %r but the surface model says %r; the listeners come from the "
                "crowdsec_lapi_* and crowdsec_metrics_* variables"
                % (".".join(path), _get(merged, path), _get(config, path))
            )
    for key in extra:
        if key not in CONFIG_SECTIONS and key not in allowed:
            errors.append(
                "crowdsec_config_extra: %s is not a section of CrowdSec's config.yaml (%s); fix the name, or list it "
                "in crowdsec_config_extra_allow" % (key, ", ".join(CONFIG_SECTIONS))
            )
    return errors
