"""Without a Docker engine the emulator runs management-plane only, and says so; no Docker needed here."""

from __future__ import annotations

import pytest

from acr_fidelity.dataplane import MockedDataPlane
from tests.conftest import Arm, reg_path, start


def test_no_docker_engine_means_management_plane_only(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with start(acr_mocked=False) as server:
        assert isinstance(server.emulator.dataplane, MockedDataPlane)
        arm = Arm(server.url)
        plane = arm.call("GET", "/_emulator/health", version=None).json()["acr"]["dataPlane"]
        assert plane["mode"] == "management-plane-only"
        assert "no Docker engine answers" in plane["reason"] and "scripts/start-dockerd" in plane["reason"]
        arm.group()
        assert arm.registry("nodocker1").status_code == 201
        assert arm.call("GET", reg_path("rg1", "nodocker1")).json()["properties"]["provisioningState"] == "Succeeded"
    assert "ACR data plane unavailable" in caplog.text
