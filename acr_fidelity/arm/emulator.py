"""The emulator's own endpoints, under /_emulator: nothing Azure has."""

from __future__ import annotations

from acr_fidelity.arm.http import ArmRequest, ArmResponse


def health(request: ArmRequest) -> ArmResponse:
    emulator = request.emulator
    return ArmResponse(200, {
        "status": "ok",
        "acr": {
            "enabled": emulator.settings.acr_enabled,
            "mocked": emulator.settings.acr_mocked,
            "dataPlane": emulator.dataplane.health(),
        },
        "stateDir": str(emulator.settings.state_dir) if emulator.settings.state_dir else None,
        # what a client of a running emulator needs to sign in and address it (the pytest plugin reads them)
        "tenantId": emulator.settings.tenant_id,
        "subscriptionId": emulator.settings.subscription_id,
    })


def certificate(request: ArmRequest) -> ArmResponse:
    """The PEM clients add to their trust bundle."""
    pair = request.emulator.certificate
    if pair is None:
        return ArmResponse(404, {"error": {"code": "NotFound", "message": "HTTPS is turned off: no certificate."}})
    return ArmResponse(200, pair.pem().decode(), {"Content-Type": "application/x-pem-file"})
