"""The one Tornado handler of the data-plane port: finds the route, streams relayed bodies to the registry container
(with back-pressure), buffers the small bodies of the token and `/acr/v1` endpoints, and sends every failure in the
registry's error envelope."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import unquote

import tornado.web
from tornado import gen
from tornado.httputil import HTTPInputError, parse_body_arguments
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError

from acr_fidelity.emulator import Emulator
from acr_fidelity.frontdoor import acr_v1, oauth, v2
from acr_fidelity.frontdoor.artifacts import Describer
from acr_fidelity.frontdoor.auth import Gate
from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.routes import Call, allowed_methods, match
from acr_fidelity.frontdoor.upstream import Upstream
from acr_fidelity.registry.access import DataPlaneError, registry_of_service

log = logging.getLogger("acr_fidelity.frontdoor")

# The token and /acr/v1 bodies are small forms and JSON; manifests are relayed, and ACR caps them at 4 MiB.
MAX_BUFFERED = 4 * 1024 * 1024
MAX_RELAYED = 1 << 40
# A request body that sends nothing for this long is cut off, however long it has been moving before: an upload of
# any size is fine while it moves, a stalled one must not hold the connection (and the registry's) forever.
BODY_IDLE_TIMEOUT = 60.0
# Pacing of a large body that trickles in: after PACE_AFTER bytes, a piece that came after a wait of over PACE_GAP
# (the loop had read everything there was) is followed by a pause of PACE before the next read.
PACE_AFTER = 1024 * 1024
PACE_GAP = 0.001
PACE = 0.005
MODULES = {"v2": v2, "oauth": oauth, "acr_v1": acr_v1}


@tornado.web.stream_request_body
class FrontDoor(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def initialize(self, emulator: Emulator, gate: Gate, describer: Describer) -> None:
        self.emulator = emulator
        self.gate = gate
        self.describer = describer
        self.upstream: Upstream | None = None
        self.tee: list[bytes] | None = None  # a copy of a relayed body the answer depends on (a manifest's)
        self.refused: RegistryError | DataPlaneError | None = None  # the answer, once the body is read
        self.call: Call | None = None
        self._chunks: list[bytes] = []
        self._size = 0  # of a body read whole
        self._relayed = 0  # of a body relayed as it arrives
        self._idle_watch: object | None = None
        self._last_chunk = 0.0

    def set_default_headers(self) -> None:
        self.clear_header("Content-Type")
        self.set_header("Docker-Distribution-Api-Version", "registry/2.0")

    def compute_etag(self) -> None:
        return None  # a relayed answer carries the registry's own ETag, or none

    def check_xsrf_cookie(self) -> None:
        return None

    def backend_address(self) -> tuple[str, int] | None:
        return self.emulator.dataplane.backend_address()

    async def prepare(self) -> None:
        self.request.connection.set_max_body_size(MAX_RELAYED)  # type: ignore[attr-defined]
        self._last_chunk = IOLoop.current().time()
        self._idle_watch = IOLoop.current().call_later(BODY_IDLE_TIMEOUT, self._cut_off_if_idle)
        host = self.request.host.rsplit(":", 1)[0] if not self.request.host.startswith("[") else ""
        host_registry = registry_of_service(host, self.emulator.settings.acr_login_host)
        try:
            query = {k: [v.decode(errors="replace") for v in vs] for k, vs in self.request.query_arguments.items()}
            # The SDKs percent-encode repository names and digests (library%2Fhello, sha256%3A...); az does not.
            self.call = match(self.request.method or "GET", unquote(self.request.path), host_registry, query)
            if self.call.route.streams:
                await v2.begin(self, self.call)
        except Exception as exc:  # noqa: BLE001 - unexpected failures too leave in the envelope, never as a 500
            if not isinstance(exc, RegistryError | DataPlaneError):
                exc = self._unexpected()
            length = self.request.headers.get("Content-Length", "0")
            if length.isdigit() and int(length) <= MAX_BUFFERED and "Transfer-Encoding" not in self.request.headers:
                self.refused = exc  # answered once the (small) body is read, so the connection stays usable
            else:
                self.set_header("Connection", "close")  # a large body unread: the connection ends with the answer
                self.fail(exc)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        now = IOLoop.current().time()
        gap, self._last_chunk = now - self._last_chunk, now
        if self.upstream is not None:
            if self.tee is not None and sum(map(len, self.tee)) < MAX_BUFFERED:
                self.tee.append(chunk)
            self._relayed += len(chunk)
            written = self.upstream.write(chunk)
            if written is None and self._relayed > PACE_AFTER and gap > PACE_GAP:
                # The client trickles (docker pushes as it compresses, a few KiB at a time): a short pause lets the
                # next read take many pieces at once instead of waking the loop for each, which cost a core.
                return gen.sleep(PACE)
            return written
        self._size += len(chunk)
        if self._size <= MAX_BUFFERED:
            self._chunks.append(chunk)
        return None

    async def _handle(self, *_: Any) -> None:
        self._stop_watching()  # the whole body is in
        if self.refused is not None:
            self.fail(self.refused)
            return
        assert self.call is not None
        try:
            if self._size > MAX_BUFFERED:
                raise RegistryError("BODY_TOO_LARGE", f"the body is over {MAX_BUFFERED} bytes")
            module, _, function = self.call.route.handler.partition(".")
            await getattr(MODULES[module], function)(self, self.call)
        except (RegistryError, DataPlaneError) as exc:
            self.fail(exc)
        except StreamClosedError:
            log.info("%s %s: a connection closed mid-answer", self.request.method, self.request.path)
        except Exception:  # the safety net: log it, answer in the registry's envelope, keep serving
            self.fail(self._unexpected())
        finally:
            if self.upstream is not None:
                self.upstream.close()

    get = head = post = delete = patch = put = options = _handle  # type: ignore[assignment]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Tornado's own refusals in the registry's envelope too: a method served nowhere (TRACE, made-up verbs)
        is 405 UNSUPPORTED with the path's `Allow`, a request Tornado cannot take at all a 400."""
        if status_code == 405:
            methods = allowed_methods(unquote(self.request.path)) or self.SUPPORTED_METHODS
            self.fail(RegistryError("UNSUPPORTED", f"{self.request.method} is not supported",
                                    headers={"Allow": ", ".join(methods)}))
        else:
            self.fail(RegistryError("INVALID_REQUEST", self._reason))

    def _unexpected(self) -> RegistryError:
        """An unexpected failure (in an except block): logged with its traceback, answered as unavailable."""
        log.exception("front door: %s %s", self.request.method, self.request.uri)
        return RegistryError("UNAVAILABLE", "the request could not be completed; see the emulator's log")

    def _cut_off_if_idle(self) -> None:
        idle = IOLoop.current().time() - self._last_chunk
        if idle < BODY_IDLE_TIMEOUT:
            self._idle_watch = IOLoop.current().call_later(BODY_IDLE_TIMEOUT - idle, self._cut_off_if_idle)
            return
        log.info("%s %s: the body sent nothing for %.0f s; closing", self.request.method, self.request.path, idle)
        self._idle_watch = None
        self.request.connection.close()  # type: ignore[union-attr]
        if self.upstream is not None:
            self.upstream.close()

    def _stop_watching(self) -> None:
        if self._idle_watch is not None:
            IOLoop.current().remove_timeout(self._idle_watch)
            self._idle_watch = None

    def on_connection_close(self) -> None:
        self._stop_watching()
        if self.upstream is not None:
            self.upstream.close()

    # ---- for the handlers ----------------------------------------------------------------------------------------

    def body(self) -> bytes:
        return b"".join(self._chunks)

    def form(self) -> dict[str, list[str]]:
        arguments: dict[str, list[bytes]] = {}
        try:
            parse_body_arguments(self.request.headers.get("Content-Type", "application/x-www-form-urlencoded"),
                                 self.body(), arguments, {}, self.request.headers)
        except HTTPInputError as exc:  # a multipart type without its boundary, say
            raise RegistryError("INVALID_REQUEST", f"the form cannot be read: {exc}") from None
        return {k: [v.decode(errors="replace") for v in vs] for k, vs in arguments.items()}

    def json_body(self) -> Any:
        try:
            return json.loads(self.body())
        except ValueError as exc:
            raise RegistryError("INVALID_REQUEST", f"the body is not JSON: {exc}") from None

    def send_json(self, doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        """A JSON answer; None sends no body."""
        self.set_status(status)
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        if doc is not None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            if self.request.method != "HEAD":
                self.write(json.dumps(doc).encode())
        self.finish()

    def fail(self, exc: RegistryError | DataPlaneError) -> None:
        if isinstance(exc, DataPlaneError):
            exc = RegistryError(exc.code, exc.message)
        if self._finished:
            return
        if self._headers_written:  # mid-relay: all the client can be told is that the answer is cut short
            self.request.connection.close()  # type: ignore[union-attr]
            return
        closing = self._headers.get("Connection")
        self.clear()
        if closing:
            self.set_header("Connection", closing)
        self.set_status(exc.status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        for name, value in exc.headers.items():
            self.set_header(name, value)
        if self.request.method != "HEAD":
            self.write(exc.body())
        self.finish()
