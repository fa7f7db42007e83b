"""Kept answers (issue 11): a registry GET is rendered once per store generation, and any write, by a request, a
child resource or a worker thread, is seen by the next GET."""

from __future__ import annotations

import threading

from acr_fidelity.arm.answers import Answers
from acr_fidelity.registry.models import Backend
from acr_fidelity.server import RunningServer
from acr_fidelity.state.store import Store
from tests.conftest import Arm, reg_path


def test_a_patch_is_seen_by_the_next_get(arm: Arm) -> None:
    arm.group()
    assert arm.registry("keptreg01").status_code == 201
    first = arm.call("GET", reg_path("rg1", "keptreg01")).json()
    assert arm.call("GET", reg_path("rg1", "keptreg01")).json() == first
    assert arm.call("PATCH", reg_path("rg1", "keptreg01"), json={"tags": {"team": "a"}}).status_code == 200
    assert arm.call("GET", reg_path("rg1", "keptreg01")).json()["tags"] == {"team": "a"}


def test_each_api_version_keeps_its_own_answer(arm: Arm) -> None:
    arm.group()
    assert arm.registry("keptreg02").status_code == 201
    new, old = (arm.call("GET", reg_path("rg1", "keptreg02"), version).json() for version in ("2025-04-01",
                                                                                                 "2019-05-01"))
    assert set(new["properties"]) > set(old["properties"])
    assert arm.call("GET", reg_path("rg1", "keptreg02"), "2025-04-01").json() == new
    assert arm.call("GET", reg_path("rg1", "keptreg02"), "2019-05-01").json() == old


def test_a_child_resource_write_changes_the_registry_shown(arm: Arm) -> None:
    arm.group()
    assert arm.registry("keptreg03", properties={"dataEndpointEnabled": True}).status_code == 201
    before = arm.call("GET", reg_path("rg1", "keptreg03")).json()["properties"]["dataEndpointHostNames"]
    answer = arm.call("PUT", reg_path("rg1", "keptreg03") + "/replications/eastus", json={"location": "eastus"})
    assert answer.status_code in (200, 201), answer.text
    after = arm.call("GET", reg_path("rg1", "keptreg03")).json()["properties"]["dataEndpointHostNames"]
    assert len(before) == 1 and len(after) == 2


def test_a_write_from_another_thread_is_seen(server: RunningServer, arm: Arm) -> None:
    arm.group()
    assert arm.registry("keptreg04").status_code == 201
    assert arm.call("GET", reg_path("rg1", "keptreg04")).json()["tags"] == {}
    store = server.emulator.store

    def worker() -> None:  # as a data-plane job writes: off the event loop
        record = store.get("registry", "keptreg04")
        assert record is not None
        record["tags"] = {"by": "worker"}
        store.put("registry", "keptreg04", record, order="/".join((record["subscriptionId"], "rg1",
                                                                    "keptreg04")).lower())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert arm.call("GET", reg_path("rg1", "keptreg04")).json()["tags"] == {"by": "worker"}


def test_an_answer_rendered_across_a_write_is_not_kept() -> None:
    store = Store()
    answers = Answers(store)
    generation = answers.generation
    store.put("registry", "a", {"name": "a"})  # written while the answer was being rendered
    assert answers.keep("k", generation, {"name": "a"}) == b'{"name":"a"}'
    assert answers.get("k") is None
    answers.keep("k", answers.generation, {"name": "a"})
    assert answers.get("k") == b'{"name":"a"}'
    store.delete("registry", "a")
    assert answers.get("k") is None


def test_registries_the_data_plane_still_works_on_are_not_shown_from_the_store() -> None:
    assert Backend.shown_from_store({"provisioningState": "Succeeded"})
    assert Backend.shown_from_store({"provisioningState": "Failed"})
    assert not Backend.shown_from_store({"provisioningState": "Creating"})
    assert not Backend.shown_from_store({"provisioningState": "Deleting"})
