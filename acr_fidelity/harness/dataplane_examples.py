"""x-ms-examples of ACR's data-plane swagger (a login server's /v2/, /acr/v1/ and /oauth2/) as probes of the front
door: the example's request, sent to a registry the replay seeds, and the answer validated against the swagger.

What an example names but a replay cannot recreate byte for byte is taken from the seeded registry instead, as a
client takes it from earlier answers: the digest of the repository's manifest (or of its config blob, for blob
operations), an upload session for `nextBlobUuidLink`, the digest of the bytes an upload ends with, an Entra ID token
from the emulator's own Entra ID, and the refresh token the emulator's exchange handed out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from acr_fidelity.harness import dataplane
from acr_fidelity.harness.cassette import cassette_id
from acr_fidelity.harness.diff import ERROR, MATCH
from acr_fidelity.harness.model import CassetteResult, InteractionResult
from acr_fidelity.harness.replay import RG_API_VERSION, SEED_REGISTRY_API_VERSION, TIMEOUT_S

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "00000000-0000-0000-0000-000000000000"


def is_data_plane_swagger(swagger: dict[str, Any]) -> bool:
    return "/acr/v1/_catalog" in swagger.get("paths", {})


class _Seeded:
    """A registry for the example (admin user on) with one image in the example's repository."""

    def __init__(self, arm_base: str, target: dataplane.Target, host: str, repository: str, tag: str,
                 example_id: str) -> None:
        self.target = target
        registry = dataplane.Registry(dataplane.seeded_name(host, example_id), seeded=True,
                                      repositories=[repository])
        self.name = registry.name
        arm = requests.Session()
        arm.headers["Authorization"] = "Bearer acr-fidelity-harness"
        group = f"{arm_base}/subscriptions/{SUBSCRIPTION}/resourceGroups/{dataplane.SEED_GROUP}"
        arm.put(group, params={"api-version": RG_API_VERSION}, json={"location": "westus"}, timeout=TIMEOUT_S)
        path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{self.name}"
        arm.put(path, params={"api-version": SEED_REGISTRY_API_VERSION}, json=dataplane.seed_body(registry),
                timeout=TIMEOUT_S).raise_for_status()
        creds = arm.post(f"{path}/listCredentials", params={"api-version": SEED_REGISTRY_API_VERSION},
                         timeout=TIMEOUT_S).json()
        self.credentials = (creds["username"], creds["passwords"][0]["value"])
        self.manifest_digest, self.config_digest = dataplane.seed_repositories(target, registry, self.credentials,
                                                                               tag)
        self.session = requests.Session()
        self.session.auth = self.credentials
        self.session.headers["Host"] = target.host_header(self.name)

    def upload_session(self, repository: str) -> str:
        started = self.session.post(f"{self.target.url}/v2/{repository}/blobs/uploads/", timeout=TIMEOUT_S)
        started.raise_for_status()
        return started.headers["Location"].lstrip("/")

    def refresh_token(self, aad_token: str) -> str:
        answer = requests.post(f"{self.target.url}/oauth2/exchange", timeout=TIMEOUT_S,
                               headers={"Host": self.target.host_header(self.name)},
                               data={"grant_type": "access_token", "service": self.session.headers["Host"],
                                     "access_token": aad_token})
        answer.raise_for_status()
        return answer.json()["refresh_token"]


def _aad_token(arm_base: str) -> str:
    """An access token of the emulator's own Entra ID, as a signed-in client has one."""
    answer = requests.post(f"{arm_base}/{TENANT}/oauth2/v2.0/token", timeout=TIMEOUT_S, data={
        "grant_type": "client_credentials", "client_id": "acr-fidelity-harness", "client_secret": "x",
        "scope": "https://containerregistry.azure.net/.default"})
    answer.raise_for_status()
    return answer.json()["access_token"]


