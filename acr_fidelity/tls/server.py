"""An HTTPServer that speaks plain HTTP and HTTPS on the same port.

It peeks at the first byte of each connection: 0x16 opens a TLS handshake, anything else is HTTP. With one of the
two turned off, the wrong one gets a protocol-correct refusal (an HTTP 400 in the ARM envelope, or a TLS alert)
instead of a hang. Connections that never send a byte are closed after a timeout; none of this blocks the others.
"""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any

import tornado.httpserver
import tornado.iostream
from tornado.ioloop import IOLoop

TLS_HANDSHAKE = 0x16
FIRST_BYTE_TIMEOUT = 10.0
# A fatal TLS alert record: handshake_failure (40), for a TLS hello on an HTTP-only port.
TLS_HANDSHAKE_FAILURE = bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28])


def _http_only_https_refusal() -> bytes:
    body = json.dumps({"error": {"code": "HttpsRequired",
                                 "message": "This endpoint accepts HTTPS only: use https:// for this port."}})
    return (f"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()


class _DrainingSSLIOStream(tornado.iostream.SSLIOStream):
    """Reads every TLS record already received in one call. OpenSSL hands over one record (16 KiB at most) per
    read, so Tornado's stream would deliver an upload in 16 KiB pieces, each relayed with a write of its own:
    a TLS push cost the front door four times the CPU of a plain one."""

    def read_from_fd(self, buf: bytearray | memoryview) -> int | None:
        first = super().read_from_fd(buf)
        if not first:
            return first  # nothing yet (None), or the end (0)
        view, total = memoryview(buf), first
        try:
            while total < len(view):
                more = super().read_from_fd(view[total:])
                if not more:
                    break
                total += more
        except OSError:
            pass  # what was read is delivered; the next read meets the failure again and closes the stream
        finally:
            view.release()
        return total


class DualProtocolServer(tornado.httpserver.HTTPServer):
    def initialize(self, *args: Any, tls: ssl.SSLContext | None = None, plain: bool = True,
                   read_size: int | None = None, **kwargs: Any) -> None:
        """`read_size`: the most each read from a client takes (Tornado's default: `chunk_size`, else 64 KiB).
        Tornado allocates and zeroes that much for every read, however little arrives."""
        super().initialize(*args, idle_connection_timeout=kwargs.pop("idle_connection_timeout", 60), **kwargs)
        self._tls = tls
        self._plain = plain
        if read_size is not None:
            self.read_chunk_size = read_size

    def _handle_connection(self, connection: socket.socket, address: Any) -> None:
        loop = IOLoop.current()
        fd = connection.fileno()

        def give_up() -> None:
            loop.remove_handler(fd)
            connection.close()

        timeout = loop.call_later(FIRST_BYTE_TIMEOUT, give_up)

        def readable(_fd: int, _events: int) -> None:
            loop.remove_handler(fd)
            loop.remove_timeout(timeout)
            try:
                first = connection.recv(1, socket.MSG_PEEK)
            except BlockingIOError:
                loop.add_handler(fd, readable, IOLoop.READ)
                return
            except OSError:
                connection.close()
                return
            if not first:
                connection.close()
            elif first[0] == TLS_HANDSHAKE:
                self._start_tls(connection, address)
            else:
                self._start_plain(connection, address)

        loop.add_handler(fd, readable, IOLoop.READ)

    def _start_tls(self, connection: socket.socket, address: Any) -> None:
        if self._tls is None:
            self._refuse(connection, TLS_HANDSHAKE_FAILURE)
            return
        wrapped = self._tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        stream = _DrainingSSLIOStream(wrapped, ssl_options=self._tls, max_buffer_size=self.max_buffer_size,
                                      read_chunk_size=self.read_chunk_size)
        self.handle_stream(stream, address)

    def _start_plain(self, connection: socket.socket, address: Any) -> None:
        if not self._plain:
            self._refuse(connection, _http_only_https_refusal())
            return
        stream = tornado.iostream.IOStream(connection, max_buffer_size=self.max_buffer_size,
                                           read_chunk_size=self.read_chunk_size)
        self.handle_stream(stream, address)

    @staticmethod
    def _refuse(connection: socket.socket, answer: bytes) -> None:
        stream = tornado.iostream.IOStream(connection)
        stream.write(answer).add_done_callback(lambda _: stream.close())
