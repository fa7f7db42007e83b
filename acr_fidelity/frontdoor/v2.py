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
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError

from acr_fidelity.dataplane.mediatypes import ACCEPT
from acr_fidelity.frontdoor.artifacts import Listing
from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.routes import UPLOAD_ROUTES, Call
from acr_fidelity.frontdoor.upstream import HOP_BY_HOP, Address, Upstream, Window, fetch
from acr_fidelity.registry.access import ANONYMOUS, Principal
from acr_fidelity.registry.errors import DomainError
from acr_fidelity.registry.repositories import item_key

T = TypeVar("T")
# The action each relayed operation needs, by route and method.
_ACTIONS = {"DELETE": "delete", "GET": "pull", "HEAD": "pull"}
DIGEST_RE = re.compile(r"^(?P<algorithm>[a-z0-9]+(?:[.+_-][a-z0-9]+)*):(?P<encoded>[a-zA-Z0-9=_-]+)$")
REFERRERS_TYPE = "application/vnd.oci.image.index.v1+json"
CATALOG_LIMIT = 100_000
BACKEND_WAIT = 15.0  # the container is started with this maximum, so one request reads every repository


def action_for(call: Call, method: str) -> str:
    if call.route.name in UPLOAD_ROUTES:  # every step of an upload, reads of its status too, is a push
        return "push"
    return _ACTIONS.get(method, "push")


def registry_record(door: Any, call: Call) -> dict[str, Any]:
    record = door.emulator.backend.find_registry(call.registry) if call.registry else None
    if record is None or record["provisioningState"] == "Deleting":
        raise RegistryError("NAME_UNKNOWN", f"registry {call.registry!r} does not exist in this emulator",
                            detail={"name": call.registry})
    return record


async def backend_of(door: Any) -> Address:
    """Where the registry container answers; a container still starting (emulator start, recreation) is waited
    for."""
    deadline = time.monotonic() + BACKEND_WAIT
    while (backend := door.backend_address()) is None:
        if time.monotonic() > deadline:
            raise RegistryError("UNAVAILABLE")
        await asyncio.sleep(0.1)
    return backend


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


def check_digest(value: str) -> None:
    """An OCI digest (algorithm:encoded); sha256 and sha512 with their lengths of lower-case hex."""
    found = DIGEST_RE.match(value)
    lengths = {"sha256": 64, "sha512": 128}
    if found is None or (found["algorithm"] in lengths and (len(found["encoded"]) != lengths[found["algorithm"]] or
                                                             not re.fullmatch("[0-9a-f]+", found["encoded"]))):
        raise RegistryError("DIGEST_INVALID", f"invalid digest {value!r}", detail={"digest": value})


async def check_chunk_order(door: Any, call: Call, path: str) -> None:
    """A chunk must start where the upload stands (OCI: 416 otherwise); distribution 2.8 would take it anywhere."""
    content_range = door.request.headers.get("Content-Range", "")
    found = re.fullmatch(r"(?:bytes )?(\d+)-(\d+)", content_range.strip())
    if found is None:
        return
    status, headers, _ = await fetch(await backend_of(door), "GET", path)
    if status != 204:
        return  # an unknown upload: the registry container says so itself
    stands = headers.get("Range", "0-0").rpartition("-")[2]
    expected = int(stands) + 1 if headers.get("Range") and stands != "0" else 0
    if int(found.group(1)) != expected:
        raise RegistryError("RANGE_INVALID", f"the chunk starts at {found.group(1)}; the upload stands at "
                                             f"{expected}", headers={"Range": f"0-{max(expected - 1, 0)}"})


