"""Regression tests for issue 10's findings that are fixed: each reproduces one finding as a user's curl would."""

from __future__ import annotations

import socket
from pathlib import Path

import jwt
import pytest
import requests

from tests.conftest import SUBSCRIPTION, Arm, reg_path, spawn_serve, start


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("PUT", "", {"location": "westus", "sku": {"name": "Basic"}, "properties": {"zoneRedundancy": [None]}}),
    ("PATCH", "", {"properties": {"networkRuleBypassOptions": [1]}}),
    ("POST", "/regenerateCredential", {"name": [1]}),
    ("POST", "/importImage", {"source": {"sourceImage": "a:b", "registryUri": "docker.io"}, "mode": [None]}),
])
def test_a_list_of_non_strings_in_a_field_gets_a_clear_400(arm: Arm, method: str, suffix: str, body: dict) -> None:
    """Finding 1: the error renderer joined such lists as strings and crashed into a 500."""
    arm.group()
    arm.registry("listreg01")
    answer = arm.call(method, reg_path("rg1", "listreg01") + suffix, json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] not in ("UnhandledRequest", "BadRequest") and error["message"]


NEW = {"location": "westus", "sku": {"name": "Premium"}}


@pytest.mark.parametrize(("body", "code"), [
    ({**NEW, "identity": 5}, "InvalidRequestContent"),
    ({**NEW, "identity": {"type": "Nobody"}}, "InvalidEnumValue"),
    ({**NEW, "identity": {"type": "UserAssigned", "userAssignedIdentities": 5}}, "InvalidRequestContent"),
    ({**NEW, "properties": {"policies": {"retentionPolicy": {"days": "abc", "status": "enabled"}}}},
     "InvalidRequestContent"),
    ({**NEW, "properties": {"policies": {"retentionPolicy": {"days": 7, "status": 7}}}}, "InvalidRequestContent"),
    ({**NEW, "properties": {"policies": {"exportPolicy": {"status": "sideways"}}}}, "InvalidEnumValue"),
    ({**NEW, "properties": {"policies": {"trustPolicy": 5}}}, "InvalidRequestContent"),
    ({**NEW, "properties": {"encryption": {"status": "enabled", "keyVaultProperties": {"keyIdentifier": {}}}}},
     "InvalidRequestContent"),
    ({**NEW, "properties": {"networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"value": {}}]}}},
     "InvalidRequestContent"),
    ({**NEW, "properties": {"networkRuleSet": {"defaultAction": "Deny", "virtualNetworkRules": 5}}},
     "InvalidRequestContent"),
])
def test_ill_typed_fields_are_refused_and_nothing_is_stored(arm: Arm, body: dict, code: str) -> None:
    """Finding 4: these were accepted and echoed, so later answers broke the response schema."""
    arm.group()
    answer = arm.call("PUT", reg_path("rg1", "typereg01"), json=body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == code, answer.text
    assert arm.call("GET", reg_path("rg1", "typereg01")).status_code == 404
    arm.registry("typereg02")
    patch = {k: v for k, v in body.items() if k in ("identity", "properties")}
    assert arm.call("PATCH", reg_path("rg1", "typereg02"), json=patch).status_code == 400
    assert "identity" not in arm.call("GET", reg_path("rg1", "typereg02")).json()


def test_read_only_fields_in_a_request_are_not_echoed(arm: Arm) -> None:
    arm.group()
    body = {**NEW, "identity": {"type": "systemassigned"}, "properties": {
        "policies": {"retentionPolicy": {"days": 30, "status": "Enabled", "lastUpdatedTime": {"x": 1}}},
        "encryption": {"status": "disabled", "keyVaultProperties": {"keyRotationEnabled": {}}}}}
    answer = arm.call("PUT", reg_path("rg1", "roreg001"), json=body)
    assert answer.status_code == 201, answer.text
    got = arm.call("GET", reg_path("rg1", "roreg001")).json()
    assert got["identity"]["type"] == "SystemAssigned"
    retention = got["properties"]["policies"]["retentionPolicy"]
    assert retention["days"] == 30 and retention["status"] == "enabled"
    assert isinstance(retention["lastUpdatedTime"], str)
    assert got["properties"]["encryption"] == {"status": "disabled"}


@pytest.mark.parametrize("body", [
    b"[" * 100_000,  # finding 2: the parser's RecursionError was answered as UnhandledRequest
    b'{"location": "westus", "sku": {"name": "Basic"}, "identity": ' + b'{"a": ' * 600 + b"1" + b"}" * 601,
    b'{"location": "westus", "sku": {"name": "Basic"}, "tags": {"a": NaN}}',  # finding 7: NaN is not JSON
    b'{"location": "westus", "sku": {"name": "Basic"}, "tags": {"a": Infinity}}',
    # Beyond what Json.NET reads into ARM's contracts (and what the store's encoder writes): 64 bits, finite.
    b'{"location": "westus", "sku": {"name": "Premium"}, "properties": {"policies": {"retentionPolicy": '
    b'{"days": 100000000000000000000000, "status": "enabled"}}}}',
])
def test_bodies_that_are_not_arm_json_are_refused_before_anything_is_stored(arm: Arm, body: bytes) -> None:
    """Finding 3: a PUT nested 600 levels deep got an error, yet the registry existed afterwards."""
    arm.group()
    answer = arm.call("PUT", reg_path("rg1", "deepreg01"), data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidRequestContent"
    assert arm.call("GET", reg_path("rg1", "deepreg01")).status_code == 404


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"9223372036854775808", b"-9223372036854775809"])
def test_numbers_beyond_64_bits_or_infinite_are_not_read(number: bytes) -> None:
    from acr_fidelity.arm.errors import ArmError
    from acr_fidelity.arm.http import ArmRequest

    request = ArmRequest(None, "PUT", "/", {}, {}, b'{"a": ' + number + b"}", "http://x")  # type: ignore[arg-type]
    with pytest.raises(ArmError) as refused:
        request.json()
    assert refused.value.code == "InvalidRequestContent"
    assert "out of range" in refused.value.envelope()["error"]["message"]
    edge = ArmRequest(None, "PUT", "/", {}, {}, b'{"a": 9223372036854775807, "b": 1e308}', "http://x")  # type: ignore[arg-type]
    assert edge.json() == {"a": 9223372036854775807, "b": 1e308}


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "FROBNICATE"])
def test_methods_served_nowhere_get_arms_405_with_allow(arm: Arm, method: str) -> None:
    """Finding 5: Tornado's own 405 carried code BadRequest and no Allow header."""
    answer = arm.call(method, reg_path("rg1", "anyreg01"))
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "MethodNotAllowed"
    assert set(answer.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "PATCH", "PUT"}


