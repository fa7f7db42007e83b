"""Artifact cache (pull-through): credential sets and cache rules, the rules of both families, and which upstream
image a pull of a cached repository stands for. No HTTP here (the front door fetches, acr_fidelity/frontdoor/v2.py).

A credential set names an upstream login server and the Key Vault secrets of its user name and password. This
emulator has no Key Vault: it reads those secret identifiers from its own setting `acr: {secrets: {uri: value}}`
(a credential whose secrets it cannot read is `Unhealthy`, as Azure reports one it cannot read). A cache rule maps a
target repository of the registry (`hub/*` with a trailing wildcard, or one name) to a source repository upstream
(`docker.io/library/*`), optionally through a credential set of the registry.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from acr_fidelity.registry.access import REPOSITORY_RE
from acr_fidelity.registry.children import Family, Rules, body_properties, sibling_id
from acr_fidelity.registry.errors import DomainError

_UPSTREAM = re.compile(r"^(?P<host>[A-Za-z0-9.-]+(?::\d+)?)/(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?P<wild>/\*)?$")
_TARGET = re.compile(r"^(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?P<wild>/\*)?$")


def _now() -> str:
    from acr_fidelity.registry.models import azure_time

    return azure_time(datetime.now(UTC))


def _string(props: dict[str, Any], field: str) -> str:
    value = props.get(field)
    if not isinstance(value, str) or not value:
        raise DomainError("InvalidRequestContent", detail=f"'properties.{field}' is required (a string)")
    return value


_SECRETS = ("usernameSecretIdentifier", "passwordSecretIdentifier")


def _auth_credentials(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
            isinstance(c, dict) and c.get("name") == "Credential1" and all(isinstance(c.get(k), str) for k in _SECRETS)
            for c in value):
        raise DomainError("InvalidRequestContent", detail="'properties.authCredentials': a list of {name: "
                                                          "Credential1, usernameSecretIdentifier, "
                                                          "passwordSecretIdentifier}")
    return [{k: c[k] for k in ("name", *_SECRETS)} for c in value]


def _identity(value: Any, tenant_id: str) -> dict[str, Any] | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    assigned = value.get("userAssignedIdentities") if isinstance(value, dict) else None
    if assigned is not None and not (
            isinstance(assigned, dict) and all(isinstance(v, dict) for v in assigned.values())):
        raise DomainError("InvalidRequestContent", detail="'identity.userAssignedIdentities' maps ids to objects")
    if kind not in ("SystemAssigned", "None"):
        raise DomainError("InvalidEnumValue", field="identity.type", value=kind, allowed=("SystemAssigned", "None"))
    return None if kind == "None" else {"principalId": str(uuid.uuid4()), "tenantId": tenant_id,
                                        "type": "SystemAssigned"}


class CredentialSetRules(Rules):
    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        props = body_properties(body)
        record: dict[str, Any] = {"properties": {"loginServer": _string(props, "loginServer"),
                                                 "authCredentials": _auth_credentials(props.get("authCredentials")),
                                                 "creationDate": _now()}}
        identity = _identity(body.get("identity"), backend.tenant_id)
        if identity:
            record["identity"] = identity
        return record

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        props = body_properties(body)
        if props.get("authCredentials") is not None:
            record["properties"]["authCredentials"] = _auth_credentials(props["authCredentials"])
        if "identity" in body:
            identity = _identity(body["identity"], backend.tenant_id)
            record.pop("identity", None)
            if identity:
                record["identity"] = identity

class CacheRuleRules(Rules):
    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        props = body_properties(body)
        source, target = _string(props, "sourceRepository"), _string(props, "targetRepository")
        upstream, local = _UPSTREAM.match(source), _TARGET.match(target)
        if upstream is None or local is None or bool(upstream["wild"]) != bool(local["wild"]) or \
                not REPOSITORY_RE.match(local["repository"]):
            raise DomainError("InvalidCacheRuleRepositories", source=source, target=target)
        if any(s["properties"]["targetRepository"] == target for s in siblings):
            raise DomainError("CacheRuleTargetInUse", target=target)
        record: dict[str, Any] = {"properties": {"sourceRepository": source, "targetRepository": target,
                                                 "creationDate": _now()}}
        if props.get("credentialSetResourceId") is not None:
            record["properties"]["credentialSetResourceId"] = credential_set(backend, registry,
                                                                             props["credentialSetResourceId"])
        return record

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        props = body_properties(body)
        if "credentialSetResourceId" in props and props["credentialSetResourceId"] in (None, ""):
            record["properties"].pop("credentialSetResourceId", None)  # az acr cache update --remove-cred-set
        elif props.get("credentialSetResourceId") is not None:
            registry = backend.find_registry(record["registry"])
            record["properties"]["credentialSetResourceId"] = credential_set(backend, registry,
                                                                             props["credentialSetResourceId"])


CREDENTIAL_SETS = Family("credentialSets", "Microsoft.ContainerRegistry/registries/credentialSets",
                         re.compile(r"^[a-zA-Z0-9-]{5,50}$"), CredentialSetRules(), delete_accepted=True)
CACHE_RULES = Family("cacheRules", "Microsoft.ContainerRegistry/registries/cacheRules",
                     re.compile(r"^[a-zA-Z0-9-]{5,50}$"), CacheRuleRules(), delete_accepted=True)


def credential_set(backend: Any, registry: dict[str, Any], value: Any) -> str:
    """A credential set id of the registry, as given; InvalidCredentialSetId otherwise."""
    return sibling_id(backend, CREDENTIAL_SETS, registry, value, "InvalidCredentialSetId")


def upstream_of(rule: dict[str, Any], repository: str) -> tuple[str, str] | None:
    """(upstream host, upstream repository) a cache rule gives a repository of its registry, or None."""
    source = _UPSTREAM.match(rule["properties"]["sourceRepository"])
    target = _TARGET.match(rule["properties"]["targetRepository"])
    if source is None or target is None:
        return None
    if target["wild"]:
        prefix = target["repository"] + "/"
        if not repository.startswith(prefix):
            return None
        return source["host"], f"{source['repository']}/{repository[len(prefix):]}"
    return (source["host"], source["repository"]) if repository == target["repository"] else None
