"""`make demo`: build the built-in lab, run the collection's main job on it, show the result.

Runs the server role (hardened.flopsar.server) on a server host with two networks, then shows each
listener as a client host sees it. The lab stays up afterwards so it can be explored
(`podman exec -it fl-def-server bash`); `molecule destroy -s default` removes it.
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "molecule"))

import run
from labprobe import OPEN, lab_host, tcp_state, tls_handshake

# The server role's `default` scenario: a server with two networks, a client on both.
SCENARIO = "default"
CLIENT = "fl-def-agent"
SERVER_ADDRESSES = ("10.89.20.10", "10.89.21.10")
PORTS = (9000, 9443, 4317, 4318)


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
    if run.run(["molecule", "converge", "-s", SCENARIO], env=env, cwd=run.REPO) != 0:
        return 1
    client = lab_host(CLIENT)
    print(f"\nListeners of the Flopsar Server as seen from {CLIENT}:")
    print(f"{'address':<16} {'port':>5}  {'state':<9} tls")
    for address in SERVER_ADDRESSES:
        for port in PORTS:
            state = tcp_state(client, address, port)
            tls = ""
            if state == OPEN:
                hs = tls_handshake(client, address, port)
                tls = hs.protocol if hs.ok else "none"
            print(f"{address:<16} {port:>5}  {state:<9} {tls}")
    print(f"\nThe lab is still up; remove it with: molecule destroy -s {SCENARIO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
