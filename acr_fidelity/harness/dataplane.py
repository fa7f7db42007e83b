"""Recorded data-plane interactions (a login server's /v2/, /oauth2/ and /acr/v1/): which registry of the replay
each recorded login server is, what the recording presupposes there (a registry, its repositories, anonymous pull),
and the tokens a replay carries from one answer to the next request, as the recorded client did.

They replay on an in-process emulator with the Docker data plane in Azure's enforced auth mode; without a Docker
engine they are skipped, visibly.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from acr_fidelity.harness.cassette import Cassette, Interaction

AZURE_LOGIN_SUFFIX = ".azurecr.io"
_NAME = re.compile(r"^[A-Za-z0-9]{5,50}$")
_CATALOG = re.compile(r"^/(acr/v1|v2)/_catalog$")
_REGISTRY_PUT = re.compile(r"/providers/microsoft\.containerregistry/registries/([^/?]+)$", re.IGNORECASE)
SEED_GROUP = "acr-fidelity-harness-data-plane"
# A tiny image every seeded repository holds (Docker's image manifest, which every client accepts): a config and no
# layers.
_CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
_CONFIG_DIGEST = "sha256:" + hashlib.sha256(_CONFIG).hexdigest()
_MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
_MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": _MANIFEST_TYPE,
                        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                   "digest": _CONFIG_DIGEST, "size": len(_CONFIG)}, "layers": []}).encode()


def login_host_of(rec: Interaction) -> str | None:
    """The recorded login server of a data-plane interaction, or None for ARM and Entra ID."""
    host = (urlsplit(rec.uri).hostname or "").lower()
    return host if host.endswith(AZURE_LOGIN_SUFFIX) else None


def has_data_plane(cassette: Cassette) -> bool:
    return any(login_host_of(rec) for rec in cassette.interactions)


@functools.cache
def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=10).ping()
    except Exception:  # noqa: BLE001 - any failure means: no engine to replay the data plane on
        return False
    return True


@dataclass
class Target:
    """The data-plane port of the replay's emulator and how to address a registry there."""

    url: str  # http://127.0.0.1:{port}
    port: int
    login_host: str

    def host_header(self, registry: str) -> str:
        return f"{registry}.{self.login_host}:{self.port}"  # host-style: the registry is in the Host header


@dataclass
class Registry:
    name: str
    seeded: bool  # created by the replay (the recording presupposes it) rather than by the recording's own PUT
    anonymous_pull: bool = False
    repositories: list[str] = field(default_factory=list)


def seeded_name(host: str, source: str) -> str:
    """A valid registry name for a recorded login server (its first label's letters and digits, and a hash that
    keeps the registries of different recordings apart in the run's shared container)."""
    stem = re.sub("[^a-z0-9]", "", host.split(".")[0].lower())[:40]
    return stem + hashlib.sha256(f"{source}|{host}".encode()).hexdigest()[:8]


def registries(cassette: Cassette) -> dict[str, Registry]:
    """Recorded login server -> the registry the replay uses for it: the registry the recording creates under that
    name, else one the replay seeds (recorders sanitize names, `fake_url`, so seeded names are made valid)."""
    created = {m.group(1).lower() for rec in cassette.interactions if rec.method == "PUT"
               if (m := _REGISTRY_PUT.search(rec.path))}
    out: dict[str, Registry] = {}
    for rec in cassette.interactions:
        host = login_host_of(rec)
        if host is None:
            continue
        if host not in out:
            label = host.removesuffix(AZURE_LOGIN_SUFFIX)
            if _NAME.match(label) and label.lower() in created:
                out[host] = Registry(label.lower(), seeded=False)
            else:
                out[host] = Registry(seeded_name(host, cassette.id), True)
        registry = out[host]
        form = dict(parse_qsl(rec.request_body or ""))
        if rec.path.rstrip("/") == "/oauth2/token" and form.get("grant_type") == "password" \
                and not form.get("username"):
            registry.anonymous_pull = True  # an anonymous token is asked for: the registry allows that
        body = rec.response_json()
        if _CATALOG.match(rec.path) and rec.status == 200 and isinstance(body, dict):
            for name in body.get("repositories") or []:
                if isinstance(name, str) and name not in registry.repositories:
                    registry.repositories.append(name)
    return out


