"""HTTPS beside HTTP on one port, the certificate, the emulated Entra ID, ARM token checks and bad input."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import tornado.httpserver
import tornado.netutil
import tornado.web
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from acr_fidelity.background import start_background
from acr_fidelity.server import RunningServer
from acr_fidelity.tls.server import DualProtocolServer
from tests.conftest import KEYS_DIR, SUBSCRIPTION, reg_path, start, trust_bundle_for

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _port(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _token(server: RunningServer, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "client_id": "app1", "client_secret": "s1",
            "scope": "https://management.azure.com//.default", **form}
    return requests.post(f"{server.url}/{TENANT}/oauth2/v2.0/token", data=data, timeout=10)


def test_http_and_https_share_the_port(server: RunningServer) -> None:
    assert server.emulator.certificate is not None
    cert = str(server.emulator.certificate.cert)
    plain = requests.get(server.url + "/_emulator/health", timeout=10)
    secure = requests.get(server.https_url.replace("127.0.0.1", "localhost") + "/_emulator/health", verify=cert,
                          timeout=10)
    assert plain.status_code == secure.status_code == 200
    pem = requests.get(server.https_url + "/_emulator/cert", verify=cert, timeout=10)
    assert pem.text.encode() == server.emulator.certificate.pem()
    san = x509.load_pem_x509_certificate(pem.content).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def test_the_certificate_is_made_once_and_the_cli_prints_its_path(server: RunningServer) -> None:
    printed = subprocess.run([sys.executable, "-m", "acr_fidelity", "cert"], capture_output=True, text=True,
                             env={"ACR_FIDELITY_CONFIG_DIR": str(KEYS_DIR), "PATH": "/usr/bin:/bin"}, check=True)
    assert Path(printed.stdout.strip()) == server.emulator.certificate.cert
    with start() as again:  # a restart keeps the same certificate
        assert again.emulator.certificate.pem() == server.emulator.certificate.pem()


def test_a_user_certificate_replaces_ours(tmp_path: Path) -> None:
    from acr_fidelity.tls.certs import ensure_certificate

    own = ensure_certificate(tmp_path / "own", ["registry.example.test"])
    with start(tls_cert_file=str(own.cert), tls_key_file=str(own.key)) as server:
        answer = requests.get(server.https_url.replace("127.0.0.1", "localhost") + "/_emulator/cert",
                              verify=str(own.cert), timeout=10)
        assert answer.text.encode() == own.pem()


def _sans(pem: bytes) -> set[str]:
    san = x509.load_pem_x509_certificate(pem).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)}


def test_the_certificate_is_remade_when_a_name_is_added_and_its_facts_follow_its_bytes(tmp_path: Path) -> None:
    from acr_fidelity.tls.certs import FACTS_NAME, ensure_certificate

    first = ensure_certificate(tmp_path, ["one.example.test"])
    pem = first.pem()
    assert ensure_certificate(tmp_path, ["one.example.test"]).pem() == pem  # kept, read from its facts
    facts = json.loads((tmp_path / FACTS_NAME).read_text())
    assert set(facts["names"]) == _sans(pem)
    assert ensure_certificate(tmp_path, ["two.example.test"]).pem() != pem
    assert {"two.example.test", "localhost", "127.0.0.1"} <= _sans(first.pem())
    # Facts kept for other bytes are not believed: the certificate itself is read again.
    other = ensure_certificate(tmp_path / "other", ["three.example.test"])
    (tmp_path / FACTS_NAME).write_text((tmp_path / "other" / FACTS_NAME).read_text())
    kept = first.pem()
    assert ensure_certificate(tmp_path, ["three.example.test"]).pem() not in (kept, other.pem())
    assert "three.example.test" in _sans(first.pem())
    # Facts that cannot be read or written (here a directory in their place; a read-only one alike): the
    # certificate is read, and kept.
    (tmp_path / FACTS_NAME).unlink()
    (tmp_path / FACTS_NAME).mkdir()
    assert ensure_certificate(tmp_path, ["three.example.test"]).pem() == first.pem()


def test_https_only_refuses_plain_http_clearly() -> None:
    with start(http_enabled=False) as server:
        answer = requests.get(f"http://127.0.0.1:{_port(server)}/_emulator/health", timeout=10)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "HttpsRequired"
        assert requests.get(server.url + "/_emulator/health", verify=str(server.emulator.certificate.cert),
                            timeout=10).status_code == 200


def test_http_only_answers_a_tls_hello_with_an_alert_and_keeps_serving() -> None:
    with start(https_enabled=False) as server:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as raw:
            with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE|handshake failure|ALERT"):
                context.wrap_socket(raw)
        assert requests.get(server.url + "/_emulator/health", timeout=10).status_code == 200


def test_half_finished_handshakes_do_not_stop_other_connections(server: RunningServer) -> None:
    stalled = []
    for first in (b"\x16\x03\x01\x02\x00\x01", b"", b"GET / HT"):
        conn = socket.create_connection(("127.0.0.1", _port(server)), timeout=10)
        conn.sendall(first)
        stalled.append(conn)
    try:
        for _ in range(5):
            assert requests.get(server.url + "/_emulator/health", timeout=5).status_code == 200
            assert requests.get(server.https_url + "/_emulator/health", verify=str(server.emulator.certificate.cert),
                                timeout=5).status_code == 200
    finally:
        for conn in stalled:
            conn.close()


def test_a_tls_upload_arrives_whole_and_in_reads_of_many_records(server: RunningServer) -> None:
    """The TLS stream drains every received record per read: an upload arrives intact, and in a few large pieces
    rather than one per 16 KiB record (OpenSSL's unit per read)."""
    received: dict[str, Any] = {"sizes": [], "hash": hashlib.sha256()}

    @tornado.web.stream_request_body
    class Sink(tornado.web.RequestHandler):
        def data_received(self, chunk: bytes) -> None:
            received["sizes"].append(len(chunk))
            received["hash"].update(chunk)

        def put(self) -> None:
            self.finish("ok")

    assert server.emulator.certificate is not None
    tls = server.emulator.certificate.server_context()
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")

    def build() -> list[tornado.httpserver.HTTPServer]:
        sink = DualProtocolServer(tornado.web.Application([(r"/", Sink)]), tls=tls, chunk_size=1024 * 1024)
        sink.add_sockets(sockets)
        return [sink]

    background = start_background(build, "tls-sink")
    try:
        body = os.urandom(8 * 1024 * 1024)
        answer = requests.put(f"https://127.0.0.1:{sockets[0].getsockname()[1]}/", data=body, timeout=30,
                              verify=str(trust_bundle_for(server)))
        assert answer.status_code == 200
    finally:
        background.stop()
    assert sum(received["sizes"]) == len(body)
    assert received["hash"].hexdigest() == hashlib.sha256(body).hexdigest()
    # One piece per 16 KiB record would be 512 pieces (509 were seen so); draining, it arrived in 9 here.
    assert len(received["sizes"]) < len(body) // (16 * 1024) // 4


def test_openid_configuration_and_keys_verify_issued_tokens(server: RunningServer) -> None:
    config = requests.get(f"{server.url}/{TENANT}/v2.0/.well-known/openid-configuration", timeout=10).json()
    assert config["token_endpoint"] == f"{server.url}/{TENANT}/oauth2/v2.0/token"
    assert config["issuer"] == f"{server.url}/{TENANT}/v2.0"
    for field in ("authorization_endpoint", "jwks_uri", "device_authorization_endpoint"):
        assert config[field].startswith(server.url)
    answer = _token(server)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 3000
    keys = requests.get(config["jwks_uri"], timeout=10).json()["keys"]
    key = jwt.algorithms.RSAAlgorithm.from_jwk(keys[0])
    claims = jwt.decode(body["access_token"], key, algorithms=["RS256"], audience="https://management.azure.com/")
    assert claims["tid"] == TENANT and claims["appid"] == "app1" and claims["iss"] == config["issuer"]
    for claim in ("oid", "iat", "nbf", "exp"):
        assert claim in claims
    v1 = requests.post(f"{server.url}/{TENANT}/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": "app1", "client_secret": "s1",
        "resource": "https://management.core.windows.net/"}).json()
    assert v1["resource"] == "https://management.core.windows.net/" and int(v1["expires_on"]) > time.time()


