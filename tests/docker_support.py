"""What the Docker end-to-end tests share (a pytest plugin, loaded by conftest): the engine check, an emulator with
the data plane on, and docker CLI helpers.

Skipped when no Docker engine answers, except in CI (env CI set), where that is a failure. Every test module uses its
own namespace (container, volume) and port range, and removes them at the end.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import socket
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from acr_fidelity.config import load_settings
from acr_fidelity.server import RunningServer, start_in_thread
from tests.conftest import SUBSCRIPTION, Arm, reg_path

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = f"test-{uuid.uuid4().hex[:8]}"
CONTAINER = f"acr-fidelity-{NAMESPACE}-registry"
VOLUME = f"acr-fidelity-{NAMESPACE}-storage"
BASE_PORT = random.randrange(20000, 29000, 100)
LOCAL_IMAGES: set[str] = set()  # tags this run leaves in the local engine, removed at the end


def sh(*args: str, input: bytes | None = None, check: bool = True, timeout: int = 300) -> str:
    done = subprocess.run(args, input=input, capture_output=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return done.stdout.decode()


def require(binary: str, hint: str) -> str:
    """The binary's path; skips without it, except in CI (env CI set), where that is a failure."""
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is missing: {hint}")
        pytest.skip(f"{binary} is not installed ({hint})")
    return path


def docker_answers() -> str | None:
    if shutil.which("docker") is None:
        return "no docker CLI"
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    return None if done.returncode == 0 else f"no Docker engine answers: {done.stderr.decode().strip()[:200]}"


@pytest.fixture(scope="module")
def docker_engine() -> Iterator[None]:
    problem = docker_answers()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem} (CI must start one: scripts/start-dockerd)")
        pytest.skip(problem)
    sh(str(ROOT / "scripts" / "build-registry-image"))  # a no-op when registry:2 is there
    yield
    if LOCAL_IMAGES:
        sh("docker", "rmi", "-f", *sorted(LOCAL_IMAGES), check=False)
    sh("docker", "logout", f"localhost:{BASE_PORT}", check=False)
    sh("docker", "rm", "-f", CONTAINER, check=False)
    sh("docker", "volume", "rm", "-f", VOLUME, check=False)


HOST_DOMAIN = "acr.localhost"
HOST_NAMES = ("hostreg01", "hostreg02")


def require_host_names() -> None:
    """Host-style login servers need their names to resolve here: skip when they do not, except in CI."""
    for name in HOST_NAMES:
        try:
            socket.gethostbyname(f"{name}.{HOST_DOMAIN}")
        except OSError:
            hint = f"add '127.0.0.1 {' '.join(f'{n}.{HOST_DOMAIN}' for n in HOST_NAMES)}' to /etc/hosts"
            if os.environ.get("CI"):
                pytest.fail(f"{name}.{HOST_DOMAIN} does not resolve: .ci/run must {hint}")
            pytest.skip(f"{name}.{HOST_DOMAIN} does not resolve ({hint})")


