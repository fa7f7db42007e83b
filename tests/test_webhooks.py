"""Webhooks through the real azure-mgmt-containerregistry SDK over HTTPS, with real delivery to a local HTTP receiver
(custom headers, retries of a failing endpoint, listEvents), and Azure's rules (per-SKU limits, bad service URIs)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from acr_fidelity.server import RunningServer
from tests.conftest import SUBSCRIPTION, Arm, Receiver, reg_path, trust_bundle_for

models = pytest.importorskip("azure.mgmt.containerregistry.models")
identity = pytest.importorskip("azure.identity")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver(failures=1)
    yield endpoint
    endpoint.close()


def test_sdk_webhook_lifecycle_with_real_delivery(server: RunningServer, arm: Arm, receiver: Receiver,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trust_bundle_for(server)))
    base = server.https_url.replace("127.0.0.1", "localhost")
    credential = identity.ClientSecretCredential("72f988bf-86f1-41af-91ab-2d7cd011db47", "hook-app", "secret",
                                                 authority=base, disable_instance_discovery=True)
    client = ContainerRegistryManagementClient(credential, SUBSCRIPTION, base_url=base)
    arm.group("hooks")
    arm.registry("hookreg01", group="hooks", sku="Standard")

    created = client.webhooks.begin_create("hooks", "hookreg01", "myhook01", models.WebhookCreateParameters(
        location="westus", service_uri=receiver.url, custom_headers={"X-Secret": "s3cret"}, actions=["push"],
        scope="app:*", tags={"team": "a"})).result()
    assert (created.status, created.scope, created.actions, created.provisioning_state) == (
        "enabled", "app:*", ["push"], "Succeeded")
    assert [w.name for w in client.webhooks.list("hooks", "hookreg01")] == ["myhook01"]
    updated = client.webhooks.begin_update("hooks", "hookreg01", "myhook01", models.WebhookUpdateParameters(
        actions=["push", "delete"], tags={"team": "b"})).result()
    assert updated.actions == ["push", "delete"] and updated.tags == {"team": "b"}
    callback = client.webhooks.get_callback_config("hooks", "hookreg01", "myhook01")
    assert (callback.service_uri, callback.custom_headers) == (receiver.url, {"X-Secret": "s3cret"})

    event_id = client.webhooks.ping("hooks", "hookreg01", "myhook01").id
    received = receiver.wait_for(2)  # the endpoint fails the first delivery: it is retried
    assert [r["body"]["id"] for r in received] == [event_id, event_id]
    assert received[1]["body"]["action"] == "ping" and received[1]["headers"]["X-Secret"] == "s3cret"
    deadline = time.monotonic() + 10
    while len(events := list(client.webhooks.list_events("hooks", "hookreg01", "myhook01"))) < 2:
        assert time.monotonic() < deadline, events
        time.sleep(0.05)
    newest, first = events
    assert newest.event_response_message.status_code == "200" and first.event_response_message.status_code == "500"
    assert newest.event_request_message.request_uri == receiver.url and newest.event_request_message.method == "POST"

    client.webhooks.begin_delete("hooks", "hookreg01", "myhook01").result()
    assert list(client.webhooks.list("hooks", "hookreg01")) == []


def test_webhook_rules(arm: Arm) -> None:
    arm.group()
    arm.registry("hookbasic1", sku="Basic")
    hooks = reg_path("rg1", "hookbasic1") + "/webhooks"
    body = {"location": "westus", "properties": {"serviceUri": "http://127.0.0.1:9/x", "actions": ["push"]}}
    assert arm.call("PUT", f"{hooks}/first01", json=body).status_code == 201
    assert arm.call("PUT", f"{hooks}/second01", json=body).status_code == 201
    third = arm.call("PUT", f"{hooks}/third01", json=body)
    assert third.status_code == 409 and third.json()["error"]["code"] == "WebhookLimitExceeded"  # Basic: 2
    bad_uri = arm.call("PUT", f"{hooks}/first01", json={**body, "properties": {"serviceUri": "not a url",
                                                                                 "actions": ["push"]}})
    assert bad_uri.status_code == 400 and bad_uri.json()["error"]["code"] == "InvalidWebhookServiceUri"
    bad_action = arm.call("PATCH", f"{hooks}/first01", json={"properties": {"actions": ["explode"]}})
    assert bad_action.status_code == 400 and bad_action.json()["error"]["code"] == "InvalidEnumValue"
    shown = arm.call("GET", f"{hooks}/first01").json()
    assert shown["properties"]["actions"] == ["push"] and "serviceUri" not in shown["properties"]  # nothing half-set
    usage = {u["name"]: u for u in arm.call("GET", reg_path("rg1", "hookbasic1") + "/listUsages").json()["value"]}
    assert usage["Webhooks"]["currentValue"] == 2
    assert arm.call("GET", f"{hooks}/missing01").json()["error"]["code"] == "ChildResourceNotFound"
    arm.call("DELETE", reg_path("rg1", "hookbasic1"))
    arm.registry("hookbasic1", sku="Basic")
    assert arm.call("GET", hooks).json()["value"] == []  # a registry's webhooks go with it