def test_discovery_names_the_directory_tokens_carry(server: RunningServer) -> None:
    """Through a domain name, the issuer is the directory's id, as in the tokens issued there; through a
    multi-tenant alias, Entra's `{tenantid}` template."""
    domain = "contoso.onmicrosoft.com"
    config = requests.get(f"{server.url}/{domain}/v2.0/.well-known/openid-configuration", timeout=10).json()
    answer = requests.post(f"{server.url}/{domain}/oauth2/v2.0/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": "app1", "client_secret": "s1",
        "scope": "https://management.azure.com//.default"})
    assert answer.status_code == 200, answer.text
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["iss"] == config["issuer"] == f"{server.url}/{claims['tid']}/v2.0"
    common = requests.get(f"{server.url}/common/.well-known/openid-configuration", timeout=10).json()
    assert common["issuer"] == f"{server.url}/{{tenantid}}/"


def test_registered_principals_get_entra_errors() -> None:
    principals = [{"tenant": TENANT, "client-id": "app1", "secret": "right"}]
    with start(service_principals=principals) as server:
        assert _token(server, client_secret="right").status_code == 200
        wrong = _token(server, client_secret="wrong")
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        assert wrong.json()["error_codes"] == [7000215]
        assert wrong.json()["error_description"].startswith("AADSTS7000215:")
        unknown = _token(server, client_id="stranger", client_secret="right")
        assert unknown.status_code == 401 and unknown.json()["error_codes"] == [700016]


