"""The one dispatcher of ARM requests (a Tornado message delegate): normalizes the path, finds the route, applies
ARM's checks (auth, api-version, provider registration, body size) in ARM's order, calls the route's handler and
writes its answer. Every error, including unknown paths, wrong verbs and unexpected failures, leaves through the ARM
envelope."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import random
import re
import time
from collections.abc import Awaitable
from urllib.parse import urlsplit

import tornado.httputil

from acr_fidelity.accesslog import log_answer
from acr_fidelity.arm.errors import ArmError
from acr_fidelity.arm.http import NO_BODY, ArmRequest, ArmResponse, JsonText, bearer_token, json_text
from acr_fidelity.arm.routes import Route, Versioning, match
from acr_fidelity.emulator import Emulator
from acr_fidelity.identity.tokens import GUID, TokenRejected
from acr_fidelity.registry.errors import DomainError
from acr_fidelity.registry.locations import REGIONS

log = logging.getLogger("acr_fidelity.arm")


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    """The Date header, formatted once a second rather than once an answer."""
    return tornado.httputil.format_timestamp(second)


def _request_id() -> str:
    """A random id in a GUID's shape, as ARM's x-ms-request-id (it identifies, it guards nothing: no need for the
    operating system's randomness, which costs more than the rest of a GET's headers)."""
    digits = f"{random.getrandbits(128):032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# ARM's bounds on a request's head; Tornado itself cuts off (unanswered) a head over server.ARM_HEAD_LIMIT.
MAX_URL_BYTES = 16 * 1024
MAX_HEADER_BYTES = 64 * 1024


def _argument(value: bytes) -> str:
    """A query argument as text, read as Tornado's handlers read them: control characters blanked, the ends
    stripped (bytes that are not UTF-8 become U+FFFD, so an unsupported api-version says which it was)."""
    return _CONTROL_CHARACTERS.sub(" ", value.decode("utf-8", "replace")).strip()


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _oversized(request: tornado.httputil.HTTPServerRequest) -> ArmError | None:
    """414 for a long URL, 431 for a header block over the bound, before anything else is read."""
    if len(request.uri or "") > MAX_URL_BYTES:
        return ArmError("RequestUriTooLong", size=len(request.uri or ""), limit=MAX_URL_BYTES)
    size = sum(len(name) + len(value) + 4 for name, value in request.headers.get_all())
    if size > MAX_HEADER_BYTES:
        return ArmError("RequestHeaderFieldsTooLarge", size=size, limit=MAX_HEADER_BYTES)
    return None


class ArmServer(tornado.httputil.HTTPServerConnectionDelegate):
    """What Tornado's HTTP server hands each request to. The dispatcher is a bare message delegate rather than a
    `RequestHandler`: routing is the route table's, and the handler machinery (default headers, output transforms,
    buffered writes) cost as much per GET as everything the emulator does for it."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def start_request(self, server_conn: object,
                      request_conn: tornado.httputil.HTTPConnection) -> tornado.httputil.HTTPMessageDelegate:
        return ArmDispatcher(self.emulator, server_conn, request_conn)


