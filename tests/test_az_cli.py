"""The real az CLI (azure-cli from PyPI) against the emulator over HTTPS, signed in at the emulated Entra ID.

Runs in the tox env `azcli`, which installs azure-cli; elsewhere it skips unless CI is set.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import tarfile
import time
import uuid
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


def _az_env(server: RunningServer, config_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AZURE_CONFIG_DIR": str(config_dir),
        "REQUESTS_CA_BUNDLE": str(trust_bundle_for(server)),
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",  # otherwise MSAL asks the public cloud
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_SURVEY_MESSAGE": "false",
        "AZURE_CORE_NO_COLOR": "true",
    }


def _require_az() -> None:
    if shutil.which("az") is None:
        if os.environ.get("CI"):
            pytest.fail("az is not installed: run this file through `tox -e azcli`")
        pytest.skip("az is not installed (tox -e azcli installs it)")


def _sign_in(cli: Az, server: RunningServer, cloud: str = "AcrFidelityTest") -> Any:
    url = server.https_url.replace("127.0.0.1", "localhost")
    cli.run("cloud", "register", "--name", cloud, "--endpoint-resource-manager", url + "/")
    cli.run("cloud", "set", "--name", cloud)
    return cli.json("login", "--service-principal", "--username", "az-test-app", "--password", "s3cret",
                    "--tenant", TENANT)


@pytest.fixture
def az(tmp_path: Path) -> Iterator[tuple[Az, RunningServer]]:
    _require_az()
    with start() as server:
        yield Az(_az_env(server, tmp_path / "az")), server


def test_az_acr_flow(az: tuple[Az, RunningServer]) -> None:
    cli, server = az
    accounts = _sign_in(cli, server)
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


def _docker_problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker CLI"
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    return None if done.returncode == 0 else "no Docker engine answers"


def _sh(*args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr.decode()[-1500:]}"
    return done.stdout.decode()


@contextlib.contextmanager
def dataplane_az(tmp_path: Path, **settings: Any) -> Iterator[tuple[Az, RunningServer, list[str]]]:
    """An emulator with the data plane on (its own namespace and ports), az signed in, a resource group `dpgroup`;
    images named in the yielded list are removed from the engine at the end, with the container and its volume."""
    _require_az()
    if (problem := _docker_problem()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}: CI starts one with scripts/start-dockerd")
        pytest.skip(problem)
    namespace = f"aztest-{uuid.uuid4().hex[:8]}"
    base_port = random.randrange(30000, 39000, 100)
    pushed: list[str] = []
    try:
        with start(acr_mocked=False, acr_namespace=namespace, acr_base_port=base_port,
                   acr_max_port=base_port + 99, state_dir=str(tmp_path / "state"), **settings) as server:
            cli = Az(_az_env(server, tmp_path / "az"))
            _sign_in(cli, server)
            cli.run("group", "create", "--name", "dpgroup", "--location", "westus")
            yield cli, server, pushed
    finally:
        subprocess.run(["docker", "rmi", "-f", *pushed], capture_output=True)
        subprocess.run(["docker", "logout", f"localhost:{base_port}"], capture_output=True)
        subprocess.run(["docker", "rm", "-f", f"acr-fidelity-{namespace}-registry"], capture_output=True)
        subprocess.run(["docker", "volume", "rm", "-f", f"acr-fidelity-{namespace}-storage"], capture_output=True)


def _push_image(reference: str, pushed: list[str], text: str) -> str:
    """docker import a one-file image and push it; its manifest digest."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    _sh("docker", "import", "-", reference, stdin=layer.getvalue())
    pushed.append(reference)
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", _sh("docker", "push", reference))
    assert digest is not None
    return digest.group(1)


def test_az_acr_import_between_emulator_registries_then_docker_pull(tmp_path: Path) -> None:
    """With the data plane running: push into one registry, `az acr import` into another, pull the copy."""
    with dataplane_az(tmp_path) as (cli, server, pushed):
        source = cli.json("acr", "create", "-n", "azsource01", "-g", "dpgroup", "--sku", "Basic")
        target = cli.json("acr", "create", "-n", "aztarget01", "-g", "dpgroup", "--sku", "Basic")
        assert source["provisioningState"] == target["provisioningState"] == "Succeeded"
        assert source["loginServer"] == f"localhost:{server.emulator.dataplane.public_port}/azsource01"
        digest = _push_image(f"{source['loginServer']}/hello:1", pushed, f"hello from {tmp_path}\n")

        cli.run("acr", "import", "-n", "aztarget01", "--source", "hello:1", "-r", "azsource01",
                "--image", "copied/hello:1")
        copy = f"{target['loginServer']}/copied/hello:1"
        pushed.append(copy)
        _sh("docker", "pull", copy)
        repo_digests = json.loads(_sh("docker", "inspect", "--format", "{{json .RepoDigests}}", copy))
        assert f"{target['loginServer']}/copied/hello@{digest}" in repo_digests
        usage = {row["name"]: row for row in cli.json("acr", "show-usage", "-n", "aztarget01")["value"]}
        assert usage["Size"]["currentValue"] > 0


