"""Who may do what on a registry's data plane: principals, scopes and the actions each grants. No HTTP here.

ACR's data plane speaks the Docker token protocol: a client asks for scopes (`repository:app:pull,push`,
`registry:catalog:*`) on behalf of a principal and gets a token that lists, per scope, the actions it may do.
Principals here are the anonymous caller, a registry's admin user, and an Entra ID identity (which, as an Owner
would, may do everything everywhere). The two auth modes differ only in what the anonymous caller may do.

Names in scopes are read against a *service*: a path-style login server (`localhost:5000/reg`) or a host-style one
(`reg.localhost:5000`) names its registry, so a scope names a repository in it; the bare host (`localhost:5000`,
docker's view of path-style) does not, so a scope's first path segment is the registry.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

# What a registry's data plane distinguishes; `*` on `registry:catalog` lists repositories.
REPOSITORY_ACTIONS = ("pull", "push", "delete", "metadata_read", "metadata_write")
READ_ACTIONS = frozenset({"pull", "metadata_read", "*"})
ALL_ACTIONS = frozenset((*REPOSITORY_ACTIONS, "*"))
# Docker's repository name grammar (distribution's reference package): lower-case path components.
REPOSITORY_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_SCOPE_RE = re.compile(r"^(repository|registry)(?:\([^)]*\))?:([^:]+):([a-z_*,]*)$")

ANONYMOUS = "anonymous"
ENFORCED = "enforced"


class DataPlaneError(Exception):
    """A data-plane failure: `code` is the registry's error code (UNAUTHORIZED, DENIED, NAME_INVALID, ...)."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Scope:
    type: str  # repository | registry
    name: str
    actions: tuple[str, ...]

    def claim(self, actions: tuple[str, ...]) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "actions": list(actions)}


@dataclass(frozen=True)
class Principal:
    """kind: anonymous | admin (of `registry`) | token (`subject`, of `registry`) | aad (an Entra ID identity,
    `subject` its object id)."""

    kind: str
    subject: str = ""
    registry: str | None = None

    def encode(self) -> str:
        return {"anonymous": "anonymous", "admin": f"admin:{self.registry}", "aad": f"aad:{self.subject}",
                "token": f"token:{self.registry}/{self.subject}"}[self.kind]

    @staticmethod
    def decode(text: str) -> Principal:
        kind, _, rest = str(text).partition(":")
        if kind == "admin" and rest:
            return Principal("admin", rest, rest)
        if kind == "aad" and rest:
            return Principal("aad", rest)
        if kind == "token" and "/" in rest:
            registry, _, name = rest.partition("/")
            return Principal("token", name, registry)
        return Principal("anonymous")


def parse_scopes(text: str) -> list[Scope]:
    """Space-separated scopes (clients also send several `scope` parameters: join them first)."""
    scopes = []
    for item in text.split():
        found = _SCOPE_RE.match(item)
        if found is None:
            raise DataPlaneError("INVALID_REQUEST", f"the scope {item!r} is not of the form type:name:actions")
        kind, name, actions = found.groups()
        if kind == "registry" and name != "catalog":
            raise DataPlaneError("INVALID_REQUEST", f"unknown registry scope {name!r}: only registry:catalog:*")
        if kind == "repository" and not REPOSITORY_RE.match(name):
            raise DataPlaneError("NAME_INVALID", f"invalid repository name {name!r}")
        scopes.append(Scope(kind, name, tuple(a for a in actions.split(",") if a)))
    return scopes


def registry_of_service(service: str, login_host: str) -> str | None:
    """The registry a service (login server) names, or None for the bare host of path-style login servers."""
    host, _, path = service.strip().partition("/")
    if path:
        return path.strip("/").lower() or None
    hostname = host.rsplit(":", 1)[0].lower()
    suffix = "." + login_host.lower()
    if hostname.endswith(suffix) and hostname != suffix[1:]:
        return hostname[: -len(suffix)]
    return None


def resolve(service_registry: str | None, scope_type: str, name: str) -> tuple[str | None, str]:
    """(registry, repository) that a scope's name means for a service; `catalog` has repository ''."""
    if scope_type == "registry":
        return service_registry, ""
    if service_registry is not None:
        return service_registry, name
    first, _, rest = name.partition("/")
    return (first, rest) if rest else (None, name)


class AccessPolicy:
    """The rules: which credentials name which principal, and what a principal may do in a registry.

    `backend` is the management plane's model (registries, their tokens and scope maps).
    """

    def __init__(self, backend: Any, mode: str) -> None:
        self.backend = backend
        self.find_registry = backend.find_registry
        self.mode = mode

    def sign_in(self, username: str, password: str) -> Principal:
        """A user name and password: a registry's admin user, else a token of some registry."""
        try:
            return self.admin(username, password)
        except DataPlaneError as refused:
            found = self.backend.token_principal(username, password)
            if found is None:
                raise refused from None
            return Principal("token", found[1], found[0])

    def admin(self, username: str, password: str) -> Principal:
        """The admin user: username = registry name, password or password2, only while adminUserEnabled."""
        record = self.find_registry(username) if username else None
        if record is None or record.get("provisioningState") == "Deleting":
            raise DataPlaneError("UNAUTHORIZED", "authentication required, visit https://aka.ms/acr/authorization "
                                               "for more information.")
        if not record["properties"].get("adminUserEnabled"):
            raise DataPlaneError("UNAUTHORIZED", "admin user is disabled.")
        if not any(hmac.compare_digest(password.encode(), p.encode()) for p in record.get("passwords", [])):
            raise DataPlaneError("UNAUTHORIZED", "authentication required, visit https://aka.ms/acr/authorization "
                                               "for more information.")
        return Principal("admin", record["name"].lower(), record["name"].lower())

    def check_network(self, registry: str) -> None:
        """Enforced mode: a registry with public network access disabled refuses everyone, as Azure's firewall."""
        record = self.find_registry(registry)
        if self.mode == ENFORCED and record is not None and \
                record["properties"].get("publicNetworkAccess") == "Disabled":
            raise DataPlaneError("DENIED", "client with IP '127.0.0.1' is not allowed access. Refer "
                                         "https://aka.ms/acr/firewall to grant access.")

    def granted(self, principal: Principal, registry: str | None, actions: tuple[str, ...],
                repository: str = "") -> tuple[str, ...]:
        """The subset of `actions` the principal may do in `registry` (to `repository`; none for the catalog);
        unknown registries grant nothing."""
        record = self.find_registry(registry) if registry else None
        if record is None or record.get("provisioningState") in ("Deleting", "Failed"):
            return ()
        wanted = tuple(a for a in actions if a in ALL_ACTIONS)
        if principal.kind == "aad" or (principal.kind == "admin" and principal.registry == record["name"].lower()):
            return wanted
        if principal.kind == "token" and principal.registry == record["name"].lower() and repository:
            allowed = self.backend.token_grants(principal.registry, principal.subject, repository)
            if self.mode == ENFORCED:
                return tuple(a for a in wanted if a in allowed)
        if self.mode == ANONYMOUS:
            return wanted
        if record["properties"].get("anonymousPullEnabled"):
            return tuple(a for a in wanted if a in READ_ACTIONS)
        return ()
