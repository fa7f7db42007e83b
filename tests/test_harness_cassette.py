"""Loading cassettes through vcrpy: YAML and JSON, bytes-literal bodies, discovery."""

from __future__ import annotations

import json
from pathlib import Path

from acr_fidelity.harness.cassette import decode_body, discover, load_cassette
from tests.test_harness_support import REG, interaction, shared, write_cassette


def test_nested_bytes_literals_are_decoded() -> None:
    doc = '{"a": 1}'
    assert decode_body(repr(doc.encode())) == doc
    nested = repr(repr(repr(doc.encode()).encode()).encode())  # b'b\'b\\\'{...}\\\'\''
    assert nested.startswith("b'b")
    assert decode_body(nested) == doc
    assert decode_body(None) == ""
    assert decode_body({"string": "plain"}) == "plain"
    assert decode_body("b'not closed") == "b'not closed"


def test_yaml_and_json_cassettes_load_alike(tmp_path: Path) -> None:
    rows = [interaction("PUT", f"{REG}/reg00001?api-version=2025-04-01", 200, {"name": "reg00001"},
                        request_body={"location": "westus"})]
    for suffix in (".yaml", ".json"):
        cassette = load_cassette(write_cassette(tmp_path / f"c{suffix}", rows), tmp_path)
        [rec] = cassette.interactions
        assert (rec.method, rec.status, rec.api_version) == ("PUT", 200, "2025-04-01")
        assert rec.request_json() == {"location": "westus"}
        assert rec.response_json() == {"name": "reg00001"}
        assert cassette.id == f"c{suffix}"


def test_shared_classic_registry_body_is_decoded() -> None:
    path = shared("cassettes", "sdk", "mgmt", "test_mgmt_containerregistry.test_classic_registry.yaml")
    cassette = load_cassette(path)
    body = cassette.interactions[1].request_json()
    assert body["sku"] == {"name": "Classic"}
    assert cassette.id == "cassettes/sdk/mgmt/test_mgmt_containerregistry.test_classic_registry.yaml"


def test_shared_cassettes_all_load() -> None:
    found = list(discover([shared("cassettes")]))
    assert len(found) == 24
    assert sum(len(load_cassette(p, r).interactions) for p, r in found) == 204


def test_discovery_skips_json_that_is_neither_cassette_nor_example(tmp_path: Path) -> None:
    (tmp_path / "swagger.json").write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    (tmp_path / "ex.json").write_text(json.dumps({"parameters": {}, "responses": {}}))
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p, _ in discover([tmp_path])] == ["ex.json"]
