"""Handlers of Microsoft.ContainerRegistry/registries and its actions: parse, call the model, render."""

from __future__ import annotations

from tornado.ioloop import IOLoop

from acr_fidelity.arm.errors import ArmError
from acr_fidelity.arm.http import ArmRequest, ArmResponse, listing, page
from acr_fidelity.registry.privatelink import PRIVATE_ENDPOINT_CONNECTIONS
from acr_fidelity.registry.render import render_child, render_registry


def _render(request: ArmRequest, record: dict, provisioning_state: str | None = None) -> dict:
    emulator = request.emulator
    backend = emulator.backend
    connections = [render_child(PRIVATE_ENDPOINT_CONNECTIONS, c, request.api_version, emulator.table)
                   for c in backend.private_endpoint_connections(record)]
    return render_registry(record, backend.login_server(record), backend.locations(record), connections,
                           request.api_version, emulator.table, provisioning_state)


def _where(request: ArmRequest) -> tuple[str, str, str]:
    p = request.params
    return p["subscriptionId"], p["resourceGroupName"], p["registryName"]


def create(request: ArmRequest) -> ArmResponse:
    record, created = request.emulator.backend.put_registry(
        *_where(request), request.json(), request.api_version, request.caller
    )
    if not created:
        return ArmResponse(200, _render(request, record))
    subscription, group, name = _where(request)
    status_url = (
        f"{request.base_url}/subscriptions/{subscription}/resourceGroups/{group}/providers/"
        f"Microsoft.ContainerRegistry/registries/{name}/operationStatuses/{record['operationId']}"
        f"?api-version={request.api_version}"
    )
    return ArmResponse(201, _render(request, record), {"Azure-AsyncOperation": status_url})


def get(request: ArmRequest) -> ArmResponse:
    """The most asked question (`az acr show`, every SDK poll): answered once per store generation (Answers)."""
    answers = request.emulator.answers
    key = ("registry", request.base_url, request.path, request.api_version)
    kept = answers.get(key)
    if kept is not None:
        return ArmResponse(200, kept)
    generation = answers.generation
    backend = request.emulator.backend
    record = backend.get_registry(*_where(request))
    body = _render(request, record)
    return ArmResponse(200, answers.keep(key, generation, body) if backend.shown_from_store(record) else body)


def update(request: ArmRequest) -> ArmResponse:
    record = request.emulator.backend.patch_registry(*_where(request), request.json(), request.caller)
    return ArmResponse(200, _render(request, record))


def delete(request: ArmRequest) -> ArmResponse:
    outcome = request.emulator.backend.delete_registry(*_where(request))
    if isinstance(outcome, dict):  # the data plane is still removing the images: follow the operation
        return ArmResponse(202, None, {"Location": result_url(request, outcome), "Retry-After": "1"})
    return ArmResponse(200 if outcome else 204)


def _registries(request: ArmRequest, group: str | None) -> ArmResponse:
    subscription = request.params["subscriptionId"]
    return listing(request, lambda after, limit: request.emulator.backend.registry_page(
        subscription, group, after, limit), lambda record: _render(request, record))


def list_by_resource_group(request: ArmRequest) -> ArmResponse:
    return _registries(request, request.params["resourceGroupName"])


def list_all(request: ArmRequest) -> ArmResponse:
    return _registries(request, None)


def list_credentials(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, request.emulator.backend.list_credentials(*_where(request)))


def regenerate_credential(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, request.emulator.backend.regenerate_credential(*_where(request), request.json()))


def list_private_link_resources(request: ArmRequest) -> ArmResponse:
    return page(request, request.emulator.backend.private_link_resources(*_where(request)))


def get_private_link_resource(request: ArmRequest) -> ArmResponse:
    group = request.params["groupName"]
    found = [r for r in request.emulator.backend.private_link_resources(*_where(request)) if r["name"] == group]
    if not found:
        raise ArmError("PrivateLinkResourceNotFound", groupName=group, registry=request.params["registryName"])
    return ArmResponse(200, found[0])


def generate_credentials(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, request.emulator.backend.generate_credentials(*_where(request), request.json()))


async def list_usages(request: ArmRequest) -> ArmResponse:
    backend = request.emulator.backend
    record = backend.get_registry(*_where(request))
    # Measuring storage runs a command in the registry container: on a worker thread, never on the event loop.
    size = await IOLoop.current().run_in_executor(None, backend.measure_size, record)
    return ArmResponse(200, {"value": backend.usages(record, size, request.api_version)})


def import_image(request: ArmRequest) -> ArmResponse:
    operation = request.emulator.backend.import_image(*_where(request), request.json())
    return ArmResponse(202, None, {"Location": result_url(request, operation), "Retry-After": "1"})


def result_url(request: ArmRequest, operation: dict) -> str:
    return (
        f"{request.base_url}/subscriptions/{request.params['subscriptionId']}/providers/"
        f"Microsoft.ContainerRegistry/locations/{operation['location'].upper()}/operationResults/{operation['id']}"
        f"?api-version={request.api_version}"
    )


def check_name_availability(request: ArmRequest) -> ArmResponse:
    answer = request.emulator.backend.check_name(
        request.json(), request.api_version, request.params["subscriptionId"]
    )
    return ArmResponse(200, answer)
