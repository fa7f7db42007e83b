"""The access log, one line per answer, for the ARM server and the front door alike."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import tornado.httputil
import tornado.log

if TYPE_CHECKING:
    import tornado.web


def log_answer(status: int, request: tornado.httputil.HTTPServerRequest) -> None:
    """Answers below 400 at DEBUG (a line per request costs a busy emulator a tenth of its rate), client errors at
    WARNING and server errors at ERROR, as Tornado logs them."""
    level = logging.DEBUG if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if tornado.log.access_log.isEnabledFor(level):
        tornado.log.access_log.log(level, "%d %s %s (%s) %.2fms", status, request.method, request.uri,
                                   request.remote_ip, 1000.0 * request.request_time())


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's `log_function` for an Application."""
    log_answer(handler.get_status(), handler.request)
