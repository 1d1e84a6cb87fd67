"""The firewall section: the firewall role's apply of N source networks on one listener against the same
rules one by one with ansible.posix.firewalld and against raw `nft -f` of the role's own rendered ruleset."""

from __future__ import annotations

from .common import BENCH, ratios, stats

ROLE = BENCH / "playbooks" / "firewall_role.yml"
FIREWALLD = BENCH / "playbooks" / "firewall_firewalld.yml"
FW, FWD = "fl-bench-fw", "fl-bench-fwd"


def listeners(n, address):
    return [
        {
            "name": name,
            "service": "bench",
            "enabled": True,
            "port": port,
            "protocol": "tcp",
            "sources": [f"172.{16 + i // 256}.{i % 256}.0/24" for i in range(n)],
            "address": address,
        }
        for name, port in (("agent", 9000),)
    ]


def run(bench):
    lab, runner, cfg = bench.lab, bench.runner, bench.cfg
    out = {"listeners": 1, "sizes": {}}
    bench.results["sections"]["firewall"] = out
    fw_inv = lab.inventory([])
    # The role installed once (directories, loader unit, rollback script): the apply is what is measured.
    for n in cfg["rules"]:
        role_listeners = listeners(n, lab.address(FW))
        fwd_listeners = listeners(n, lab.address(FWD))
        role, fwd, nft, nft_host = [], [], [], []
        ruleset = None
        fwd_reps = cfg["fwd_reps"].get(n, cfg["fw_reps"])
        if n == cfg["rules"][0]:
            r = runner.playbook_run(
                ROLE, fw_inv, "firewall role install (untimed)", 1, extra={"firewall_listeners": role_listeners}
            )
            if r["rc"] != 0:
                out["error"] = "the firewall role failed"
                return
        for r in range(cfg["fw_reps"]):
            # role: from no table and no file, so the role renders and loads
            lab.ssh(FW, "nft delete table inet hardened_flopsar; rm -f /etc/hardened-flopsar/firewall.nft")
            res = runner.playbook_run(
                ROLE, fw_inv, f"firewall {n}: role #{r + 1}", 1, extra={"firewall_listeners": role_listeners}
            )
            role.append(res["seconds"] if res["rc"] == 0 else None)
            if ruleset is None:
                _out, p = lab.ssh(FW, "cat /etc/hardened-flopsar/firewall.nft")
                ruleset = p.stdout
                out["sizes"].setdefault(str(n), {})["ruleset_lines"] = len(ruleset.splitlines())
                out["sizes"][str(n)]["role_profile"] = [
                    {"task": t["task"], "action": t["action"], "status": t["status"], "seconds": t["seconds"]}
                    for t in res["tasks"]
                    if t["status"] != "skipped"
                ]
            # raw nft -f of the same ruleset from the controller (one SSH session), and inside the host
            lab.ssh(FW, "nft delete table inet hardened_flopsar")
            sec, p = lab.ssh(FW, "nft -f -", stdin=ruleset)
            nft.append(sec if p.returncode == 0 else None)
            _out, p = lab.ssh(
                FW,
                "nft delete table inet hardened_flopsar; s=$(date +%s%N); "
                "nft -f /etc/hardened-flopsar/firewall.nft && echo $(( $(date +%s%N) - s ))",
            )
            nft_host.append(int(p.stdout.strip()) / 1e9 if p.returncode == 0 and p.stdout.strip() else None)
            if r < fwd_reps:
                lab.ssh(FWD, "systemctl stop firewalld; rm -f /etc/firewalld/zones/*; systemctl start firewalld")
                res = runner.playbook_run(
                    FIREWALLD,
                    fw_inv,
                    f"firewall {n}: firewalld one by one #{r + 1}",
                    1,
                    extra={"firewall_listeners": fwd_listeners},
                )
                fwd.append(res["seconds"] if res["rc"] == 0 else None)
        k = min(len(fwd), len(role))
        out["sizes"].setdefault(str(n), {}).update(
            {
                "sources_per_listener": n,
                "rules": n,
                "role": stats(role),
                "firewalld_loop": stats(fwd),
                "nft_f": stats(nft),
                "nft_f_in_host": stats(nft_host),
                "firewalld_over_role": ratios(fwd[:k], role[:k]),
                "role_over_nft": ratios(role, nft),
                "runs": {"role": role, "firewalld_loop": fwd, "nft_f": nft, "nft_f_in_host": nft_host},
            }
        )
