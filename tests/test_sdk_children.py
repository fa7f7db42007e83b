"""The real azure-mgmt-containerregistry SDK over HTTPS through every operation group of a registry's children:
replications, scope maps, tokens and generateCredentials, credential sets, cache rules, private endpoint connections
and private link resources, the provider's operations. tox runs it with the newest SDK and with 14.0.0."""

from __future__ import annotations

from typing import Any

import pytest

from acr_fidelity.server import RunningServer
from tests.conftest import SUBSCRIPTION, Arm, trust_bundle_for

models = pytest.importorskip("azure.mgmt.containerregistry.models")
identity = pytest.importorskip("azure.identity")
REG_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/kids/providers/Microsoft.ContainerRegistry/registries"


def _client(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trust_bundle_for(server)))
    base = server.https_url.replace("127.0.0.1", "localhost")
    credential = identity.ClientSecretCredential("72f988bf-86f1-41af-91ab-2d7cd011db47", "kids-app", "secret",
                                                 authority=base, disable_instance_discovery=True)
    return ContainerRegistryManagementClient(credential, SUBSCRIPTION, base_url=base)


def test_every_child_operation_group(server: RunningServer, arm: Arm, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(server, monkeypatch)
    arm.group("kids")
    arm.registry("kidsreg01", group="kids", properties={"dataEndpointEnabled": True})

    replication = client.replications.begin_create("kids", "kidsreg01", "eastus", models.Replication(
        location="eastus")).result()
    assert replication.provisioning_state == "Succeeded" and replication.location == "eastus"
    assert sorted(r.location for r in client.replications.list("kids", "kidsreg01")) == ["eastus", "westus"]
    assert client.registries.get("kids", "kidsreg01").data_endpoint_host_names == [
        "kidsreg01.eastus.data.azurecr.io", "kidsreg01.westus.data.azurecr.io"]
    with pytest.raises(Exception, match="HomeReplicationCannotBeDeleted"):
        client.replications.begin_delete("kids", "kidsreg01", "westus").result()
    client.replications.begin_delete("kids", "kidsreg01", "eastus").result()

    system = {s.name for s in client.scope_maps.list("kids", "kidsreg01")}
    assert {"_repositories_pull", "_repositories_push", "_repositories_admin"} <= system
    scope_map = client.scope_maps.begin_create("kids", "kidsreg01", "pullhello", models.ScopeMap(
        actions=["repositories/hello/content/read"], description="pull hello")).result()
    assert scope_map.type == "Microsoft.ContainerRegistry/registries/scopeMaps"
    token = client.tokens.begin_create("kids", "kidsreg01", "hellotoken", models.Token(
        scope_map_id=scope_map.id, status="enabled")).result()
    assert token.scope_map_id == scope_map.id and token.status == "enabled"
    made = client.registries.begin_generate_credentials("kids", "kidsreg01", models.GenerateCredentialsParameters(
        token_id=token.id, name="password1")).result()
    assert made.username == "hellotoken" and made.passwords[0].name == "password1" and made.passwords[0].value
    shown = client.tokens.get("kids", "kidsreg01", "hellotoken")
    assert [p.name for p in shown.credentials.passwords] == ["password1"]
    assert client.tokens.begin_update("kids", "kidsreg01", "hellotoken", models.TokenUpdateParameters(
        status="disabled")).result().status == "disabled"
    with pytest.raises(Exception, match="InvalidScopeMapId"):
        client.tokens.begin_create("kids", "kidsreg01", "badtoken1", models.Token(
            scope_map_id=scope_map.id.replace("pullhello", "nosuchmap"))).result()

    credential_set = client.credential_sets.begin_create("kids", "kidsreg01", "hubcreds", models.CredentialSet(
        login_server="docker.io", identity=models.IdentityProperties(type="SystemAssigned"),
        auth_credentials=[models.AuthCredential(name="Credential1",
                                                username_secret_identifier="https://v.vault.azure.net/secrets/u",
                                                password_secret_identifier="https://v.vault.azure.net/secrets/p")],
    )).result()
    assert credential_set.login_server == "docker.io" and credential_set.identity.principal_id
    rule = client.cache_rules.begin_create("kids", "kidsreg01", "hubrule", models.CacheRule(
        source_repository="docker.io/library/hello-world", target_repository="hub/hello-world",
        credential_set_resource_id=credential_set.id)).result()
    assert rule.target_repository == "hub/hello-world"
    assert [r.name for r in client.cache_rules.list("kids", "kidsreg01")] == ["hubrule"]
    client.cache_rules.begin_delete("kids", "kidsreg01", "hubrule").result()
    client.credential_sets.begin_delete("kids", "kidsreg01", "hubcreds").result()
    assert list(client.credential_sets.list("kids", "kidsreg01")) == []

    connection = client.private_endpoint_connections.begin_create_or_update(
        "kids", "kidsreg01", "myconnection", models.PrivateEndpointConnection(
            private_link_service_connection_state=models.PrivateLinkServiceConnectionState(
                status="Approved", description="ok"))).result()
    assert connection.private_link_service_connection_state.status == "Approved"
    assert [c.name for c in client.registries.get("kids", "kidsreg01").private_endpoint_connections] == [
        "myconnection"]
    links = list(client.registries.list_private_link_resources("kids", "kidsreg01"))
    link = links[0].properties if getattr(links[0], "properties", None) is not None else links[0]  # SDK 15: nested
    assert link.group_id == "registry" and link.required_zone_names == ["privatelink.azurecr.io"]

    operations = {o.name for o in client.operations.list()}
    assert "Microsoft.ContainerRegistry/registries/write" in operations
    assert "Microsoft.ContainerRegistry/registries/webhooks/ping/action" in operations

    client.registries.begin_delete("kids", "kidsreg01").result()
    arm.registry("kidsreg01", group="kids")
    assert {s.name for s in client.scope_maps.list("kids", "kidsreg01")} == system  # children went with it
    assert list(client.tokens.list("kids", "kidsreg01")) == []
