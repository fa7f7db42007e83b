"""The data plane's front door in Azure's own (enforced) auth mode, with the real docker CLI, skopeo, oras and raw
HTTP: ACR's challenge and token protocol, the admin user's rules, anonymous pull, isolation between registries,
public network access, ACR's /acr/v1 API with its locks, and bad input.

Skipped when no Docker engine answers, except in CI (tests/docker_support.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import oras.client
import pytest
import requests

from tests.conftest import SUBSCRIPTION, Receiver, reg_path, trust_bundle_for
from tests.docker_support import BASE_PORT, Emu, make_image, pulled_digest, push, push_new_image, require, sh

pytestmark = pytest.mark.usefixtures("docker_engine")


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    emulator = Emu(tmp_path_factory.mktemp("enforced"), acr_auth="enforced")
    yield emulator
    emulator.server.stop()


@pytest.fixture(autouse=True)
def logged_out() -> Iterator[None]:
    sh("docker", "logout", f"localhost:{BASE_PORT}", check=False)
    yield
    sh("docker", "logout", f"localhost:{BASE_PORT}", check=False)


def host(emu: Emu) -> str:
    port = emu.server.emulator.dataplane.public_port
    assert port is not None
    return f"127.0.0.1:{port}"


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def token(emu: Emu, scope: str, auth: dict[str, str] | None = None, service: str | None = None) -> str:
    """docker's way: GET /oauth2/token with Basic credentials (or none)."""
    answer = requests.get(f"http://{host(emu)}/oauth2/token",
                          params={"service": service or host(emu), "scope": scope}, headers=auth or {}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def error_code(answer: requests.Response) -> str:
    return answer.json()["errors"][0]["code"]


def docker_login(emu: Emu, username: str, password: str, check: bool = True) -> str:
    return sh("docker", "login", f"localhost:{BASE_PORT}", "-u", username, "--password-stdin",
              input=password.encode(), check=check)


def test_challenge_and_token_protocol(emu: Emu) -> None:
    emu.create("protocol01")
    ping = requests.get(f"http://{host(emu)}/v2/", timeout=10)
    assert ping.status_code == 401 and error_code(ping) == "UNAUTHORIZED"
    assert ping.headers["WWW-Authenticate"] == (f'Bearer realm="http://{host(emu)}/oauth2/token",'
                                                f'service="{host(emu)}"')
    # az calls {loginServer}/v2/: the path-style login server is its service.
    prefixed = requests.get(f"http://{host(emu)}/protocol01/v2/", timeout=10)
    assert prefixed.headers["WWW-Authenticate"].endswith(f'service="{host(emu)}/protocol01"')

    user, password = emu.credentials("protocol01")
    access = token(emu, "repository:protocol01/app:pull,push registry:catalog:*", basic(user, password))
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["iss"] == "Azure Container Registry" and claims["aud"] == host(emu)
    assert claims["access"][0] == {"type": "repository", "name": "protocol01/app", "actions": ["pull", "push"]}
    assert requests.get(f"http://{host(emu)}/v2/", headers=bearer(access), timeout=10).status_code == 200

    # The SDK's and az's form: POST with a password grant, and the refresh-token grant after an exchange.
    posted = requests.post(f"http://{host(emu)}/protocol01/oauth2/token", data={
        "grant_type": "password", "service": f"{host(emu)}/protocol01", "scope": "repository:app:metadata_read",
        "username": user, "password": password}, timeout=10)
    assert jwt.decode(posted.json()["access_token"], options={"verify_signature": False})["access"] == [
        {"type": "repository", "name": "app", "actions": ["metadata_read"]}]
    aad = jwt.encode({"oid": "11111111-2222-3333-4444-555555555555", "exp": int(time.time()) + 600},
                     "a-test-key-of-thirty-two-bytes!!")
    refresh = requests.post(f"http://{host(emu)}/oauth2/exchange", data={
        "grant_type": "access_token", "service": host(emu), "access_token": aad}, timeout=10).json()["refresh_token"]
    granted = requests.post(f"http://{host(emu)}/oauth2/token", data={
        "grant_type": "refresh_token", "service": host(emu), "scope": "repository:protocol01/app:delete",
        "refresh_token": refresh}, timeout=10).json()["access_token"]
    assert jwt.decode(granted, options={"verify_signature": False})["access"][0]["actions"] == ["delete"]


def test_admin_user_rules_with_docker_login(emu: Emu) -> None:
    emu.create("adminrules01")
    user, password = emu.credentials("adminrules01")
    assert "Login Succeeded" in docker_login(emu, user, password)
    assert subprocess_login(emu, user, "wrong-password").returncode != 0
    regenerated = emu.arm.call("POST", reg_path("rg1", "adminrules01") + "/regenerateCredential",
                               json={"name": "password"}).json()["passwords"][0]["value"]
    assert regenerated != password
    failed = subprocess_login(emu, user, password)
    assert failed.returncode != 0, "a regenerated password must stop working at once"
    assert "Login Succeeded" in docker_login(emu, user, regenerated)
    emu.arm.call("PATCH", reg_path("rg1", "adminrules01"), json={"properties": {"adminUserEnabled": False}})
    assert subprocess_login(emu, user, regenerated).returncode != 0


def subprocess_login(emu: Emu, user: str, password: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", "login", f"localhost:{BASE_PORT}", "-u", user, "--password-stdin"],
                          input=password.encode(), capture_output=True, timeout=60)


def test_anonymous_push_fails_and_anonymous_pull_needs_the_setting(emu: Emu) -> None:
    login = emu.create("anonpull01")["loginServer"]
    reference = f"{login}/app:1"
    make_image(reference)
    refused = subprocess_run(["docker", "push", reference])
    assert refused.returncode != 0 and "authentication required" in refused.stderr.decode() + refused.stdout.decode()

    docker_login(emu, *emu.credentials("anonpull01"))
    digest = push(reference)
    sh("docker", "logout", f"localhost:{BASE_PORT}")
    sh("docker", "rmi", "-f", reference)
    assert subprocess_run(["docker", "pull", reference]).returncode != 0

    emu.arm.call("PATCH", reg_path("rg1", "anonpull01"), json={"properties": {"anonymousPullEnabled": True}})
    assert pulled_digest(reference) == digest
    assert subprocess_run(["docker", "push", reference]).returncode != 0  # pulls only


def subprocess_run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, timeout=300)


