"""Private link: private endpoint connections (the family; Microsoft.Network makes the endpoints, a PUT here sets a
connection's state) and the registry's private link resource. No HTTP here."""

from __future__ import annotations

import re
from typing import Any

from acr_fidelity.registry.children import Family, Rules, body_properties, enum_value, optional
from acr_fidelity.registry.errors import DomainError

CONNECTION_STATUSES = ("Approved", "Pending", "Rejected", "Disconnected")


ACTIONS_REQUIRED = ("None", "Recreate")


def _state(value: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return current or {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}
    if not isinstance(value, dict):
        raise DomainError("InvalidRequestContent", detail="'privateLinkServiceConnectionState' must be an object")
    status = enum_value("privateLinkServiceConnectionState.status", value.get("status"), CONNECTION_STATUSES)
    description = optional(value, "description", str, "", "privateLinkServiceConnectionState.")
    actions = value.get("actionsRequired")
    actions = "None" if actions is None else enum_value(
        "privateLinkServiceConnectionState.actionsRequired", actions, ACTIONS_REQUIRED)
    return {"status": status, "description": description, "actionsRequired": actions}


def _endpoint_id(props: dict[str, Any]) -> str | None:
    endpoint = props.get("privateEndpoint")
    if endpoint is None:
        return None
    if not isinstance(endpoint, dict):
        raise DomainError("InvalidRequestContent", detail="'privateEndpoint' must be an object with a string id")
    return optional(endpoint, "id", str, "", "privateEndpoint.") or None


class ConnectionRules(Rules):
    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        if registry["sku"] != "Premium":
            raise DomainError("PrivateLinkNotSupported", sku=registry["sku"])
        props = body_properties(body)
        endpoint = _endpoint_id(props) or (
            f"/subscriptions/{registry['subscriptionId']}/resourceGroups/{registry['resourceGroup']}/providers/"
            f"Microsoft.Network/privateEndpoints/{name}")
        return {"properties": {"privateEndpoint": {"id": endpoint},
                               "privateLinkServiceConnectionState": _state(
                                   props.get("privateLinkServiceConnectionState"), None)}}

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        props = body_properties(body)
        _endpoint_id(props)  # checked, though the endpoint of a connection never changes
        record["properties"]["privateLinkServiceConnectionState"] = _state(
            props.get("privateLinkServiceConnectionState"), record["properties"]["privateLinkServiceConnectionState"])


PRIVATE_ENDPOINT_CONNECTIONS = Family(
    "privateEndpointConnections", "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
    re.compile(r"^[a-zA-Z0-9._-]{1,80}$"), ConnectionRules(), delete_accepted=True,
    patchable=False)


def link_resources(registry_id: str, registry_name: str, locations: list[str]) -> list[dict[str, Any]]:
    """The registry's one private link resource (group `registry`): the registry and a data endpoint per location."""
    return [{"id": f"{registry_id}/privateLinkResources/registry", "name": "registry",
             "type": "Microsoft.ContainerRegistry/registries/privateLinkResources",
             "properties": {"groupId": "registry",
                            "requiredMembers": ["registry", *(f"registry_data_{at}" for at in locations)],
                            "requiredZoneNames": ["privatelink.azurecr.io"]}}]
