"""A recording proxy (Tornado): forwards every request to an upstream ARM endpoint and writes a vcrpy cassette.

The cassette is rewritten after each exchange (so a killed proxy loses nothing) and once more at shutdown.
Links in answers (Azure-AsyncOperation, Location, nextLink) are pointed back at the proxy so polls are recorded too;
the cassette keeps the upstream's URLs, which is what replay follows links by.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web
from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request
from vcr.serializers import jsonserializer, yamlserializer

from acr_fidelity.background import BackgroundServer, start_background
from acr_fidelity.harness.sanitize import scrub_body, scrub_headers, scrub_text
from acr_fidelity.tls.server import DualProtocolServer

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
               "host", "content-length", "accept-encoding", "content-encoding"}


@dataclass
class Recorder:
    upstream: str
    out: Path
    ca_certs: str | None = None  # the bundle that verifies an HTTPS upstream (the emulator's own certificate)
    requests: list[Request] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request, response: dict) -> None:
        with self.lock:
            self.requests.append(request)
            self.responses.append(response)
            self.save()

    def save(self) -> None:
        serializer = jsonserializer if self.out.suffix.lower() == ".json" else yamlserializer
        tmp = self.out.with_suffix(self.out.suffix + ".tmp")
        FilesystemPersister.save_cassette(tmp, {"requests": self.requests, "responses": self.responses}, serializer)
        tmp.replace(self.out)  # atomic: a reader never sees half a cassette


class ProxyHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def initialize(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def _forward(self) -> None:
        upstream = self.recorder.upstream.rstrip("/")
        url = upstream + self.request.uri
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in _HOP_BY_HOP}
        body = self.request.body or None
        if body is None and self.request.method in ("POST", "PUT", "PATCH"):
            body = b""
        client = tornado.httpclient.AsyncHTTPClient()
        resp = await client.fetch(url, method=self.request.method, headers=headers, body=body,
                                  follow_redirects=False, raise_error=False, allow_nonstandard_methods=True,
                                  decompress_response=True, request_timeout=120,
                                  ca_certs=self.recorder.ca_certs)
        if resp.code == 599:  # no answer from upstream
            self.set_status(502)
            self.finish({"error": {"code": "UpstreamUnavailable", "message": str(resp.error)}})
            return
        text = resp.body.decode("utf-8", errors="replace") if resp.body else ""
        self._record(url, headers, text, resp)
        self.set_status(resp.code, resp.reason)
        proxy_base = f"{self.request.protocol}://{self.request.host}"  # as the client reached us: http or https
        seen: set[str] = set()
        for name, value in resp.headers.get_all():
            if name.lower() in _HOP_BY_HOP or name.lower() == "server":
                continue
            # set first (replacing Tornado's defaults such as Content-Type), add repeats
            (self.add_header if name.lower() in seen else self.set_header)(name, value.replace(upstream, proxy_base))
            seen.add(name.lower())
        if "content-type" not in seen:
            self.clear_header("Content-Type")
        if text and self.request.method != "HEAD":
            self.write(text.replace(upstream, proxy_base))
        self.finish()

    def _record(self, url: str, headers: dict[str, str], text: str, resp: tornado.httpclient.HTTPResponse) -> None:
        req_headers: dict[str, list[str]] = {}
        for k, v in headers.items():
            req_headers.setdefault(k, []).append(v)
        req_body = (self.request.body or b"").decode("utf-8", errors="replace")
        request = Request(self.request.method, scrub_text(url),
                          scrub_body(req_body, headers.get("Content-Type")) or None,
                          {k: v[0] for k, v in scrub_headers(req_headers).items()})
        resp_headers: dict[str, list[str]] = {}
        for k, v in resp.headers.get_all():
            if k.lower() not in ("transfer-encoding", "content-encoding"):
                resp_headers.setdefault(k, []).append(v)
        response = {
            "status": {"code": resp.code, "message": resp.reason},
            "headers": scrub_headers(resp_headers),
            "body": {"string": scrub_body(text, resp.headers.get("Content-Type"))},
        }
        self.recorder.add(request, response)

    get = head = post = delete = patch = put = options = _forward  # type: ignore[assignment]


def make_app(recorder: Recorder) -> tornado.web.Application:
    return tornado.web.Application([(r".*", ProxyHandler, {"recorder": recorder})])


def _server(recorder: Recorder, tls: ssl.SSLContext | None) -> tornado.httpserver.HTTPServer:
    """HTTP and, with a certificate, HTTPS on one port, like the emulator: HTTPS-only clients (az) record too."""
    return DualProtocolServer(make_app(recorder), tls=tls)


@dataclass
class RunningProxy:
    url: str
    recorder: Recorder
    background: BackgroundServer

    def stop(self) -> None:
        self.background.stop()
        with self.recorder.lock:
            self.recorder.save()

    def __enter__(self) -> RunningProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind(port: int, host: str) -> tuple[list[socket.socket], str]:
    sockets = tornado.netutil.bind_sockets(port, host)
    bound = sockets[0].getsockname()[1]
    return sockets, f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{bound}"


def start_proxy_in_thread(upstream: str, out: Path, port: int = 0, host: str = "127.0.0.1",
                          tls: ssl.SSLContext | None = None, ca_certs: str | None = None) -> RunningProxy:
    """The proxy on a background thread (port 0 picks one): for tests and embedding."""
    recorder = Recorder(upstream, Path(out), ca_certs)
    sockets, url = _bind(port, host)

    def build() -> list[tornado.httpserver.HTTPServer]:
        server = _server(recorder, tls)
        server.add_sockets(sockets)
        return [server]

    return RunningProxy(url, recorder, start_background(build, "acr-fidelity-recorder"))


def serve_proxy(upstream: str, out: Path, port: int, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None,
                ca_certs: str | None = None) -> int:
    """Run in the foreground until SIGINT or SIGTERM, then write the cassette a last time."""
    recorder = Recorder(upstream, Path(out), ca_certs)
    sockets, url = _bind(port, host)

    async def main() -> None:
        server = _server(recorder, tls)
        server.add_sockets(sockets)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        also = f" and {url.replace('http://', 'https://')}" if tls else ""
        print(f"recording {upstream} through {url}{also} into {out} (Ctrl-C to stop)", flush=True)
        await stop.wait()
        server.stop()
        await server.close_all_connections()

    asyncio.run(main())
    with recorder.lock:
        recorder.save()
    print(f"wrote {len(recorder.requests)} interaction(s) to {out}", flush=True)
    return 0
