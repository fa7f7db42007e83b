"""Replay cassettes over real HTTP against a fresh emulator (or a given target) and classify every interaction."""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing as mp
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from acr_fidelity.harness import dataplane, scope
from acr_fidelity.harness.cassette import Cassette, Interaction, discover, is_spec_example, load_cassette
from acr_fidelity.harness.client import Client, SendError
from acr_fidelity.harness.diff import ERROR, LINK_HEADERS, SKIPPED, UNSUPPORTED, Response, compare
from acr_fidelity.harness.model import CassetteResult, InteractionResult, RunResult
from acr_fidelity.harness.rules import RuleSet

MAX_EXTRA_POLLS = 20
MAX_RETRY_AFTER_S = 1.0
TIMEOUT_S = 30
RG_API_VERSION = "2021-04-01"
SEED_REGISTRY_API_VERSION = "2025-04-01"
DEFAULT_LOCATION = "westus"
TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}
ARM_HEADERS = {"Authorization": "Bearer acr-fidelity-harness", "Accept": "application/json"}

_RG_PATH = re.compile(r"^/+subscriptions/([^/]+)/resourcegroups/([^/?]+)", re.IGNORECASE)
_REGISTRY_PATH = re.compile(
    r"^/+subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.containerregistry/registries/([^/?]+)$",
    re.IGNORECASE,
)

ProgressFn = Callable[[str, int], None]  # (cassette id, interactions just finished)


# ARM signs async-operation URLs (t=, c=, s=, h=) anew on every poll: the same operation, another signature.
_SIGNING = ("t", "c", "s", "h")


def _norm_url(url: str) -> str:
    """A link's identity: path and query without ARM's signing parameters, percent-decoded (an operation id in
    base64 is `…%3D` in a Location header and `…=` in the poll a client recorded, or the reverse),
    case-insensitive, host ignored (recordings and replays differ there)."""
    parts = urlsplit(url)
    query = "&".join(unquote(pair) for pair in parts.query.split("&")
                     if unquote(pair.split("=", 1)[0]) not in _SIGNING)
    return f"{re.sub('/{2,}', '/', unquote(parts.path))}?{query}".lower()


def _recorded_response(rec: Interaction) -> Response:
    return Response(rec.status, {k: v[0] for k, v in rec.response_headers.items() if v}, rec.response_body)


def _replayed_dict(url: str, resp: Response) -> dict[str, Any]:
    return {"url": url, "status": resp.status, "headers": dict(resp.headers), "body": resp.body}


def _recorded_dict(rec: Interaction) -> dict[str, Any]:
    headers = {k: v[0] for k, v in rec.response_headers.items() if v and k.lower() in
               {h.lower() for h in LINK_HEADERS} | {"retry-after", "content-type"}}
    return {"status": rec.status, "headers": headers, "body": rec.response_body}


def _is_terminal(kind: str, resp: Response) -> bool:
    """Whether a poll answer ends the operation: a final status (Azure-AsyncOperation) or a non-202 (Location)."""
    if not 200 <= resp.status < 300:
        return True
    if kind == "Location":
        return resp.status != 202
    if kind == "nextLink":
        return True
    try:
        status = json.loads(resp.body).get("status", "")
    except (ValueError, AttributeError):
        return True
    return str(status).lower() in TERMINAL


@dataclass
class Link:
    """A URL a recorded response handed out, and what the emulator handed out in its place."""

    source: int
    kind: str  # Azure-AsyncOperation | Location | nextLink (of the emulator's answer)
    emulator_url: str | None
    source_unsupported: bool = False
    done: bool = False


@dataclass
class SeedStep:
    method: str
    path: str
    body: dict[str, Any]
    api_version: str
    reason: str


def _recorded_group(cassette: Cassette, group: str) -> dict[str, Any]:
    """What the recording shows of a resource group it reads (location, tags), to seed it alike."""
    for rec in cassette.interactions:
        found = _RG_PATH.match(rec.path)
        body = rec.response_json()
        if (found and found.end() == len(rec.path.rstrip("/")) and found.group(2).lower() == group.lower()
                and isinstance(body, dict) and 200 <= rec.status < 300):
            return {k: body[k] for k in ("location", "tags") if k in body}
    return {}