async def begin(door: Any, call: Call) -> None:
    """Before the body arrives: check the registry, the caller, the names and the locks, then open the relay."""
    registry_record(door, call)
    method = door.request.method
    door.gate.authorize(door.request, call, action_for(call, method))
    reference = call.params.get("reference") or call.params.get("digest") or ""
    if ":" in reference:
        check_digest(reference)
    check_locks(door, call, method)
    if call.route.name == "ContainerRegistry_GetManifest":
        if method == "DELETE" and ":" not in reference:
            await untag(door, call, reference)
            return
        if method in ("GET", "HEAD") and (upstream := door.emulator.backend.upstream_for(call.registry,
                                                                                         call.repository)):
            await pull_through(door, call, upstream, reference)
        if method == "PUT":
            door.tee = []  # the manifest, kept to answer with its subject (OCI-Subject)
    tail = call.route.pattern.match(call.path)
    assert tail is not None
    path = f"/v2/{call.backend_repository}{call.path[tail.end('repo'):]}"
    query = _backend_query(call)
    if call.route.name == "ContainerRegistryBlob_GetUploadStatus" and method in ("PATCH", "PUT"):
        await check_chunk_order(door, call, path + (f"?{query}" if query else ""))
    backend = await backend_of(door)
    door.upstream = await Upstream.open(backend, door.request.method, path + (f"?{query}" if query else ""),
                                        door.request.headers)


def record_event(door: Any, call: Call, action: str, **target: Any) -> None:
    """An event of this registry's data plane (webhooks deliver them), caused by this request."""
    request = {"host": door.request.host, "method": door.request.method,
               "useragent": door.request.headers.get("User-Agent", "")}
    door.emulator.backend.record_event(call.registry, action, call.repository, request, **target)


def record_manifest_event(door: Any, call: Call, digest: str | None) -> None:
    reference = call.params["reference"]
    tag = None if ":" in reference else reference
    if door.request.method == "PUT":
        record_event(door, call, "push", digest=digest, tag=tag, size=sum(map(len, door.tee or [])),
                     media_type=door.request.headers.get("Content-Type"))
    else:
        record_event(door, call, "delete", digest=reference)


async def pull_through(door: Any, call: Call, upstream: dict[str, Any], reference: str) -> None:
    """A cached repository (a cache rule's target): what the registry lacks is fetched from upstream first, once."""
    backend = await backend_of(door)
    status, _, _ = await fetch(backend, "HEAD", f"/v2/{call.backend_repository}/manifests/{reference}",
                               httputil.HTTPHeaders({"Accept": ACCEPT}))
    if status == 200:
        return
    digest = ":" in reference
    request = {"source": {"registryUri": upstream["registryUri"], "credentials": upstream.get("credentials"),
                          "sourceImage": f"{upstream['repository']}{'@' if digest else ':'}{reference}"},
               "targetTags": [] if digest else [f"{call.repository}:{reference}"],
               "untaggedTargetRepositories": [call.repository] if digest else [], "mode": "Force"}
    try:
        await IOLoop.current().run_in_executor(None, door.emulator.dataplane.import_image, call.registry, request)
    except DomainError as exc:
        message = f"the upstream {upstream['registryUri']}/{upstream['repository']}: {exc.params.get('message', '')}"
        raise RegistryError("MANIFEST_UNKNOWN" if exc.code == "SourceImageNotFound" else "UNAVAILABLE",
                            message) from None


async def untag(door: Any, call: Call, tag: str) -> None:
    """DELETE of a manifest by tag (OCI 1.1, and ACR): the tag goes, the manifest stays."""
    listing = await door.describer.listing(call.registry, call.repository)
    if not any(t.name == tag for t in listing.tags):
        raise RegistryError("MANIFEST_UNKNOWN", f"the tag {tag!r} does not exist", detail={"tag": tag})
    await IOLoop.current().run_in_executor(None, door.emulator.dataplane.untag, call.registry, call.repository, tag)
    door.emulator.backend.repositories.forget(item_key(call.registry or "", call.repository, tag=tag))
    record_event(door, call, "delete", tag=tag)
    door.send_json(None, 202)


def _subject(tee: list[bytes] | None) -> str | None:
    try:
        subject = json.loads(b"".join(tee or [])).get("subject") or {}
    except (ValueError, AttributeError):
        return None
    return subject.get("digest") if isinstance(subject, dict) else None


