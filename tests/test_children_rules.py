"""Azure's rules for a registry's child resources, over raw HTTP: SKU-gated families, one replication per location,
names per resource type, references that must exist, and cascades (a registry, a resource group)."""

from __future__ import annotations

from tests.conftest import SUBSCRIPTION, Arm, reg_path


def code(response: object) -> str:
    return response.json()["error"]["code"]  # type: ignore[attr-defined]


def test_sku_gates_locations_names_and_references(arm: Arm) -> None:
    arm.group()
    arm.registry("basicreg1", sku="Basic")
    basic = reg_path("rg1", "basicreg1")
    refused = arm.call("PUT", f"{basic}/replications/eastus", json={"location": "eastus"})
    assert refused.status_code == 400 and code(refused) == "ReplicationsNotSupported"
    private = arm.call("PUT", f"{basic}/privateEndpointConnections/conn1", json={"properties": {}})
    assert private.status_code == 400 and code(private) == "PrivateLinkNotSupported"

    arm.registry("premreg01")
    premium = reg_path("rg1", "premreg01")
    assert arm.call("PUT", f"{premium}/replications/eastus", json={"location": "eastus"}).status_code == 201
    twice = arm.call("PUT", f"{premium}/replications/eastus2nd", json={"location": "East US"})
    assert twice.status_code == 409 and code(twice) == "ReplicationLocationInUse"
    nowhere = arm.call("PUT", f"{premium}/replications/marsnorth", json={"location": "marsnorth"})
    assert code(nowhere) == "LocationNotAvailableForResourceType"
    assert code(arm.call("PUT", f"{premium}/webhooks/no", json={"location": "westus"})) == "InvalidChildResourceName"
    dangling = arm.call("PUT", f"{premium}/tokens/token01", json={"properties": {
        "scopeMapId": f"/subscriptions/{SUBSCRIPTION}{premium}/scopeMaps/nosuchmap"}})
    assert dangling.status_code == 400 and code(dangling) == "InvalidScopeMapId"
    system = arm.call("DELETE", f"{premium}/scopeMaps/_repositories_pull")
    assert system.status_code == 400 and code(system) == "SystemScopeMapReadOnly"
    bad_action = arm.call("PUT", f"{premium}/scopeMaps/mymap01", json={"properties": {"actions": ["everything"]}})
    assert bad_action.status_code == 400 and code(bad_action) == "InvalidScopeMapActions"
    assert arm.call("GET", f"{premium}/scopeMaps/mymap01").status_code == 404  # nothing half-written
    rule = arm.call("PUT", f"{premium}/cacheRules/rule01", json={"properties": {
        "sourceRepository": "docker.io/library/*", "targetRepository": "hub"}})
    assert rule.status_code == 400 and code(rule) == "InvalidCacheRuleRepositories"


def test_a_resource_group_takes_its_registries_and_their_children(arm: Arm) -> None:
    arm.group("doomed")
    arm.registry("doomedreg1", group="doomed")
    registry = reg_path("doomed", "doomedreg1")
    assert arm.call("PUT", f"{registry}/replications/eastus", json={"location": "eastus"}).status_code == 201
    assert arm.call("DELETE", "/resourcegroups/doomed", "2021-04-01").status_code in (200, 202)
    arm.group("doomed")
    arm.registry("doomedreg1", group="doomed")
    assert arm.call("GET", f"{registry}/replications").json()["value"] == []