def _first_registry_location(cassette: Cassette, group: str) -> str | None:
    for rec in cassette.interactions:
        match = _REGISTRY_PATH.match(rec.path)
        if rec.method == "PUT" and match and match.group(2).lower() == group.lower():
            body = rec.request_json()
            if isinstance(body, dict) and isinstance(body.get("location"), str):
                return body["location"]
    for rec in cassette.interactions:  # a recorded GET of the group knows its location
        found = _RG_PATH.match(rec.path)
        if found and found.end() == len(rec.path.rstrip("/")) and isinstance(rec.response_json(), dict):
            location = rec.response_json().get("location")
            if isinstance(location, str) and found.group(2).lower() == group.lower():
                return location
    return None


def plan_seeding(cassette: Cassette) -> list[SeedStep]:
    """What the recording presupposes but never creates: resource groups it uses first, import sources."""
    steps: list[SeedStep] = []
    seen_groups: set[tuple[str, str]] = set()

    def group_step(sub: str, group: str, why: str) -> None:
        key = (sub.lower(), group.lower())
        if key in seen_groups:
            return
        seen_groups.add(key)
        body = _recorded_group(cassette, group)
        body.setdefault("location", _first_registry_location(cassette, group) or DEFAULT_LOCATION)
        steps.append(SeedStep("PUT", f"/subscriptions/{sub}/resourcegroups/{group}", body, RG_API_VERSION, why))

    created_registries = {rec.path.lower() for rec in cassette.interactions
                          if rec.method == "PUT" and _REGISTRY_PATH.match(rec.path)}
    registry_steps: list[SeedStep] = []
    for rec in cassette.interactions:
        found = _RG_PATH.match(rec.path)
        if found:
            sub, group = found.group(1), found.group(2)
            is_group_put = rec.method == "PUT" and found.end() == len(rec.path.rstrip("/"))
            if is_group_put:
                seen_groups.add((sub.lower(), group.lower()))
            else:
                group_step(sub, group, f"used by interaction #{rec.index} before any create")
        body = rec.request_json()
        source = body.get("source") if isinstance(body, dict) and rec.path.lower().endswith("/importimage") else None
        resource_id = source.get("resourceId") if isinstance(source, dict) else None
        if isinstance(resource_id, str):
            match = _REGISTRY_PATH.match(resource_id)
            if match and resource_id.lower() not in created_registries:
                sub, group, name = match.groups()
                group_step(sub, group, f"import source of interaction #{rec.index}")
                location = _first_registry_location(cassette, group) or DEFAULT_LOCATION
                registry_steps.append(SeedStep(
                    "PUT", f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry"
                    f"/registries/{name}", {"location": location, "sku": {"name": "Premium"}},
                    SEED_REGISTRY_API_VERSION, f"import source of interaction #{rec.index}"))
                created_registries.add(resource_id.lower())
    for host, registry in dataplane.registries(cassette).items():
        if registry.seeded:  # the registry behind a recorded login server the recording never creates
            group_step("00000000-0000-0000-0000-000000000000", dataplane.SEED_GROUP, f"login server {host}")
            registry_steps.append(SeedStep(
                "PUT", f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{dataplane.SEED_GROUP}"
                f"/providers/Microsoft.ContainerRegistry/registries/{registry.name}", dataplane.seed_body(registry),
                SEED_REGISTRY_API_VERSION, f"login server {host}"))
    return steps + registry_steps


def created_ids(cassette: Cassette) -> set[str]:
    """Lower-cased ids of what the cassette itself creates (PUTs), which its list answers are compared on."""
    return {re.sub("/{2,}", "/", rec.path).lower().rstrip("/") for rec in cassette.interactions
            if rec.method == "PUT" and 200 <= rec.status < 300}


@contextlib.contextmanager
def _quiet_tornado() -> Iterator[None]:
    # The in-process emulator logs every 4xx, which the recordings are full of.
    logger = logging.getLogger("tornado.access")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def emulator_target(target: str | None) -> Iterator[str]:
    """The given target URL, or a fresh in-process mocked emulator on a free port."""
    if target:
        yield target.rstrip("/")
        return
    from acr_fidelity.config import load_settings
    from acr_fidelity.server import start_in_thread

    with _quiet_tornado():  # stop() joins the server thread, so its last log line is still silenced
        # Plain HTTP: replay needs no certificate, and a fresh emulator per cassette starts faster without one.
        server = start_in_thread(load_settings(env={}, overrides={"port": 0, "acr_mocked": True,
                                                                 "https_enabled": False}))
        try:
            yield server.url
        finally:
            server.stop()


