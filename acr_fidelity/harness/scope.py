"""What the harness scores: the emulator's own route table, read once, plus harness-only entries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from acr_fidelity.arm.routes import ROUTES, Route, Versioning


@dataclass(frozen=True)
class ScopeEntry:
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    registry_versioned: bool  # api-version is one of Microsoft.ContainerRegistry's (what --api-version replaces)


def _from_route(route: Route) -> ScopeEntry:
    return ScopeEntry(route.operation_id, route.method, route.template, route.pattern,
                      route.versioning is Versioning.REGISTRY)


# Not scored: the emulator's own endpoints (Emulator_*); those that describe where the emulator lives rather than
# how ACR behaves (Entra ID tokens and discovery, cloud metadata): recordings of them show a recorder's hosts and
# sanitized tokens, nothing an emulator can match.
_UNSCORED = ("Emulator_", "Identity_", "Metadata_")
SCOPE: tuple[ScopeEntry, ...] = tuple(_from_route(r) for r in ROUTES if not r.operation_id.startswith(_UNSCORED))


def _normalize(path: str) -> str:
    # az sends doubled slashes; ARM collapses them.
    return re.sub(r"/{2,}", "/", path) or "/"


def find(method: str, path: str) -> ScopeEntry | None:
    """The scope entry for a request, or None when it is out of scope (unsupported)."""
    path = _normalize(path)
    for entry in SCOPE:
        if entry.method == method.upper() and entry.pattern.match(path):
            return entry
    return None
