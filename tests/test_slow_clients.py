"""Slow and stalled clients on the ARM port: each is closed within its documented bound while everyone else is
served (issue 10). The bounds are shortened here; the README gives the real ones."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from acr_fidelity.server import RunningServer
from tests.conftest import SUBSCRIPTION, start

BOUND = 1.5  # seconds, for the head, the body and the first byte alike in these tests
SLACK = 5.0  # the most a closed connection may take past its bound before a recv here gives up


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setattr("acr_fidelity.server.ARM_HEAD_TIMEOUT", BOUND)
    monkeypatch.setattr("acr_fidelity.server.ARM_BODY_TIMEOUT", BOUND)
    monkeypatch.setattr("acr_fidelity.tls.server.FIRST_BYTE_TIMEOUT", BOUND)
    with start() as running:
        yield running


def _connect(server: RunningServer) -> socket.socket:
    host, port = server.url.split("://", 1)[1].split(":")
    return socket.create_connection((host, int(port)), timeout=BOUND + SLACK)


def _closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closes the connection (recv sees the end) before this socket's timeout."""
    try:
        while connection.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def _stalled_clients(server: RunningServer) -> list[socket.socket]:
    path = f"/subscriptions/{SUBSCRIPTION}/resourcegroups/rg1?api-version=2021-04-01"
    openers = [
        b"",  # connects and says nothing
        b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nX-Slow: ",  # slowloris: a head that never ends
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # half a TLS ClientHello
        f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{\"location\"".encode(),  # a body that stops
    ]
    clients = []
    for opener in openers * 5:
        connection = _connect(server)
        if opener:
            connection.sendall(opener)
        clients.append(connection)
    return clients


def test_stalled_connections_are_closed_and_others_served_meanwhile(server: RunningServer) -> None:
    clients = _stalled_clients(server)
    session = requests.Session()
    for _ in range(20):  # while all of them hang on, plain HTTP and HTTPS requests are answered
        assert session.get(server.url + "/_emulator/health", timeout=10).ok
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(_connect(server).getpeername(), timeout=10) as raw, \
            context.wrap_socket(raw) as secure:
        secure.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert secure.recv(100).startswith(b"HTTP/1.1 200 ")
    for connection in clients:
        with connection:
            assert _closed_by_server(connection)


def test_a_head_dripped_a_byte_at_a_time_is_cut_off_at_the_bound(server: RunningServer) -> None:
    """The head's bound is a deadline, not an idle timer: a client that keeps sending still has to finish."""
    connection = _connect(server)
    dripping = threading.Event()

    def drip() -> None:
        connection.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + BOUND + SLACK
        while time.monotonic() < deadline:
            try:
                connection.sendall(b"X")
            except OSError:
                return
            time.sleep(0.1)
        dripping.set()  # still accepted after bound + slack: the server never cut it off

    sender = threading.Thread(target=drip, daemon=True)
    sender.start()
    with connection:
        assert _closed_by_server(connection)
    sender.join(timeout=BOUND + SLACK + 1)
    assert not dripping.is_set()
