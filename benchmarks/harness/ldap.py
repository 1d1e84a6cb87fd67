"""The LDAP section: the ldap_validate live probe against ldapsearch doing the same bind and search."""

from __future__ import annotations

import yaml

from .common import ratios, stats

HOST = "fl-bench-ldapc"


def run(bench):
    reps = bench.cfg["ldap_reps"]
    directory = bench.lab.address("fl-bench-dir", 1)
    common = {
        "url": f"{directory}:636",
        "bind_dn": "cn=flopsar-svc,ou=Service,dc=flopsar,dc=test",
        "bind_password": "svc-bind-secret",
        "user_base_dn": "ou=People,dc=flopsar,dc=test",
        "user_filter": "(uid={username})",
        "ca_cert": "/etc/ssl/certs/lab-directory.pem",
        "probe": "search",
        "test_user": "alice",
    }
    ldapsearch = (
        f"ldapsearch -x -LLL -o nettimeout=5 -H ldaps://{directory}:636 -D {common['bind_dn']} "
        f"-w {common['bind_password']} -b {common['user_base_dn']} (uid=alice) uid"
    )
    tasks = []
    kinds = ["module", "ldapsearch", "noop"]
    for r in range(reps):
        for kind in kinds[r % 3 :] + kinds[: r % 3]:
            name = f"{kind} #{r + 1}"
            if kind == "module":
                tasks.append({"name": name, "hardened.flopsar.ldap_validate": common, "no_log": True})
            elif kind == "ldapsearch":
                tasks.append(
                    {
                        "name": name,
                        "ansible.builtin.command": ldapsearch,
                        "changed_when": False,
                        "no_log": True,
                        "environment": {"LDAPTLS_CACERT": common["ca_cert"], "LDAPTLS_REQCERT": "demand"},
                    }
                )
            else:
                tasks.append({"name": name, "ansible.builtin.command": "true", "changed_when": False})
    pb = bench.work / "ldap.yml"
    pb.write_text(
        yaml.safe_dump(
            [{"name": "LDAP probe against ldapsearch", "hosts": HOST, "gather_facts": False, "tasks": tasks}],
            sort_keys=False,
        )
    )
    res = bench.runner.playbook_run(pb, bench.lab.inventory([]), "ldap: module / ldapsearch / no-op tasks", 1)
    times = {k: [] for k in kinds}
    for t in res["tasks"]:
        kind = t["task"].split(" #")[0]
        times[kind].append(t["seconds"] if t["status"] in ("ok", "changed") else None)
    # The same bind and search straight on the host, without Ansible: ldapsearch's own cost.
    quoted = ldapsearch.replace("(uid=alice)", "'(uid=alice)'")
    _out, p = bench.lab.ssh(
        HOST,
        f"export LDAPTLS_CACERT=/etc/ssl/certs/lab-directory.pem; for i in $(seq {reps}); do "
        f"s=$(date +%s%N); {quoted} >/dev/null || exit 1; echo $(( $(date +%s%N) - s )); done",
    )
    direct = [int(x) / 1e9 for x in p.stdout.split()] if p.returncode == 0 else []
    net = {
        k: [a - b for a, b in zip(times[k], times["noop"], strict=False) if a and b] for k in ("module", "ldapsearch")
    }
    bench.results["sections"]["ldap"] = {
        "host": HOST,
        "directory": f"ldaps://{directory}:636",
        "reps": reps,
        "pipelining": True,
        "module": stats(times["module"]),
        "ldapsearch": stats(times["ldapsearch"]),
        "noop": stats(times["noop"]),
        "ldapsearch_in_host": stats(direct),
        "module_over_ldapsearch": ratios(times["module"], times["ldapsearch"]),
        "net_module_over_ldapsearch": stats(
            [a / b for a, b in zip(net["module"], net["ldapsearch"], strict=False) if b > 0]
        ),
        "runs": times,
    }
