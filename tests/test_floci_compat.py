"""floci-az compatibility (`arm: {auto-create-resource-groups: true}`, issue 12): a suite written for floci-az, which
creates registries in groups it never created, runs unchanged; without the switch ARM's answer stands."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import SUBSCRIPTION, Arm, reg_path, start
from tests.docker_support import Emu, push_over_http

API = {"api-version": "2025-04-01"}
BODY = {"location": "eastus", "sku": {"name": "Standard"}, "properties": {"adminUserEnabled": True}}


def test_without_the_switch_a_missing_group_is_arms_404() -> None:
    with start() as server:
        answer = Arm(server.url).call("PUT", reg_path("nogroup1", "flocireg01"), json=BODY)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "ResourceGroupNotFound"


def test_a_bad_body_creates_no_group_either() -> None:
    with start(arm_auto_create_resource_groups=True) as server:
        arm = Arm(server.url)
        answer = arm.call("PUT", reg_path("nogroup2", "flocireg02"), json={**BODY, "sku": {"name": "Gold"}})
        assert answer.status_code == 400
        assert arm.call("GET", "/resourcegroups/nogroup2", "2021-04-01").status_code == 404


@pytest.fixture
def emu(tmp_path_factory: pytest.TempPathFactory, docker_engine: None) -> Iterator[Emu]:
    emulator = Emu(tmp_path_factory.mktemp("floci"), arm_auto_create_resource_groups=True)
    yield emulator
    emulator.server.stop()


def test_a_floci_az_style_suite_runs_unchanged(emu: Emu) -> None:
    """Registry PUT into a group never created, poll, listCredentials, a raw V2 push and `_catalog`."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer floci-suite"
    url = f"{emu.server.url}/subscriptions/{SUBSCRIPTION}{reg_path('flocigroup', 'flocireg03')}"
    created = session.put(url, params=API, json=BODY, timeout=30)
    assert created.status_code == 201, created.text
    status = created.headers["Azure-AsyncOperation"]
    deadline = time.monotonic() + 60
    while (state := session.get(status, timeout=10).json()["status"]) not in ("Succeeded", "Failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert state == "Succeeded"
    group = session.get(f"{emu.server.url}/subscriptions/{SUBSCRIPTION}/resourcegroups/flocigroup",
                        params={"api-version": "2021-04-01"}, timeout=10).json()
    assert group["location"] == "eastus"  # the registry's
    registry = session.get(url, params=API, timeout=10).json()
    credentials = session.post(f"{url}/listCredentials", params=API, timeout=10).json()
    auth = (credentials["username"], credentials["passwords"][0]["value"])
    login_server = registry["properties"]["loginServer"]  # path-style: localhost:{port}/flocireg03
    base = "http://" + login_server.replace("localhost", "127.0.0.1")
    push_over_http(base, auth, repository="hello")
    catalog = requests.get(f"{base}/v2/_catalog", auth=auth, timeout=10)
    assert catalog.status_code == 200 and catalog.json()["repositories"] == ["hello"]
