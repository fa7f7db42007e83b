"""Rules and scoring: globs, checks, planted differences, user rules files, fidelity arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_fidelity.harness.diff import Response, compare
from acr_fidelity.harness.model import summarize, to_json
from acr_fidelity.harness.replay import Replayer
from acr_fidelity.harness.rules import RulesError, glob_match, load_rules
from tests.test_harness_support import shared

REGISTRY = {
    "name": "reg00001",
    "systemData": {"createdBy": "someone@example.com", "createdAt": "2025-04-28T03:54:19.7519647+00:00"},
    "properties": {"loginServer": "reg00001.azurecr.io", "creationDate": "2025-04-28T03:54:19.7519647Z",
                   "adminUserEnabled": False},
}


def _resp(body: object, status: int = 200, **headers: str) -> Response:
    return Response(status, headers, json.dumps(body))


def _replayed(**changes: object) -> dict:
    doc = json.loads(json.dumps(REGISTRY))
    doc["systemData"] = {"createdBy": "emulator@local", "createdAt": "2026-01-01T00:00:00.0000000Z"}
    doc["properties"]["creationDate"] = "2026-01-01T00:00:00Z"
    doc["properties"].update(changes)
    return doc


def test_globs() -> None:
    assert glob_match("**.systemData.createdAt", ["value", "/x", "systemData", "createdAt"])
    assert glob_match("**.systemData.createdAt", ["systemData", "createdAt"])
    assert glob_match("passwords.*.value", ["passwords", 1, "value"])
    assert not glob_match("passwords.*.value", ["passwords", "value"])


def test_volatile_and_documented_values_are_excused() -> None:
    outcome = compare(_resp(REGISTRY), _resp(_replayed()), load_rules(), "Registries_Get")
    assert outcome.cls == "deviation"  # createdBy is a documented deviation
    assert sorted(set(outcome.rules)) == ["caller-identity", "timestamp"]


def test_planted_difference_is_a_gap_with_path_and_values() -> None:
    outcome = compare(_resp(REGISTRY), _resp(_replayed(adminUserEnabled=True)), load_rules(), "Registries_Get")
    assert outcome.cls == "gap"
    assert [(g.path, g.recorded, g.replayed) for g in outcome.gaps] == [
        ("properties.adminUserEnabled", False, True)]


def test_a_broken_volatile_value_is_still_a_gap() -> None:
    outcome = compare(_resp(REGISTRY), _resp(_replayed(creationDate="yesterday")), load_rules())
    assert outcome.cls == "gap" and outcome.gaps[0].path == "properties.creationDate"


def test_status_and_missing_lro_header_are_gaps_but_extra_headers_are_not() -> None:
    rules = load_rules()
    assert compare(_resp({}, 200), _resp({}, 404), rules).gaps[0].path == "status"
    poll = {"status": "Succeeded"}
    missing = compare(_resp(poll, **{"Azure-AsyncOperation": "https://x/op"}), _resp(poll), rules)
    assert [g.path for g in missing.gaps] == ["headers.Azure-AsyncOperation"]
    assert compare(_resp(poll), _resp(poll, Location="http://e/op"), rules).cls == "match"


def test_lro_shape_excuses_only_the_shape() -> None:
    rules = load_rules()
    recorded = _resp({**REGISTRY, "properties": {**REGISTRY["properties"], "provisioningState": "Succeeded"}})
    emulator = _replayed(provisioningState="Creating")
    outcome = compare(recorded, _resp(emulator, 201, **{"Azure-AsyncOperation": "http://e/op"}), rules)
    assert outcome.cls == "lro-shape"
    emulator["properties"]["adminUserEnabled"] = True
    assert compare(recorded, _resp(emulator, 201, **{"Azure-AsyncOperation": "http://e/op"}), rules).cls == "gap"


def test_dnl_login_server_needs_the_same_name() -> None:
    rules = load_rules()
    recorded = {"properties": {"loginServer": "clireg000002-hybrcnbrawh7hkf9.azurecr.io"}}
    same = {"properties": {"loginServer": "clireg000002-abcdefgh12345678.azurecr.io"}}
    other = {"properties": {"loginServer": "otherreg0002-abcdefgh12345678.azurecr.io"}}
    assert compare(_resp(recorded), _resp(same), rules).rules == ["login-server-dnl-hash"]
    assert compare(_resp(recorded), _resp(other), rules).cls == "gap"


def test_passwords_by_length_and_alphabet() -> None:
    rules = load_rules()
    rec = {"passwords": [{"name": "password", "value": "fakeAcrPassword00000000000000001"}]}
    ok = {"passwords": [{"name": "password", "value": "Zx9" * 10 + "ab"}]}
    short = {"passwords": [{"name": "password", "value": "Zx9"}]}
    assert compare(_resp(rec), _resp(ok), rules).cls == "match"
    assert compare(_resp(rec), _resp(short), rules).cls == "gap"


def test_inputs_are_not_modified() -> None:
    body = {"value": [{"id": "/A", "name": "a"}]}
    text = json.dumps(body)
    recorded = Response(200, {}, text)
    compare(recorded, Response(200, {}, json.dumps({"value": [{"id": "/a", "name": "b"}]})), load_rules(),
            keep_ids={"/a"})
    assert recorded.body == text


def test_user_rules_merge_override_and_replace(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text("rules:\n  - {id: timestamp, kind: deviation, reason: r, check: any-string, paths: [x]}\n"
                     "  - {id: mine, kind: volatile, reason: r, check: uuid, paths: ['**.myId']}\n")
    rules = load_rules([extra]).by_id()
    assert rules["timestamp"].check == "any-string" and "mine" in rules and "caller-identity" in rules
    empty = tmp_path / "empty.yaml"
    empty.write_text("replace: true\nrules: []\n")
    assert load_rules([empty]).rules == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {id: x, kind: volatile, reason: r, check: nope, paths: [a]}\n")
    with pytest.raises(RulesError, match="known checks"):
        load_rules([bad])


def test_scoring_counts_every_class() -> None:
    s = summarize(["match", "deviation", "lro-shape", "gap", "error", "skipped", "unsupported", "unsupported"])
    assert s["scored"] == 5 and s["total"] == 8
    assert s["fidelity"] == 0.6 and s["coverage"] == 0.625
    assert summarize([])["fidelity"] is None


def test_emptied_rules_lower_the_score(tmp_path: Path) -> None:
    path = shared("cassettes", "sdk", "mgmt", "test_mgmt_containerregistry.test_managed_registry.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("replace: true\nrules: []\n")
    full = to_json(Replayer(load_rules()).run([path]))["summary"]
    bare = to_json(Replayer(load_rules([empty])).run([path]))["summary"]
    assert bare["fidelity"] < full["fidelity"]
    assert bare["counts"]["gap"] > full["counts"]["gap"]


def test_a_rule_scoped_to_a_cassette_excuses_nothing_elsewhere(tmp_path: Path) -> None:
    """A recording's quirk (`cassettes:`) is excused in that recording only."""
    rules_file = tmp_path / "scoped.yaml"
    rules_file.write_text("rules:\n  - id: one-quirk\n    kind: deviation\n    reason: that recording only\n"
                          "    check: any-string\n    cassettes: ['*/quirky.yaml']\n    paths: [odd]\n")
    rules = load_rules([rules_file], builtin=False)
    assert rules.find(["odd"], None, "a", "b", "cassettes/quirky.yaml") is not None
    assert rules.find(["odd"], None, "a", "b", "cassettes/other.yaml") is None
    assert rules.find(["odd"], None, "a", "b") is None
