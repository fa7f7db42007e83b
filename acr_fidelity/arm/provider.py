"""The resource provider's own: its list of operations (what RBAC and az's `provider operation show` read)."""

from __future__ import annotations

import re
from typing import Any

from acr_fidelity.arm.http import ArmRequest, ArmResponse

PROVIDER = "Microsoft.ContainerRegistry"
_VERBS = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}
# What no route of the emulator shows: Azure's notification from Microsoft.Network (as listed by Azure).
_NOTIFICATION = {"name": f"{PROVIDER}/locations/deleteVirtualNetworkOrSubnets/action",
                 "display": {"provider": "Microsoft ContainerRegistry", "resource": "",
                             "operation": "Delete virtual network or subnets notifications",
                             "description": "Notifies Microsoft.ContainerRegistry that virtual network or subnet is "
                                            "being deleted"}}


def definitions(templates: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One operation definition per (resource type, verb) the routes serve: `{provider}/{type path}/{verb}`."""
    seen: dict[str, dict[str, Any]] = {}
    for method, template in templates:
        if f"/providers/{PROVIDER}/" not in template:
            continue
        segments = [s for s in template.split(f"/providers/{PROVIDER}/", 1)[1].split("/") if not s.startswith("{")]
        if method == "POST":
            *types, action = segments
            verb = f"{action}/action"
        else:
            types, verb = segments, _VERBS[method]
        resource = re.sub(r"(?<!^)(?=[A-Z])", " ", types[-1]).lower() if types else ""
        key = "/".join([PROVIDER, *types, verb])
        seen.setdefault(key, {"name": key, "isDataAction": False, "origin": "user,system", "display": {
            "provider": "Microsoft ContainerRegistry", "resource": resource, "operation": f"{verb} {resource}",
            "description": f"{verb.replace('/action', '').capitalize()} {resource}"}})
    return [*sorted(seen.values(), key=lambda d: d["name"]), _NOTIFICATION]


def list_operations(request: ArmRequest) -> ArmResponse:
    from acr_fidelity.arm.routes import ROUTES  # the table this answers from imports this module

    return ArmResponse(200, {"value": definitions([(r.method, r.template) for r in ROUTES if r.provider])})
