"""Handlers of a webhook's actions (its CRUD is arm/children.py's): ping, listEvents, getCallbackConfig."""

from __future__ import annotations

from acr_fidelity.arm.http import ArmRequest, ArmResponse, page


def _where(request: ArmRequest) -> tuple[str, str, str, str]:
    p = request.params
    return p["subscriptionId"], p["resourceGroupName"], p["registryName"], p["webhookName"]


def ping(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, request.emulator.backend.ping_webhook(*_where(request)))


def list_events(request: ArmRequest) -> ArmResponse:
    return page(request, request.emulator.backend.webhook_events(*_where(request)))


def get_callback_config(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, request.emulator.backend.webhook_callback(*_where(request)))
