"""The emulator's container image (issue 12): the project's Dockerfile, built on a base made from Debian's packages
(scripts/build-base-image, since no image can be pulled here), run with the host's Docker socket, driven with the
SDK over HTTPS and with docker push (`tox -e image`)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.mgmt.containerregistry import models

from acr_fidelity.pytest_plugin import running_emulator
from tests.conftest import free_port
from tests.docker_support import ROOT, make_image, push, sh

pytestmark = pytest.mark.usefixtures("docker_engine")
BASE = os.environ.get("ACR_FIDELITY_BASE_IMAGE", "acr-fidelity/python-base:3.11-bookworm")
MODE_FILE = Path(os.environ.get("ACR_FIDELITY_DOCKER_MODE_FILE", "/run/acr-fidelity-docker-mode"))


@pytest.fixture(scope="module")
def container() -> Iterator[tuple[str, int]]:
    """The image, built and running: its ARM URL and its data-plane port (published under the same number)."""
    if not sh("docker", "image", "ls", "-q", BASE, check=False).strip():
        message = f"{BASE} is missing: run scripts/build-base-image"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    run_id = uuid.uuid4().hex[:8]
    tag, name, namespace = f"acr-fidelity:test-{run_id}", f"acr-fidelity-image-{run_id}", f"image-{run_id}"
    sh("docker", "build", "-q", "-t", tag, "--build-arg", f"BASE={BASE}", str(ROOT), timeout=900)
    arm, data = free_port(), free_port()
    host_network = MODE_FILE.exists() and MODE_FILE.read_text().strip() == "host"
    network = ["--network", "host"] if host_network else ["-p", f"127.0.0.1:{arm}:{arm}", "-p",
                                                          f"127.0.0.1:{data}:{data}"]
    sh("docker", "run", "-d", "--name", name, *network, "-v", "/var/run/docker.sock:/var/run/docker.sock",
       "-e", f"ACR_FIDELITY_PORT={arm}", "-e", f"FLOCI_AZ_SERVICES_ACR_BASE_PORT={data}",
       "-e", f"FLOCI_AZ_SERVICES_ACR_MAX_PORT={data}", "-e", f"ACR_FIDELITY_ACR_NAMESPACE={namespace}", tag)
    url = f"http://127.0.0.1:{arm}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(url + "/_emulator/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, sh("docker", "logs", name, check=False)
            time.sleep(0.5)
        yield url, data
    finally:
        sh("docker", "rm", "-f", name, f"acr-fidelity-{namespace}-registry", check=False)
        sh("docker", "volume", "rm", "-f", f"acr-fidelity-{namespace}-storage", check=False)
        sh("docker", "rmi", "-f", tag, check=False)


def test_the_image_serves_the_sdk_and_docker_push(container: tuple[str, int], tmp_path: Path) -> None:
    url, data = container
    emulator = running_emulator(url, tmp_path)
    emulator.resource_group("imagerg")
    registry = emulator.client.registries.begin_create("imagerg", "imagereg01", models.Registry(
        location="westus", sku=models.Sku(name="Basic"), admin_user_enabled=True)).result()
    assert registry.provisioning_state == "Succeeded" and registry.login_server == f"localhost:{data}/imagereg01"
    credentials = emulator.client.registries.list_credentials("imagerg", "imagereg01")
    sh("docker", "login", f"localhost:{data}", "-u", credentials.username, "--password-stdin",
       input=credentials.passwords[0].value.encode())
    try:
        make_image(f"localhost:{data}/imagereg01/app:1")
        digest = push(f"localhost:{data}/imagereg01/app:1")
    finally:
        sh("docker", "logout", f"localhost:{data}", check=False)
    tags = requests.get(f"http://127.0.0.1:{data}/imagereg01/v2/app/tags/list", timeout=10,
                        auth=(credentials.username, credentials.passwords[0].value)).json()
    assert tags["tags"] == ["1"] and digest.startswith("sha256:")