def test_a_verb_a_route_does_not_serve_gets_405_with_allow(arm: Arm) -> None:
    arm.group()
    answer = arm.call("POST", reg_path("rg1", "anyreg01"))
    assert answer.status_code == 405 and answer.json()["error"]["code"] == "MethodNotAllowed"
    assert set(answer.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "PATCH", "PUT"}
    answer = arm.call("GET", reg_path("rg1", "anyreg01") + "/listCredentials/")
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"


@pytest.mark.parametrize("path", [
    reg_path("rg1", "bad_name!"),
    reg_path("rg1", "goodreg01") + "/scopeMaps/bad%20map",
    reg_path("rg1", "goodreg01") + "/webhooks/bad-hook",
])
def test_a_delete_of_a_name_azure_cannot_hold_is_a_400_not_a_204(arm: Arm, path: str) -> None:
    """Finding 7: DELETE of an invalid name answered 204 as if the resource were merely absent."""
    arm.group()
    arm.registry("goodreg01")
    answer = arm.call("DELETE", path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] in ("InvalidRegistryName", "InvalidChildResourceName")


@pytest.mark.parametrize(("method", "suffix"), [
    ("PATCH", ""), ("PUT", "/privateEndpointConnections/pec1"), ("PUT", "/scopeMaps/map1"),
    ("POST", "/regenerateCredential"), ("POST", "/importImage"),
])
def test_an_operation_that_takes_a_body_refuses_an_empty_one(arm: Arm, method: str, suffix: str) -> None:
    """Found by the fuzzer: a PATCH or a private endpoint connection PUT without a body was applied."""
    arm.group()
    arm.registry("bodyreg01")
    answer = arm.call(method, reg_path("rg1", "bodyreg01") + suffix)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidRequestContent"
    assert arm.call("GET", reg_path("rg1", "bodyreg01") + "/privateEndpointConnections/pec1").status_code == 404


