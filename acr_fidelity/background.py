"""A Tornado server on a thread and event loop of its own: the in-process emulator and the recording proxy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

import tornado.httpserver


@dataclass
class BackgroundServer:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    servers: list[tornado.httpserver.HTTPServer]

    def stop(self) -> None:
        async def shutdown() -> None:
            for server in self.servers:
                server.stop()
                await server.close_all_connections()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def start_background(build: Callable[[], list[tornado.httpserver.HTTPServer]], name: str) -> BackgroundServer:
    """Run `build` (which makes the servers and adds their sockets) on a new loop in a daemon thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, list[tornado.httpserver.HTTPServer]] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            holder["servers"] = build()
            ready.set()

        loop.run_until_complete(start())
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if not ready.wait(timeout=10):
        raise RuntimeError(f"{name} did not start")
    return BackgroundServer(loop, thread, holder["servers"])