def test_az_acr_login_and_repository_commands(tmp_path: Path) -> None:
    """Azure's auth (enforced): az acr login signs docker in through ACR's token exchange; the repository and
    manifest commands go through /acr/v1 with scoped tokens."""
    with dataplane_az(tmp_path, acr_auth="enforced") as (cli, server, pushed):
        login = cli.json("acr", "create", "-n", "azdataplane01", "-g", "dpgroup", "--sku", "Premium")["loginServer"]
        assert "Login Succeeded" in cli.run("acr", "login", "-n", "azdataplane01").stdout
        first = _push_image(f"{login}/app:1", pushed, "first\n")
        _sh("docker", "rmi", "-f", f"{login}/app:1")
        _sh("docker", "pull", f"{login}/app:1")  # through the same login
        time.sleep(0.05)  # tag times are the storage's: ordering needs distinct instants
        second = _push_image(f"{login}/app:2", pushed, "second\n")

        exposed = cli.json("acr", "login", "-n", "azdataplane01", "--expose-token")
        assert exposed["loginServer"] == login and exposed["accessToken"].count(".") == 2
        assert cli.json("acr", "repository", "list", "-n", "azdataplane01") == ["app"]
        shown = cli.json("acr", "repository", "show", "-n", "azdataplane01", "--repository", "app")
        assert (shown["imageName"], shown["tagCount"], shown["manifestCount"]) == ("app", 2, 2)
        assert cli.json("acr", "repository", "show-tags", "-n", "azdataplane01", "--repository", "app",
                        "--orderby", "time_desc", "--top", "1") == ["2"]
        locked = cli.json("acr", "repository", "update", "-n", "azdataplane01", "--image", "app:1",
                          "--write-enabled", "false")
        assert locked["changeableAttributes"]["writeEnabled"] is False
        manifests = cli.json("acr", "manifest", "list-metadata", "-r", "azdataplane01", "-n", "app")
        assert sorted(m["digest"] for m in manifests) == sorted([first, second])

        cli.run("acr", "repository", "delete", "-n", "azdataplane01", "--image", "app:2", "--yes")
        assert cli.json("acr", "repository", "show-tags", "-n", "azdataplane01", "--repository", "app") == ["1"]
        cli.run("acr", "repository", "update", "-n", "azdataplane01", "--image", "app:1", "--write-enabled", "true")
        cli.run("acr", "repository", "delete", "-n", "azdataplane01", "--repository", "app", "--yes")
        assert cli.json("acr", "repository", "list", "-n", "azdataplane01") == []