@pytest.mark.parametrize(("tags", "code"), [
    ({f"t{i}": "v" for i in range(51)}, "InvalidTagsCount"),
    ({"a/b": "v"}, "InvalidTagNameCharacters"),
    ({"a\x01": "v"}, "InvalidTagNameCharacters"),
    ({"": "v"}, "InvalidTagNameCharacters"),
    ({"n" * 513: "v"}, "InvalidTagNameLength"),
    ({"n": "v" * 257}, "InvalidTagValueLength"),
])
def test_tags_are_held_to_arms_limits(arm: Arm, tags: dict, code: str) -> None:
    """Found by the fuzzer: tag names of control characters and reserved characters were stored and echoed."""
    arm.group()
    answer = arm.registry("tagreg01", tags=tags)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == code, answer.text
    assert arm.registry("tagreg01", tags={"n" * 512: "v" * 256, "ok": ""}).status_code == 201


CREDENTIALS = {"loginServer": "docker.io", "authCredentials": [{
    "name": "Credential1", "usernameSecretIdentifier": "https://v.vault.azure.net/secrets/u",
    "passwordSecretIdentifier": "https://v.vault.azure.net/secrets/p"}]}


@pytest.mark.parametrize(("suffix", "body", "code"), [
    ("/privateEndpointConnections/pec1", {"properties": {"privateLinkServiceConnectionState": {
        "status": "Approved", "actionsRequired": {}}}}, "InvalidEnumValue"),
    ("/privateEndpointConnections/pec1", {"properties": {"privateEndpoint": "pe1"}}, "InvalidRequestContent"),
    ("/credentialSets/credset1", {"identity": {"type": "None", "userAssignedIdentities": {"a": ""}},
                              "properties": CREDENTIALS}, "InvalidRequestContent"),
])
def test_ill_typed_child_fields_are_refused_and_nothing_is_stored(arm: Arm, suffix: str, body: dict,
                                                                  code: str) -> None:
    """Found by the fuzzer: these were stored and later rendered against the response schema."""
    arm.group()
    arm.registry("kidsreg01")
    answer = arm.call("PUT", reg_path("rg1", "kidsreg01") + suffix, json=body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == code, answer.text
    assert arm.call("GET", reg_path("rg1", "kidsreg01") + suffix).status_code == 404


def test_an_import_names_its_targets_with_strings(arm: Arm) -> None:
    arm.group()
    arm.registry("importreg01")
    answer = arm.call("POST", reg_path("rg1", "importreg01") + "/importImage", json={
        "source": {"registryUri": "docker.io", "sourceImage": "library/hello-world:latest"},
        "untaggedTargetRepositories": [[-6163]]})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidRequestContent"


def test_a_password_expiry_in_year_19_is_still_a_date_time(arm: Arm) -> None:
    """Found by the fuzzer: year 19 was written "19-01-01T…", which breaks the response schema's date-time."""
    arm.group()
    arm.registry("tokreg01")
    answer = arm.call("PUT", reg_path("rg1", "tokreg01") + "/tokens/token1", json={"properties": {
        "scopeMapId": f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "tokreg01") + "/scopeMaps/_repositories_pull",
        "credentials": {"passwords": [{"name": "password1", "expiry": "0019-01-01T00:01:00Z"}]}}})
    assert answer.status_code in (200, 201), answer.text
    listed = arm.call("GET", reg_path("rg1", "tokreg01") + "/tokens").json()["value"][0]
    assert listed["properties"]["credentials"]["passwords"][0]["expiry"].startswith("0019-01-01T00:01:00")


def test_a_subscription_id_that_is_not_a_guid_is_an_arm_400(arm: Arm) -> None:
    """Finding 7: a malformed subscription listed an empty page."""
    answer = arm.session.get(arm.url + "/subscriptions/not-a-guid/providers/Microsoft.ContainerRegistry/registries",
                             params={"api-version": "2025-04-01"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": {"code": "InvalidSubscriptionId", "message": (
        "The provided subscription identifier 'not-a-guid' is malformed or invalid.")}}


def test_a_delete_without_a_body_declares_no_html(arm: Arm) -> None:
    """Finding 7: DELETE's empty 200 carried Tornado's default `Content-Type: text/html`."""
    arm.group()
    arm.registry("delreg01")
    answer = arm.call("DELETE", reg_path("rg1", "delreg01"))
    assert answer.status_code in (200, 202) and not answer.content
    assert "text/html" not in answer.headers.get("Content-Type", "")


