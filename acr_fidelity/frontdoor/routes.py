"""The data plane's route table: which path is which operation, and which registry and repository it is about.

A request names its registry in one of three ways: the host (host-style login servers, `reg.localhost:5000`), a
path prefix (path-style login servers as az and the SDKs use them, `localhost:5000/reg/v2/...`), or, for docker's
view of a path-style login server (`localhost:5000` + repository `reg/app`), the repository's first segment.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.registry.access import REPOSITORY_RE

Handler = Callable[[Any, "Call"], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    name: str  # the operationId of the row's GET (or only) operation in ACR's data-plane swagger
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: str  # "module.function" under acr_fidelity.frontdoor, resolved by the dispatcher
    streams: bool = False  # the body and the answer are relayed to the registry container, not buffered
    others: tuple[tuple[str, str], ...] = ()  # (method, operationId) where another method's operation differs

    def operation(self, method: str) -> str:
        return dict(self.others).get(method, self.name)


@dataclass
class Call:
    route: Route
    params: dict[str, str]
    context: str | None  # the registry the login server names (host or path prefix), None on the bare host
    prefix: str  # the path prefix the client used ("/reg" path-style with a prefix, else "")
    path: str  # the path without that prefix
    registry: str | None = None
    repository: str = ""
    query: dict[str, list[str]] = field(default_factory=dict)

    @property
    def backend_repository(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def client_repository(self) -> str:
        """The repository as the client names it: with its registry's prefix on the bare host."""
        return self.repository if self.context else self.backend_repository


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^{pattern}$")


_REPO = r"(?P<repo>.+)"
ROUTES: tuple[Route, ...] = (
    Route("ContainerRegistry_CheckDockerV2Support", ("GET", "HEAD"), _r(r"/v2/?"), "v2.ping"),
    Route("Authentication_ExchangeAadAccessTokenForAcrRefreshToken", ("POST",), _r(r"/oauth2/exchange/?"),
          "oauth.exchange"),
    Route("Authentication_GetAcrAccessTokenFromLogin", ("GET", "POST"), _r(r"/oauth2/token/?"), "oauth.token",
          others=(("POST", "Authentication_ExchangeAcrRefreshTokenForAcrAccessToken"),)),
    Route("Registry_GetCatalog", ("GET",), _r(r"/v2/_catalog"), "v2.catalog"),
    Route("ContainerRegistryBlob_StartUpload", ("POST",), _r(rf"/v2/{_REPO}/blobs/uploads/"), "v2.relay",
          streams=True),
    Route("ContainerRegistryBlob_GetUploadStatus", ("GET", "PATCH", "PUT", "DELETE"),
          _r(rf"/v2/{_REPO}/blobs/uploads/(?P<session>[^/]+)"), "v2.relay", streams=True,
          others=(("PATCH", "ContainerRegistryBlob_UploadChunk"), ("PUT", "ContainerRegistryBlob_CompleteUpload"),
                  ("DELETE", "ContainerRegistryBlob_CancelUpload"))),
    Route("ContainerRegistryBlob_GetBlob", ("GET", "HEAD", "DELETE"), _r(rf"/v2/{_REPO}/blobs/(?P<digest>[^/]+)"),
          "v2.relay", streams=True,
          others=(("HEAD", "ContainerRegistryBlob_CheckBlobExists"), ("DELETE", "ContainerRegistryBlob_DeleteBlob"))),
    Route("ContainerRegistry_GetManifest", ("GET", "HEAD", "PUT", "DELETE"),
          _r(rf"/v2/{_REPO}/manifests/(?P<reference>[^/]+)"), "v2.relay", streams=True,
          others=(("PUT", "ContainerRegistry_CreateManifest"), ("DELETE", "ContainerRegistry_DeleteManifest"))),
    Route("Registry_ListTags", ("GET",), _r(rf"/v2/{_REPO}/tags/list"), "v2.tags"),
    Route("Registry_ListReferrers", ("GET",), _r(rf"/v2/{_REPO}/referrers/(?P<digest>[^/]+)"), "v2.referrers"),
    Route("ContainerRegistry_GetRepositories", ("GET",), _r(r"/acr/v1/_catalog"), "acr_v1.catalog"),
    Route("ContainerRegistry_GetTagProperties", ("GET", "PATCH", "DELETE"),
          _r(rf"/acr/v1/{_REPO}/_tags/(?P<tag>[^/]+)"), "acr_v1.tag",
          others=(("PATCH", "ContainerRegistry_UpdateTagAttributes"), ("DELETE", "ContainerRegistry_DeleteTag"))),
    Route("ContainerRegistry_GetTags", ("GET",), _r(rf"/acr/v1/{_REPO}/_tags"), "acr_v1.tags"),
    Route("ContainerRegistry_GetManifestProperties", ("GET", "PATCH"),
          _r(rf"/acr/v1/{_REPO}/_manifests/(?P<reference>[^/]+)"), "acr_v1.manifest",
          others=(("PATCH", "ContainerRegistry_UpdateManifestProperties"),)),
    Route("ContainerRegistry_GetManifests", ("GET",), _r(rf"/acr/v1/{_REPO}/_manifests"), "acr_v1.manifests"),
    Route("ContainerRegistry_GetProperties", ("GET", "PATCH", "DELETE"), _r(rf"/acr/v1/{_REPO}"),
          "acr_v1.repository",
          others=(("PATCH", "ContainerRegistry_UpdateProperties"), ("DELETE", "ContainerRegistry_DeleteRepository"))),
)