def test_az_acr_child_resource_commands(az: tuple[Az, RunningServer]) -> None:
    """az acr replication, webhook, scope-map, token (and its credentials), cache, credential-set and network-rule
    against the management plane."""
    cli, server = az
    _sign_in(cli, server)
    cli.run("group", "create", "--name", "kidsgroup", "--location", "westus")
    cli.json("acr", "create", "-n", "azkids01", "-g", "kidsgroup", "--sku", "Premium")

    assert cli.json("acr", "replication", "create", "-r", "azkids01", "-l", "eastus")["location"] == "eastus"
    assert sorted(r["location"] for r in cli.json("acr", "replication", "list", "-r", "azkids01")) == [
        "eastus", "westus"]
    cli.json("acr", "replication", "update", "-r", "azkids01", "-n", "eastus", "--tags", "k=v")
    assert cli.json("acr", "replication", "show", "-r", "azkids01", "-n", "eastus")["tags"] == {"k": "v"}
    cli.run("acr", "replication", "delete", "-r", "azkids01", "-n", "eastus")

    hook = cli.json("acr", "webhook", "create", "-r", "azkids01", "-n", "azhook01", "--uri", "http://127.0.0.1:9/x",
                    "--actions", "push", "delete", "--scope", "app:*")
    assert hook["actions"] == ["push", "delete"] and hook["scope"] == "app:*"
    cli.json("acr", "webhook", "update", "-r", "azkids01", "-n", "azhook01", "--status", "disabled")
    assert cli.json("acr", "webhook", "show", "-r", "azkids01", "-n", "azhook01")["status"] == "disabled"
    assert cli.json("acr", "webhook", "get-config", "-r", "azkids01", "-n", "azhook01")["serviceUri"] == \
        "http://127.0.0.1:9/x"
    assert [w["name"] for w in cli.json("acr", "webhook", "list", "-r", "azkids01")] == ["azhook01"]
    cli.run("acr", "webhook", "delete", "-r", "azkids01", "-n", "azhook01")

    scope_map = cli.json("acr", "scope-map", "create", "-r", "azkids01", "-n", "azmap01", "--repository", "app",
                         "content/read", "metadata/read", "--description", "read app")
    assert sorted(scope_map["actions"]) == ["repositories/app/content/read", "repositories/app/metadata/read"]
    cli.json("acr", "scope-map", "update", "-r", "azkids01", "-n", "azmap01", "--add-repository", "web",
             "content/read")
    assert "_repositories_pull" in [m["name"] for m in cli.json("acr", "scope-map", "list", "-r", "azkids01")]
    assert "repositories/web/content/read" in cli.json("acr", "scope-map", "show", "-r", "azkids01", "-n",
                                                       "azmap01")["actions"]
    token = cli.json("acr", "token", "create", "-r", "azkids01", "-n", "aztoken01", "--scope-map", "azmap01",
                     "--no-passwords")
    assert token["scopeMapId"].endswith("/scopeMaps/azmap01")
    generated = cli.json("acr", "token", "credential", "generate", "-r", "azkids01", "-n", "aztoken01",
                         "--password1", "--expiration-in-days", "30")
    assert generated["username"] == "aztoken01" and generated["passwords"][0]["value"]
    assert cli.json("acr", "token", "update", "-r", "azkids01", "-n", "aztoken01", "--status",
                    "disabled")["status"] == "disabled"
    assert [t["name"] for t in cli.json("acr", "token", "list", "-r", "azkids01")] == ["aztoken01"]
    assert cli.json("acr", "token", "show", "-r", "azkids01", "-n", "aztoken01")["status"] == "disabled"
    cli.run("acr", "token", "delete", "-r", "azkids01", "-n", "aztoken01", "--yes")
    cli.run("acr", "scope-map", "delete", "-r", "azkids01", "-n", "azmap01", "--yes")

    vault = "https://emulated.vault.azure.net/secrets"
    creds = cli.json("acr", "credential-set", "create", "-r", "azkids01", "-n", "azcreds01", "-l", "docker.io",
                     "-u", f"{vault}/user", "-p", f"{vault}/password")
    assert creds["loginServer"] == "docker.io" and creds["identity"]["type"] == "SystemAssigned"
    assert [c["name"] for c in cli.json("acr", "credential-set", "list", "-r", "azkids01")] == ["azcreds01"]
    updated = cli.json("acr", "credential-set", "update", "-r", "azkids01", "-n", "azcreds01", "-p",
                       f"{vault}/password2")
    assert updated["authCredentials"][0]["passwordSecretIdentifier"] == f"{vault}/password2"
    assert cli.json("acr", "credential-set", "show", "-r", "azkids01", "-n", "azcreds01")["name"] == "azcreds01"
    rule = cli.json("acr", "cache", "create", "-r", "azkids01", "-n", "azcache01", "-s",
                    "docker.io/library/ubuntu", "-t", "ubuntu", "-c", "azcreds01")
    assert rule["credentialSetResourceId"].endswith("/credentialSets/azcreds01")
    assert rule["targetRepository"] == "ubuntu"
    assert [c["name"] for c in cli.json("acr", "cache", "list", "-r", "azkids01")] == ["azcache01"]
    removed = cli.json("acr", "cache", "update", "-r", "azkids01", "-n", "azcache01", "--remove-cred-set")
    assert not removed.get("credentialSetResourceId")
    assert cli.json("acr", "cache", "show", "-r", "azkids01", "-n", "azcache01")["sourceRepository"] == \
        "docker.io/library/ubuntu"
    cli.run("acr", "cache", "delete", "-r", "azkids01", "-n", "azcache01", "--yes")
    cli.run("acr", "credential-set", "delete", "-r", "azkids01", "-n", "azcreds01", "--yes")

    cli.json("acr", "network-rule", "add", "-n", "azkids01", "--ip-address", "16.17.18.0/24")
    rules = cli.json("acr", "network-rule", "list", "-n", "azkids01")
    assert rules["ipRules"] == [{"action": "Allow", "ipAddressOrRange": "16.17.18.0/24"}]
    cli.json("acr", "network-rule", "remove", "-n", "azkids01", "--ip-address", "16.17.18.0/24")
    assert cli.json("acr", "network-rule", "list", "-n", "azkids01")["ipRules"] == []