def test_malformed_tenant_and_grant(server: RunningServer) -> None:
    bad = requests.post(f"{server.url}/not_a_tenant!/oauth2/v2.0/token", data={"grant_type": "client_credentials"},
                        timeout=10)
    assert bad.status_code == 400 and bad.json()["error_codes"] == [900023]
    grant = _token(server, grant_type="magic")
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_managed_identity_endpoint(server: RunningServer) -> None:
    url = f"{server.url}/metadata/identity/oauth2/token"
    params = {"api-version": "2018-02-01", "resource": "https://management.azure.com/"}
    assert requests.get(url, params=params, timeout=10).status_code == 400  # no Metadata header
    answer = requests.get(url, params=params, headers={"Metadata": "true"}, timeout=10).json()
    assert answer["token_type"] == "Bearer" and answer["resource"] == "https://management.azure.com/"


def test_cloud_metadata_both_forms(server: RunningServer) -> None:
    new = requests.get(server.url + "/metadata/endpoints", params={"api-version": "2022-09-01"}, timeout=10).json()
    assert new["resourceManager"] == server.url + "/" and new["authentication"]["loginEndpoint"] == server.url
    assert new["suffixes"]["acrLoginServer"] == "azurecr.io"
    old = requests.get(server.url + "/metadata/endpoints", params={"api-version": "2019-05-01"}, timeout=10).json()
    assert isinstance(old, list) and old[0]["name"] == new["name"]


def test_token_verification_when_turned_on() -> None:
    with start(verify_tokens=True, tenant_id=TENANT) as server:
        path = server.url + f"/subscriptions/{SUBSCRIPTION}/resourcegroups/rg1"
        params = {"api-version": "2021-04-01"}

        def put(token: str | None) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return requests.put(path, params=params, json={"location": "westus"}, headers=headers, timeout=10)

        good = _token(server).json()["access_token"]
        assert put(good).status_code == 201
        assert put(None).json()["error"]["code"] == "AuthenticationFailed"
        forged = jwt.encode(jwt.decode(good, options={"verify_signature": False}),
                            rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")
        answer = put(forged)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "InvalidAuthenticationToken"
        claims = {**jwt.decode(good, options={"verify_signature": False}), "exp": int(time.time()) - 60}
        stale = jwt.encode(claims, server.emulator.identity.key, algorithm="RS256")  # our key, but expired
        answer = put(stale)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "ExpiredAuthenticationToken"
        assert put("not-a-jwt").json()["error"]["code"] == "InvalidAuthenticationToken"
        # issue 10 finding 8: ARM checked neither the token's tenant nor its issuer
        for changed in ({"tid": "11111111-1111-1111-1111-111111111111"},
                        {"iss": "https://sts.windows.net/11111111-1111-1111-1111-111111111111/"}):
            foreign = jwt.encode({**jwt.decode(good, options={"verify_signature": False}), **changed},
                                 server.emulator.identity.key, algorithm="RS256")
            answer = put(foreign)
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == "InvalidAuthenticationTokenTenant"
            assert "wrong issuer" in answer.json()["error"]["message"]
        v1 = requests.post(f"{server.url}/{TENANT}/oauth2/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": "app1", "client_secret": "s1",
            "resource": "https://management.azure.com/"}).json()["access_token"]
        assert jwt.decode(v1, options={"verify_signature": False})["iss"].endswith(f"/{TENANT}/")
        assert put(v1).status_code == 200
        # systemData names the application the token was issued to
        requests.put(server.url + f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "whoreg01"),
                     params={"api-version": "2025-04-01"}, json={"location": "westus", "sku": {"name": "Basic"}},
                     headers={"Authorization": f"Bearer {good}"}, timeout=10)
        got = requests.get(server.url + f"/subscriptions/{SUBSCRIPTION}" + reg_path("rg1", "whoreg01"),
                           params={"api-version": "2025-04-01"}, headers={"Authorization": f"Bearer {good}"},
                           timeout=10).json()
        assert got["systemData"]["createdBy"] == "app1" and got["systemData"]["createdByType"] == "Application"