class CassetteReplay:
    """One cassette against one target: seeding, the interactions in order, link following and LRO alignment."""

    def __init__(self, cassette: Cassette, base_url: str, rules: RuleSet, api_version: str | None = None,
                 progress: ProgressFn | None = None, data_plane: dataplane.Target | None = None) -> None:
        self.cassette = cassette
        self.data_plane = data_plane
        self.registries = dataplane.registries(cassette)
        self.tokens = dataplane.Tokens()
        self.base = base_url.rstrip("/")
        self.rules = rules
        self.api_version = api_version
        self.progress = progress
        self.client = Client(TIMEOUT_S)
        self.links: dict[str, Link] = {}
        self.pending: list[Link] = []  # emulator operations still running, polled on before the next request
        self.created = created_ids(cassette)
        self.seeded: set[str] = set()

    # --- HTTP ------------------------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, body: str = "", content_type: str | None = None) -> Response:
        headers = {**ARM_HEADERS, "Content-Type": content_type} if content_type else ARM_HEADERS
        return self.client.send(method, url, body.encode() if body else None, headers)

    def _url(self, rec: Interaction, entry: scope.ScopeEntry) -> tuple[str, str | None]:
        parts = urlsplit(rec.uri)
        query = parts.query
        version = rec.api_version
        if self.api_version and entry.registry_versioned:
            query = re.sub(r"(^|&)api-version=[^&]*", rf"\g<1>api-version={self.api_version}", query)
            version = self.api_version
        return f"{self.base}{parts.path}" + (f"?{query}" if query else ""), version

    def _poll_until_done(self, link: Link, last: Response | None = None) -> tuple[Response | None, int]:
        """Poll the emulator's link until the operation ends (bounded); returns the last answer and extra polls."""
        polls = 0
        resp = last
        while link.emulator_url and (resp is None or not _is_terminal(link.kind, resp)) and polls < MAX_EXTRA_POLLS:
            if resp is not None:
                retry = resp.header("Retry-After")
                try:
                    time.sleep(min(float(retry), MAX_RETRY_AFTER_S) if retry else 0)
                except ValueError:
                    pass
            resp = self._send("GET", link.emulator_url)
            polls += 1
        link.done = resp is not None and _is_terminal(link.kind, resp)
        return resp, polls

    def _finish_pending(self, keep: Link | None = None) -> None:
        for link in list(self.pending):
            if link is keep:
                continue
            if not link.done:
                with contextlib.suppress(SendError):
                    self._poll_until_done(link)
            self.pending.remove(link)

    def _register_links(self, rec: Interaction, source: int, replayed: Response | None, unsupported: bool) -> None:
        recorded_any = False
        for name in LINK_HEADERS:
            value = rec.response_header(name)
            if not value:
                continue
            recorded_any = True
            emulator_kind, emulator_url = name, None
            if replayed is not None:
                # Prefer the same header; fall back to the other one when the emulator chose differently.
                for candidate in (name, *[h for h in LINK_HEADERS if h != name]):
                    if replayed.header(candidate):
                        emulator_kind, emulator_url = candidate, replayed.header(candidate)
                        break
            link = Link(source, emulator_kind, emulator_url, unsupported)
            self.links[_norm_url(value)] = link
            if emulator_url and link not in self.pending:
                self.pending.append(link)
        if replayed is not None and not recorded_any and replayed.has_link():
            kind = next(h for h in LINK_HEADERS if replayed.header(h))
            self.pending.append(Link(source, kind, replayed.header(kind)))  # emulator went async, Azure did not
        body = rec.response_json()
        if isinstance(body, dict) and isinstance(body.get("nextLink"), str):
            emulator_next = None
            if replayed is not None:
                try:
                    emulator_next = json.loads(replayed.body).get("nextLink")
                except (ValueError, AttributeError):
                    emulator_next = None
            self.links[_norm_url(body["nextLink"])] = Link(source, "nextLink", emulator_next, unsupported)

    # --- seeding ---------------------------------------------------------------------------------------------------

    def seed(self) -> list[dict[str, Any]]:
        done = []
        for step in plan_seeding(self.cassette):
            url = f"{self.base}{step.path}?api-version={step.api_version}"
            record = {"method": step.method, "path": step.path, "body": step.body, "reason": step.reason}
            try:
                resp = self._send(step.method, url, json.dumps(step.body), "application/json")
                for name in LINK_HEADERS:
                    if resp.header(name):
                        self._poll_until_done(Link(-1, name, resp.header(name)))
                        break
                record["status"] = resp.status
            except SendError as exc:
                record["status"] = None
                record["error"] = str(exc)
            done.append(record)
            if record.get("status") and 200 <= record["status"] < 300:
                self.seeded.add(re.sub("/{2,}", "/", step.path).lower())
        if self.data_plane is not None:
            for registry in self.registries.values():
                if registry.seeded and registry.repositories:
                    done.append(self._seed_repositories(registry))
        return done

    def _seed_repositories(self, registry: dataplane.Registry) -> dict[str, Any]:
        assert self.data_plane is not None
        path = (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{dataplane.SEED_GROUP}/providers"
                f"/Microsoft.ContainerRegistry/registries/{registry.name}")
        record: dict[str, Any] = {"method": "PUT", "path": f"{registry.name}: {', '.join(registry.repositories)}",
                                  "body": None, "reason": "repositories a recorded catalog lists"}
        try:
            query = urlencode({"api-version": SEED_REGISTRY_API_VERSION})
            creds = json.loads(self._send("POST", f"{self.base}{path}/listCredentials?{query}").body)
            dataplane.seed_repositories(self.data_plane, registry,
                                        (creds["username"], creds["passwords"][0]["value"]))
            record["status"] = 201
        except (SendError, KeyError, ValueError) as exc:
            record["status"], record["error"] = None, str(exc)
        return record

    # --- the replay ------------------------------------------------------------------------------------------------

    def run(self) -> CassetteResult:
        result = CassetteResult(self.cassette.id, str(self.cassette.path))
        try:
            try:
                result.seeded = self.seed()
            except Exception as exc:  # keep going: every interaction still gets a class
                result.error = f"seeding failed: {exc}"
            for rec in self.cassette.interactions:
                result.interactions.append(self.replay_one(rec))
                if self.progress:
                    self.progress(self.cassette.id, 1)
        finally:
            self.client.close()
        return result

    def _result(self, rec: Interaction, entry: scope.ScopeEntry | None, cls: str, **kw: Any) -> InteractionResult:
        operation = entry.operation_id if entry else f"{rec.method} {re.sub('/{2,}', '/', rec.path)}"
        return InteractionResult(
            id=f"{self.cassette.id}#{rec.index}", cassette=self.cassette.id, index=rec.index, method=rec.method,
            uri=rec.uri, operation=operation, template=entry.template if entry else None,
            api_version=kw.pop("api_version", rec.api_version), recorded_api_version=rec.api_version, cls=cls,
            request_body=rec.request_body, recorded=_recorded_dict(rec), **kw)

    def _keep_ids(self, rec: Interaction) -> set[str]:
        """List items to compare: what the cassette created, and what was seeded if the recording lists it too.

        A seeded resource lived elsewhere for the recorder (another subscription, another test), so its absence
        from a recorded list says nothing about the emulator.
        """
        body = rec.response_json()
        listed = set()
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            listed = {i["id"].lower() for i in body["value"] if isinstance(i, dict) and isinstance(i.get("id"), str)}
        return self.created | (self.seeded & listed)

    def _replay_data_plane(self, rec: Interaction, entry: scope.ScopeEntry) -> InteractionResult:
        """A login server's request, sent to the front door as the registry the replay uses for that login server."""
        if self.data_plane is None:
            return self._result(rec, entry, SKIPPED, note="a data-plane interaction: replaying it needs the Docker "
                                                          "data plane (an engine, and no --target)")
        registry = self.registries[dataplane.login_host_of(rec) or ""]
        headers, body = self.tokens.request(rec)
        headers["Host"] = self.data_plane.host_header(registry.name)
        content_type = next((v[0] for k, v in rec.request_headers.items() if k.lower() == "content-type" and v), None)
        if content_type:
            headers["Content-Type"] = content_type
        parts = urlsplit(rec.uri)
        url = f"{self.data_plane.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        try:
            replayed = self.client.send(rec.method, url, body.encode() if body else None, headers)
        except SendError as exc:
            return self._result(rec, entry, ERROR, note=f"no answer: {exc}")
        self.tokens.learn(replayed.body)
        result_kw = {"replayed": _replayed_dict(url, replayed)}
        if replayed.status >= 500 and rec.status < 500:
            return self._result(rec, entry, ERROR, note=f"emulator answered {replayed.status}", **result_kw)
        outcome = compare(_recorded_response(rec), replayed, self.rules, entry.operation_id, None, self.cassette.id)
        return self._result(rec, entry, outcome.cls, note=outcome.note, gaps=outcome.gaps, rules=outcome.rules,
                            **result_kw)

    def replay_one(self, rec: Interaction) -> InteractionResult:
        entry = scope.find(rec.method, rec.path, dataplane.login_host_of(rec))
        if entry is not None and entry.data_plane:
            return self._replay_data_plane(rec, entry)
        link = self.links.get(_norm_url(rec.uri)) if rec.method == "GET" else None
        if link is not None and link.source_unsupported:
            self._register_links(rec, rec.index, None, True)
            return self._result(rec, entry, UNSUPPORTED, note=f"follows unsupported interaction #{link.source}")
        if link is None and entry is None:
            self._register_links(rec, rec.index, None, True)
            return self._result(rec, None, UNSUPPORTED, note="no route of the emulator serves this operation")
        assert entry is not None or link is not None
        recorded = _recorded_response(rec)
        extra = 0
        try:
            if link is not None:
                if link.emulator_url is None:
                    return self._result(rec, entry, SKIPPED,
                                        note=f"emulator answered #{link.source} without a {link.kind} to follow")
                if link.done and not _is_terminal(link.kind, recorded):
                    return self._result(rec, entry, SKIPPED, note="emulator finished in fewer polls")
                self._finish_pending(keep=link)
                url, version = link.emulator_url, rec.api_version
                replayed = self._send("GET", url)
                if _is_terminal(link.kind, recorded) and not _is_terminal(link.kind, replayed):
                    replayed, extra = self._poll_until_done(link, replayed)
                    assert replayed is not None
                link.done = link.done or _is_terminal(link.kind, replayed)
                if link.done and not _is_terminal(link.kind, recorded):
                    # Azure was still working at this poll; the emulator had already finished.
                    self._register_links(rec, rec.index, replayed, False)
                    return self._result(rec, entry, SKIPPED, note="emulator finished in fewer polls",
                                        replayed=_replayed_dict(url, replayed))
            else:
                assert entry is not None
                self._finish_pending()
                url, version = self._url(rec, entry)
                content_type = next((v[0] for k, v in rec.request_headers.items()
                                     if k.lower() == "content-type" and v), None)
                replayed = self._send(rec.method, url, rec.request_body, content_type)
        except SendError as exc:
            self._register_links(rec, rec.index, None, False)
            return self._result(rec, entry, ERROR, note=f"no answer: {exc}")
        self._register_links(rec, rec.index, replayed, False)
        result_kw = {"api_version": version, "replayed": _replayed_dict(url, replayed), "extra_polls": extra}
        if replayed.status >= 500 and rec.status < 500:
            return self._result(rec, entry, ERROR, note=f"emulator answered {replayed.status}", **result_kw)
        operation_id = entry.operation_id if entry else None
        outcome = compare(recorded, replayed, self.rules, operation_id, self._keep_ids(rec), self.cassette.id)
        note = "; ".join(n for n in (outcome.note, f"{extra} extra polls" if extra else "") if n)
        return self._result(rec, entry, outcome.cls, note=note, gaps=outcome.gaps, rules=outcome.rules, **result_kw)