CATALOG_ROUTES = ("Registry_GetCatalog", "ContainerRegistry_GetRepositories")
UPLOAD_ROUTES = ("ContainerRegistryBlob_StartUpload", "ContainerRegistryBlob_GetUploadStatus")
_PREFIXED = re.compile(r"^/(?P<name>[A-Za-z0-9]{5,50})(?P<rest>/(?:v2|oauth2|acr/v1)(?:/.*)?)$")


def match(method: str, path: str, host_registry: str | None, query: dict[str, list[str]]) -> Call:
    """The route and the registry and repository it concerns; RegistryError for unknown paths and bad names."""
    path = re.sub(r"/{2,}", "/", path)
    context, prefix = host_registry, ""
    found = _PREFIXED.match(path)
    if found is not None and context is None:
        context, prefix, path = found["name"].lower(), "/" + found["name"], found["rest"]
    for route in ROUTES:
        params = route.pattern.match(path)
        if params is None:
            continue
        if method not in route.methods:
            raise RegistryError("UNSUPPORTED", f"{method} is not supported on {path}",
                                headers={"Allow": ", ".join(route.methods)})
        call = Call(route, params.groupdict(), context, prefix, path, registry=context, query=query)
        if "repo" in call.params:
            _name(call, call.params["repo"])
        return call
    raise RegistryError("NAME_UNKNOWN", f"no such endpoint: {path}") if path.startswith(
        ("/v2/", "/acr/")) else RegistryError("UNSUPPORTED", f"no such endpoint: {path}")


def allowed_methods(path: str) -> tuple[str, ...]:
    """The methods the route at `path` serves (with or without a registry prefix); () for no route."""
    path = re.sub(r"/{2,}", "/", path)
    found = _PREFIXED.match(path)
    for candidate in (path, found["rest"] if found else None):
        for route in ROUTES:
            if candidate and route.pattern.match(candidate):
                return route.methods
    return ()


def _name(call: Call, name: str) -> None:
    if not REPOSITORY_RE.match(name) or len(name) > 256:
        raise RegistryError("NAME_INVALID", f"invalid repository name: {name!r}", detail={"name": name})
    if call.context is None:
        registry, _, name = name.partition("/")
        if not name:
            raise RegistryError("NAME_UNKNOWN", f"repository name not known to registry: {registry!r} names no "
                                                "repository; use {registry}/{repository}", detail={"name": registry})
        call.registry = registry.lower()
    call.repository = name
