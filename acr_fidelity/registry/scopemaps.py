"""Scope maps: the rules of this family, the system-defined maps every registry has, and what a map grants on the data
plane. No HTTP here.

An action is `repositories/{repository}/{permission}`: the repository may end in `*` (every repository, or every one
under a prefix), the permission is content/read, content/write, content/delete, metadata/read or metadata/write
(the older single words contentRead, contentWrite, delete, metadataRead, metadataWrite are taken as those).
"""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, datetime
from typing import Any

from acr_fidelity.registry.children import Family, Rules, body_properties, check_limit
from acr_fidelity.registry.errors import DomainError

# permission -> the data plane's actions (registry/access.py)
PERMISSIONS = {"content/read": ("pull",), "content/write": ("push",), "content/delete": ("delete",),
               "metadata/read": ("metadata_read",), "metadata/write": ("metadata_write",)}
LEGACY = {"contentRead": "content/read", "contentWrite": "content/write", "delete": "content/delete",
          "metadataRead": "metadata/read", "metadataWrite": "metadata/write", "pull": "content/read",
          "push": "content/write"}
_ACTION = re.compile(r"^repositories/(?P<repository>[a-z0-9*][a-z0-9._/*-]*)/(?P<permission>"
                     + "|".join(re.escape(p) for p in (*PERMISSIONS, *LEGACY)) + ")$")
# The maps Azure gives every registry (name, description, permissions on every repository).
SYSTEM = (
    ("_repositories_admin", "Can perform all read, write and delete operations on the registry",
     ("metadata/read", "metadata/write", "content/read", "content/write", "content/delete")),
    ("_repositories_pull", "Can pull any repository of the registry", ("content/read",)),
    ("_repositories_pull_metadata_read", "Can perform all read operations on the registry",
     ("content/read", "metadata/read")),
    ("_repositories_push", "Can push to any repository of the registry", ("content/read", "content/write")),
    ("_repositories_push_metadata_write", "Can perform all read and write operations on the registry",
     ("metadata/read", "metadata/write", "content/read", "content/write")),
)
SYSTEM_NAMES = {name for name, _, _ in SYSTEM}


def _actions(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise DomainError("InvalidScopeMapActions", value=value)
    out = []
    for action in value:
        found = _ACTION.match(action) if isinstance(action, str) else None
        permission = LEGACY.get(found["permission"], found["permission"]) if found else None
        if found is None or permission not in PERMISSIONS:
            raise DomainError("InvalidScopeMapActions", value=action)
        out.append(action)
    return list(dict.fromkeys(out))


def _now() -> str:
    from acr_fidelity.registry.models import azure_time

    return azure_time(datetime.now(UTC), zulu=True)


class ScopeMapRules(Rules):
    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        if name in SYSTEM_NAMES:
            raise DomainError("SystemScopeMapReadOnly", name=name)
        user_defined = [s for s in siblings if s["properties"]["type"] == "UserDefined"]
        check_limit(backend, "ScopeMaps", registry, len(user_defined), "ScopeMapLimitExceeded")
        props = body_properties(body)
        description = props.get("description", "")
        if not isinstance(description, str):
            raise DomainError("InvalidRequestContent", detail="'properties.description' must be a string")
        return {"properties": {"description": description, "type": "UserDefined", "creationDate": _now(),
                               "actions": _actions(props.get("actions"))}}

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        if record["properties"]["type"] == "SystemDefined":
            raise DomainError("SystemScopeMapReadOnly", name=record["name"])
        props = body_properties(body)
        if props.get("description") is not None:
            if not isinstance(props["description"], str):
                raise DomainError("InvalidRequestContent", detail="'properties.description' must be a string")
            record["properties"]["description"] = props["description"]
        if props.get("actions") is not None:
            record["properties"]["actions"] = _actions(props["actions"])

    def check_delete(self, registry: dict[str, Any], record: dict[str, Any]) -> None:
        if record["properties"]["type"] == "SystemDefined":
            raise DomainError("SystemScopeMapReadOnly", name=record["name"])

    def builtin(self, registry: dict[str, Any]) -> list[dict[str, Any]]:
        """The system-defined maps, as Azure shows them on every registry (dated with the registry)."""
        return [{"name": name, "registry": registry["name"], "subscriptionId": registry["subscriptionId"],
                 "resourceGroup": registry["resourceGroup"], "tags": {}, "provisioningState": "Succeeded",
                 "createdAt": registry["createdAt"], "createdBy": registry["createdBy"],
                 "createdByType": registry["createdByType"], "lastModifiedAt": registry["createdAt"],
                 "lastModifiedBy": registry["createdBy"], "lastModifiedByType": registry["createdByType"],
                 "properties": {"description": description, "type": "SystemDefined",
                                "creationDate": registry["createdAt"].replace("+00:00", "Z"),
                                "actions": [f"repositories/*/{p}" for p in permissions]}}
                for name, description, permissions in SYSTEM]


SCOPE_MAPS = Family("scopeMaps", "Microsoft.ContainerRegistry/registries/scopeMaps",
                    re.compile(r"^[a-zA-Z0-9_-]{5,50}$"), ScopeMapRules())


def granted(scope_map: dict[str, Any], repository: str) -> set[str]:
    """The data plane's actions a scope map grants on a repository."""
    out: set[str] = set()
    for action in scope_map["properties"]["actions"]:
        found = _ACTION.match(action)
        if found and fnmatch.fnmatchcase(repository, found["repository"]):
            out.update(PERMISSIONS[LEGACY.get(found["permission"], found["permission"])])
    return out
