"""Handlers of a registry's child resources, one set for every family: parse, call the model, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acr_fidelity.arm.http import ArmRequest, ArmResponse, listing
from acr_fidelity.arm.registries import result_url
from acr_fidelity.registry.children import Family
from acr_fidelity.registry.render import render_child

Handler = Callable[[ArmRequest], ArmResponse]


def _where(request: ArmRequest) -> tuple[str, str, str]:
    p = request.params
    return p["subscriptionId"], p["resourceGroupName"], p["registryName"]


def _render(request: ArmRequest, family: Family, record: dict, provisioning_state: str | None = None) -> dict:
    return render_child(family, record, request.api_version, request.emulator.table, provisioning_state)


def handlers(family: Family, name_param: str) -> dict[str, Handler]:
    """create, get, update, delete and list for one family; `name_param` is the swagger's path parameter."""

    def model(request: ArmRequest) -> Any:
        return request.emulator.backend.children

    def create(request: ArmRequest) -> ArmResponse:
        name = request.params[name_param]
        record, created = model(request).put(family, *_where(request), name, request.json(), request.caller)
        if not created:
            return ArmResponse(200, _render(request, family, record))
        operation = request.emulator.backend.finished_operation(family.segment, record.get("location"))
        status_url = (f"{request.base_url}{request.path}/operationStatuses/{operation['id']}"
                      f"?api-version={request.api_version}")
        # As for a registry, the 201 shows Creating though the work is done; the status poll says Succeeded.
        return ArmResponse(201, _render(request, family, record, "Creating"), {"Azure-AsyncOperation": status_url})

    def get(request: ArmRequest) -> ArmResponse:
        record = model(request).get(family, *_where(request), request.params[name_param])
        return ArmResponse(200, _render(request, family, record))

    def update(request: ArmRequest) -> ArmResponse:
        record = model(request).update(family, *_where(request), request.params[name_param], request.json(),
                                       request.caller)
        return ArmResponse(200, _render(request, family, record))

    def delete(request: ArmRequest) -> ArmResponse:
        deleted = model(request).delete(family, *_where(request), request.params[name_param])
        if not deleted:
            return ArmResponse(204)
        if not family.delete_accepted:
            return ArmResponse(200)
        # Done already; the result URL answers 200 at once.
        operation = request.emulator.backend.finished_operation(family.segment, "westus")
        return ArmResponse(202, None, {"Location": result_url(request, operation), "Retry-After": "1"})

    def list_all(request: ArmRequest) -> ArmResponse:
        return listing(request, lambda after, limit: model(request).page(family, *_where(request), after, limit),
                       lambda record: _render(request, family, record))

    return {"create": create, "get": get, "update": update, "delete": delete, "list": list_all}
