"""The verify-only run's floor: what the verify tasks (the roles' tasks/verify.yml) checked on a host,
from the per-task log of the verify run, turned into the least a verification must do, one plain module
call per check. The rest of a verify run (every role's preflight and surface resolution, tagged for every
phase) is what the run costs beyond its floor, not a check of the hosts' state.

  connects  one wait_for per listener or endpoint a check reached (wait_for; uri's address and port;
            the LDAP probe's directory, whose arguments the log cannot show: no_log)
  units     one unit-state read (systemd_service, check mode) per service the verify keeps running
  files     one stat per file whose mode or contents the verify reads
  commands  the same read-only command once per command check (e.g. nft list table)

The collection's one-call readers count as the checks they make: hardened.flopsar.listeners_answer a
connect per listener; hardened.flopsar.crowdsec_state a unit read per unit, a stat per file, an
`nft list table` per table and a connect per URL.

benchmarks/playbooks/verify_floor.yml runs them after gathering facts, as the verify run does."""

from __future__ import annotations

from urllib.parse import urlsplit

VERIFY_TASKS = "/tasks/verify.yml"


def _endpoint(url):
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80, "ldaps": 636, "ldap": 389}.get(parts.scheme)
    return {"host": parts.hostname, "port": port}


def checks(tasks, host, addresses, ldap_url=None):
    """The checks one host's verify run made, each once, in the order they ran. A connect to one of the
    host's own addresses is kept as its network's index (`network`), so that every host of a fleet checks
    its own listener (verify_floor.yml reads the host's bench_addresses)."""
    out = {"connects": [], "units": [], "files": [], "commands": []}

    def add(kind, value):
        if kind == "connects" and value.get("host") in addresses:
            value = {"network": addresses.index(value["host"]), "port": value["port"]}
        if value and value not in out[kind]:
            out[kind].append(value)

    for t in tasks:
        if t["host"] != host or t["delegated"] or t["status"] not in ("ok", "changed"):
            continue
        if not t.get("file", "").endswith(VERIFY_TASKS):
            continue
        action = t["action"].split(".")[-1]
        for args in t.get("args") or []:
            if action == "wait_for" and args.get("port"):
                add("connects", {"host": args.get("host") or "127.0.0.1", "port": int(args["port"])})
            elif action == "uri" and args.get("url"):
                add("connects", _endpoint(args["url"]))
            elif action in ("systemd_service", "systemd", "service") and args.get("name"):
                add("units", args["name"])
            elif action == "stat" and args.get("path"):
                add("files", args["path"])
            elif action == "command" and (args.get("argv") or args.get("_raw_params") or args.get("cmd")):
                add("commands", args.get("argv") or args.get("_raw_params") or args.get("cmd"))
            elif action == "listeners_answer":
                for listener in args.get("listeners") or []:
                    add("connects", {"host": listener["address"], "port": int(listener["port"])})
            elif action == "crowdsec_state":
                for unit in args.get("units") or []:
                    add("units", unit)
                for path in args.get("paths") or []:
                    add("files", path["path"] if isinstance(path, dict) else path)
                for table in args.get("tables") or []:
                    add("commands", ["nft", "list", "table", *table.split()])
                for url in args.get("urls") or []:
                    add("connects", _endpoint(url["url"] if isinstance(url, dict) else url))
        if action == "ldap_validate" and ldap_url:
            # no_log hides the arguments; the directory is the inventory's ldap_url (host:port or a URL).
            add("connects", _endpoint(ldap_url if "://" in ldap_url else f"ldaps://{ldap_url}"))
    return out


def floor_calls(c):
    return len(c["connects"]) + len(c["units"]) + len(c["files"]) + len(c["commands"])
