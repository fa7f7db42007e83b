"""Replay mechanics: seeding, link following, LRO alignment, list filtering, scope, api-version override."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from acr_fidelity.harness.cassette import load_cassette
from acr_fidelity.harness.model import RunResult
from acr_fidelity.harness.replay import CassetteReplay, Replayer, emulator_target, plan_seeding
from acr_fidelity.harness.rules import load_rules
from tests.test_harness_support import REG, SUB, interaction, shared, write_cassette

REGISTRY = {"location": "westus", "sku": {"name": "Premium"}}
OP = f"{REG}/reg00001/operationStatuses/registries-recorded-op?api-version=2025-04-01&t=1&s=sig"


class FakeArm:
    """A scripted ARM endpoint: the create goes async (or not), the status needs `polls` GETs to finish."""

    def __init__(self, async_create: bool, polls: int) -> None:
        self.async_create, self.polls_left, self.seen = async_create, polls, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                fake.seen.append(("PUT", self.path))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "/registries/" in self.path and fake.async_create:
                    op = f"{fake.url}/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.ContainerRegistry" \
                         "/registries/reg00001/operationStatuses/emulator-op?api-version=2025-04-01"
                    self._answer(201, {"name": "reg00001"}, {"Azure-AsyncOperation": op, "Retry-After": "0"})
                else:
                    self._answer(200 if "/registries/" in self.path else 201, {"name": "reg00001"})

            def do_GET(self) -> None:
                fake.seen.append(("GET", self.path))
                if "emulator-op" in self.path:
                    fake.polls_left -= 1
                    done = fake.polls_left <= 0
                    self._answer(200, {"status": "Succeeded" if done else "InProgress"}, {"Retry-After": "0"})
                else:
                    self._answer(200, {"name": "reg00001"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_arm() -> Iterator[Any]:
    servers: list[FakeArm] = []

    def make(async_create: bool = True, polls: int = 1) -> FakeArm:
        servers.append(FakeArm(async_create, polls))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _lro_cassette(tmp_path: Path) -> Path:
    return write_cassette(tmp_path / "lro.yaml", [
        interaction("PUT", f"{REG}/reg00001?api-version=2025-04-01", 201, {"name": "reg00001"}, REGISTRY,
                    {"Azure-AsyncOperation": f"https://management.azure.com{OP}"}),
        interaction("GET", OP, 200, {"status": "Succeeded"}),
        interaction("GET", f"{REG}/reg00001?api-version=2025-04-01", 200, {"name": "reg00001"}),
    ])


def _replay(path: Path, target: str) -> list[Any]:
    cassette = load_cassette(path, path.parent)
    return CassetteReplay(cassette, target, load_rules()).run().interactions


def test_poll_follows_the_link_the_emulator_gave(tmp_path: Path, fake_arm: Any) -> None:
    fake = fake_arm(async_create=True, polls=1)
    results = _replay(_lro_cassette(tmp_path), fake.url)
    assert [r.cls for r in results] == ["match", "match", "match"]
    assert "emulator-op" in results[1].replayed["url"]
    assert not any("recorded-op" in path for _, path in fake.seen)


def test_emulator_needing_more_polls_is_polled_on(tmp_path: Path, fake_arm: Any) -> None:
    fake = fake_arm(async_create=True, polls=4)
    results = _replay(_lro_cassette(tmp_path), fake.url)
    assert results[1].cls == "match"
    assert results[1].extra_polls == 3
    assert sum(1 for _, p in fake.seen if "emulator-op" in p) == 4


def test_recorded_poll_with_nothing_to_follow_is_skipped(tmp_path: Path, fake_arm: Any) -> None:
    fake = fake_arm(async_create=False)
    results = _replay(_lro_cassette(tmp_path), fake.url)
    assert [r.cls for r in results] == ["lro-shape", "skipped", "match"]
    assert "without a Azure-AsyncOperation" in results[1].note


def test_emulator_going_async_is_polled_before_the_next_request(tmp_path: Path, fake_arm: Any) -> None:
    fake = fake_arm(async_create=True, polls=2)
    path = write_cassette(tmp_path / "sync.yaml", [
        interaction("PUT", f"{REG}/reg00001?api-version=2025-04-01", 200, {"name": "reg00001"}, REGISTRY),
        interaction("GET", f"{REG}/reg00001?api-version=2025-04-01", 200, {"name": "reg00001"}),
    ])
    results = _replay(path, fake.url)
    assert [r.cls for r in results] == ["lro-shape", "match"]
    polls = [i for i, (_, p) in enumerate(fake.seen) if "emulator-op" in p]
    final_get = max(i for i, (m, p) in enumerate(fake.seen) if m == "GET" and p.startswith(f"{REG}/reg00001?"))
    assert len(polls) == 2 and max(polls) < final_get


def test_seeding_plans_groups_and_import_sources(tmp_path: Path) -> None:
    source = f"/subscriptions/{SUB}/resourcegroups/srcgroup/providers/Microsoft.ContainerRegistry/registries/srcreg01"
    path = write_cassette(tmp_path / "seed.yaml", [
        interaction("PUT", f"{REG}/reg00001?api-version=2025-04-01", 200, {}, {**REGISTRY, "location": "eastus"}),
        interaction("POST", f"{REG}/reg00001/importImage?api-version=2025-04-01", 202, "",
                    {"source": {"resourceId": source, "sourceImage": "a:b"}, "targetTags": ["a:b"]}),
        interaction("PUT", f"/subscriptions/{SUB}/resourcegroups/made?api-version=2021-04-01", 201, {},
                    {"location": "westus"}),
        interaction("GET", f"/subscriptions/{SUB}/resourceGroups/made/providers/Microsoft.ContainerRegistry/"
                    "registries?api-version=2025-04-01", 200, {"value": []}),
    ])
    steps = plan_seeding(load_cassette(path))
    assert [(s.path.rsplit("/", 1)[-1], s.body.get("location")) for s in steps] == [
        ("rg1", "eastus"), ("srcgroup", "westus"), ("srcreg01", "westus")]


def test_seeding_happens_through_the_arm_api(tmp_path: Path) -> None:
    path = write_cassette(tmp_path / "seed.yaml", [
        interaction("GET", f"/subscriptions/{SUB}/resourcegroups/rg1?api-version=2021-04-01", 200,
                    {"id": f"/subscriptions/{SUB}/resourceGroups/rg1", "name": "rg1",
                     "type": "Microsoft.Resources/resourceGroups", "location": "northeurope",
                     "tags": {"k": "v"}, "properties": {"provisioningState": "Succeeded"}}),
    ])
    run = Replayer(load_rules()).run([path])
    [cassette] = run.cassettes
    assert cassette.seeded[0]["status"] in (200, 201)
    assert cassette.seeded[0]["body"] == {"location": "northeurope", "tags": {"k": "v"}}
    assert [i.cls for i in cassette.interactions] == ["match"]


def test_scope_comes_from_the_route_table(tmp_path: Path) -> None:
    path = write_cassette(tmp_path / "scope.yaml", [
        interaction("GET", f"{REG}/reg00001/tasks?api-version=2025-04-01", 200, {"value": []}),
        interaction("GET", "https://fake_url.azurecr.io/acr/v1/_catalog", 401, ""),
        interaction("GET", "/_emulator/health", 200, {}),
    ])
    results = Replayer(load_rules()).run([path]).cassettes[0].interactions
    assert [results[0].cls, results[2].cls] == ["unsupported"] * 2
    assert results[0].replayed is None and results[2].replayed is None  # decided without asking the emulator
    # A login server's request is the front door's (replayed on the Docker data plane, or skipped without one).
    assert results[1].operation == "ContainerRegistry_GetRepositories" and results[1].cls != "unsupported"


def test_list_answers_keep_only_what_the_cassette_created(tmp_path: Path) -> None:
    mine = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries/reg00001"
    other = mine.replace("rg1", "recorders-own").replace("reg00001", "elsewhere")
    with emulator_target(None) as base:
        import requests

        created = requests.put(f"{base}{mine}?api-version=2025-04-01", json=REGISTRY, timeout=10,
                               headers={"Authorization": "Bearer x"})
        assert created.status_code == 404  # no group yet: the harness must seed it
    path = write_cassette(tmp_path / "list.yaml", [
        interaction("PUT", f"{mine}?api-version=2025-04-01", 201, "", REGISTRY),
        interaction("GET", f"/subscriptions/{SUB}/resources?$filter=resourceType%20eq%20%27Microsoft."
                    "ContainerRegistry%2Fregistries%27&api-version=2021-04-01", 200,
                    {"value": [{"id": other, "name": "elsewhere"}, {"id": mine.upper(), "name": "nope"}]}),
    ])
    results = Replayer(load_rules()).run([path]).cassettes[0].interactions
    gaps = {g.path: (g.recorded, g.replayed) for g in results[1].gaps}
    assert all("elsewhere" not in p for p in gaps)  # the recorder's other registry is dropped
    assert gaps[f"value[{mine.lower()!r}].name"] == ("nope", "reg00001")  # matched by id, case-insensitively


def test_api_version_override_applies_to_registry_routes_only(tmp_path: Path) -> None:
    path = write_cassette(tmp_path / "v.yaml", [
        interaction("PUT", f"/subscriptions/{SUB}/resourcegroups/rg1?api-version=2021-04-01", 201, {},
                    {"location": "westus"}),
        interaction("POST", f"/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/checkNameAvailability"
                    "?api-version=2019-05-01", 200, {"nameAvailable": True},
                    {"name": "reg00001", "type": "Microsoft.ContainerRegistry/registries"}),
    ])
    results = Replayer(load_rules(), api_version="2025-04-01").run([path]).cassettes[0].interactions
    assert [r.api_version for r in results] == ["2021-04-01", "2025-04-01"]
    assert results[1].recorded_api_version == "2019-05-01"
    assert "api-version=2025-04-01" in results[1].replayed["url"]


def test_shared_import_cassette_seeds_the_source_registry() -> None:
    path = shared("cassettes", "azure-cli", "test_acr_import_no_wait.yaml")
    run = Replayer(load_rules()).run([path])
    seeded = [s["path"].rsplit("/", 1)[-1] for s in run.cassettes[0].seeded]
    assert seeded == ["resourcegroupdiffsub", "sourceregistrydiffsub"]
    assert all(s["status"] in (200, 201) for s in run.cassettes[0].seeded)
    assert run.cassettes[0].interactions[6].replayed["status"] == 202  # the import found its source


def test_cassettes_replayed_at_once_score_as_they_do_in_turn() -> None:
    """`--jobs`: forked workers, each with its own emulators, give the same result in the same order."""
    folder = shared("cassettes", "azure-cli")
    in_turn = Replayer(load_rules(), workers=1).run([folder])
    at_once = Replayer(load_rules(), workers=2).run([folder])

    def classes(run: RunResult) -> list[tuple[str, list[str]]]:
        return [(c.id, [i.cls for i in c.interactions]) for c in run.cassettes]

    assert classes(at_once) == classes(in_turn) and len(at_once.cassettes) > 5


def test_polls_of_a_delete_azure_ran_async_and_the_emulator_did_not_are_skipped(tmp_path: Path) -> None:
    """Issue 12: a DELETE Azure answered 202 + Location while the emulator answered at once: the recorded polls
    are skipped (counted), not replayed verbatim into a 404 gap, though the Location's operation id is
    percent-encoded and the recorded poll's is not."""
    location = (f"https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/"
                "locations/WESTUS/operationResults/cmVn%3D%3D?api-version=2025-04-01&t=1&c=x%2By&s=z&h=w")
    poll = location.replace("cmVn%3D%3D", "cmVn==").replace("x%2By", "x+y")
    body = {"location": "westus", "sku": {"name": "Basic"}}
    path = write_cassette(tmp_path / "delete.yaml", [
        interaction("PUT", f"{REG}/delreg001?api-version=2025-04-01", 201, {"name": "delreg001"}, body),
        interaction("DELETE", f"{REG}/delreg001?api-version=2025-04-01", 202, "", None,
                    {"Location": location, "Retry-After": "10"}),
        interaction("GET", poll, 202, "", None, {"Location": location, "Retry-After": "10"}),
        interaction("GET", poll, 200, ""),
    ])
    with emulator_target(None) as base:
        results = CassetteReplay(load_cassette(path, path.parent), base, load_rules()).run().interactions
    assert [r.cls for r in results[1:]] == ["lro-shape", "skipped", "skipped"]