async def relay(door: Any, call: Call) -> None:
    # Distribution 2.8 answers an unsatisfiable range with 416 and the whole blob's Content-Length, then no body:
    # the client would wait for bytes that never come. The front door sends the 416 alone.
    unsatisfiable = False

    def on_headers(start: httputil.ResponseStartLine, headers: httputil.HTTPHeaders) -> None:
        nonlocal unsatisfiable
        unsatisfiable = start.code == 416
        if call.route.name == "ContainerRegistry_GetManifest" and (door.request.method, start.code) in (
                ("PUT", 201), ("DELETE", 202)):
            record_manifest_event(door, call, headers.get("Docker-Content-Digest"))
        door.set_status(start.code, start.reason)
        if start.code == 201 and (subject := _subject(door.tee)):
            door.set_header("OCI-Subject", subject)
        for name, value in headers.get_all():
            lowered = name.lower()
            if lowered in HOP_BY_HOP or lowered == "docker-distribution-api-version" or (
                    unsatisfiable and lowered == "content-length"):
                continue
            if lowered == "location":
                value = client_path(call, value)
            elif lowered == "link":
                value = re.sub(r"<([^>]*)>", lambda m: f"<{client_path(call, m.group(1))}>", value)
            door.add_header(name, value)

    window = Window()

    def on_data(chunk: bytes) -> Any:
        if unsatisfiable:
            return None
        door.write(chunk)
        return window.add(door.flush(), len(chunk))

    try:
        await door.upstream.respond(on_headers, on_data)
    except (httputil.HTTPInputError, StreamClosedError):
        if not unsatisfiable:
            raise
    door.finish()


# ---- catalog ----------------------------------------------------------------------------------------

async def repositories(door: Any, call: Call) -> list[str]:
    """The repositories the caller may list, as the caller names them (without the prefix of its registry)."""
    status, _, body = await fetch(await backend_of(door), "GET", f"/v2/_catalog?n={CATALOG_LIMIT}")
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
    given = call.query.get("n", [])
    if len(given) > 1 or not all(value.isdigit() for value in given):
        raise RegistryError("PAGINATION_NUMBER_INVALID", detail={"n": call.query.get("n")})
    n = int(given[0]) if given else 0
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
    backend = await backend_of(door)
    status, _, body = await fetch(backend, "GET", f"/v2/{call.backend_repository}/tags/list?n={CATALOG_LIMIT}")
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



# ---- referrers (OCI 1.1) --------------------------------------------------------------------------------------

async def referrers(door: Any, call: Call) -> None:
    """The manifests whose subject is the digest, as an OCI index; `artifactType` filters them."""
    registry_record(door, call)
    door.gate.authorize(door.request, call, "pull")
    check_digest(call.params["digest"])
    check_locks(door, call, "GET")
    try:
        listing = await door.describer.listing(call.registry, call.repository)
    except RegistryError as exc:
        if exc.code != "NAME_UNKNOWN":
            raise
        listing = Listing(created="")  # nothing refers to anything in a repository not pushed to yet
    backend = await backend_of(door)
    wanted = call.query.get("artifactType", [""])[0]
    found = []
    for digest in sorted(listing.manifests):
        facts = await door.describer.facts(backend, call.backend_repository, digest)
        if facts.get("subject") != call.params["digest"] or (wanted and facts.get("artifactType") != wanted):
            continue
        descriptor = {"mediaType": facts["mediaType"], "digest": digest, "size": facts["size"],
                      "artifactType": facts.get("artifactType")}
        if facts.get("annotations"):
            descriptor["annotations"] = facts["annotations"]
        found.append(descriptor)
    door.set_header("Content-Type", REFERRERS_TYPE)
    if wanted:
        door.set_header("OCI-Filters-Applied", "artifactType")
    door.finish(json.dumps({"schemaVersion": 2, "mediaType": REFERRERS_TYPE, "manifests": found}).encode())