def test_the_credentials_of_one_registry_never_reach_another(emu: Emu) -> None:
    emu.create("isolation01")
    second = emu.create("isolation02")["loginServer"]
    push_with_admin(emu, "isolation02", second, "secret")
    user, password = emu.credentials("isolation01")
    foreign = token(emu, "repository:isolation02/secret:pull,push,delete registry:catalog:*", basic(user, password))
    assert jwt.decode(foreign, options={"verify_signature": False})["access"] == [
        {"type": "registry", "name": "catalog", "actions": ["*"]}]  # the bare host's catalog, filtered when read
    base = f"http://{host(emu)}"
    for auth in (bearer(foreign), basic(user, password)):
        for method, path in (("GET", "/v2/isolation02/secret/tags/list"),
                             ("GET", "/v2/isolation02/secret/manifests/v1"),
                             ("DELETE", "/v2/isolation02/secret/manifests/v1"),
                             ("POST", "/v2/isolation02/secret/blobs/uploads/"),
                             ("GET", "/isolation02/acr/v1/_catalog"),
                             ("GET", "/isolation02/acr/v1/secret/_tags"),
                             ("DELETE", "/isolation02/acr/v1/secret")):
            answer = requests.request(method, base + path, headers=auth, timeout=10)
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert error_code(answer) == "UNAUTHORIZED"
    listed = requests.get(f"{base}/v2/_catalog", headers=bearer(foreign), timeout=10).json()["repositories"]
    assert not [r for r in listed if r.startswith("isolation02/")]
    docker_login(emu, user, password)
    make_image(f"{second}/intruder:1")
    assert subprocess_run(["docker", "push", f"{second}/intruder:1"]).returncode != 0