def seed_repositories(target: Target, registry: Registry, credentials: tuple[str, str],
                      tag: str = "1") -> tuple[str, str]:
    """The repositories a recorded catalog lists: a tiny image tagged `tag` in each, pushed through the front door.
    The digests of its manifest and of its config blob."""
    session = requests.Session()
    session.auth = credentials
    session.headers["Host"] = target.host_header(registry.name)
    for repository in registry.repositories:
        started = session.post(f"{target.url}/v2/{repository}/blobs/uploads/", timeout=30)
        started.raise_for_status()
        location = urlsplit(started.headers["Location"])
        session.put(f"{target.url}{location.path}", params=[*parse_qsl(location.query), ("digest", _CONFIG_DIGEST)],
                    data=_CONFIG, timeout=30).raise_for_status()
        session.put(f"{target.url}/v2/{repository}/manifests/{tag}", data=_MANIFEST, timeout=30,
                    headers={"Content-Type": _MANIFEST_TYPE}).raise_for_status()
    return "sha256:" + hashlib.sha256(_MANIFEST).hexdigest(), _CONFIG_DIGEST


class Tokens:
    """The tokens this replay's emulator handed out, used where the recorded client used the recorder's: a refresh
    token in the next token request, an access token on the next requests (recordings strip Authorization)."""

    def __init__(self) -> None:
        self.refresh: str | None = None
        self.access: str | None = None

    def request(self, rec: Interaction) -> tuple[dict[str, str], str]:
        """Headers to add and the body to send for a recorded data-plane request."""
        if rec.path.startswith("/oauth2/"):
            pairs = parse_qsl(rec.request_body or "", keep_blank_values=True)
            if self.refresh is not None:
                pairs = [(k, self.refresh if k == "refresh_token" else v) for k, v in pairs]
            return {}, urlencode(pairs) if pairs else (rec.request_body or "")
        return ({"Authorization": f"Bearer {self.access}"} if self.access else {}), rec.request_body or ""

    def learn(self, body: str) -> None:
        with contextlib.suppress(ValueError, AttributeError):
            answer = json.loads(body)
            self.refresh = answer.get("refresh_token") or self.refresh
            self.access = answer.get("access_token") or self.access


@contextlib.contextmanager
def docker_emulator(namespace: str) -> Iterator[tuple[str, Target | None]]:
    """A fresh in-process emulator with the Docker data plane in Azure's enforced auth mode (its ARM URL and data-plane
    target); the registry container is shared by the run's emulators (the namespace) and removed by `remove`."""
    from acr_fidelity.config import load_settings
    from acr_fidelity.server import start_in_thread

    settings = load_settings(env={}, overrides={"port": 0, "acr_mocked": False, "https_enabled": False,
                                                "acr_auth": "enforced", "acr_namespace": namespace,
                                                "acr_health_interval": 1})
    server = start_in_thread(settings)
    try:
        port = server.emulator.dataplane.public_port
        target = Target(f"http://127.0.0.1:{port}", port, settings.acr_login_host) if port else None
        yield server.url, target
    finally:
        server.stop()


def remove(namespace: str) -> None:
    """The run's registry container and its volume."""
    from acr_fidelity.config import load_settings
    from acr_fidelity.dataplane.docker import connect

    plane = connect(load_settings(env={}, overrides={"acr_namespace": namespace}), 0)
    if not isinstance(plane, str):
        plane.purge()


def seed_body(registry: Registry) -> dict[str, Any]:
    return {"location": "westus", "sku": {"name": "Premium"},
            "properties": {"adminUserEnabled": True, "anonymousPullEnabled": registry.anonymous_pull}}
