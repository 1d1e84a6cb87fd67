"""Cross-host checks for the lab: what a client on another host sees.

Every probe runs *inside* a lab host (through testinfra's podman backend) and
connects over the lab networks to another host's address, so a result shows
the real listener and the real firewall in between, never a file's text.
"""

import base64
import json
import shlex
from dataclasses import dataclass

import testinfra

OPEN, CLOSED, FILTERED = "open", "closed", "filtered"

# One TCP connect from inside a host. bash's /dev/tcp gives three outcomes we
# can tell apart: connected (0), refused or unreachable (1), and no answer
# within the timeout (124, a silent drop by a firewall).
_TCP = "timeout {t} bash -c 'exec 3<>/dev/tcp/{a}/{p}' 2>/dev/null; echo $?"

# A TLS handshake from inside a host, with Python's ssl module (in every lab
# host); prints one JSON line with what was negotiated and the peer chain.
_TLS = r"""
import base64, json, socket, ssl, sys
addr, port, sni, alpn, maxv = sys.argv[1], int(sys.argv[2]), sys.argv[3] or None, sys.argv[4], sys.argv[5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if maxv:
    ctx.maximum_version = getattr(ssl.TLSVersion, maxv)
if alpn:
    ctx.set_alpn_protocols([alpn])
out = {}
try:
    with socket.create_connection((addr, port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            out = {"ok": True, "protocol": s.version(), "cipher": s.cipher()[0], "alpn": s.selected_alpn_protocol(),
                   "chain": [base64.b64encode(c).decode() for c in _chain(s)]}
except Exception as e:
    out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
print(json.dumps(out))
"""
_TLS_CHAIN = r"""
def _chain(s):
    try:
        return [c.public_bytes() if hasattr(c, "public_bytes") else c for c in s.get_unverified_chain()]
    except AttributeError:
        return [s.getpeercert(binary_form=True)]
"""


def lab_host(name):
    """testinfra host for a lab container, through `podman exec` (fast, in-host)."""
    return testinfra.get_host("podman://" + name)


def tcp_state(src, address, port, timeout=3):
    """From host `src`, connect to address:port: OPEN, CLOSED (refused) or FILTERED (no answer)."""
    rc = src.check_output(_TCP.format(t=timeout, a=address, p=int(port))).strip()
    return {"0": OPEN, "124": FILTERED}.get(rc, CLOSED)


def tcp_states(src, targets, timeout=2):
    """tcp_state for many (address, port) targets, probed in parallel from `src` in one command,
    so that filtered ports cost the timeout once rather than once each."""
    probes = " ".join(
        "( timeout {t} bash -c 'exec 3<>/dev/tcp/{a}/{p}' 2>/dev/null; echo {a} {p} $? ) &".format(
            t=timeout, a=a, p=int(p)
        )
        for a, p in targets
    )
    states = {}
    for line in src.check_output(probes + " wait").splitlines():
        address, port, rc = line.split()
        states[(address, int(port))] = {"0": OPEN, "124": FILTERED}.get(rc, CLOSED)
    return states


@dataclass
class Handshake:
    ok: bool
    protocol: str = ""
    cipher: str = ""
    alpn: str = ""
    chain: tuple = ()
    error: str = ""

    def certificates(self):
        """The peer's chain as `cryptography` certificates (leaf first)."""
        from cryptography import x509

        return [x509.load_der_x509_certificate(der) for der in self.chain]


def tls_handshake(src, address, port, server_name="", alpn="", max_version=""):
    """From host `src`, a TLS handshake with address:port; no verification, all facts returned."""
    script = _TLS_CHAIN + _TLS
    args = [script, address, str(int(port)), server_name, alpn, max_version]
    cmd = "python3 -c " + " ".join(shlex.quote(a) for a in args)
    data = json.loads(src.check_output(cmd))
    if not data.get("ok"):
        return Handshake(ok=False, error=data.get("error", ""))
    return Handshake(
        ok=True,
        protocol=data["protocol"],
        cipher=data["cipher"],
        alpn=data.get("alpn") or "",
        chain=tuple(base64.b64decode(c) for c in data["chain"]),
    )


def http_status(src, url, timeout=5):
    """From host `src`, the HTTP status of a GET (0 when no HTTP answer came back)."""
    out = src.run(f"curl -sk -o /dev/null -m {int(timeout)} -w '%{{http_code}}' {shlex.quote(url)}")
    return int(out.stdout.strip() or 0)


def listeners(host, process=None):
    """TCP listeners on a host as (address, port, process) from `ss -ltnpH`."""
    result = []
    for line in host.check_output("ss -ltnpH").splitlines():
        fields = line.split()
        local, procs = fields[3], " ".join(fields[5:])
        addr, port = local.rsplit(":", 1)
        addr = addr.strip("[]").split("%")[0]
        name = procs.split('"')[1] if '"' in procs else ""
        if process is None or name == process:
            result.append((addr, int(port), name))
    return result
