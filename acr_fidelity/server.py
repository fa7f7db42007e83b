"""Build the Tornado application and serve it, in the foreground or on a background thread."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass

import tornado.httpserver
import tornado.netutil

from acr_fidelity.arm.dispatcher import ArmServer
from acr_fidelity.background import BackgroundServer, start_background
from acr_fidelity.config import Settings
from acr_fidelity.emulator import Emulator, build_emulator
from acr_fidelity.tls.server import DualProtocolServer

# The ARM dispatcher answers 413 as soon as a body passes max-body-bytes and keeps nothing beyond; Tornado drops
# chunked bodies above this outright. An ARM body still arriving after the timeout gets its connection closed.
_TRANSPORT_BODY_LIMIT = 64 * 1024 * 1024
ARM_BODY_TIMEOUT = 30.0
# A request's head (request line and headers) must arrive within ARM_HEAD_TIMEOUT of the connection opening or of
# the previous answer, else the connection is closed. Heads up to ARM_HEAD_LIMIT reach the dispatcher, which
# answers 414/431 above ARM's own bounds; a larger head is cut off unanswered.
ARM_HEAD_TIMEOUT = 60.0
ARM_HEAD_LIMIT = 1024 * 1024


def make_app(emulator: Emulator) -> ArmServer:
    return ArmServer(emulator)


def _listen(emulator: Emulator, sockets: list[socket.socket],
            frontdoor_sockets: list[socket.socket]) -> list[tornado.httpserver.HTTPServer]:
    """HTTP and HTTPS on the same sockets, as the settings allow; the data plane's front door beside ARM."""
    tls = emulator.certificate.server_context() if emulator.certificate is not None else None
    server = DualProtocolServer(make_app(emulator), max_body_size=_TRANSPORT_BODY_LIMIT,
                                body_timeout=ARM_BODY_TIMEOUT, idle_connection_timeout=ARM_HEAD_TIMEOUT,
                                max_header_size=ARM_HEAD_LIMIT, tls=tls,
                                plain=emulator.settings.http_enabled)
    server.add_sockets(sockets)
    if frontdoor_sockets:
        from acr_fidelity.frontdoor.app import frontdoor_server

        context = emulator.certificate.server_context() if emulator.certificate is not None else None
        frontdoor = frontdoor_server(emulator, context)
        frontdoor.add_sockets(frontdoor_sockets)
        return [server, frontdoor]
    return [server]


def _frontdoor_sockets(emulator: Emulator, host: str) -> list[socket.socket]:
    port = emulator.dataplane.public_port
    return tornado.netutil.bind_sockets(port, host) if port is not None else []


def serve(settings: Settings) -> None:
    """Run until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    emulator = build_emulator(settings)

    async def main() -> None:
        sockets = tornado.netutil.bind_sockets(settings.port, settings.host)
        _listen(emulator, sockets, _frontdoor_sockets(emulator, settings.host))
        schemes = [s for s, on in (("http", settings.http_enabled), ("https", settings.https_enabled)) if on]
        logging.getLogger("acr_fidelity").info(
            "ARM endpoint on %s, port %d (data plane: %s)%s", " and ".join(schemes), settings.port,
            emulator.dataplane.health(),
            f"; certificate {emulator.certificate.cert}" if emulator.certificate else "")
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        emulator.close()


@dataclass
class RunningServer:
    url: str  # http:// (or https:// when plain HTTP is off)
    emulator: Emulator
    background: BackgroundServer

    @property
    def https_url(self) -> str:
        return "https://" + self.url.split("://", 1)[1]

    def stop(self) -> None:
        self.background.stop()
        self.emulator.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(settings: Settings) -> RunningServer:
    """Serve on a background thread (port 0 picks a free port): for tests and the in-process harness."""
    emulator = build_emulator(settings)
    sockets = tornado.netutil.bind_sockets(settings.port, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    frontdoor = _frontdoor_sockets(emulator, "127.0.0.1")
    background = start_background(lambda: _listen(emulator, sockets, frontdoor), "acr-fidelity-server")
    scheme = "http" if settings.http_enabled else "https"
    return RunningServer(f"{scheme}://127.0.0.1:{port}", emulator, background)