def push_over_http(base: str, auth: tuple[str, str], host: str | None = None, repository: str = "app",
                   tag: str = "v1") -> str:
    """A tiny image, the same bytes every time, pushed with the registry HTTP API alone (as floci-az users and
    the fuzzer do); the manifest's digest. `host` sets the Host header (host-style login servers)."""
    headers = {"Host": host} if host else {}

    def blob(data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = requests.post(f"{base}/v2/{repository}/blobs/uploads/", headers=headers, auth=auth, timeout=30)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        done = requests.put(location if location.startswith("http") else base + location, params={"digest": digest},
                            data=data, headers={**headers, "Content-Type": "application/octet-stream"}, auth=auth,
                            timeout=30)
        assert done.status_code == 201, done.text
        return {"digest": digest, "size": len(data)}

    config = blob(b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}')
    layer = blob(b"a layer pushed over HTTP")
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}]}).encode()
    put = requests.put(f"{base}/v2/{repository}/manifests/{tag}", data=manifest, auth=auth, timeout=30,
                       headers={**headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert put.status_code == 201, put.text
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


class Emu:
    """The emulator under test; `restart()` stops it and starts a new one on the same state and namespace."""

    def __init__(self, state_dir: Path, **overrides: Any) -> None:
        self.settings = load_settings(env={}, overrides={
            "port": 0, "acr_mocked": False, "acr_namespace": NAMESPACE, "acr_base_port": BASE_PORT,
            "acr_max_port": BASE_PORT + 99, "acr_health_interval": 1, "state_dir": state_dir, **overrides,
        })
        self.server: RunningServer = start_in_thread(self.settings)
        self.arm = Arm(self.server.url)
        self.arm.group()

    def restart(self) -> None:
        self.server.stop()
        self.server = start_in_thread(self.settings)
        self.arm = Arm(self.server.url)

    def create(self, name: str, **properties: Any) -> dict[str, Any]:
        """Create a registry (admin user on) and wait for Succeeded; returns its properties."""
        response = self.arm.registry(name, properties={"adminUserEnabled": True, **properties})
        assert response.status_code in (200, 201), response.text
        return self.wait(name)

    def wait(self, name: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            props = self.arm.call("GET", reg_path("rg1", name)).json()["properties"]
            if props["provisioningState"] != "Creating" or time.monotonic() > deadline:
                assert props["provisioningState"] == "Succeeded", props
                return props
            time.sleep(0.2)

    def delete(self, name: str, timeout: float = 60) -> None:
        """DELETE answers 200 when done at once, else 202 + Location, followed here until the images are gone."""
        response = self.arm.call("DELETE", reg_path("rg1", name))
        assert response.status_code in (200, 202), response.text
        if response.status_code == 202:
            assert response.headers["Retry-After"] == "1"
            assert self.arm.call("GET", reg_path("rg1", name)).json()["properties"]["provisioningState"] == "Deleting"
            deadline = time.monotonic() + timeout
            while (poll := self.arm.session.get(response.headers["Location"])).status_code == 202:
                assert time.monotonic() < deadline, "the deletion never finished"
                time.sleep(0.2)
            assert poll.status_code == 200, poll.text
        assert self.arm.call("GET", reg_path("rg1", name)).status_code == 404
        assert self.arm.call("DELETE", reg_path("rg1", name)).status_code == 204

    def import_image(self, name: str, body: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        """Run importImage to its end: {} on success, else the operation's error."""
        response = self.arm.call("POST", reg_path("rg1", name) + "/importImage", json=body)
        assert response.status_code == 202, response.text
        location = response.headers["Location"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.arm.call("GET", location, version=None)
            if result.status_code == 200:
                return {}
            if result.status_code != 202:
                return result.json()["error"]
            time.sleep(0.3)
        raise AssertionError("import did not finish")

    def credentials(self, name: str) -> tuple[str, str]:
        """The admin user's name and first password."""
        creds = self.arm.call("POST", reg_path("rg1", name) + "/listCredentials").json()
        return creds["username"], creds["passwords"][0]["value"]

    def resource_id(self, name: str) -> str:
        return f"/subscriptions/{SUBSCRIPTION}{reg_path('rg1', name)}"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    emulator = Emu(tmp_path_factory.mktemp("state"))
    yield emulator
    emulator.server.stop()


def registry_url(login_server: str) -> str:
    host, _, _ = login_server.partition("/")
    return f"http://{host.replace('localhost', '127.0.0.1')}"


def catalog(login_server: str) -> list[str]:
    return requests.get(f"{registry_url(login_server)}/v2/_catalog?n=1000", timeout=10).json()["repositories"]


def make_image(tag: str, size: int = 64 * 1024) -> None:
    """A one-layer image from a tarball of random bytes, so every image has its own digest."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = os.urandom(size)
        info = tarfile.TarInfo("payload.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    LOCAL_IMAGES.add(tag)
    sh("docker", "import", "-", tag, input=buffer.getvalue())


def push(tag: str) -> str:
    """docker push; returns the pushed manifest digest."""
    out = sh("docker", "push", tag)
    return out.split("digest: ", 1)[1].split()[0]


def pulled_digest(reference: str) -> str:
    LOCAL_IMAGES.add(reference)
    sh("docker", "pull", reference)
    repo = reference.rsplit(":", 1)[0] if "@" not in reference else reference.split("@")[0]
    digests = json.loads(sh("docker", "image", "inspect", "-f", "{{json .RepoDigests}}", reference))
    return next(d.split("@")[1] for d in digests if d.startswith(repo + "@"))


def push_new_image(login_server: str, repo: str, tag: str = "v1") -> str:
    reference = f"{login_server}/{repo}:{tag}"
    make_image(reference)
    digest = push(reference)
    sh("docker", "rmi", "-f", reference)
    return digest
