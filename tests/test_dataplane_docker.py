"""The Docker data plane end to end: real Docker engine, real registry container, docker CLI, skopeo, oras.

Skipped when no Docker engine answers, except in CI (env CI set), where that is a failure (tests/docker_support.py).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from acr_fidelity.config import load_settings
from acr_fidelity.dataplane.images import ACCEPT
from acr_fidelity.server import start_in_thread
from tests.conftest import Arm, free_port, reg_path
from tests.docker_support import (
    BASE_PORT,
    CONTAINER,
    NAMESPACE,
    Emu,
    catalog,
    make_image,
    pulled_digest,
    push,
    push_new_image,
    registry_url,
    require,
    sh,
)

pytestmark = pytest.mark.usefixtures("docker_engine")


def test_docker_login_push_catalog_pull(emu: Emu) -> None:
    props = emu.create("pushpull01")
    assert props["loginServer"] == f"localhost:{BASE_PORT}/pushpull01"
    creds = emu.arm.call("POST", reg_path("rg1", "pushpull01") + "/listCredentials").json()
    login = sh("docker", "login", props["loginServer"], "-u", creds["username"], "--password-stdin",
                input=creds["passwords"][0]["value"].encode())
    assert "Login Succeeded" in login
    reference = f"{props['loginServer']}/hello:1.0"
    make_image(reference)
    digest = push(reference)
    assert "pushpull01/hello" in catalog(props["loginServer"])
    sh("docker", "rmi", "-f", reference)
    assert pulled_digest(reference) == digest
    usage = emu.arm.call("GET", reg_path("rg1", "pushpull01") + "/listUsages").json()["value"]
    size = next(u["currentValue"] for u in usage if u["name"] == "Size")
    assert 64 * 1024 < size < 1024 * 1024  # the layer (random bytes: gzip cannot shrink it), config, manifest


def test_registries_are_isolated_and_delete_removes_content(emu: Emu) -> None:
    first = emu.create("isolated01")["loginServer"]
    second = emu.create("isolated02")["loginServer"]
    digest_first = push_new_image(first, "app")
    digest_second = push_new_image(second, "app")
    assert digest_first != digest_second
    assert pulled_digest(f"{first}/app:v1") == digest_first
    assert pulled_digest(f"{second}/app:v1") == digest_second

    emu.delete("isolated01")
    deadline = time.monotonic() + 30
    while "isolated01/app" in catalog(second) and time.monotonic() < deadline:
        time.sleep(0.2)
    listed = catalog(second)
    assert "isolated01/app" not in listed and "isolated02/app" in listed
    sh("docker", "rmi", "-f", f"{second}/app:v1")
    assert pulled_digest(f"{second}/app:v1") == digest_second

    again = emu.create("isolated01")["loginServer"]
    url = registry_url(again)
    assert not [r for r in catalog(again) if r.startswith("isolated01/")]
    assert requests.get(f"{url}/v2/isolated01/app/tags/list", timeout=10).status_code == 404
    # Nothing of the deleted namesake answers, even by digest (no stale descriptor cache).
    assert requests.head(f"{url}/v2/isolated01/app/manifests/{digest_first}", timeout=10).status_code == 404


def _oci_layout(path: Path, platforms: list[str]) -> None:
    """An OCI image layout at `path`: one image per platform under an index tagged `multi`, the first alone as
    `single`."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str, **extra: Any) -> dict[str, Any]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data), **extra}

    manifests = []
    for arch in platforms:
        layer_tar = io.BytesIO()
        with tarfile.open(fileobj=layer_tar, mode="w") as tar:
            data = os.urandom(4096)
            info = tarfile.TarInfo(f"{arch}.bin")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        diff_id = "sha256:" + hashlib.sha256(layer_tar.getvalue()).hexdigest()
        layer = blob(gzip.compress(layer_tar.getvalue()), "application/vnd.oci.image.layer.v1.tar+gzip")
        config = blob(json.dumps({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }).encode(), "application/vnd.oci.image.config.v1+json")
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": config, "layers": [layer]}).encode()
        manifests.append(blob(manifest, "application/vnd.oci.image.manifest.v1+json",
                              platform={"architecture": arch, "os": "linux"}))
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": manifests}).encode()
    index_desc = blob(index, "application/vnd.oci.image.index.v1+json")
    single = {k: v for k, v in manifests[0].items() if k != "platform"}
    refs = [{**index_desc, "annotations": {"org.opencontainers.image.ref.name": "multi"}},
            {**single, "annotations": {"org.opencontainers.image.ref.name": "single"}}]
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": refs}))