def test_an_available_login_server_name_with_a_hash_is_compared_by_shape(tmp_path: Path) -> None:
    """Issue 12: checkNameAvailability's availableLoginServerName carries Azure's secret hash, as loginServer."""
    check = f"/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/checkNameAvailability?api-version=" \
            "2025-06-01-preview"
    path = write_cassette(tmp_path / "check.yaml", [
        interaction("POST", check, 200, {"nameAvailable": True,
                                         "availableLoginServerName": "dnlreg001-a1b2c3d4e5f6g7h8.azurecr.io"},
                    {"name": "dnlreg001", "type": "Microsoft.ContainerRegistry/registries",
                     "autoGeneratedDomainNameLabelScope": "TenantReuse", "resourceGroupName": "rg1"}),
    ])
    with emulator_target(None) as base:
        result = CassetteReplay(load_cassette(path, path.parent), base, load_rules()).run().interactions[0]
    assert result.cls == "deviation", (result.gaps, result.replayed)
    assert "login-server-dnl-hash" in result.rules


def test_endpoint_host_names_carry_the_dnl_hash_and_are_compared_by_shape(tmp_path: Path) -> None:
    """Issue 12: every name derived from the domain name label (login server, data endpoints) is compared by shape;
    the emulator's own follow its label, as Azure's do."""
    body = {"location": "westus", "sku": {"name": "Premium"},
            "properties": {"dataEndpointEnabled": True, "autoGeneratedDomainNameLabelScope": "TenantReuse"}}
    recorded = {"properties": {"loginServer": "dnlreg002-a1b2c3d4e5f6g7h8.azurecr.io", "dataEndpointHostNames": [
        "dnlreg002-a1b2c3d4e5f6g7h8.westus.data.azurecr.io"]}}
    path = write_cassette(tmp_path / "dnl.yaml", [
        interaction("PUT", f"{REG}/dnlreg002?api-version=2025-06-01-preview", 201, recorded, body)])
    with emulator_target(None) as base:
        result = CassetteReplay(load_cassette(path, path.parent), base, load_rules()).run().interactions[0]
    replayed = json.loads(result.replayed["body"])["properties"]
    assert replayed["dataEndpointHostNames"][0].startswith(replayed["loginServer"].split(".")[0] + ".westus.")
    assert not [g for g in result.gaps if "HostNames" in g.path or "loginServer" in g.path], result.gaps
    assert {"login-server-dnl-hash", "endpoint-host-dnl-hash"} <= set(result.rules)


def test_a_https_target_is_verified_against_the_ca_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import start, trust_bundle_for

    path = write_cassette(tmp_path / "https.yaml", [
        interaction("PUT", f"{REG}/reg00001?api-version=2025-04-01", 200, {"name": "reg00001"}, REGISTRY),
        interaction("GET", f"{REG}/reg00001?api-version=2025-04-01", 200, {"name": "reg00001"}),
    ])
    with start() as server:
        target = server.https_url.replace("127.0.0.1", "localhost")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trust_bundle_for(server)))
        trusted = _replay(path, target)
        assert all(r.cls != "error" for r in trusted) and trusted[1].replayed["status"] == 200
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        untrusted = _replay(path, target)
        assert [r.cls for r in untrusted] == ["error", "error"]
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted[1].note