def push_with_admin(emu: Emu, name: str, login_server: str, repository: str, tag: str = "v1") -> str:
    docker_login(emu, *emu.credentials(name))
    try:
        return push_new_image(login_server, repository, tag)
    finally:
        sh("docker", "logout", f"localhost:{BASE_PORT}")


def test_public_network_access_disabled_is_denied(emu: Emu) -> None:
    emu.create("privatereg01")
    user, password = emu.credentials("privatereg01")
    emu.arm.call("PATCH", reg_path("rg1", "privatereg01"), json={"properties": {"publicNetworkAccess": "Disabled"}})
    answer = requests.get(f"http://{host(emu)}/v2/privatereg01/app/tags/list", headers=basic(user, password),
                          timeout=10)
    assert answer.status_code == 403 and error_code(answer) == "DENIED"
    refused = requests.get(f"http://{host(emu)}/oauth2/token", headers=basic(user, password), timeout=10,
                           params={"service": host(emu), "scope": "repository:privatereg01/app:pull"})
    assert refused.status_code == 403 and error_code(refused) == "DENIED"


def test_acr_v1_api_and_its_locks(emu: Emu) -> None:
    login = emu.create("acrapi01")["loginServer"]
    first = push_with_admin(emu, "acrapi01", login, "team/app", "1")
    time.sleep(0.05)  # tag times are the storage's: order needs distinct instants
    second = push_with_admin(emu, "acrapi01", login, "team/app", "2")
    user, password = emu.credentials("acrapi01")
    api = f"http://{host(emu)}/acrapi01/acr/v1"
    auth = basic(user, password)

    assert requests.get(f"{api}/_catalog", headers=auth, timeout=10).json() == {"repositories": ["team/app"]}
    repo = requests.get(f"{api}/team/app", headers=auth, timeout=10).json()
    assert repo["imageName"] == "team/app" and repo["registry"] == login
    assert (repo["tagCount"], repo["manifestCount"]) == (2, 2)
    assert repo["changeableAttributes"] == {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True,
                                            "listEnabled": True}
    newest = requests.get(f"{api}/team/app/_tags", params={"orderby": "timedesc", "n": 1}, headers=auth, timeout=10)
    assert [t["name"] for t in newest.json()["tags"]] == ["2"]
    assert newest.headers["Link"] == '</acr/v1/team/app/_tags?last=2&n=1&orderby=timedesc>; rel="next"'
    rest = requests.get(f"{api}/team/app/_tags", params={"orderby": "timedesc", "n": 1, "last": "2"}, headers=auth,
                        timeout=10).json()["tags"]
    assert [(t["name"], t["digest"]) for t in rest] == [("1", first)]
    manifests = requests.get(f"{api}/team/app/_manifests", headers=auth, timeout=10).json()["manifests"]
    assert {m["digest"]: m["tags"] for m in manifests} == {first: ["1"], second: ["2"]}
    assert all(m["architecture"] == "amd64" and m["os"] == "linux" and m["imageSize"] > 64 * 1024
               for m in manifests)
    shown = requests.get(f"{api}/team/app/_manifests/{second}", headers=auth, timeout=10).json()["manifest"]
    assert shown["tags"] == ["2"] and shown["mediaType"].endswith("manifest.v2+json")

    # A locked tag refuses a push over it and a delete; an unlisted one disappears from the lists.
    locked = requests.patch(f"{api}/team/app/_tags/1", json={"writeEnabled": False}, headers=auth, timeout=10)
    assert locked.json()["tag"]["changeableAttributes"]["writeEnabled"] is False
    docker_login(emu, user, password)
    make_image(f"{login}/team/app:1")
    assert "denied" in subprocess_run(["docker", "push", f"{login}/team/app:1"]).stderr.decode().lower()
    assert requests.delete(f"{api}/team/app/_tags/1", headers=auth, timeout=10).status_code == 403
    requests.patch(f"{api}/team/app/_tags/2", json={"listEnabled": False}, headers=auth, timeout=10)
    tags = requests.get(f"{api}/team/app/_tags", headers=auth, timeout=10).json()["tags"]
    assert [t["name"] for t in tags] == ["1"]
    assert requests.get(f"http://{host(emu)}/v2/acrapi01/team/app/tags/list", headers=auth,
                        timeout=10).json()["tags"] == ["1"]
    bad = requests.patch(f"{api}/team/app", json={"readEnabled": "no"}, headers=auth, timeout=10)
    assert bad.status_code == 400 and error_code(bad) == "INVALID_REQUEST"

    requests.patch(f"{api}/team/app/_tags/1", json={"writeEnabled": True}, headers=auth, timeout=10)
    assert requests.delete(f"{api}/team/app/_tags/1", headers=auth, timeout=10).status_code == 202
    assert requests.get(f"{api}/team/app/_tags/1", headers=auth, timeout=10).status_code == 404
    deleted = requests.delete(f"{api}/team/app", headers=auth, timeout=10)
    assert deleted.status_code == 202 and deleted.json()["tagsDeleted"] == ["2"]
    assert requests.get(f"{api}/_catalog", headers=auth, timeout=10).json() == {"repositories": []}
    assert error_code(requests.get(f"{api}/team/app", headers=auth, timeout=10)) == "NAME_UNKNOWN"

    # Each push and delete became an event, as ACR's webhooks describe them.
    events = emu.server.emulator.backend.events.of("acrapi01")
    seen = [(e["action"], e["target"].get("tag"), e["target"].get("digest")) for e in events]
    assert seen == [("push", "1", first), ("push", "2", second), ("delete", "1", first), ("delete", None, None)]
    pushed = events[0]
    assert pushed["target"]["repository"] == "team/app" and pushed["target"]["size"] > 0
    assert pushed["target"]["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert pushed["request"]["method"] == "PUT" and pushed["request"]["useragent"].startswith("docker/")


def test_bad_credentials_and_names_get_the_registry_envelope(emu: Emu) -> None:
    emu.create("badinput01")
    user, password = emu.credentials("badinput01")
    base = f"http://{host(emu)}"
    forged = jwt.encode({"iss": "Azure Container Registry", "aud": host(emu), "exp": int(time.time()) + 600,
                         "grant_type": "access_token", "principal": "aad:x",
                         "access": [{"type": "repository", "name": "badinput01/app", "actions": ["pull"]}]},
                        "not-the-emulators-key-32-bytes!!")
    valid = token(emu, "repository:badinput01/app:pull", basic(user, password))
    claims = jwt.decode(valid, options={"verify_signature": False})
    issuer = emu.server.emulator.identity  # our own key: only the lifetime is wrong
    expired = jwt.encode({**claims, "exp": int(time.time()) - 60}, issuer.key, algorithm="RS256",
                         headers={"kid": issuer.kid})
    for authorization in ("Bearer not-a-jwt", f"Bearer {forged}", "Basic !!!", "Digest x",
                          "Bearer " + valid[:-4] + "AAAA", f"Bearer {expired}"):
        answer = requests.get(f"{base}/v2/badinput01/app/tags/list", headers={"Authorization": authorization},
                              timeout=10)
        assert answer.status_code == 401 and error_code(answer) == "UNAUTHORIZED", authorization
    ok = requests.get(f"{base}/v2/badinput01/app/tags/list", headers=bearer(valid), timeout=10)
    assert ok.status_code == 404 and error_code(ok) == "NAME_UNKNOWN"  # the valid token passes; no such repository
    for scope, code in (("repository:../etc:pull", "NAME_INVALID"), ("nonsense", "INVALID_REQUEST"),
                        ("registry:other:*", "INVALID_REQUEST")):
        answer = requests.get(f"{base}/oauth2/token", params={"service": host(emu), "scope": scope},
                              headers=basic(user, password), timeout=10)
        assert answer.status_code == 400 and error_code(answer) == code, scope
    for path in ("/v2/badinput01/../secret/manifests/x", "/v2/badinput01/UPPER/manifests/x",
                 "/v2/badinput01/a%2F..%2Fb/manifests/x"):
        answer = requests.get(base + path, headers=basic(user, password), timeout=10)
        assert answer.status_code in (400, 404) and error_code(answer) in ("NAME_INVALID", "NAME_UNKNOWN"), path
    huge = requests.put(f"{base}/v2/badinput01/app/manifests/big", data=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                        headers={**basic(user, password),
                                 "Content-Type": "application/vnd.oci.image.manifest.v1+json"}, timeout=30)
    assert 400 <= huge.status_code < 500
    assert requests.get(f"{base}/v2/badinput01/app/tags/list", headers=basic(user, password),
                        timeout=10).status_code == 404  # nothing half-written


def test_what_the_data_plane_fuzzer_found_gets_the_registry_envelope(emu: Emu) -> None:
    """Found by `tox -e fuzz`: Tornado's own HTML 405, a 503 for a form without its boundary, `n` that is no
    number read as none, and upload routes relaying methods the registry does not serve."""
    emu.create("fuzzfound01")
    auth = basic(*emu.credentials("fuzzfound01"))
    base = f"http://{host(emu)}/fuzzfound01"
    answer = requests.request("TRACE", f"{base}/acr/v1/_catalog", headers=auth, timeout=10)
    assert answer.status_code == 405 and error_code(answer) == "UNSUPPORTED"
    assert answer.headers["Allow"] == "GET"
    answer = requests.post(f"{base}/oauth2/token", data="grant_type=password",
                           headers={"Content-Type": "multipart/form-data"}, timeout=10)
    assert answer.status_code == 400 and error_code(answer) == "INVALID_REQUEST"
    for query in ("n=", "n=x", "n=-1", "n=1&n=2"):
        answer = requests.get(f"{base}/acr/v1/_catalog?{query}", headers=auth, timeout=10)
        assert answer.status_code == 400 and error_code(answer) == "PAGINATION_NUMBER_INVALID", query
    for method, path in (("PUT", "/v2/app/blobs/uploads/"), ("POST", "/v2/app/blobs/uploads/some-upload")):
        answer = requests.request(method, base + path, headers=auth, timeout=10)
        assert answer.status_code == 405 and error_code(answer) == "UNSUPPORTED", (method, path)
        assert "Allow" in answer.headers


def test_a_stalled_body_is_cut_off_while_moving_ones_are_not(emu: Emu, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10, slow clients, on the data-plane port: a body that stops sending (a form, a relayed blob chunk) is
    closed BODY_IDLE_TIMEOUT after its last byte; one that keeps moving is not, however long it takes."""
    monkeypatch.setattr("acr_fidelity.frontdoor.dispatcher.BODY_IDLE_TIMEOUT", 1.0)
    emu.create("slowbody01")
    auth = basic(*emu.credentials("slowbody01"))
    started = requests.post(f"http://{host(emu)}/slowbody01/v2/app/blobs/uploads/", headers=auth, timeout=10)
    assert started.status_code == 202, started.text
    upload = started.headers["Location"].split(host(emu), 1)[-1]
    address = host(emu).split(":")
    stalled = []
    for head in ("POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                 "Content-Type: application/x-www-form-urlencoded\r\n\r\ngrant_type=",
                 f"PATCH {upload} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
                 "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nabc"):
        connection = socket.create_connection((address[0], int(address[1])), timeout=15)
        connection.sendall(head.encode())
        stalled.append(connection)
    moving = socket.create_connection((address[0], int(address[1])), timeout=15)
    moving.sendall(b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    for _ in range(8):  # 2.4 s in all, well past the bound, a byte every 0.3 s
        moving.sendall(b"a")
        time.sleep(0.3)
    moving.sendall(b"=" * 32)
    with moving:
        assert moving.recv(100).startswith(b"HTTP/1.1 400 ")  # answered (a form without a grant), not cut off
    for connection in stalled:
        with connection:
            assert connection.recv(65536) == b""  # closed by the server; recv would time out otherwise


def test_skopeo_and_oras_with_token_auth(emu: Emu, tmp_path: Path) -> None:
    require("skopeo", "apt-get install skopeo")
    login = emu.create("tokenclients01")["loginServer"]
    user, password = emu.credentials("tokenclients01")
    source = f"{login}/base:1"
    make_image(source)
    layout = tmp_path / "layout"
    sh("skopeo", "copy", "--dest-tls-verify=false", "--src-tls-verify=false", f"docker-daemon:{source}",
       f"oci:{layout}:1")
    sh("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", f"{user}:{password}", f"oci:{layout}:1",
       f"docker://{login}/copied:1")
    refused = subprocess_run(["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", f"{user}:wrong",
                              f"oci:{layout}:1", f"docker://{login}/copied:2"])
    assert refused.returncode != 0
    inspected = json.loads(sh("skopeo", "inspect", "--tls-verify=false", "--creds", f"{user}:{password}",
                              f"docker://{login}/copied:1"))
    assert inspected["Name"] == f"{login}/copied"

    artifact = tmp_path / "notes.txt"
    artifact.write_text("hello through the front door")
    target = f"{login.replace('localhost', '127.0.0.1')}/notes:1"
    # oras-py's token backend keeps the first token it gets (pull, from the first HEAD) for the whole push, so it
    # pushes with Basic credentials, which ACR accepts on every request; it pulls through the token protocol.
    clients = {}
    for backend in ("basic", "token"):
        clients[backend] = oras.client.OrasClient(hostname=target.split("/")[0], insecure=True, auth_backend=backend)
        clients[backend].login(username=user, password=password, tls_verify=False,
                               config_path=str(tmp_path / f"oras-{backend}.json"))
    clients["basic"].push(target=target, files=[str(artifact)], disable_path_validation=True)
    pulled = clients["token"].pull(target=target, outdir=str(tmp_path / "out"))
    assert Path(pulled[0]).read_text() == "hello through the front door"


def test_import_from_a_registry_that_speaks_bearer_tokens(emu: Emu) -> None:
    source = emu.create("importsrc01")["loginServer"]
    digest = push_with_admin(emu, "importsrc01", source, "tool", "3")
    emu.create("importdst01")
    user, password = emu.credentials("importsrc01")
    uri = source.split("/")[0].replace("localhost", "127.0.0.1") + "/importsrc01"
    body = {"source": {"registryUri": uri, "sourceImage": "tool:3",
                       "credentials": {"username": user, "password": password}}, "targetTags": ["tool:3"]}
    assert emu.import_image("importdst01", body) == {}
    target = emu.arm.call("GET", reg_path("rg1", "importdst01")).json()["properties"]["loginServer"]
    docker_login(emu, *emu.credentials("importdst01"))
    assert pulled_digest(f"{target}/tool:3") == digest


def test_referrers_and_the_subject_header(emu: Emu) -> None:
    """OCI 1.1, which ACR serves and registry 2.8 lacks: a pushed artifact with a subject is answered with
    OCI-Subject and listed among the subject's referrers, filtered by artifactType on request."""
    emu.create("referrers01")
    user, password = emu.credentials("referrers01")
    base = f"http://{host(emu)}/v2/referrers01/app"
    session = requests.Session()
    session.auth = (user, password)

    def blob(data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = session.post(f"{base}/blobs/uploads/", timeout=10)
        session.put(f"http://{host(emu)}{started.headers['Location']}", params={"digest": digest}, data=data,
                    timeout=10).raise_for_status()
        return {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest, "size": len(data)}

    def manifest(doc: dict[str, Any], reference: str) -> requests.Response:
        body = json.dumps(doc).encode()
        answer = session.put(f"{base}/manifests/{reference}", data=body, timeout=10,
                             headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert answer.status_code == 201, answer.text
        return answer

    empty = blob(b"{}")
    image = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": empty,
             "layers": []}
    subject = {"mediaType": image["mediaType"], "digest": manifest(image, "1").headers["Docker-Content-Digest"],
               "size": len(json.dumps(image).encode())}
    signatures = {}
    for kind in ("application/vnd.example.signature", "application/vnd.example.sbom"):
        pushed = manifest({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "artifactType": kind, "config": empty, "layers": [empty], "subject": subject,
                           "annotations": {"kind": kind}}, f"ref-{kind.rsplit('.', 1)[1]}")
        assert pushed.headers["OCI-Subject"] == subject["digest"]
        signatures[kind] = pushed.headers["Docker-Content-Digest"]

    listed = session.get(f"{base}/referrers/{subject['digest']}", timeout=10)
    assert listed.headers["Content-Type"] == "application/vnd.oci.image.index.v1+json"
    found = {m["artifactType"]: m["digest"] for m in listed.json()["manifests"]}
    assert found == signatures
    only = session.get(f"{base}/referrers/{subject['digest']}",
                       params={"artifactType": "application/vnd.example.sbom"}, timeout=10)
    assert only.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["digest"] for m in only.json()["manifests"]] == [signatures["application/vnd.example.sbom"]]
    assert only.json()["manifests"][0]["annotations"] == {"kind": "application/vnd.example.sbom"}
    none = session.get(f"{base}/referrers/sha256:{'0' * 64}", timeout=10)
    assert none.status_code == 200 and none.json()["manifests"] == []


def test_a_webhook_receives_the_event_of_a_docker_push(emu: Emu) -> None:
    receiver = Receiver()
    try:
        login = emu.create("hookpush01")["loginServer"]
        hook = {"location": "westus", "properties": {"serviceUri": receiver.url, "actions": ["push"],
                                                     "scope": "app:*", "customHeaders": {"X-Team": "a"}}}
        assert emu.arm.call("PUT", reg_path("rg1", "hookpush01") + "/webhooks/pushhook1", json=hook).ok
        push_with_admin(emu, "hookpush01", login, "other", "1")  # outside the scope: not delivered
        digest = push_with_admin(emu, "hookpush01", login, "app", "7")
        received = receiver.wait_for(1)
        time.sleep(0.5)
        assert len(received) == 1, received
        event = received[0]["body"]
        assert event["action"] == "push" and received[0]["headers"]["X-Team"] == "a"
        assert (event["target"]["repository"], event["target"]["tag"], event["target"]["digest"]) == (
            "app", "7", digest)
    finally:
        receiver.close()


def test_tokens_get_exactly_their_scope_maps_actions(emu: Emu) -> None:
    """Repository-scoped tokens: a pull-only token pulls and cannot push; a push token of the system map pushes
    anywhere in its registry and nowhere else; a disabled token and an expired password sign nobody in."""
    login = emu.create("scoped01")["loginServer"]
    other = emu.create("scoped02")["loginServer"]
    digest = push_with_admin(emu, "scoped01", login, "app", "1")
    registry = reg_path("rg1", "scoped01")
    scope_map = emu.arm.call("PUT", f"{registry}/scopeMaps/pullapp", json={
        "properties": {"actions": ["repositories/app/content/read", "repositories/app/metadata/read"]}})
    assert scope_map.status_code == 201, scope_map.text

    def token(name: str, scope_map_id: str, **generate: Any) -> str:
        created = emu.arm.call("PUT", f"{registry}/tokens/{name}", json={"properties": {"scopeMapId": scope_map_id}})
        assert created.status_code == 201, created.text
        passwords = emu.arm.call("POST", f"{registry}/generateCredentials", json={
            "tokenId": created.json()["id"], **generate}).json()["passwords"]
        return passwords[0]["value"]

    pull_password = token("puller01", scope_map.json()["id"])
    assert "Login Succeeded" in docker_login(emu, "puller01", pull_password)
    sh("docker", "rmi", "-f", f"{login}/app:1", check=False)
    assert pulled_digest(f"{login}/app:1") == digest
    make_image(f"{login}/app:2")
    assert subprocess_run(["docker", "push", f"{login}/app:2"]).returncode != 0  # read only
    shown = emu.arm.call("GET", f"{registry}/tokens/puller01").json()["properties"]
    assert [p["name"] for p in shown["credentials"]["passwords"]] == ["password1", "password2"]
    assert all("value" not in p for p in shown["credentials"]["passwords"])  # shown once, at generation

    system_map = f"/subscriptions/{SUBSCRIPTION}{registry}/scopeMaps/_repositories_push"
    push_password = token("pusher01", system_map)
    docker_login(emu, "pusher01", push_password)
    make_image(f"{login}/anything/new:1")
    push(f"{login}/anything/new:1")
    make_image(f"{other}/app:1")
    assert subprocess_run(["docker", "push", f"{other}/app:1"]).returncode != 0  # another registry

    emu.arm.call("PATCH", f"{registry}/tokens/pusher01", json={"properties": {"status": "disabled"}})
    assert subprocess_login(emu, "pusher01", push_password).returncode != 0
    expired = token("expired01", system_map, expiry="2020-01-01T00:00:00Z")
    assert subprocess_login(emu, "expired01", expired).returncode != 0


def test_a_large_layer_streams_both_ways(emu: Emu) -> None:
    """Many chunks each way through the relay (its back-pressure window): a 24 MiB layer of random bytes pushes
    and pulls back with the same digest."""
    login = emu.create("largelayer1")["loginServer"]
    docker_login(emu, *emu.credentials("largelayer1"))
    reference = f"{login}/big:1"
    make_image(reference, size=24 * 1024 * 1024)
    digest = push(reference)
    sh("docker", "rmi", "-f", reference)
    assert pulled_digest(reference) == digest


def test_a_trickled_chunked_upload_arrives_whole_over_http_and_tls(emu: Emu) -> None:
    """docker's way of pushing: a chunked body in pieces of a few KiB with pauses between them. The front door
    gathers the pieces before sending them on and paces its reads (and over TLS drains every record per read);
    the blob must arrive whole and in order either way."""
    emu.create("trickle01")
    auth = basic(*emu.credentials("trickle01"))
    bundle = str(trust_bundle_for(emu.server))
    for scheme in ("http", "https"):
        body = os.urandom(3 * 1024 * 1024 + 123)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()

        def pieces(data: bytes = body) -> Iterator[bytes]:
            for start in range(0, len(data), 7000):
                yield data[start:start + 7000]
                if start % 280000 == 0:
                    time.sleep(0.003)

        base = f"{scheme}://{host(emu)}/trickle01/v2/app/blobs"
        started = requests.post(f"{base}/uploads/", headers=auth, timeout=10, verify=bundle)
        assert started.status_code == 202, started.text
        endpoint = f"{scheme}://{host(emu)}/trickle01"  # an SDK's endpoint: Locations join it, as with ACR
        location = endpoint + started.headers["Location"]
        patched = requests.patch(location, data=pieces(), timeout=60, verify=bundle,
                                 headers={**auth, "Content-Type": "application/octet-stream"})
        assert patched.status_code == 202, patched.text
        finished = endpoint + patched.headers["Location"]
        done = requests.put(finished, params={"digest": digest}, headers=auth, timeout=30, verify=bundle)
        assert done.status_code == 201, done.text
        fetched = requests.get(f"{base}/{digest}", headers=auth, timeout=30, verify=bundle)
        assert fetched.status_code == 200 and fetched.content == body
