"""Copy images between registries over the Docker Registry HTTP API V2: what importImage does for real.

Manifests are copied byte for byte (so digests survive), children of a manifest list / OCI index before the index.
Blobs stream from source to target, or are mounted across repositories when both live in the same registry.
Every failure is a DomainError the model turns into a Failed operation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from acr_fidelity.dataplane.mediatypes import ACCEPT, IMAGE_TYPES, INDEX_TYPES
from acr_fidelity.registry.errors import DomainError

CHUNK = 1024 * 1024
TIMEOUT = 60
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Endpoint:
    """One registry and the repository prefix images live under there (`{registryname}/` in the shared container)."""

    client: RegistryClient
    prefix: str = ""

    def repo(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name


class RegistryClient:
    """A V2 client: anonymous, basic, or bearer tokens from the registry's challenge (cached per scope)."""

    def __init__(self, base_url: str, username: str | None = None, password: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.credentials = (username, password or "") if username else None
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}
        self._basic = False

    def request(self, method: str, path: str, scope: str, **kwargs: Any) -> requests.Response:
        """Send once; on a 401 answer the challenge and send again (bodies that cannot be re-sent go after a GET/HEAD
        of the same scope has primed the token)."""
        url = path if path.startswith("http") else self.base + path
        kwargs.setdefault("timeout", TIMEOUT)
        headers = kwargs.pop("headers", {})
        response = self.session.request(method, url, headers=self._auth(scope, headers), **kwargs)
        if response.status_code != 401 or not self._answer(response, scope):
            return response
        response.close()
        return self.session.request(method, url, headers=self._auth(scope, headers), **kwargs)

    def _auth(self, scope: str, headers: dict[str, str]) -> dict[str, str]:
        headers = dict(headers)
        if scope in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[scope]}"
        elif self._basic and self.credentials:
            headers["Authorization"] = requests.auth._basic_auth_str(*self.credentials)
        return headers

    def _answer(self, response: requests.Response, scope: str) -> bool:
        challenge = response.headers.get("WWW-Authenticate", "")
        kind = challenge.split(" ", 1)[0].lower()
        if kind == "basic" and self.credentials and not self._basic:
            self._basic = True
            return True
        if kind != "bearer" or scope in self._tokens:
            return False
        params = dict(_CHALLENGE_PARAM.findall(challenge))
        if "realm" not in params:
            return False
        query = {"scope": scope}
        if "service" in params:
            query["service"] = params["service"]
        try:
            answer = requests.get(params["realm"], params=query, auth=self.credentials, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise DomainError("SourceRegistryUnreachable", message=f"token service {params['realm']}: {exc}") from exc
        if answer.status_code in (401, 403):
            raise DomainError("SourceAuthenticationFailed",
                              message=f"{self.base}: the token service refused the credentials for {scope}")
        if answer.status_code != 200:
            return False
        body = answer.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            return False
        self._tokens[scope] = token
        return True

    # ---- the calls a copy needs ----

    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str, str]:
        """(bytes, media type, digest); DomainError when there is no such manifest."""
        response = self.request("GET", f"/v2/{repo}/manifests/{reference}", _pull(repo), headers={"Accept": ACCEPT})
        if response.status_code == 404:
            raise DomainError("SourceImageNotFound", message=f"{repo}:{reference} was not found in {self.base}")
        _expect(response, (200,), f"GET manifest {repo}:{reference} from {self.base}")
        data = response.content
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if reference.startswith("sha256:") and reference != digest:
            raise DomainError("ImportFailed", message=f"{repo}@{reference}: the registry sent a manifest of {digest}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type not in INDEX_TYPES + IMAGE_TYPES:
            media_type = json.loads(data).get("mediaType") or media_type
        if media_type not in INDEX_TYPES + IMAGE_TYPES:
            raise DomainError("UnsupportedManifest", message=f"{repo}:{reference} has media type {media_type!r}; "
                              "only Docker schema 2 and OCI manifests and indexes are imported")
        return data, media_type, digest

    def has_manifest(self, repo: str, reference: str) -> bool:
        response = self.request("HEAD", f"/v2/{repo}/manifests/{reference}", _push(repo), headers={"Accept": ACCEPT})
        return response.status_code == 200

    def put_manifest(self, repo: str, reference: str, data: bytes, media_type: str) -> None:
        response = self.request("PUT", f"/v2/{repo}/manifests/{reference}", _push(repo), data=data,
                                headers={"Content-Type": media_type})
        _expect(response, (201,), f"PUT manifest {repo}:{reference} to {self.base}")

    def has_blob(self, repo: str, digest: str) -> bool:
        return self.request("HEAD", f"/v2/{repo}/blobs/{digest}", _push(repo)).status_code == 200

    def mount_blob(self, repo: str, digest: str, source_repo: str) -> str | None:
        """Link a blob from another repository of the same registry; else the upload location to send it to."""
        response = self.request("POST", f"/v2/{repo}/blobs/uploads/", f"{_push(repo)} {_pull(source_repo)}",
                                params={"mount": digest, "from": source_repo})
        if response.status_code == 201:
            return None
        _expect(response, (202,), f"start upload to {repo}")
        return urljoin(self.base + "/", response.headers["Location"])

    def start_upload(self, repo: str) -> str:
        response = self.request("POST", f"/v2/{repo}/blobs/uploads/", _push(repo))
        _expect(response, (202,), f"start upload to {repo}")
        return urljoin(self.base + "/", response.headers["Location"])

    def finish_upload(self, repo: str, location: str, digest: str, chunks: Iterator[bytes]) -> None:
        response = self.request("PATCH", location, _push(repo), data=chunks,
                                headers={"Content-Type": "application/octet-stream"})
        _expect(response, (202,), f"upload {digest} to {repo}")
        location = urljoin(self.base + "/", response.headers["Location"])
        response = self.request("PUT", location, _push(repo), params={"digest": digest},
                                headers={"Content-Length": "0"})
        _expect(response, (201,), f"commit {digest} to {repo}")

    def open_blob(self, repo: str, digest: str) -> requests.Response:
        response = self.request("GET", f"/v2/{repo}/blobs/{digest}", _pull(repo), stream=True)
        if response.status_code == 404:
            raise DomainError("SourceImageNotFound", message=f"blob {digest} of {repo} was not found in {self.base}")
        _expect(response, (200,), f"GET blob {digest} of {repo} from {self.base}")
        return response


def _pull(repo: str) -> str:
    return f"repository:{repo}:pull"


def _push(repo: str) -> str:
    return f"repository:{repo}:pull,push"


def _expect(response: requests.Response, statuses: tuple[int, ...], what: str) -> None:
    if response.status_code in statuses:
        return
    if response.status_code in (401, 403):
        raise DomainError("SourceAuthenticationFailed", message=f"{what}: HTTP {response.status_code} (credentials "
                          "missing or refused)")
    raise DomainError("ImportFailed", message=f"{what}: HTTP {response.status_code} {response.text[:300]}")


def split_reference(image: str) -> tuple[str, str]:
    """`repo:tag`, `repo@sha256:…` or `repo` (tag latest) -> (repo, tag or digest)."""
    if "@" in image:
        repo, digest = image.split("@", 1)
        return repo, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:]
    return image, "latest"