def _manifest_digest(url: str, repo: str, reference: str) -> str:
    response = requests.get(f"{url}/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT}, timeout=10)
    assert response.status_code == 200, response.text
    return "sha256:" + hashlib.sha256(response.content).hexdigest()


def test_skopeo_oci_image_and_index_round_trip(emu: Emu, tmp_path: Path) -> None:
    require("skopeo", "apt-get install skopeo")
    login = emu.create("skopeo001")["loginServer"]
    layout = tmp_path / "layout"
    _oci_layout(layout, ["amd64", "arm64"])
    local = {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"]
             for m in json.loads((layout / "index.json").read_text())["manifests"]}
    for ref in ("single", "multi"):
        sh("skopeo", "copy", "--all", "--dest-tls-verify=false", f"oci:{layout}:{ref}", f"docker://{login}/oci:{ref}")
        assert _manifest_digest(registry_url(login), "skopeo001/oci", ref) == local[ref]
        back = tmp_path / f"back-{ref}"
        sh("skopeo", "copy", "--all", "--src-tls-verify=false", f"docker://{login}/oci:{ref}", f"oci:{back}:{ref}")
        assert json.loads((back / "index.json").read_text())["manifests"][0]["digest"] == local[ref]


def test_import_between_registries_modes_and_missing_source(emu: Emu, tmp_path: Path) -> None:
    require("skopeo", "apt-get install skopeo")
    source = emu.create("importsrc1")["loginServer"]
    target = emu.create("importdst1")["loginServer"]
    digest = push_new_image(source, "lib/app", "1.0")
    other = push_new_image(source, "lib/app", "2.0")
    tagged = {"source": {"resourceId": emu.resource_id("importsrc1"), "sourceImage": "lib/app:1.0"},
              "targetTags": ["copied:1.0"], "untaggedTargetRepositories": ["untagged"]}
    assert emu.import_image("importdst1", tagged) == {}
    assert pulled_digest(f"{target}/copied:1.0") == digest
    url = registry_url(target)
    assert requests.head(f"{url}/v2/importdst1/untagged/manifests/{digest}", timeout=10).status_code == 200

    newer = {"source": {"resourceId": emu.resource_id("importsrc1"), "sourceImage": f"lib/app@{other}"},
             "targetTags": ["copied:1.0"]}
    error = emu.import_image("importdst1", newer)
    assert error["code"] == "TagAlreadyExists" and "copied:1.0" in error["message"]
    assert emu.import_image("importdst1", {**newer, "mode": "Force"}) == {}
    assert _manifest_digest(url, "importdst1/copied", "1.0") == other

    # An OCI index copies whole, children first.
    layout = tmp_path / "layout"
    _oci_layout(layout, ["amd64", "arm64", "s390x"])
    sh("skopeo", "copy", "--all", "--dest-tls-verify=false", f"oci:{layout}:multi", f"docker://{source}/multi:1")
    index = {"source": {"resourceId": emu.resource_id("importsrc1"), "sourceImage": "multi:1"},
             "targetTags": ["multi:copy"]}
    assert emu.import_image("importdst1", index) == {}
    assert _manifest_digest(url, "importdst1/multi", "copy") == _manifest_digest(url, "importsrc1/multi", "1")
    sh("skopeo", "copy", "--all", "--src-tls-verify=false", f"docker://{target}/multi:copy", f"oci:{tmp_path}/o:x")

    missing = {"source": {"resourceId": emu.resource_id("importsrc1"), "sourceImage": "lib/app:nope"},
               "targetTags": ["never:1"]}
    error = emu.import_image("importdst1", missing)
    assert error["code"] == "SourceImageNotFound", error
    unreachable = {"source": {"registryUri": "127.0.0.1:1", "sourceImage": "x:1"}, "targetTags": ["never:1"]}
    assert emu.import_image("importdst1", unreachable)["code"] == "SourceRegistryUnreachable"


PLAIN_USER, PLAIN_PASSWORD = "puller", "s3cret-pw"


def _bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # Python 3.11 still has it; the htpasswd file needs bcrypt

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))


@pytest.fixture
def plain_registry(tmp_path: Path) -> Iterator[str]:
    """Debian's registry binary served bare on a free port, with basic auth: a registry the emulator does not
    manage. The docker CLI is logged in to it for the test's pushes."""
    binary = require("docker-registry", "scripts/build-registry-image installs it")
    port = free_port()
    (tmp_path / "htpasswd").write_text(f"{PLAIN_USER}:{_bcrypt(PLAIN_PASSWORD)}\n")
    config = tmp_path / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\n"
                      f"auth:\n  htpasswd:\n    realm: plain\n    path: {tmp_path}/htpasswd\n"
                      f"http:\n  addr: 127.0.0.1:{port}\n")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the plain registry did not start"
                time.sleep(0.1)
        sh("docker", "login", f"localhost:{port}", "-u", PLAIN_USER, "--password-stdin",
            input=PLAIN_PASSWORD.encode())
        yield f"localhost:{port}"
    finally:
        sh("docker", "logout", f"localhost:{port}", check=False)
        process.terminate()
        process.wait(timeout=10)


