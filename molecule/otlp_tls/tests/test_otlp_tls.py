"""OTLP enabled on its own interface, gRPC over TLS: checked from the collector host."""

import pytest
from cryptography import x509
from labprobe import CLOSED, OPEN, listeners, tcp_state, tls_handshake

SERVER, COLLECTOR = "fl-otl-server", "fl-otl-collector"
MGMT, TELE = "10.89.40.10", "10.89.42.10"


@pytest.mark.parametrize(
    ("address", "port", "state"),
    [
        (TELE, 4317, OPEN),
        (TELE, 4318, OPEN),
        (MGMT, 4317, CLOSED),
        (MGMT, 4318, CLOSED),
        (TELE, 9443, CLOSED),
        (TELE, 9000, CLOSED),
        (MGMT, 9443, OPEN),
    ],
)
def test_otlp_only_on_the_telemetry_network(lab, address, port, state):
    assert tcp_state(lab(COLLECTOR), address, port) == state


def test_grpc_is_tls_with_h2_and_a_certificate_for_its_address(lab):
    hs = tls_handshake(lab(COLLECTOR), TELE, 4317, alpn="h2")
    assert hs.ok, hs.error
    assert hs.protocol in ("TLSv1.2", "TLSv1.3")
    assert hs.alpn == "h2"
    sans = hs.certificates()[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert TELE in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]


def test_otlp_http_accepts_traces(lab):
    out = lab(COLLECTOR).check_output(
        f"curl -s -o /dev/null -w '%{{http_code}}' -X POST -H 'Content-Type: application/x-protobuf' "
        f"--data-binary '' http://{TELE}:4318/v1/traces"
    )
    assert out == "200"


def test_server_listens_on_exactly_four_sockets(lab):
    found = {(a, p) for a, p, _proc in listeners(lab(SERVER), "flopsar-server")}
    assert found == {("10.89.41.10", 9000), (MGMT, 9443), (TELE, 4317), (TELE, 4318)}
