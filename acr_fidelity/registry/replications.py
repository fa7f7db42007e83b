"""Replications (geo-replication): the rules of this family. No HTTP here.

Premium only; one replication per location. Azure creates the home location's replication itself with the first
other one (systemData names Azure's own application), and it cannot be deleted. A new replication reports
`Syncing` the first time it is read, then `Ready`, as recorded.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from acr_fidelity.registry.children import Family, LocatedRules, enum_value, resource_tags
from acr_fidelity.registry.errors import DomainError
from acr_fidelity.registry.locations import required_location

ZONE_REDUNDANCY = ("Enabled", "Disabled")


def _timestamp() -> str:
    from acr_fidelity.registry.models import azure_time

    return azure_time(datetime.now(UTC), zulu=True)


def _properties(body: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    props = body.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise DomainError("InvalidRequestContent", detail="'properties' must be an object")
    out = dict(current or {"regionEndpointEnabled": True, "zoneRedundancy": "Disabled"})
    if props.get("regionEndpointEnabled") is not None:
        if not isinstance(props["regionEndpointEnabled"], bool):
            raise DomainError("InvalidRequestContent",
                              detail="'properties.regionEndpointEnabled' must be true or false")
        out["regionEndpointEnabled"] = props["regionEndpointEnabled"]
    if props.get("zoneRedundancy") is not None:
        match = enum_value("zoneRedundancy", props["zoneRedundancy"], ZONE_REDUNDANCY)
        if current is not None and match != current["zoneRedundancy"]:
            raise DomainError("PropertyChangeNotAllowed", field="zoneRedundancy")
        out["zoneRedundancy"] = match
    return out


class ReplicationRules(LocatedRules):
    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        if registry["sku"] != "Premium":
            raise DomainError("ReplicationsNotSupported", sku=registry["sku"])
        location = required_location(body)
        taken = next((s for s in siblings if s["location"] == location), None)
        if taken is not None:
            raise DomainError("ReplicationLocationInUse", location=location, name=taken["name"])
        # No displayStatus until it is first read (see observe).
        return {"location": location, "tags": resource_tags(body.get("tags")),
                "properties": {**_properties(body), "status": {"timestamp": _timestamp()}}}

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        if "tags" in body:
            record["tags"] = resource_tags(body["tags"])
        status = record["properties"]["status"]
        record["properties"] = {**_properties(body, record["properties"]), "status": status}

    def check_delete(self, registry: dict[str, Any], record: dict[str, Any]) -> None:
        if record["location"] == registry["location"]:
            raise DomainError("HomeReplicationCannotBeDeleted", location=record["location"])

    def observe(self, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """A new replication shows `Syncing` the first time it is read and is `Ready` from then on."""
        if "displayStatus" in record["properties"]["status"]:
            return record, False
        shown = copy.deepcopy(record)
        shown["properties"]["status"] = {"displayStatus": "Syncing", "timestamp": _timestamp()}
        record["properties"]["status"] = {"displayStatus": "Ready", "timestamp": _timestamp()}
        return shown, True

    def implicit(self, registry: dict[str, Any], siblings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(s["location"] != registry["location"] for s in siblings):
            home = registry["location"]
            return [{"name": home, "location": home, "tags": {}, "properties": {
                "regionEndpointEnabled": True, "zoneRedundancy": registry["properties"]["zoneRedundancy"],
                "status": {"displayStatus": "Ready", "timestamp": _timestamp()}}}]
        return []


REPLICATIONS = Family("replications", "Microsoft.ContainerRegistry/registries/replications",
                      re.compile(r"^[a-zA-Z0-9]{5,50}$"), ReplicationRules())


def locations(registry: dict[str, Any], replications: list[dict[str, Any]]) -> list[str]:
    """Where a registry lives: its home and every replication, in name order (as its host names are listed)."""
    return sorted({registry["location"], *(r["location"] for r in replications)})