def replay_data_plane_example(path: Any, root: Any, swagger: dict[str, Any], found: tuple[str, str, dict[str, Any]],
                              arm_base: str, target: dataplane.Target | None,
                              resolve: Any, conclude: Any) -> CassetteResult:
    """`resolve(swagger, raw)` gives a parameter's definition; `conclude(...)` classes the answer (examples.py)."""
    cid = cassette_id(path, root)
    result = CassetteResult(cid, str(path), kind="example")
    method, template, op = found
    example = json.loads(path.read_text())
    params = example.get("parameters", {})
    interaction = InteractionResult(
        id=f"{cid}#0", cassette=cid, index=0, method=method, uri=template, template=template,
        operation=op.get("operationId") or f"{method} {template}", api_version=params.get("api-version"),
        recorded_api_version=params.get("api-version"), cls=MATCH,
        recorded={"status": sorted(example.get("responses", {})), "headers": {}, "body": "(swagger schema)"})
    result.interactions.append(interaction)
    if target is None:
        interaction.cls, interaction.note = "skipped", ("a data-plane example: replaying it needs the Docker data "
                                                        "plane (an engine, and no --target)")
        return result
    repository = str(params.get("name") or "harness/example")
    reference = str(params.get("reference") or "1")
    tag = reference if ":" not in reference else "1"
    try:
        seeded = _Seeded(arm_base, target, str(params.get("url", "example.azurecr.io")), repository, tag, cid)
    except (requests.RequestException, KeyError, ValueError) as exc:
        interaction.cls, interaction.note = ERROR, f"seeding failed: {exc}"
        return result
    result.seeded = [{"method": "PUT", "path": f"{seeded.name}/{repository}:{tag}", "body": None,
                      "reason": "the registry and image the example presupposes", "status": 201}]
    values: dict[str, str] = {}
    query: dict[str, str] = {}
    form: dict[str, str] = {}
    body: bytes | None = None
    blob_operation = "/blobs/" in template
    for raw in op.get("parameters", []):
        param = resolve(swagger, raw)
        name = param.get("name")
        if name not in params:
            continue
        value = params[name]
        if name == "digest" and param.get("in") == "path":
            value = seeded.config_digest if blob_operation else seeded.manifest_digest
        elif name == "reference" and ":" in str(value):
            # A digest names the image's manifest; where a tag is meant (the tag endpoints), the image's tag.
            value = tag if "/_tags/" in template else seeded.manifest_digest
        elif name == "nextBlobUuidLink":
            value = seeded.upload_session(repository)
        elif name == "mount":
            value = seeded.config_digest
        elif name == "from":
            value = repository
        elif name == "access_token":
            value = _aad_token(arm_base)
        elif name == "refresh_token":
            value = seeded.refresh_token(_aad_token(arm_base))
        elif name == "service":
            value = seeded.session.headers["Host"]
        where = param.get("in")
        if where == "path":
            values[name] = str(value)
        elif where == "query":
            query[name] = str(value)
        elif where == "formData":
            form[name] = str(value)
        elif where == "body":
            body = value.encode() if isinstance(value, str) else json.dumps(value).encode()
    if template.endswith("{nextBlobUuidLink}") and method == "PUT":
        query["digest"] = "sha256:" + hashlib.sha256(body or b"").hexdigest()  # the bytes this upload ends with
    url_path = template
    for name, value in values.items():
        url_path = url_path.replace(f"{{{name}}}", value)
    # An upload session's link carries its own (already encoded) query: kept as it is, the example's added after.
    split = urlsplit(url_path)
    joined = "&".join(part for part in (split.query, urlencode(query)) if part)
    url = f"{target.url}{split.path}" + (f"?{joined}" if joined else "")
    headers = {"Host": target.host_header(seeded.name)}
    if form:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None and "manifests" in template:
        headers["Content-Type"] = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
    elif body is not None and template.startswith("/acr/"):
        headers["Content-Type"] = "application/json"
    elif body is not None:
        headers["Content-Type"] = "application/octet-stream"
    if "accept" in params:
        headers["Accept"] = str(params["accept"])
    auth = None if template.startswith("/oauth2/") else seeded.credentials
    interaction.request_body = (body or b"").decode(errors="replace")[:2000]
    try:
        answer = requests.request(method, url, data=body, headers=headers, auth=auth, timeout=TIMEOUT_S,
                                  allow_redirects=False)
    except requests.RequestException as exc:
        interaction.cls, interaction.note = ERROR, f"no answer: {exc}"
        return result
    conclude(interaction, swagger, op, example, url, answer, answer.text if _json_answer(answer) else "")
    return result


def _json_answer(answer: requests.Response) -> bool:
    """Blob answers are bytes (the schema's `file`): validate JSON answers only."""
    return "json" in answer.headers.get("Content-Type", "")