class ArmDispatcher(tornado.httputil.HTTPMessageDelegate):
    """One request: its head, its body as it arrives (kept only up to the limit; a larger one is refused as it
    arrives), then the answer."""

    def __init__(self, emulator: Emulator, server_conn: object,
                 connection: tornado.httputil.HTTPConnection) -> None:
        self.emulator = emulator
        self._server_conn = server_conn
        self.connection = connection
        self.request: tornado.httputil.HTTPServerRequest
        self._body = bytearray()
        self._received = 0  # the body's size so far, kept or not
        self._answered = False
        self._later: asyncio.Future[None] | None = None  # an answer awaited off the synchronous path, kept alive

    def headers_received(self, start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
                         headers: tornado.httputil.HTTPHeaders) -> None:
        assert isinstance(start_line, tornado.httputil.RequestStartLine)
        self.request = tornado.httputil.HTTPServerRequest(
            connection=self.connection, server_connection=self._server_conn, start_line=start_line, headers=headers)
        oversized = _oversized(self.request)
        if oversized is not None:
            self._write(self._error(oversized))
            return
        declared = headers.get("Content-Length", "")
        if not declared.isdigit() or int(declared) <= self.emulator.settings.max_body_bytes:
            return
        if headers.get("Expect", "").lower() == "100-continue":
            # The client waits before sending: refuse now, and it never sends the body.
            self._write(self._error(self._too_large(int(declared))))
        else:
            # Closing on a client still sending loses the answer to a reset: read the body, keeping none of it.
            self.connection.set_max_body_size(int(declared))

    def data_received(self, chunk: bytes) -> None:
        limit = self.emulator.settings.max_body_bytes
        self._received += len(chunk)
        if self._received <= limit:
            self._body += chunk
        elif self._received - len(chunk) <= limit:  # just passed the limit
            self._body = bytearray()
            self.connection.set_max_body_size(2**63)  # a chunked body: the body timeout bounds it

    def finish(self) -> None:
        """The whole request is in: answer it, at once for the handlers that answer at once (a coroutine per
        request costs a busy emulator); a handler's awaitable is awaited off this path."""
        if self._answered:  # refused before the body was sent
            return
        try:
            answer = self._dispatch()
        except Exception as exc:  # noqa: BLE001 - every failure is answered in the envelope (_failure)
            answer = self._failure(exc)
        if inspect.isawaitable(answer):
            self._later = asyncio.ensure_future(self._finish_later(answer))
        else:
            self._write(answer)

    def _too_large(self, size: int) -> ArmError:
        return ArmError("RequestEntityTooLarge", size=size, limit=self.emulator.settings.max_body_bytes)

    async def _finish_later(self, pending: Awaitable[ArmResponse]) -> None:
        try:
            answer = await pending
        except Exception as exc:  # noqa: BLE001 - as for answers given at once
            answer = self._failure(exc)
        self._write(answer)

    def _failure(self, exc: Exception) -> ArmResponse:
        """ARM's answer to a failure: the model's and ARM's codes as they are, anything else the safety net's
        (logged, answered in the envelope, the emulator keeps serving)."""
        if isinstance(exc, DomainError):
            return self._error(ArmError.from_domain(exc))
        if isinstance(exc, ArmError):
            return self._error(exc)
        log.error("unhandled %s %s", self.request.method, self.request.uri, exc_info=exc)
        return self._error(ArmError("UnhandledRequest", detail=type(exc).__name__))

    def _path(self) -> str:
        path = self.request.path
        if path.lower().startswith(("http://", "https://")):  # an absolute-form target (RFC 9112 3.2.2)
            path = urlsplit(path).path or "/"
        path = re.sub(r"/{2,}", "/", path)
        return path.rstrip("/") if len(path) > 1 else path

    def _dispatch(self) -> ArmResponse | Awaitable[ArmResponse]:
        path = self._path()
        route, params = match(self.request.method or "GET", path)
        settings = self.emulator.settings
        authorization = self.request.headers.get("Authorization", "")
        if route.auth and (settings.require_auth or settings.verify_tokens):
            if not authorization:
                raise ArmError("AuthenticationFailed")
            token = bearer_token(authorization)
            if token is None:
                raise ArmError("InvalidAuthenticationTokenFormat")
            if settings.verify_tokens:
                try:
                    self.emulator.identity.verify(token)
                except TokenRejected as exc:
                    raise ArmError(exc.code, message=exc.message) from None
        subscription = params.get("subscriptionId")
        if subscription is not None and not GUID.match(subscription):
            raise ArmError("InvalidSubscriptionId", subscriptionId=subscription)
        if self._received > settings.max_body_bytes:
            raise self._too_large(self._received)
        if route.versioning is not Versioning.NONE and self._body.strip():
            media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
            if media_type.lower() != "application/json":  # ARM reads a body only as JSON, as az rest users found
                raise ArmError("UnsupportedMediaType", mediaType=media_type or "<null>")
        query = {k.lower(): _argument(values[-1]) for k, values in self.request.query_arguments.items()}
        request = ArmRequest(
            emulator=self.emulator,
            method=self.request.method or "GET",
            path=path,
            params=params,
            query=query,
            body=bytes(self._body),
            base_url=f"{self.request.protocol}://{self.request.host}",
            headers=self.request.headers,
        )
        self._check_version(route, request)
        if route.provider and not settings.acr_enabled:
            raise ArmError("MissingSubscriptionRegistration")
        answer = route.handler(request)
        if inspect.isawaitable(answer):  # a handler that must wait (on Docker, say) does so off the event loop
            return answer
        if request.method == "HEAD" and route.method == "GET" and answer.status == 200:
            return ArmResponse(204)
        return answer

    def _check_version(self, route: Route, request: ArmRequest) -> None:
        if route.versioning is Versioning.NONE:
            return
        version = request.api_version
        if not version:
            raise ArmError("MissingApiVersionParameter")
        if route.versioning is Versioning.REGISTRY and not self.emulator.table.is_supported(version):
            raise ArmError(
                "NoRegisteredProviderFound",
                location=self._location_hint(request),
                apiVersion=version,
                supported=self.emulator.table.versions,
                locations=REGIONS,
            )

    def _location_hint(self, request: ArmRequest) -> str:
        """ARM names the location of the request in its api-version error: the body's, else the group's."""
        try:
            location = request.json().get("location")
        except ArmError:
            location = None
        if isinstance(location, str) and location:
            return location
        group = request.params.get("resourceGroupName")
        if group:
            try:
                return self.emulator.backend.get_resource_group(request.params["subscriptionId"], group)["location"]
            except DomainError:
                pass
        return "global"

    @staticmethod
    def _error(error: ArmError) -> ArmResponse:
        allow = error.params.get("allow")
        return ArmResponse(error.status, error.envelope(), {"Allow": ", ".join(allow)} if allow else {})

    def _write(self, response: ArmResponse) -> None:
        if self._answered:
            return
        self._answered = True
        request_id = _request_id()
        headers = tornado.httputil.HTTPHeaders({
            "Date": _http_date(int(time.time())),
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": request_id,
            "Cache-Control": "no-cache",
        })
        content = b""
        if response.body is not NO_BODY and self.request.method != "HEAD" and response.status != 204:
            if isinstance(response.body, str):
                content = response.body.encode()  # a text answer (a PEM) with its own Content-Type
            else:
                headers["Content-Type"] = "application/json; charset=utf-8"
                content = response.body if isinstance(response.body, JsonText) else json_text(response.body)
        for name, value in response.headers.items():
            headers[name] = value
        if response.status != 204:
            headers["Content-Length"] = str(len(content))
        status = response.status
        reason = tornado.httputil.responses.get(status, "Unknown")
        self.connection.write_headers(tornado.httputil.ResponseStartLine("HTTP/1.1", status, reason), headers,
                                      content or None)
        self.connection.finish()
        log_answer(status, self.request)
