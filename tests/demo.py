"""`make demo`: build the built-in lab, run the collection's main job on it, print the surface report.

1. Builds the lab of the Molecule scenario `site`: a Flopsar server with a management, an
   application and a directory network; an agent host; an admin host; a slapd directory (LDAPS).
2. Runs playbooks/site.yml against it (LDAP checks, server, CrowdSec, firewall, the agent's
   firewall, the live LDAP probe), as `ansible-playbook` would on a real inventory.
3. Shows each server port as the admin and agent hosts see it, then runs
   playbooks/surface_report.yml and prints where the report files are.

The lab stays up afterwards so it can be explored (`podman exec -it fl-site-server bash`);
`molecule destroy -s site` removes it, `make demo` again re-applies site.yml (idempotent).
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "molecule"))

import run
from labprobe import OPEN, lab_host, tcp_states, tls_handshake

SCENARIO = "site"
SERVER_ADDRESSES = {"10.89.10.10": "management", "10.89.11.10": "application"}
CLIENTS = {"fl-site-admin": ("10.89.10.10",), "fl-site-agent": ("10.89.10.10", "10.89.11.10")}
PORTS = (22, 9000, 9443, 4317, 4318, 8080, 6060)
REPORT_DIR = Path(os.environ.get("DEMO_REPORT_DIR", Path.cwd() / "surface-report"))


def step(text):
    print(f"\n==> {text}", flush=True)


def main():
    env = run.env()
    env["LAB_IMAGE"] = subprocess.run(
        [run.REPO / "tests/lab/image.sh"], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    env["FLOPSAR_STANDIN_DEB"] = subprocess.run(
        [run.REPO / "tests/standin/build-deb.sh", run.CACHE / "packages"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.splitlines()[-1]
    step("Building the lab and running playbooks/site.yml (molecule converge -s site)")
    if run.run(["molecule", "converge", "-s", SCENARIO], env=env, cwd=run.REPO) != 0:
        return 1

    step("The server's ports as the other hosts see them")
    print(f"{'from':<15} {'address':<13} {'port':>5}  {'state':<9} tls")
    for client, addresses in CLIENTS.items():
        host = lab_host(client)
        targets = [(a, p) for a in addresses for p in PORTS]
        states = tcp_states(host, targets)
        for address, port in targets:
            tls = ""
            if states[(address, port)] == OPEN and port != 22:
                hs = tls_handshake(host, address, port)
                tls = hs.protocol if hs.ok else "none"
            print(f"{client:<15} {address:<13} {port:>5}  {states[(address, port)]:<9} {tls}")

    step("The surface report (playbooks/surface_report.yml, run as the scenario's side effect)")
    if run.run(["molecule", "side-effect", "-s", SCENARIO], env={**env, "SURFACE_REPORT_DIR": str(REPORT_DIR)}) != 0:
        return 1
    print((REPORT_DIR / "fleet.md").read_text())
    print(f"Report files (Markdown, JSON and SVG per host and for the fleet): {REPORT_DIR}")
    print(f"The lab is still up; remove it with: molecule destroy -s {SCENARIO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
