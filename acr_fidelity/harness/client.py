"""The replay's HTTP client: the standard library's http.client, one kept connection per target, each request sent
as given (nothing added but Host and Content-Length).

A replay sends hundreds of requests, and a requests.Session spends more on each than the emulator does answering
it (1.1 ms against 0.5 ms with http.client, for a GET of the in-process emulator). HTTPS targets are verified
against REQUESTS_CA_BUNDLE or SSL_CERT_FILE when set, as the Azure clients verify them; proxies are not used, the
target being an emulator.
"""

from __future__ import annotations

import functools
import http.client
import os
import select
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from acr_fidelity.harness.diff import Response


class SendError(Exception):
    """No answer: the connection failed, timed out or was cut."""


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """A kept connection the server has closed (or has sent something unasked on) since its last answer."""
    return connection.sock is not None and bool(select.select([connection.sock], [], [], 0)[0])


@functools.cache
def _tls(cafile: str | None) -> ssl.SSLContext:
    """One context per CA file for the whole run: a replay makes a client per cassette, and loading the system's
    CA store costs more than a request."""
    return ssl.create_default_context(cafile=cafile)


class Client:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        connection = self._connections.get((scheme, netloc))
        if connection is not None and _dropped(connection):
            connection.close()  # http.client opens it again for the next request
        if connection is None:
            if scheme == "https":
                cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or None
                connection = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=_tls(cafile))
            elif scheme == "http":
                connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
            else:
                raise SendError(f"not an HTTP URL: {scheme}://{netloc}")
            self._connections[(scheme, netloc)] = connection
        return connection

    def send(self, method: str, url: str, body: bytes | None = None,
             headers: Mapping[str, str] | None = None) -> Response:
        parts = urlsplit(url)
        connection = self._connection(parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(method, target, body=body, headers=dict(headers or {}))
            answer = connection.getresponse()
            content = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise SendError(f"{method} {url}: {exc or type(exc).__name__}") from exc
        received: dict[str, str] = {}
        for name, value in answer.getheaders():  # a repeated header is one, its values joined (RFC 9110 5.3)
            key = next((k for k in received if k.lower() == name.lower()), name)
            received[key] = f"{received[key]}, {value}" if key in received else value
        return Response(answer.status, received, content.decode("utf-8", "replace"))

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
