"""The Docker Registry HTTP API V2 through the front door: the ping and its challenge, the catalog (each registry
sees its own repositories), and everything else relayed to the registry container under the registry's prefix."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from tornado import httputil

from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.routes import Call
from acr_fidelity.frontdoor.upstream import HOP_BY_HOP, Upstream, fetch
from acr_fidelity.registry.access import ANONYMOUS, Principal
from acr_fidelity.registry.repositories import item_key

T = TypeVar("T")
# The action each relayed operation needs, by route and method.
_ACTIONS = {"DELETE": "delete", "GET": "pull", "HEAD": "pull"}
CATALOG_LIMIT = 100_000
BACKEND_WAIT = 15.0  # the container is started with this maximum, so one request reads every repository


def action_for(call: Call, method: str) -> str:
    if call.route.name == "ContainerRegistryBlob_StartUpload":
        return "push"
    return _ACTIONS.get(method, "push")


def registry_record(door: Any, call: Call) -> dict[str, Any]:
    record = door.emulator.backend.find_registry(call.registry) if call.registry else None
    if record is None or record["provisioningState"] == "Deleting":
        raise RegistryError("NAME_UNKNOWN", f"registry {call.registry!r} does not exist in this emulator",
                            detail={"name": call.registry})
    return record


async def port_of(door: Any) -> int:
    """The registry container's port; a container still starting (emulator start, recreation) is waited for."""
    deadline = time.monotonic() + BACKEND_WAIT
    while (port := door.backend_port) is None:
        if time.monotonic() > deadline:
            raise RegistryError("UNAVAILABLE")
        await asyncio.sleep(0.1)
    return port


async def ping(door: Any, call: Call) -> None:
    if call.context is not None:
        registry_record(door, call)
    if door.gate.credentials(door.request) is None:
        raise RegistryError("UNAUTHORIZED", headers={"WWW-Authenticate": door.gate.challenge(door.request, call)})
    door.send_json({})


# ---- relayed operations ------------------------------------------------------------------------------------------

def client_path(call: Call, location: str) -> str:
    """A path the registry container answered with (Location, Link), as this client addresses it: where the login
    server names the registry (host-style, or an SDK whose endpoint holds the path prefix), without the registry,
    as ACR answers; the SDKs join it to their endpoint, prefix included."""
    parts = urlsplit(location)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    prefix = f"/v2/{call.registry}/"
    if call.context is not None and path.startswith(prefix):
        return f"/v2/{path[len(prefix):]}"
    return path


def _backend_query(call: Call) -> str:
    pairs = [(k, v) for k, vs in call.query.items() for v in vs]
    source = call.query.get("from", [""])[0]
    if source:
        # A cross-repository mount stays within the registry: from another registry it becomes a plain upload.
        registry, repository = (call.registry, source) if call.context else source.partition("/")[::2]
        pairs = [(k, v) for k, v in pairs if k not in ("from", "mount")]
        if registry == call.registry and repository:
            pairs += [("mount", call.query.get("mount", [""])[0]), ("from", f"{registry}/{repository}")]
    return urlencode(pairs)


def check_locks(door: Any, call: Call, method: str) -> None:
    """The changeable attributes of the repository and of the tag or manifest named lock the operation."""
    reference = call.params.get("reference", "")
    tag, digest = (None, reference) if ":" in reference else (reference or None, None)
    if call.route.name == "ContainerRegistry_GetManifest" and method == "PUT":
        operation, digest = "write", None
    else:
        operation = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")
    keys = [item_key(call.registry or "", call.repository, tag=tag, digest=digest)]
    if tag or digest:
        keys.insert(0, item_key(call.registry or "", call.repository))
    door.emulator.backend.repositories.check(operation, keys)


async def begin(door: Any, call: Call) -> None:
    """Before the body arrives: check the registry, the caller and the locks, then open the relay."""
    registry_record(door, call)
    door.gate.authorize(door.request, call, action_for(call, door.request.method))
    check_locks(door, call, door.request.method)
    tail = call.route.pattern.match(call.path)
    assert tail is not None
    path = f"/v2/{call.backend_repository}{call.path[tail.end('repo'):]}"
    query = _backend_query(call)
    port = await port_of(door)
    door.upstream = await Upstream.open(port, door.request.method, path + (f"?{query}" if query else ""),
                                        door.request.headers)


