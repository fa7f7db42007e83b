"""Long-running operations: the Azure-AsyncOperation status URL and the Location result URL."""

from __future__ import annotations

from acr_fidelity.arm.errors import status_of
from acr_fidelity.arm.http import ArmRequest, ArmResponse

# While work runs, clients sleep Retry-After seconds; without it they sleep 30.
_RETRY_AFTER = {"Retry-After": "1"}


def status(request: ArmRequest) -> ArmResponse:
    operation = request.emulator.backend.get_operation(request.params["operationId"])
    # Azure repeats the status URL on every poll.
    headers = {"Azure-AsyncOperation": f"{request.base_url}{request.path}?api-version={request.api_version}"}
    if operation["status"] == "InProgress":
        return ArmResponse(200, {"status": "InProgress"}, {**headers, **_RETRY_AFTER})
    if operation["status"] == "Failed":
        return ArmResponse(200, {"status": "Failed", "error": operation["error"]}, headers)
    return ArmResponse(200, {"status": "Succeeded"}, headers)


def result(request: ArmRequest) -> ArmResponse:
    operation = request.emulator.backend.get_operation(request.params["operationId"])
    if operation["status"] == "InProgress":
        return ArmResponse(202, None, {"Location": f"{request.base_url}{request.path}?api-version="
                                                  f"{request.api_version}", **_RETRY_AFTER})
    if operation["status"] == "Failed":
        # A failed operation's result URL answers with the operation's own error.
        error = operation["error"]
        return ArmResponse(status_of(error["code"]), {"error": error, "status": "Failed"})
    return ArmResponse(200)