def test_token_scheme_is_case_insensitive_and_absurd_expiry_is_a_401() -> None:
    """Findings 7 and 9: `bearer` (lower case) was refused; a signed `exp` of -10**18 crashed the expiry message."""
    with start(verify_tokens=True) as server:
        path = server.url + f"/subscriptions/{SUBSCRIPTION}/resourcegroups/rg1"
        token = requests.post(server.url + "/tenant1.onmicrosoft.com/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": "app1", "client_secret": "s",
            "scope": "https://management.azure.com/.default"}, timeout=10).json()["access_token"]

        def put(authorization: str) -> requests.Response:
            return requests.put(path, params={"api-version": "2021-04-01"}, json={"location": "westus"},
                                headers={"Authorization": authorization}, timeout=10)

        assert put(f"bearer {token}").status_code == 201
        assert put(f"BEARER {token}").status_code == 200
        assert put(f"Basic {token}").json()["error"]["code"] == "InvalidAuthenticationTokenFormat"
        claims = jwt.decode(token, options={"verify_signature": False})
        for expiry, code in ((-10**18, "ExpiredAuthenticationToken"), (float("inf"), "InvalidAuthenticationToken")):
            signed = jwt.encode({**claims, "exp": expiry}, server.emulator.identity.key, algorithm="RS256")
            answer = put(f"Bearer {signed}")
            assert answer.status_code == 401 and answer.json()["error"]["code"] == code, answer.text


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_serve_listens_on_loopback_by_default(tmp_path: Path) -> None:
    """Finding 11: `acr-fidelity serve` bound every interface while authentication was off."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    process, url = spawn_serve(tmp_path)
    port = int(url.rsplit(":", 1)[1])
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=5).close()
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize("grant", ["password", "refresh_token", "authorization_code",
                                   "urn:ietf:params:oauth:grant-type:device_code",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_registered_principals_cannot_be_bypassed_by_another_grant(grant: str) -> None:
    """Finding 8: only client_credentials checked the client; every other grant issued tokens to anyone."""
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    principals = [{"tenant": tenant, "client-id": "app1", "secret": "right"},
                  {"tenant": tenant, "client-id": "app2", "secret": "other"}]
    with start(service_principals=principals) as server:
        url = f"{server.url}/{tenant}/oauth2/v2.0/token"

        def token(**form: str) -> requests.Response:
            return requests.post(url, data={"scope": "https://management.azure.com/.default", **form}, timeout=10)

        own = token(grant_type="client_credentials", client_id="app1", client_secret="right").json()["access_token"]
        foreign = token(grant_type="client_credentials", client_id="app2", client_secret="other").json()["access_token"]
        for client_id in ("stranger", "app1"):  # an unknown client, and a known one without its secret
            answer = token(grant_type=grant, client_id=client_id, username="u", password="p", refresh_token=own)
            assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", answer.text
        with_secret = {"grant_type": grant, "client_id": "app1", "client_secret": "right", "username": "u",
                       "password": "p"}
        assert token(**with_secret, refresh_token=own).status_code == 200
        if grant == "refresh_token":
            for stolen in (foreign, "not-a-token"):
                answer = token(**with_secret, refresh_token=stolen)
                assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text


def _raw(url: str) -> socket.socket:
    host, port = url.split("://", 1)[1].split(":")
    return socket.create_connection((host, int(port)), timeout=15)


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize(("head", "pad", "status", "code"), [
    ("X-Big: " + "a" * 100_000 + "\r\n", 0, 431, "RequestHeaderFieldsTooLarge"),
    ("".join(f"X-Many-{i}: v\r\n" for i in range(10_000)), 0, 431, "RequestHeaderFieldsTooLarge"),
    ("Authorization: Bearer " + "t" * 100_000 + "\r\n", 0, 431, "RequestHeaderFieldsTooLarge"),
    ("", 100_000, 414, "RequestUriTooLong"),
])
def test_an_oversized_head_gets_an_answer_in_the_envelope(arm: Arm, head: str, pad: int, status: int,
                                                         code: str) -> None:
    """Finding 6: a header block over 64 KB (one 100 KB header, 10,000 headers, a 100 KB URL or token) got the
    connection closed with no answer at all."""
    path = f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "headreg02") + "?api-version=2025-04-01"
    path += "&pad=" + "p" * pad if pad else ""
    with _raw(arm.url) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{head}\r\n".encode())
        answer = _answer(connection)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert f'"code":"{code}"'.encode() in answer


def test_an_oversized_body_is_refused_before_it_is_sent(arm: Arm) -> None:
    """Findings 6 and 10: bodies were buffered up to 64 MB before the 4 MB limit applied, and above it got a bare
    400. A client that waits for `100 Continue` (curl does above 1 MiB) now gets 413 before sending anything."""
    path = f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "bigreg01") + "?api-version=2025-04-01"
    with _raw(arm.url) as connection:
        connection.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nExpect: 100-continue\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {60 * 1024 * 1024}\r\n\r\n".encode())
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert b'"code":"RequestEntityTooLarge"' in answer


def test_an_oversized_body_sent_at_once_gets_413_in_the_envelope(arm: Arm) -> None:
    answer = arm.call("PUT", reg_path("rg1", "bigreg03"), data=b"x" * (70 * 1024 * 1024))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "RequestEntityTooLarge"


def test_an_oversized_chunked_body_is_refused_as_it_arrives(arm: Arm) -> None:
    path = f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "bigreg02") + "?api-version=2025-04-01"
    chunk = b"x" * (1024 * 1024)
    with _raw(arm.url) as connection:
        connection.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n".encode())
        for _ in range(70):  # past Tornado's own 64 MB limit too
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.sendall(b"0\r\n\r\n")
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b'"code":"RequestEntityTooLarge"' in answer


def test_a_stalled_body_is_cut_off_while_others_are_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 10: stalled uploads stayed open indefinitely."""
    monkeypatch.setattr("acr_fidelity.server.ARM_BODY_TIMEOUT", 1.0)
    with start() as server:
        path = f"/subscriptions/{SUBSCRIPTION}/resourcegroups/rg1?api-version=2021-04-01"
        stalled = []
        for _ in range(5):
            connection = _raw(server.url)
            connection.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                               "Content-Length: 1000\r\n\r\n{\"location\"".encode())
            stalled.append(connection)
        assert requests.get(server.url + "/_emulator/health", timeout=10).ok
        for connection in stalled:
            with connection:
                assert _answer(connection) == b""  # closed by the server: recv would time out otherwise