def test_import_from_a_plain_registry(emu: Emu, plain_registry: str) -> None:
    target = emu.create("importext1")["loginServer"]
    digest = push_new_image(plain_registry, "team/tool", "3")
    body = {"source": {"registryUri": plain_registry, "sourceImage": "team/tool:3",
                       "credentials": {"username": PLAIN_USER, "password": PLAIN_PASSWORD}},
            "targetTags": ["tool:3"]}
    assert emu.import_image("importext1", body) == {}
    assert pulled_digest(f"{target}/tool:3") == digest
    wrong = {**body, "source": {**body["source"], "credentials": {"username": PLAIN_USER, "password": "wrong"}}}
    assert emu.import_image("importext1", {**wrong, "mode": "Force"})["code"] == "SourceAuthenticationFailed"


def test_restart_keeps_registries_and_images(emu: Emu) -> None:
    login = emu.create("restart01")["loginServer"]
    digest = push_new_image(login, "kept")
    container_id = sh("docker", "inspect", "-f", "{{.Id}}", CONTAINER).strip()
    emu.restart()
    props = emu.wait("restart01")
    assert props["loginServer"] == login
    assert sh("docker", "inspect", "-f", "{{.Id}}", CONTAINER).strip() == container_id  # adopted, not replaced
    assert pulled_digest(f"{login}/kept:v1") == digest


def _blob_stored(digest: str) -> bool:
    hexa = digest.removeprefix("sha256:")
    path = f"/var/lib/registry/docker/registry/v2/blobs/sha256/{hexa[:2]}/{hexa}/data"
    return subprocess.run(["docker", "exec", CONTAINER, "/bin/sh", "-c", f"[ -f {path} ]"]).returncode == 0


def test_garbage_collection_frees_deleted_blobs_and_keeps_indexes(emu: Emu, tmp_path: Path) -> None:
    require("skopeo", "apt-get install skopeo")
    kept = emu.create("gckeep001")["loginServer"]
    gone = emu.create("gcgone001")["loginServer"]
    layout = tmp_path / "layout"
    _oci_layout(layout, ["amd64", "arm64"])
    sh("skopeo", "copy", "--all", "--dest-tls-verify=false", f"oci:{layout}:multi", f"docker://{kept}/multi:1")
    digest = push_new_image(gone, "doomed")
    assert _blob_stored(digest)
    emu.delete("gcgone001")
    emu.server.emulator.dataplane.collect_garbage()
    assert not _blob_stored(digest)
    emu.wait("gckeep001")
    # Every child of the untouched index survived (no --delete-untagged).
    sh("skopeo", "copy", "--all", "--src-tls-verify=false", f"docker://{kept}/multi:1", f"oci:{tmp_path}/back:x")


def test_removed_container_comes_back(emu: Emu) -> None:
    login = emu.create("recover01")["loginServer"]
    digest = push_new_image(login, "before")
    sh("docker", "rm", "-f", CONTAINER)
    deadline = time.monotonic() + 60
    while True:
        health = emu.arm.call("GET", "/_emulator/health", version=None).json()["acr"]["dataPlane"]
        running = sh("docker", "ps", "-q", "--filter", f"name=^{CONTAINER}$").strip()
        if running and health["status"] == "ready":
            break
        assert time.monotonic() < deadline, health
        time.sleep(0.3)
    assert emu.wait("recover01")["loginServer"] == login  # same port
    assert pulled_digest(f"{login}/before:v1") == digest  # the volume kept the images
    push_new_image(login, "after")


def _settled(arm: Arm, name: str, timeout: float = 60) -> dict[str, Any]:
    """The registry's properties once it has left Creating."""
    deadline = time.monotonic() + timeout
    while (props := arm.call("GET", reg_path("rg1", name)).json()["properties"])["provisioningState"] == "Creating":
        assert time.monotonic() < deadline, f"{name} stayed Creating"
        time.sleep(0.2)
    return props


def test_missing_image_fails_the_registry_with_the_remedy() -> None:
    settings = load_settings(env={}, overrides={
        "port": 0, "acr_mocked": False, "acr_namespace": f"{NAMESPACE}-noimage", "acr_base_port": BASE_PORT + 50,
        "acr_max_port": BASE_PORT + 99, "acr_health_interval": 1, "acr_default_image": "acr-fidelity-absent:none",
    })
    with start_in_thread(settings) as server:
        arm = Arm(server.url)
        arm.group()
        assert arm.registry("noimage01").status_code == 201
        assert _settled(arm, "noimage01")["provisioningState"] == "Failed"
        plane = arm.call("GET", "/_emulator/health", version=None).json()["acr"]["dataPlane"]
        assert "acr-fidelity-absent:none" in plane["error"] and "scripts/build-registry-image" in plane["error"]
        assert arm.call("GET", reg_path("rg1", "noimage01")).status_code == 200  # the management plane still works