def remote_endpoint(registry_uri: str, credentials: dict[str, Any] | None) -> Endpoint:
    """An endpoint for `source.registryUri`: `host[:port][/prefix]`, with or without a scheme. Without one, the
    scheme that answers GET /v2/ is used (plain HTTP first for loopback hosts, as docker does)."""
    scheme, _, rest = registry_uri.rpartition("://")
    host, _, prefix = rest.partition("/")
    if host in ("docker.io", "index.docker.io"):
        host = "registry-1.docker.io"
    loopback = host.split(":")[0] in ("localhost", "127.0.0.1", "[::1]")
    schemes = [scheme] if scheme else (["http", "https"] if loopback else ["https", "http"])
    username = (credentials or {}).get("username")
    password = (credentials or {}).get("password")
    problems = []
    for candidate in schemes:
        client = RegistryClient(f"{candidate}://{host}", username, password)
        try:
            response = client.session.get(f"{client.base}/v2/", timeout=10)
        except requests.RequestException as exc:
            problems.append(f"{candidate}: {exc.__class__.__name__}")
            continue
        if response.status_code in (200, 401):
            return Endpoint(client, prefix.strip("/"))
        problems.append(f"{candidate}: HTTP {response.status_code}")
    raise DomainError("SourceRegistryUnreachable",
                      message=f"no Docker registry answers at {registry_uri} ({'; '.join(problems)})")


def copy_image(source: Endpoint, source_image: str, target: Endpoint, target_tags: list[str],
               untagged_repositories: list[str], force: bool) -> None:
    """importImage's copy: refuse (NoForce) before writing anything, then copy into every target."""
    source_repo, reference = split_reference(source_image)
    source_repo = source.repo(source_repo)
    tagged = [split_reference(t) for t in target_tags]
    if any(tag.startswith("sha256:") for _, tag in tagged):
        raise DomainError("InvalidTargetTag", message="targetTags take `repo:tag`, not a digest")
    if not force:
        for repo, tag in tagged:
            if target.client.has_manifest(target.repo(repo), tag):
                raise DomainError("TagAlreadyExists", message=f"Tag {repo}:{tag} already exists in target registry.")
    data, media_type, digest = source.client.get_manifest(source_repo, reference)
    same_registry = source.client.base == target.client.base
    repos = [(target.repo(repo), tag) for repo, tag in tagged] + [(target.repo(r), None) for r in untagged_repositories]
    for repo, tag in repos:
        _copy_manifest(source.client, source_repo, data, media_type, digest, target.client, repo, same_registry)
        if tag is not None:
            target.client.put_manifest(repo, tag, data, media_type)


def _copy_manifest(source: RegistryClient, source_repo: str, data: bytes, media_type: str, digest: str,
                   target: RegistryClient, repo: str, same_registry: bool) -> None:
    """Everything the manifest references, then the manifest itself by digest."""
    document = json.loads(data)
    if media_type in INDEX_TYPES:
        for child in document.get("manifests", []):
            child_data, child_type, child_digest = source.get_manifest(source_repo, child["digest"])
            _copy_manifest(source, source_repo, child_data, child_type, child_digest, target, repo, same_registry)
    else:
        for blob in [document.get("config"), *document.get("layers", [])]:
            if blob and not blob.get("urls"):  # foreign layers stay where their urls point
                _copy_blob(source, source_repo, blob["digest"], target, repo, same_registry)
    target.put_manifest(repo, digest, data, media_type)


def _copy_blob(source: RegistryClient, source_repo: str, digest: str, target: RegistryClient, repo: str,
               same_registry: bool) -> None:
    if target.has_blob(repo, digest):
        return
    if same_registry:
        location = target.mount_blob(repo, digest, source_repo)
        if location is None:
            return
    else:
        location = target.start_upload(repo)
    with source.open_blob(source_repo, digest) as response:
        target.finish_upload(repo, location, digest, response.iter_content(CHUNK))
