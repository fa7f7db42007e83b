"""A pytest plugin (entry point `pytest11`): the `acr_emulator` fixture, for your own tests.

It starts an in-process emulator on free ports for the session (with the Docker data plane when Docker answers, else
mocked) and yields its ARM URL, a token credential and a ready `ContainerRegistryManagementClient`. With
`--acr-emulator-url URL` (or the `acr_emulator_url` ini key) it uses an emulator that is already running instead.
"""

from __future__ import annotations

import functools
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
ARM_SCOPE = "https://management.azure.com/.default"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("acr-fidelity", "the acr_emulator fixture")
    group.addoption("--acr-emulator-url", help="use the acr-fidelity emulator running at this URL")
    group.addoption("--acr-emulator-data-plane", choices=("auto", "on", "off"), default="auto",
                    help="start the in-process emulator with the Docker data plane: auto (when Docker answers)")
    parser.addini("acr_emulator_url", "use the acr-fidelity emulator running at this URL")


@dataclass
class EmulatorCredential:
    """A token credential (azure-core's protocol) that signs in to the emulator's Entra ID with any client."""

    authority: str  # https://localhost:{port}
    tenant_id: str
    ca_bundle: str
    client_id: str = "acr-emulator-fixture"

    def get_token(self, *scopes: str, **_: Any) -> Any:
        from azure.core.credentials import AccessToken

        answer = requests.post(f"{self.authority}/{self.tenant_id}/oauth2/v2.0/token", verify=self.ca_bundle,
                               timeout=30, data={"grant_type": "client_credentials", "client_id": self.client_id,
                                                 "client_secret": "any", "scope": " ".join(scopes) or ARM_SCOPE})
        answer.raise_for_status()
        token = answer.json()
        return AccessToken(token["access_token"], int(time.time()) + int(token["expires_in"]))


@dataclass
class AcrEmulator:
    """What the fixture yields. `url` is the ARM endpoint (HTTPS, as the SDKs require for bearer tokens);
    `ca_bundle` verifies its certificate; `client` is built on first use (azure-mgmt-containerregistry must be
    installed for it)."""

    url: str
    ca_bundle: str
    credential: EmulatorCredential
    subscription_id: str = SUBSCRIPTION
    data_plane: bool = False

    def resource_group(self, name: str, location: str = "westus") -> dict[str, Any]:
        """Create (or update) a resource group, as a test's setup does with azure-mgmt-resource in Azure."""
        token = self.credential.get_token(ARM_SCOPE).token
        answer = requests.put(f"{self.url}/subscriptions/{self.subscription_id}/resourcegroups/{name}",
                              params={"api-version": "2021-04-01"}, json={"location": location}, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}, verify=self.ca_bundle)
        answer.raise_for_status()
        return answer.json()

    @functools.cached_property
    def client(self) -> Any:
        from azure.mgmt.containerregistry import ContainerRegistryManagementClient

        return ContainerRegistryManagementClient(self.credential, self.subscription_id, base_url=self.url,
                                                 credential_scopes=[ARM_SCOPE], connection_verify=self.ca_bundle)


def free_port() -> int:
    """A TCP port on loopback that nothing holds right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def running_emulator(url: str, workdir: Path) -> AcrEmulator:
    """An emulator that is already running: its certificate comes from its own /_emulator/cert (plain HTTP on the
    same port), so nothing needs to be trusted beforehand."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    pem = requests.get(f"http://{parts.hostname}:{port}/_emulator/cert", timeout=30)
    pem.raise_for_status()
    bundle = workdir / "acr-emulator-ca.pem"
    bundle.write_text(pem.text)
    base = f"https://localhost:{port}"
    health = requests.get(f"http://{parts.hostname}:{port}/_emulator/health", timeout=30).json()
    return AcrEmulator(base, str(bundle), EmulatorCredential(base, health["tenantId"], str(bundle)),
                       subscription_id=health["subscriptionId"])


@pytest.fixture(scope="session")
def acr_emulator(request: pytest.FixtureRequest) -> Iterator[AcrEmulator]:
    """An ACR emulator for the session: its ARM URL, a credential and a management client."""
    url = request.config.getoption("--acr-emulator-url") or request.config.getini("acr_emulator_url")
    workdir = Path(tempfile.mkdtemp(prefix="acr-emulator-"))
    if url:
        yield running_emulator(url, workdir)
        return
    from acr_fidelity.config import load_settings
    from acr_fidelity.harness.dataplane import docker_answers
    from acr_fidelity.server import start_in_thread
    from acr_fidelity.tls.certs import trust_bundle

    wanted = request.config.getoption("--acr-emulator-data-plane")
    docker = wanted == "on" or (wanted == "auto" and docker_answers())
    port = free_port()
    settings = load_settings(env={}, overrides={
        "port": 0, "acr_mocked": not docker, "config_dir": str(workdir), "acr_keep_container": False,
        "acr_namespace": f"pytest-{uuid.uuid4().hex[:8]}", "acr_base_port": port, "acr_max_port": port})
    server = start_in_thread(settings)
    try:
        assert server.emulator.certificate is not None
        bundle = trust_bundle(server.emulator.certificate, workdir / "acr-emulator-ca.pem")
        base = "https://localhost:" + server.url.rsplit(":", 1)[1]
        yield AcrEmulator(base, str(bundle), EmulatorCredential(base, settings.tenant_id, str(bundle)),
                          subscription_id=settings.subscription_id, data_plane=docker)
    finally:
        server.stop()
        if docker:
            server.emulator.dataplane.purge()
