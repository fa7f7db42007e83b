"""The real azure-mgmt-containerregistry SDK drives the whole registry lifecycle against the emulator, over HTTPS,
signed in by azure-identity's ClientSecretCredential at the emulator's Entra ID, as a real application does.

tox runs this file once per SDK version (envs py311, sdk14, sdk10); each sends its own api-version.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from acr_fidelity.server import RunningServer
from tests.conftest import SUBSCRIPTION, Arm, trust_bundle_for

models = pytest.importorskip("azure.mgmt.containerregistry.models")
identity = pytest.importorskip("azure.identity")

# SDK major.minor -> the api-version it sends for registries (measured; ../shared/README.md)
EXPECTED_API_VERSION = {"15.0": "2025-11-01", "14.0": "2025-04-01", "10.3": "2023-07-01"}
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class _SeenVersions(SansIOHTTPPolicy):
    def __init__(self) -> None:
        self.versions: set[str] = set()

    def on_request(self, request: Any) -> None:
        self.versions.update(request.http_request.query.get("api-version", "").split(","))


def test_sdk_lifecycle_over_https(server: RunningServer, arm: Arm, monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trust_bundle_for(server)))
    base = server.https_url.replace("127.0.0.1", "localhost")
    credential = identity.ClientSecretCredential(TENANT, "app-id-of-the-test", "any-secret", authority=base,
                                                 disable_instance_discovery=True)
    seen = _SeenVersions()
    client = ContainerRegistryManagementClient(credential, SUBSCRIPTION, base_url=base, per_call_policies=[seen])
    arm.group("sdkgroup")

    assert client.registries.check_name_availability({"name": "sdkreg01",
                                                      "type": "Microsoft.ContainerRegistry/registries"}).name_available
    registry = client.registries.begin_create(
        "sdkgroup", "sdkreg01", models.Registry(location="westus", sku=models.Sku(name="Standard"),
                                                admin_user_enabled=False)).result()
    assert registry.provisioning_state == "Succeeded" and registry.login_server == "sdkreg01.azurecr.io"
    got = client.registries.get("sdkgroup", "sdkreg01")
    assert got.sku.name == "Standard"
    if getattr(got, "system_data", None) is not None:  # systemData names the application that signed in
        assert got.system_data.created_by == "app-id-of-the-test"

    updated = client.registries.begin_update(
        "sdkgroup", "sdkreg01", models.RegistryUpdateParameters(tags={"env": "test"}, admin_user_enabled=True,
                                                                 sku=models.Sku(name="Premium"))).result()
    assert updated.tags == {"env": "test"} and updated.admin_user_enabled and updated.sku.name == "Premium"
    assert [r.name for r in client.registries.list_by_resource_group("sdkgroup")] == ["sdkreg01"]
    assert "sdkreg01" in [r.name for r in client.registries.list()]

    credentials = client.registries.list_credentials("sdkgroup", "sdkreg01")
    assert credentials.username == "sdkreg01" and len(credentials.passwords) == 2
    renewed = client.registries.regenerate_credential("sdkgroup", "sdkreg01", {"name": "password"})
    assert renewed.passwords[0].value != credentials.passwords[0].value
    assert renewed.passwords[1].value == credentials.passwords[1].value
    usages = {u.name: u.limit for u in client.registries.list_usages("sdkgroup", "sdkreg01").value}
    assert usages["Size"] == 536870912000

    client.registries.begin_import_image("sdkgroup", "sdkreg01", models.ImportImageParameters(
        source=models.ImportSource(registry_uri="registry.example.com", source_image="library/hello:1"),
        target_tags=["hello:1"], mode="Force")).result()

    assert not client.registries.check_name_availability(
        {"name": "sdkreg01", "type": "Microsoft.ContainerRegistry/registries"}).name_available
    client.registries.begin_delete("sdkgroup", "sdkreg01").result()
    assert list(client.registries.list_by_resource_group("sdkgroup")) == []

    sdk = ".".join(version("azure-mgmt-containerregistry").split(".")[:2])
    if sdk in EXPECTED_API_VERSION:
        assert seen.versions == {EXPECTED_API_VERSION[sdk]}
