"""The foundation's proof: from the client host, exactly the configured listeners answer."""

import pytest
from labprobe import CLOSED, OPEN, http_status, listeners, tcp_state, tls_handshake

SERVER, CLIENT = "fl-lab-server", "fl-lab-client"
MGMT, APP = "10.89.10.10", "10.89.11.10"

# (address, port): what a client must see. Everything the stand-in could open
# (9000, 9443, 4317, 4318) on both of the server's addresses.
EXPECTED = {
    (APP, 9000): OPEN,
    (MGMT, 9000): CLOSED,
    (MGMT, 9443): OPEN,
    (APP, 9443): CLOSED,
    (MGMT, 4317): CLOSED,
    (APP, 4317): CLOSED,
    (MGMT, 4318): CLOSED,
    (APP, 4318): CLOSED,
}


@pytest.mark.parametrize(("address", "port"), sorted(EXPECTED))
def test_port_from_client(lab, address, port):
    assert tcp_state(lab(CLIENT), address, port) == EXPECTED[(address, port)]


def test_server_listens_only_where_configured(lab):
    assert sorted(listeners(lab(SERVER), "flopsar-server")) == [
        (MGMT, 9443, "flopsar-server"),
        (APP, 9000, "flopsar-server"),
    ]


def test_ui_speaks_tls13_with_the_lab_certificate(lab):
    hs = tls_handshake(lab(CLIENT), MGMT, 9443)
    assert hs.ok, hs.error
    assert hs.protocol == "TLSv1.3"
    leaf = hs.certificates()[0]
    assert leaf.subject.rfc4514_string() == "CN=fl-lab-server"


def test_ui_accepts_tls12_and_answers_https(lab):
    assert tls_handshake(lab(CLIENT), MGMT, 9443, max_version="TLSv1_2").protocol == "TLSv1.2"
    assert http_status(lab(CLIENT), f"https://{MGMT}:9443/") == 200


def test_plain_http_to_ui_gets_no_answer(lab):
    assert http_status(lab(CLIENT), f"http://{MGMT}:9443/") == 0