def test_host_networking_serves_push_and_pull() -> None:
    """An engine started with --bridge=none only runs host-network containers: the registry binds the port itself."""
    namespace = f"{NAMESPACE}-host"
    port_base = BASE_PORT + 60
    settings = load_settings(env={}, overrides={
        "port": 0, "acr_mocked": False, "acr_namespace": namespace, "acr_base_port": port_base,
        "acr_max_port": BASE_PORT + 79, "acr_health_interval": 1, "acr_network": "host",
    })
    try:
        with start_in_thread(settings) as server:
            arm = Arm(server.url)
            arm.group()
            assert arm.registry("hostnet01").status_code == 201
            props = _settled(arm, "hostnet01")
            assert props["provisioningState"] == "Succeeded", props
            mode = sh("docker", "inspect", "-f", "{{.HostConfig.NetworkMode}}", f"acr-fidelity-{namespace}-registry")
            assert mode.strip() == "host"
            health = arm.call("GET", "/_emulator/health", version=None).json()["acr"]["dataPlane"]
            assert health["network"] == "host"
            digest = push_new_image(props["loginServer"], "hello")
            assert pulled_digest(f"{props['loginServer']}/hello:v1") == digest
    finally:
        sh("docker", "rm", "-f", f"acr-fidelity-{namespace}-registry", check=False)
        sh("docker", "volume", "rm", "-f", f"acr-fidelity-{namespace}-storage", check=False)


def test_oras_pushes_and_pulls_an_artifact(emu: Emu, tmp_path: Path) -> None:
    """An OCI artifact (not an image) through oras-py, the way OCI tools use a registry."""
    oras_client = pytest.importorskip("oras.client")
    login_server = emu.create("orasreg01")["loginServer"]
    source = tmp_path / "notes.txt"
    source.write_text(f"artifact of {NAMESPACE}\n")
    client = oras_client.OrasClient(insecure=True)  # the data plane speaks plain HTTP on localhost
    target = f"{login_server.replace('localhost', '127.0.0.1')}/docs/notes:v1"
    client.push(files=[str(source)], target=target, disable_path_validation=True)
    pulled = client.pull(target=target, outdir=str(tmp_path / "out"))
    assert [Path(p).read_text() for p in pulled] == [source.read_text()]
    assert "orasreg01/docs/notes" in catalog(login_server)


def test_a_cache_rule_pulls_through_from_an_upstream_registry(emu: Emu, plain_registry: str) -> None:
    """Artifact cache: a pull of a cache rule's target repository fetches the image from the upstream (a second
    local registry, with the credential set's user name and password) on first pull, then serves its copy."""
    digest = push_new_image(plain_registry, "team/base", "2")
    vault = "https://emulated.vault.azure.net/secrets"
    emu.settings = dataclasses.replace(emu.settings, acr_secrets={f"{vault}/user": PLAIN_USER,
                                                                   f"{vault}/password": PLAIN_PASSWORD})
    emu.restart()  # as a user would after adding the secrets to the configuration
    login = emu.create("cached01")["loginServer"]
    registry = reg_path("rg1", "cached01")
    upstream = plain_registry.replace("localhost", "127.0.0.1")
    credential_set = emu.arm.call("PUT", f"{registry}/credentialSets/upstream01", json={"properties": {
        "loginServer": upstream, "authCredentials": [{"name": "Credential1",
                                                      "usernameSecretIdentifier": f"{vault}/user",
                                                      "passwordSecretIdentifier": f"{vault}/password"}]}})
    assert credential_set.status_code == 201, credential_set.text
    rule = emu.arm.call("PUT", f"{registry}/cacheRules/teamcache", json={"properties": {
        "sourceRepository": f"{upstream}/team/*", "targetRepository": "mirror/*",
        "credentialSetResourceId": credential_set.json()["id"]}})
    assert rule.status_code == 201, rule.text

    assert pulled_digest(f"{login}/mirror/base:2") == digest
    assert "cached01/mirror/base" in catalog(login)  # a copy now lives in the registry
    sh("docker", "rmi", "-f", f"{login}/mirror/base:2")
    assert pulled_digest(f"{login}/mirror/base:2") == digest  # served from the copy
    missing = requests.get(f"{registry_url(login)}/v2/cached01/mirror/base/manifests/nope", timeout=30)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    wrong = emu.arm.call("PUT", f"{registry}/cacheRules/badrule01", json={"properties": {
        "sourceRepository": f"{upstream}/x", "targetRepository": "y",
        "credentialSetResourceId": credential_set.json()["id"].replace("upstream01", "missing01")}})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "InvalidCredentialSetId"