def test_head_checks_that_a_registry_exists(arm: Arm) -> None:
    """Finding 7: HEAD on a registry got 405; ARM answers an existence check with 204 or 404."""
    arm.group()
    assert arm.call("HEAD", reg_path("rg1", "headreg01")).status_code == 404
    arm.registry("headreg01")
    answer = arm.call("HEAD", reg_path("rg1", "headreg01"))
    assert answer.status_code == 204 and not answer.content
    assert arm.call("HEAD", reg_path("rg1", "headreg01") + "/listCredentials").status_code == 405


def test_an_absolute_form_target_is_served(arm: Arm) -> None:
    """Finding 7: `GET http://host/subscriptions/…` (as proxies send it) got 404."""
    arm.group()
    arm.registry("absreg01")
    path = f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "absreg01") + "?api-version=2025-04-01"
    with _raw(arm.url) as connection:
        connection.sendall(f"GET {arm.url}{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                           "Connection: close\r\n\r\n".encode())
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"name":"absreg01"' in answer


@pytest.mark.parametrize(("content_type", "shown"), [(None, "<null>"), ("text/plain", "text/plain")])
def test_a_write_whose_body_is_not_declared_json_gets_415(arm: Arm, content_type: str | None, shown: str) -> None:
    """Finding 7: the Content-Type of a write was ignored; ARM answers 415 (as `az rest` users met it)."""
    arm.group()
    headers = {"Content-Type": content_type} if content_type else {}
    answer = arm.session.put(arm.full(reg_path("rg1", "typereg09")), params={"api-version": "2025-04-01"},
                             data=b'{"location": "westus", "sku": {"name": "Basic"}}', headers=headers, timeout=10)
    assert answer.status_code == 415
    assert answer.json() == {"error": {"code": "UnsupportedMediaType", "message": (
        f"The content media type '{shown}' is not supported. Only 'application/json' is supported.")}}
    assert arm.call("GET", reg_path("rg1", "typereg09")).status_code == 404
    answer = arm.call("PUT", reg_path("rg1", "typereg09"), data=b'{"location": "westus", "sku": {"name": "Basic"}}',
                      headers={"Content-Type": "application/json; charset=utf-8"})
    assert answer.status_code == 201
