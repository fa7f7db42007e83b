"""Shared fixtures: a real emulator on a free port, and an HTTP client that speaks ARM to it."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from acr_fidelity.config import load_settings
from acr_fidelity.pytest_plugin import free_port
from acr_fidelity.server import RunningServer, start_in_thread
from acr_fidelity.tls.certs import trust_bundle

# The Docker end-to-end fixtures (docker_engine, emu), for the modules that use them.
pytest_plugins = ["tests.docker_support"]

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path in ../shared; skips the test when that folder is absent, except in CI where it must be there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared")
        pytest.skip(f"{path} is absent")
    return path


# One certificate and signing key for the whole test run, outside the user's own config directory.
KEYS_DIR = Path(tempfile.mkdtemp(prefix="acr-fidelity-test-keys-"))
atexit.register(shutil.rmtree, KEYS_DIR, ignore_errors=True)


def start(**overrides: Any) -> RunningServer:
    settings = load_settings(env={}, overrides={"port": 0, "acr_mocked": True, "config_dir": str(KEYS_DIR),
                                                **overrides})
    return start_in_thread(settings)


def trust_bundle_for(server: RunningServer) -> Path:
    """System CAs plus the emulator's certificate: what REQUESTS_CA_BUNDLE must name for real clients."""
    assert server.emulator.certificate is not None
    return trust_bundle(server.emulator.certificate, KEYS_DIR / "bundle.pem")


def spawn_serve(workdir: Path, *args: str, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """`acr-fidelity serve` as a user starts it (mocked data plane, keys in `workdir`), answering health."""
    port = port or free_port()
    config = workdir / "config.yaml"
    config.write_text("floci-az:\n  services:\n    acr: {mocked: true}\n")
    command = [sys.executable, "-m", "acr_fidelity", "serve", "--config", str(config), "--port", str(port), *args]
    process = subprocess.Popen(command, env={**os.environ, "ACR_FIDELITY_CONFIG_DIR": str(workdir)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "acr-fidelity serve exited"
        try:
            if requests.get(url + "/_emulator/health", timeout=1).ok:
                return process, url
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "acr-fidelity serve did not start"
        time.sleep(0.1)


class Arm:
    """requests against one emulator, with a bearer token and paths relative to the subscription."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer test-token"

    def full(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if not path.startswith("/subscriptions") and not path.startswith("/_") and not path.startswith("/metadata"):
            path = f"/subscriptions/{SUBSCRIPTION}{path}"
        return self.url + path

    def call(self, method: str, path: str, version: str | None = "2025-04-01", **kwargs: Any) -> requests.Response:
        params = kwargs.pop("params", {})
        if version is not None:
            params["api-version"] = version
        return self.session.request(method, self.full(path), params=params, timeout=30, **kwargs)

    def group(self, name: str = "rg1", location: str = "westus") -> requests.Response:
        return self.call("PUT", f"/resourcegroups/{name}", "2021-04-01", json={"location": location})

    def registry(self, name: str, group: str = "rg1", version: str = "2025-04-01", sku: str = "Premium",
                 **body: Any) -> requests.Response:
        doc = {"location": "westus", "sku": {"name": sku}, **body}
        return self.call("PUT", reg_path(group, name), version, json=doc)


def reg_path(group: str, name: str) -> str:
    return f"/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/{name}"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with start() as running:
        yield running


@pytest.fixture
def arm(server: RunningServer) -> Arm:
    return Arm(server.url)


class Receiver:
    """A local endpoint that records what it is sent; it answers 500 to the first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.failures = failures
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                failing = outer.failures > 0
                outer.failures -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