async def relay(door: Any, call: Call) -> None:
    def on_headers(start: httputil.ResponseStartLine, headers: httputil.HTTPHeaders) -> None:
        door.set_status(start.code, start.reason)
        for name, value in headers.get_all():
            lowered = name.lower()
            if lowered in HOP_BY_HOP or lowered == "docker-distribution-api-version":
                continue
            if lowered == "location":
                value = client_path(call, value)
            elif lowered == "link":
                value = re.sub(r"<([^>]*)>", lambda m: f"<{client_path(call, m.group(1))}>", value)
            door.add_header(name, value)

    def on_data(chunk: bytes) -> Any:
        door.write(chunk)
        return door.flush()

    await door.upstream.respond(on_headers, on_data)
    door.finish()


# ---- catalog ----------------------------------------------------------------------------------------

async def repositories(door: Any, call: Call) -> list[str]:
    """The repositories the caller may list, as the caller names them (without the prefix of its registry)."""
    status, _, body = await fetch(await port_of(door), "GET", f"/v2/_catalog?n={CATALOG_LIMIT}")
    if status != 200:
        raise RegistryError("UNAVAILABLE", f"the registry container answered {status} to its catalog")
    names: list[str] = json.loads(body).get("repositories") or []
    listed = door.emulator.backend.repositories.listed
    names = [name for name in names if listed(name)]
    if call.registry is not None:
        prefix = f"{call.registry}/"
        return sorted(n[len(prefix):] for n in names if n.startswith(prefix))
    credentials = door.gate.credentials(door.request)
    principal = credentials.principal if credentials else Principal(ANONYMOUS)
    allowed: dict[str, bool] = {}
    out = []
    for name in names:
        registry = name.split("/", 1)[0]
        if registry not in allowed:
            allowed[registry] = bool(door.gate.policy.granted(principal, registry, ("*",)))
        if allowed[registry]:
            out.append(name)
    return sorted(out)


def page(call: Call, items: list[T], path: str, name: Callable[[T], str] = str,
         ordered_by_name: bool = True) -> tuple[list[T], dict[str, str]]:
    """`n` and `last` paging with a Link header to the next page, as distribution pages its catalog: `last` is the
    name the previous page ended with (in name order, anything after it; in another order, what follows it)."""
    last = call.query.get("last", [""])[0]
    try:
        n = int(call.query.get("n", ["0"])[0] or 0)
    except ValueError:
        raise RegistryError("PAGINATION_NUMBER_INVALID", detail={"n": call.query.get("n")}) from None
    if n < 0:
        raise RegistryError("PAGINATION_NUMBER_INVALID", detail={"n": n})
    if last and ordered_by_name:
        items = [item for item in items if name(item) > last]
    elif last:
        names = [name(item) for item in items]
        items = items[names.index(last) + 1:] if last in names else []
    if not n or len(items) <= n:
        return items, {}
    shown = items[:n]
    query = {"last": name(shown[-1]), "n": n, **({"orderby": call.query["orderby"][0]} if "orderby" in call.query
                                                 else {})}
    # Relative to the login server, as ACR's: the SDKs join it to an endpoint that holds any path prefix.
    return shown, {"Link": f'<{path}?{urlencode(query)}>; rel="next"'}


async def tags(door: Any, call: Call) -> None:
    """Tags of a repository: every page from one read, without the tags whose listEnabled is false."""
    registry_record(door, call)
    door.gate.authorize(door.request, call, "pull")
    check_locks(door, call, "GET")
    port = await port_of(door)
    status, _, body = await fetch(port, "GET", f"/v2/{call.backend_repository}/tags/list?n={CATALOG_LIMIT}")
    if status == 404:
        raise RegistryError("NAME_UNKNOWN", detail={"name": call.repository})
    if status != 200:
        raise RegistryError("UNAVAILABLE", f"the registry container answered {status} to a tag list")
    repositories = door.emulator.backend.repositories
    names = sorted(tag for tag in json.loads(body).get("tags") or []
                   if repositories.listed(item_key(call.registry or "", call.repository, tag=tag)))
    shown, headers = page(call, names, f"/v2/{call.client_repository}/tags/list")
    door.send_json({"name": call.client_repository, "tags": shown}, headers=headers)


async def send_catalog(door: Any, call: Call, path: str) -> None:
    """`/v2/_catalog` and `/acr/v1/_catalog` answer alike."""
    if call.registry is not None:
        registry_record(door, call)
    door.gate.authorize(door.request, call, "*")
    names, headers = page(call, await repositories(door, call), path)
    door.send_json({"repositories": names}, headers=headers)


async def catalog(door: Any, call: Call) -> None:
    await send_catalog(door, call, "/v2/_catalog")

