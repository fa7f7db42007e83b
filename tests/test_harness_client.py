"""The replay's HTTP client against a real server: kept connections, closed ones, repeated headers, no answer."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from acr_fidelity.harness.client import Client, SendError


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the answer says close

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"{self.path} on {self.client_address[1]}".encode()
        self.send_response(200)
        self.send_header("X-Multi", "a")
        self.send_header("x-multi", "b")
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/drop":
            self.close_connection = True  # closed after the answer, unannounced, as an idle timeout would
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_one_connection_is_kept_and_repeated_headers_are_joined(base: str) -> None:
    client = Client(timeout=10)
    first = client.send("GET", f"{base}/one?x=1")
    second = client.send("GET", f"{base}/two")
    assert first.status == 200 and first.body.startswith("/one?x=1 on ")
    assert first.body.split(" on ")[1] == second.body.split(" on ")[1]  # the same client port: one connection
    assert first.headers["X-Multi"] == "a, b" and first.header("x-multi") == "a, b"
    client.close()


def test_a_kept_connection_the_server_closed_is_opened_again(base: str) -> None:
    client = Client(timeout=10)
    dropped = client.send("GET", f"{base}/drop")
    time.sleep(0.2)  # the server's close reaches the client
    after = client.send("GET", f"{base}/after")
    assert after.status == 200 and after.body.split(" on ")[1] != dropped.body.split(" on ")[1]
    client.close()


def test_no_answer_is_a_send_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the connection is refused
        with pytest.raises(SendError, match="GET http://127.0.0.1"):
            Client(timeout=5).send("GET", f"http://127.0.0.1:{port}/")
    with pytest.raises(SendError, match="not an HTTP URL"):
        Client(timeout=5).send("GET", "ftp://127.0.0.1/")
