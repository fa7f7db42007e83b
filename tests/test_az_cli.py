"""The real az CLI (azure-cli from PyPI) against the emulator over HTTPS, signed in at the emulated Entra ID.

Runs in the tox env `azcli`, which installs azure-cli; elsewhere it skips unless CI is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acr_fidelity.server import RunningServer
from tests.conftest import start, trust_bundle_for

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class Az:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.timings: list[tuple[str, float]] = []

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(["az", *args], env=self.env, capture_output=True, text=True, timeout=300)
        self.timings.append((" ".join(args[:3]), time.monotonic() - started))
        assert done.returncode == expect, f"az {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--output", "json").stdout)


@pytest.fixture
def az(tmp_path: Path) -> Iterator[tuple[Az, RunningServer]]:
    if shutil.which("az") is None:
        if os.environ.get("CI"):
            pytest.fail("az is not installed: run this file through `tox -e azcli`")
        pytest.skip("az is not installed (tox -e azcli installs it)")
    with start() as server:
        env = {
            **os.environ,
            "AZURE_CONFIG_DIR": str(tmp_path / "az"),
            "REQUESTS_CA_BUNDLE": str(trust_bundle_for(server)),
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",  # otherwise MSAL asks the public cloud
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            "AZURE_CORE_NO_COLOR": "true",
        }
        yield Az(env), server


def test_az_acr_flow(az: tuple[Az, RunningServer]) -> None:
    cli, server = az
    url = server.https_url.replace("127.0.0.1", "localhost")
    cli.run("cloud", "register", "--name", "AcrFidelityTest", "--endpoint-resource-manager", url + "/")
    cli.run("cloud", "set", "--name", "AcrFidelityTest")
    accounts = cli.json("login", "--service-principal", "--username", "az-test-app", "--password", "s3cret",
                        "--tenant", TENANT)
    assert accounts[0]["id"] == "00000000-0000-0000-0000-000000000000"
    assert cli.json("group", "create", "--name", "azgroup", "--location", "westus")["name"] == "azgroup"

    created = cli.json("acr", "create", "-n", "azreg01", "-g", "azgroup", "--sku", "Basic", "-l", "westus")
    assert created["provisioningState"] == "Succeeded" and created["loginServer"] == "azreg01.azurecr.io"
    second = cli.json("acr", "create", "-n", "azreg02", "-g", "azgroup", "--sku", "Standard")  # group's location
    assert second["location"] == "westus" and second["sku"]["name"] == "Standard"

    assert cli.json("acr", "show", "-n", "azreg01", "-g", "azgroup")["name"] == "azreg01"
    assert cli.json("acr", "show", "-n", "azreg01")["resourceGroup"] == "azgroup"  # found through /resources
    assert sorted(r["name"] for r in cli.json("acr", "list")) == ["azreg01", "azreg02"]
    assert sorted(r["name"] for r in cli.json("acr", "list", "-g", "azgroup")) == ["azreg01", "azreg02"]

    assert cli.json("acr", "update", "-n", "azreg01", "--admin-enabled", "true")["adminUserEnabled"] is True
    assert cli.json("acr", "update", "-n", "azreg01", "--tags", "team=fidelity")["tags"] == {"team": "fidelity"}

    shown = cli.json("acr", "credential", "show", "-n", "azreg01")
    assert shown["username"] == "azreg01" and len(shown["passwords"]) == 2
    renewed = cli.json("acr", "credential", "renew", "-n", "azreg01", "--password-name", "password2")
    assert renewed["passwords"][0]["value"] == shown["passwords"][0]["value"]
    assert renewed["passwords"][1]["value"] != shown["passwords"][1]["value"]

    assert cli.json("acr", "check-name", "-n", "azreg01")["nameAvailable"] is False
    assert cli.json("acr", "check-name", "-n", "freshname9")["nameAvailable"] is True
    usage = {row["name"]: row for row in cli.json("acr", "show-usage", "-n", "azreg01")["value"]}
    assert usage["Size"]["limit"] == 10737418240

    cli.run("acr", "import", "-n", "azreg02", "--source", "hello:1", "-r", "azreg01", "--image", "hello:1")

    cli.run("acr", "delete", "-n", "azreg01", "--yes")
    missing = cli.run("acr", "show", "-n", "azreg01", "-g", "azgroup", expect=3)
    assert "ResourceNotFound" in missing.stderr
    assert "'Microsoft.ContainerRegistry/registries/azreg01' under resource group 'azgroup' was not found" \
        in missing.stderr
    # No command may wait on a polling sleep: every step finishes well under the 30 s a missing Retry-After costs.
    slow = [(name, round(seconds, 1)) for name, seconds in cli.timings if seconds > 25]
    assert slow == []


def test_az_run_recorded_through_the_proxy_replays_at_full_fidelity(az: tuple[Az, RunningServer],
                                                                      tmp_path: Path) -> None:
    from acr_fidelity.harness.diff import GOOD
    from acr_fidelity.harness.record import start_proxy_in_thread
    from acr_fidelity.harness.replay import Replayer
    from acr_fidelity.harness.rules import load_rules

    cli, server = az
    assert server.emulator.certificate is not None
    upstream = server.https_url.replace("127.0.0.1", "localhost")
    cassette = tmp_path / "az_acr.yaml"
    with start_proxy_in_thread(upstream, cassette, tls=server.emulator.certificate.server_context(),
                               ca_certs=cli.env["REQUESTS_CA_BUNDLE"]) as proxy:
        via = proxy.url.replace("http://127.0.0.1", "https://localhost")
        cli.run("cloud", "register", "--name", "AcrFidelityRec", "--endpoint-resource-manager", via + "/")
        cli.run("cloud", "set", "--name", "AcrFidelityRec")
        cli.run("login", "--service-principal", "--username", "rec-app", "--password", "s", "--tenant", TENANT)
        cli.run("group", "create", "--name", "recgroup", "--location", "westus")
        cli.run("acr", "create", "-n", "recreg01", "-g", "recgroup", "--sku", "Premium")
        cli.run("acr", "update", "-n", "recreg01", "--admin-enabled", "true")
        cli.run("acr", "credential", "show", "-n", "recreg01")
        cli.run("acr", "delete", "-n", "recreg01", "--yes")
    run = Replayer(load_rules()).run([cassette])
    results = run.interactions()
    scored = [r for r in results if r.cls not in ("skipped", "unsupported")]
    assert len(scored) >= 8
    assert [(r.id, r.cls, [g.to_dict() for g in r.gaps]) for r in scored if r.cls not in GOOD] == []
