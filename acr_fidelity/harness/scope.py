"""What the harness scores: the emulator's own route table, read once, plus harness-only entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from acr_fidelity.arm.routes import ROUTES, Route, Versioning
from acr_fidelity.frontdoor.routes import ROUTES as DATA_PLANE_ROUTES


@dataclass(frozen=True)
class ScopeEntry:
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    registry_versioned: bool  # api-version is one of Microsoft.ContainerRegistry's (what --api-version replaces)
    data_plane: bool = False  # a login server's (the front door's route table), not ARM's


def _from_route(route: Route) -> ScopeEntry:
    return ScopeEntry(route.operation_id, route.method, route.template, route.pattern,
                      route.versioning is Versioning.REGISTRY)


# Not scored: the emulator's own endpoints (Emulator_*); those that describe where the emulator lives rather than
# how ACR behaves (Entra ID tokens and discovery, cloud metadata): recordings of them show a recorder's hosts and
# sanitized tokens, nothing an emulator can match.
_UNSCORED = ("Emulator_", "Identity_", "Metadata_")
SCOPE: tuple[ScopeEntry, ...] = tuple(_from_route(r) for r in ROUTES if not r.operation_id.startswith(_UNSCORED))
DATA_PLANE_SCOPE: tuple[ScopeEntry, ...] = tuple(
    ScopeEntry(r.operation(m), m, r.pattern.pattern, r.pattern, False, True) for r in DATA_PLANE_ROUTES
    for m in r.methods)


def _normalize(path: str) -> str:
    # az sends doubled slashes; ARM collapses them.
    return re.sub(r"/{2,}", "/", path) or "/"


def find(method: str, path: str, login_server: str | None = None) -> ScopeEntry | None:
    """The scope entry for a request (to a login server's data plane, given one), or None when it is out of scope
    (unsupported)."""
    path = _normalize(path)
    for entry in DATA_PLANE_SCOPE if login_server else SCOPE:
        if entry.method == method.upper() and entry.pattern.match(path):
            return entry
    return None


_NAMED = {"subscriptions": "{subscriptionId}", "resourcegroups": "{resourceGroupName}"}


def route_template(uri: str) -> str:
    """An ARM path with its names replaced by placeholders (`…/providers/Microsoft.Network/virtualNetworks/{name}`),
    so that calls outside the emulator's scope group by what they are, not by the names a recorder used."""
    path = _normalize(urlsplit(uri).path)
    segments, out, index = path.strip("/").split("/"), [], 0
    while index < len(segments):
        segment = segments[index]
        out.append(segment)
        if segment.lower() in _NAMED and index + 1 < len(segments):
            out.append(_NAMED[segment.lower()])
            index += 2
            continue
        if segment.lower() == "providers" and index + 1 < len(segments):
            rest = segments[index + 2:]
            # after the namespace, types and names alternate (a trailing type is an action or a collection)
            out += [segments[index + 1], *(part if n % 2 == 0 else "{name}" for n, part in enumerate(rest))]
            break
        index += 1
    return "/" + "/".join(out)
