"""The recording proxy: record against an in-process emulator, sanitize, then replay the cassette at full fidelity."""

from __future__ import annotations

from pathlib import Path

import requests

from acr_fidelity.harness.cassette import load_cassette
from acr_fidelity.harness.model import to_json
from acr_fidelity.harness.record import start_proxy_in_thread
from acr_fidelity.harness.replay import Replayer, emulator_target
from acr_fidelity.harness.rules import load_rules
from acr_fidelity.harness.sanitize import scrub_body, scrub_headers, scrub_text

SUB = "00000000-0000-0000-0000-000000000000"
REG = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries/recorded01"


def _drive(base: str) -> None:
    """What a client would do: group, create (following the async status), get, credentials, list, delete."""
    s = requests.Session()
    s.headers["Authorization"] = "Bearer secret-token"

    def call(method: str, path: str, version: str = "2025-04-01", **kw: object) -> requests.Response:
        url = path if path.startswith("http") else f"{base}{path}"
        if "api-version" not in url:
            url += ("&" if "?" in url else "?") + f"api-version={version}"
        return s.request(method, url, timeout=10, **kw)

    assert call("PUT", f"/subscriptions/{SUB}/resourcegroups/rg1", "2021-04-01", json={"location": "westus"}).ok
    created = call("PUT", REG, json={"location": "westus", "sku": {"name": "Basic"},
                                     "properties": {"adminUserEnabled": True}})
    assert created.ok
    status = created.headers.get("Azure-AsyncOperation")
    if status:
        assert status.startswith(base)  # the proxy hands out its own links
        call("GET", status)
    call("GET", REG)
    call("POST", f"{REG}/listCredentials")
    call("GET", f"/subscriptions/{SUB}/resources?$filter=resourceType eq 'Microsoft.ContainerRegistry/registries'",
         "2021-04-01")
    call("DELETE", REG)


def test_record_then_replay_is_full_fidelity(tmp_path: Path) -> None:
    out = tmp_path / "recorded.yaml"
    with emulator_target(None) as upstream, start_proxy_in_thread(upstream, out) as proxy:
        _drive(proxy.url)
        written_during = load_cassette(out)  # written on each exchange, not only at shutdown
        assert len(written_during.interactions) >= 6
    cassette = load_cassette(out)
    text = out.read_text()
    assert "secret-token" not in text and "Authorization" not in text
    assert all(rec.uri.startswith(upstream) for rec in cassette.interactions)

    doc = to_json(Replayer(load_rules()).run([out]))
    assert doc["summary"]["fidelity"] == 1.0, [i["gaps"] for i in doc["interactions"] if i["gaps"]]
    assert doc["summary"]["counts"]["unsupported"] == 0


def test_sanitizing() -> None:
    sub = "/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/x"
    assert scrub_text(sub) == f"/subscriptions/{SUB}/resourceGroups/x"
    body = scrub_body('{"passwords":[{"name":"password","value":"S3cretS3cret"}],"refresh_token":"abc",'
                      '"id":"' + sub + '"}')
    assert "S3cret" not in body and "abc" not in body and SUB in body
    assert '"value":"fakeSanitize"' in body  # same length as the secret
    form = scrub_body("grant_type=refresh_token&service=x.azurecr.io&refresh_token=eyJ.secret",
                      "application/x-www-form-urlencoded")
    assert "eyJ" not in form and "service=x.azurecr.io" in form
    assert scrub_headers({"Authorization": ["Bearer t"], "Accept": ["*/*"]}) == {"Accept": ["*/*"]}
