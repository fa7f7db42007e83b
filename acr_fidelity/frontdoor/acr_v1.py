"""ACR's own REST API under `/acr/v1/` (the data-plane swagger is the contract): the catalog, and each repository,
tag and manifest with its properties and changeable attributes."""

from __future__ import annotations

from typing import Any

from tornado.ioloop import IOLoop

from acr_fidelity.frontdoor import v2
from acr_fidelity.frontdoor.artifacts import Listing, Tag
from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.routes import Call
from acr_fidelity.registry.repositories import item_key

_ACTIONS = {"GET": "metadata_read", "PATCH": "metadata_write", "DELETE": "delete"}
_ORDERS = {"timedesc": True, "timeasc": False}


async def catalog(door: Any, call: Call) -> None:
    await v2.send_catalog(door, call, "/acr/v1/_catalog")


async def _begin(door: Any, call: Call) -> tuple[str, Listing]:
    """The registry's login server and the repository's listing, once the caller may do what the method asks."""
    record = v2.registry_record(door, call)
    door.gate.authorize(door.request, call, _ACTIONS[door.request.method])
    listing = await door.describer.listing(call.registry, call.repository)
    return door.emulator.backend.login_server(record), listing


def _ordered(call: Call, items: list[dict[str, Any]], key: str) -> tuple[list[dict[str, Any]], bool]:
    order = call.query.get("orderby", [""])[0].lower()
    if order and order not in (*_ORDERS, "none"):
        raise RegistryError("INVALID_REQUEST", f"orderby {order!r}: timedesc, timeasc or none")
    if order in _ORDERS:
        return sorted(items, key=lambda item: (item["lastUpdateTime"], item[key]), reverse=_ORDERS[order]), False
    return sorted(items, key=lambda item: item[key]), True


async def _run(function: Any, *args: Any) -> Any:
    return await IOLoop.current().run_in_executor(None, function, *args)


async def repository(door: Any, call: Call) -> None:
    login_server, listing = await _begin(door, call)
    repositories = door.emulator.backend.repositories
    key = item_key(call.registry, call.repository)
    if door.request.method == "DELETE":
        repositories.check("delete", [key])
        await _run(door.emulator.dataplane.remove_repository, call.registry, call.repository)
        repositories.forget(key)
        v2.record_event(door, call, "delete")
        door.send_json({"manifestsDeleted": sorted(listing.manifests),
                        "tagsDeleted": sorted(t.name for t in listing.tags)}, 202)
        return
    if door.request.method == "PATCH":
        repositories.update(key, door.json_body())
    door.send_json(door.describer.repository(login_server, call.registry, call.repository, listing))


async def tags(door: Any, call: Call) -> None:
    login_server, listing = await _begin(door, call)
    listed = door.emulator.backend.repositories.listed
    documents = [door.describer.tag(call.registry, call.repository, tag) for tag in listing.tags
                 if listed(item_key(call.registry, call.repository, tag=tag.name))]
    documents, by_name = _ordered(call, documents, "name")
    shown, headers = v2.page(call, documents, f"/acr/v1/{call.client_repository}/_tags", lambda t: t["name"], by_name)
    door.send_json({"registry": login_server, "imageName": call.repository, "tags": shown}, headers=headers)


def _find_tag(call: Call, listing: Listing, name: str) -> Tag:
    for tag in listing.tags:
        if tag.name == name:
            return tag
    raise RegistryError("TAG_UNKNOWN", f"the tag {name!r} does not exist in {call.repository!r}",
                        detail={"name": call.repository, "tag": name})


async def tag(door: Any, call: Call) -> None:
    login_server, listing = await _begin(door, call)
    found = _find_tag(call, listing, call.params["tag"])
    repositories = door.emulator.backend.repositories
    key = item_key(call.registry, call.repository, tag=found.name)
    if door.request.method == "DELETE":
        repositories.check("delete", [item_key(call.registry, call.repository), key])
        await _run(door.emulator.dataplane.untag, call.registry, call.repository, found.name)
        repositories.forget(key)
        v2.record_event(door, call, "delete", tag=found.name, digest=found.digest)
        door.send_json(None, 202)  # ACR's 202 has no body
        return
    if door.request.method == "PATCH":
        repositories.update(key, door.json_body())
    door.send_json({"registry": login_server, "imageName": call.repository,
                    "tag": door.describer.tag(call.registry, call.repository, found)})


async def manifests(door: Any, call: Call) -> None:
    login_server, listing = await _begin(door, call)
    listed = door.emulator.backend.repositories.listed
    backend = await v2.backend_of(door)
    documents = [await door.describer.manifest(backend, call.registry, call.repository, listing, digest)
                 for digest in listing.manifests
                 if listed(item_key(call.registry, call.repository, digest=digest))]
    documents, by_name = _ordered(call, documents, "digest")
    shown, headers = v2.page(call, documents, f"/acr/v1/{call.client_repository}/_manifests", lambda m: m["digest"],
                             by_name)
    door.send_json({"registry": login_server, "imageName": call.repository, "manifests": shown}, headers=headers)


async def manifest(door: Any, call: Call) -> None:
    login_server, listing = await _begin(door, call)
    reference = call.params["reference"]
    digest = reference if ":" in reference else _find_tag(call, listing, reference).digest
    if digest not in listing.manifests:
        raise RegistryError("MANIFEST_UNKNOWN", f"manifest {digest} is not in {call.repository!r}",
                            detail={"name": call.repository, "digest": digest})
    if door.request.method == "PATCH":
        door.emulator.backend.repositories.update(item_key(call.registry, call.repository, digest=digest),
                                                  door.json_body())
    backend = await v2.backend_of(door)
    document = await door.describer.manifest(backend, call.registry, call.repository, listing, digest)
    door.send_json({"registry": login_server, "imageName": call.repository, "manifest": document})