@dataclass
class Replayer:
    """Replay every cassette (and spec example) under the given paths; each cassette on fresh state unless target."""

    rules: RuleSet
    target: str | None = None
    api_version: str | None = None
    swagger: Path | None = None
    progress: ProgressFn | None = None
    loaded: list[tuple[Path, Path]] = field(default_factory=list)
    # The registry container that data-plane recordings replay on, shared by the run and removed at its end.
    namespace: str = field(default_factory=lambda: f"harness-{uuid.uuid4().hex[:8]}")
    used_docker: bool = False
    # Cassettes replayed at once on in-process emulators, each worker a forked process with its own (the GIL
    # would serialize threads); those that need the Docker data plane share its container and run one by one.
    workers: int = 1
    docker: bool = True  # False in a worker: a cassette that needs Docker is handed back (run_one gives None)

    def collect(self, paths: list[str | Path]) -> list[tuple[Path, Path]]:
        self.loaded = list(discover(paths))
        return self.loaded

    def count(self) -> int:
        """Interactions to replay (for a progress bar); an unreadable cassette counts as none."""
        total = 0
        for path, root in self.loaded:
            if is_spec_example(path):
                total += 1
                continue
            with contextlib.suppress(Exception):
                total += len(load_cassette(path, root).interactions)
        return total

    def run(self, paths: list[str | Path] | None = None) -> RunResult:
        if paths is not None:
            self.collect(paths)
        started = time.monotonic()
        run = RunResult(target=self.target or "in-process emulator (fresh per cassette)",
                        api_version=self.api_version, rules_sources=self.rules.sources,
                        rules={r.id: {"kind": r.kind, "reason": r.reason} for r in self.rules.rules},
                        started_at=datetime.now(UTC).isoformat(timespec="seconds"))
        try:
            run.cassettes.extend(self._run_all())
        finally:
            if self.used_docker:
                dataplane.remove(self.namespace)
        run.duration_s = time.monotonic() - started
        return run

    def _run_all(self) -> list[CassetteResult]:
        if self.target or self.workers < 2 or len(self.loaded) < 2 or "fork" not in mp.get_all_start_methods():
            return [result for path, root in self.loaded if (result := self.run_one(path, root)) is not None]
        results: dict[int, CassetteResult | None] = {}
        pool = ProcessPoolExecutor(min(self.workers, len(self.loaded)), mp_context=mp.get_context("fork"),
                                   initializer=_start_worker, initargs=(self.rules, self.api_version, self.swagger))
        try:
            futures = {pool.submit(_replay_alone, path, root): index for index, (path, root) in enumerate(self.loaded)}
            for future in as_completed(futures):
                result = results[futures[future]] = future.result()
                if result is not None and self.progress:
                    self.progress(result.id, max(len(result.interactions), 1))
        finally:
            pool.shutdown(wait=False)  # the workers' own emulators wind down after the results are in
        for index, (path, root) in enumerate(self.loaded):  # what needs Docker, here, one at a time
            if results[index] is None:
                results[index] = self.run_one(path, root)
        return [result for _, result in sorted(results.items()) if result is not None]

    def run_one(self, path: Path, root: Path) -> CassetteResult | None:
        if is_spec_example(path):
            from acr_fidelity.harness.examples import is_data_plane_example, replay_example

            on_docker = not self.target and is_data_plane_example(path)
            if on_docker and not self.docker:  # a worker's: handed back to run in turn
                return None
            if on_docker and dataplane.docker_answers():
                self.used_docker = True
                with _quiet_tornado(), dataplane.docker_emulator(self.namespace) as (base, data_plane):
                    result = replay_example(path, root, base, self.swagger, self.api_version, data_plane)
            else:
                with emulator_target(self.target) as base:
                    result = replay_example(path, root, base, self.swagger, self.api_version)
            if self.progress:
                self.progress(result.id, 1)
            return result
        try:
            cassette = load_cassette(path, root)
        except Exception as exc:
            from acr_fidelity.harness.cassette import cassette_id

            return CassetteResult(cassette_id(path, root), str(path), error=f"cannot load: {exc}")
        on_docker = not self.target and dataplane.has_data_plane(cassette)
        if on_docker and not self.docker:  # a worker's: handed back to run in turn
            return None
        if on_docker and dataplane.docker_answers():
            self.used_docker = True
            with _quiet_tornado(), dataplane.docker_emulator(self.namespace) as (base, data_plane):
                return CassetteReplay(cassette, base, self.rules, self.api_version, self.progress,
                                      data_plane).run()
        with emulator_target(self.target) as base:
            return CassetteReplay(cassette, base, self.rules, self.api_version, self.progress).run()


_worker: Replayer | None = None  # a worker process's own replayer (_start_worker)


def _start_worker(rules: RuleSet, api_version: str | None, swagger: Path | None) -> None:
    global _worker
    _worker = Replayer(rules, api_version=api_version, swagger=swagger, docker=False)


def _replay_alone(path: Path, root: Path) -> CassetteResult | None:
    """One cassette in a worker process, on its own in-process emulator; None when it needs the Docker data plane."""
    assert _worker is not None
    return _worker.run_one(path, root)
