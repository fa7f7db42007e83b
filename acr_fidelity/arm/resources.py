"""Generic ARM that real clients call on the way: subscriptions, resource groups, the resources list."""

from __future__ import annotations

import re
import uuid

from acr_fidelity.arm.errors import ArmError
from acr_fidelity.arm.http import ArmRequest, ArmResponse, listing, page
from acr_fidelity.registry.render import render_generic_resource, render_resource_group, render_subscription

_FILTER_TERM = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def _subscription_ids(request: ArmRequest) -> list[str]:
    default = request.emulator.settings.subscription_id
    return [default] + [s for s in request.emulator.backend.subscriptions() if s != default.lower()]


def list_subscriptions(request: ArmRequest) -> ArmResponse:
    tenant = request.emulator.settings.tenant_id
    items = [render_subscription(s, tenant) for s in _subscription_ids(request)]
    response = page(request, items)
    response.body["count"] = {"type": "Total", "value": len(items)}
    return response


def get_subscription(request: ArmRequest) -> ArmResponse:
    # Any subscription id is accepted, as if the caller owned it.
    return ArmResponse(200, render_subscription(request.params["subscriptionId"], request.emulator.settings.tenant_id))


def _group_args(request: ArmRequest) -> tuple[str, str]:
    return request.params["subscriptionId"], request.params["resourceGroupName"]


def put_resource_group(request: ArmRequest) -> ArmResponse:
    group, created = request.emulator.backend.put_resource_group(*_group_args(request), request.json())
    return ArmResponse(201 if created else 200, render_resource_group(group))


def get_resource_group(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, render_resource_group(request.emulator.backend.get_resource_group(*_group_args(request))))


def head_resource_group(request: ArmRequest) -> ArmResponse:
    return ArmResponse(204 if request.emulator.backend.resource_group_exists(*_group_args(request)) else 404)


def patch_resource_group(request: ArmRequest) -> ArmResponse:
    group = request.emulator.backend.patch_resource_group(*_group_args(request), request.json())
    return ArmResponse(200, render_resource_group(group))


def delete_resource_group(request: ArmRequest) -> ArmResponse:
    if not request.emulator.backend.delete_resource_group(*_group_args(request)):
        raise ArmError("ResourceGroupNotFound", resourceGroup=request.params["resourceGroupName"])
    # ARM deletes groups asynchronously; ours is done already, so the first poll answers 200.
    location = (
        f"{request.base_url}/subscriptions/{request.params['subscriptionId']}/operationresults/"
        f"{uuid.uuid4().hex}?api-version={request.api_version}"
    )
    return ArmResponse(202, headers={"Location": location, "Retry-After": "1"})


def group_operation_result(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200)


def list_resource_groups(request: ArmRequest) -> ArmResponse:
    subscription = request.params["subscriptionId"]
    return listing(request, lambda after, limit: request.emulator.backend.resource_group_page(
        subscription, after, limit), render_resource_group)


def _filters(text: str) -> dict[str, str]:
    filters: dict[str, str] = {}
    if not text.strip():
        return filters
    for term in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        match = _FILTER_TERM.match(term)
        if match is None or match.group(1).lower() not in ("resourcetype", "name", "resourcegroup"):
            raise ArmError("InvalidFilterInQueryString", filter=text)
        filters[match.group(1).lower()] = match.group(2)
    return filters


def _resources(request: ArmRequest, subscription: str, filters: dict[str, str]) -> ArmResponse:
    return listing(request, lambda after, limit: request.emulator.backend.resource_page(
        subscription, filters, after, limit), render_generic_resource)


def list_resources(request: ArmRequest) -> ArmResponse:
    return _resources(request, request.params["subscriptionId"], _filters(request.query.get("$filter", "")))


def list_group_resources(request: ArmRequest) -> ArmResponse:
    """What a group holds (Terraform reads it before deleting one)."""
    subscription, group = _group_args(request)
    request.emulator.backend.get_resource_group(subscription, group)
    return _resources(request, subscription, {**_filters(request.query.get("$filter", "")), "resourcegroup": group})
