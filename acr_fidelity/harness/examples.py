"""Swagger x-ms-examples as probes: send the example's request, validate the answer against the operation's schema.

The example bodies are illustrations, not recordings, so they are never diffed: a conforming answer is `match`,
schema errors are `gap`s (one per error, with its JSON path).
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import requests

from acr_fidelity.harness import dataplane, scope
from acr_fidelity.harness.cassette import cassette_id
from acr_fidelity.harness.dataplane_examples import is_data_plane_swagger, replay_data_plane_example
from acr_fidelity.harness.diff import ERROR, GAP, MATCH, UNSUPPORTED, Gap, format_path
from acr_fidelity.harness.model import CassetteResult, InteractionResult
from acr_fidelity.harness.replay import RG_API_VERSION, SEED_REGISTRY_API_VERSION, TIMEOUT_S

# The swagger refers to ARM's common types by relative path; these are the parts it uses, inlined.
_COMMON_PARAMETERS = {
    "ApiVersionParameter": {"name": "api-version", "in": "query"},
    "SubscriptionIdParameter": {"name": "subscriptionId", "in": "path"},
    "ResourceGroupNameParameter": {"name": "resourceGroupName", "in": "path"},
}
_ERROR_RESPONSE = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "target": {"type": "string"},
        "details": {"type": "array"}, "additionalInfo": {"type": "array"}}}},
}


def find_swagger(example: Path) -> Path | None:
    """The swagger beside the examples folder, else the newest `specs/*/containerregistry.json` near it."""
    for folder in (example.parent.parent, *example.parents):
        here = sorted(folder.glob("*.json"))
        swaggers = [p for p in here if p.name == "containerregistry.json"]
        if swaggers:
            return swaggers[0]
        nested = sorted(folder.glob("*/containerregistry.json"), reverse=True)
        if nested:
            return nested[0]
    return None


@lru_cache(maxsize=4)
def _load_swagger(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def find_operation(swagger: dict[str, Any], example: Path) -> tuple[str, str, dict[str, Any]] | None:
    """(METHOD, path template, operation) whose x-ms-examples reference this example's file name."""
    for template, ops in swagger.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            for ref in op.get("x-ms-examples", {}).values():
                if Path(str(ref.get("$ref", ""))).name == example.name:
                    return method.upper(), template, op
    return None


def _parameter(swagger: dict[str, Any], param: dict[str, Any]) -> dict[str, Any]:
    ref = param.get("$ref")
    if not ref:
        return param
    name = ref.rsplit("/", 1)[-1]
    if ref.startswith("#/parameters/"):
        return swagger["parameters"][name]
    return _COMMON_PARAMETERS.get(name, {"name": name, "in": "unknown"})


def _to_json_schema(node: Any) -> Any:
    """Swagger 2 schema → JSON Schema: local refs kept, external ones inlined, x-nullable honoured."""
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if k != "discriminator"}
    ref = out.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        return copy.deepcopy(_ERROR_RESPONSE) if ref.endswith("/ErrorResponse") else {}
    if out.get("x-nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def response_schema(swagger: dict[str, Any], op: dict[str, Any], status: int) -> tuple[bool, dict[str, Any] | None]:
    """(declared, schema) for a status code: its own response, else `default`; schema None means no body."""
    responses = op.get("responses", {})
    declared = responses.get(str(status)) or responses.get("default")
    if declared is None:
        return False, None
    schema = declared.get("schema")
    if schema is None:
        return True, None
    return True, {**_to_json_schema(schema), "definitions": _to_json_schema(swagger.get("definitions", {}))}


def validate(swagger: dict[str, Any], op: dict[str, Any], status: int, body: str) -> list[Gap]:
    declared, schema = response_schema(swagger, op, status)
    if not declared:
        return [Gap("status", "status", f"one of {sorted(op.get('responses', {}))}", status)]
    if schema is None:
        return [] if body.strip() in ("", "null") else [Gap("(body)", "body", "no body", body[:500])]
    if schema.get("type") == "file":
        return []  # bytes (a blob): any content, none included
    try:
        doc = json.loads(body)
    except ValueError:
        return [Gap("(body)", "body", "JSON", body[:500])]
    validator = jsonschema.Draft4Validator(schema)
    return [Gap(format_path(err.absolute_path), "schema", err.message, _short(err.instance))
            for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def _short(value: Any) -> Any:
    text = json.dumps(value)
    return value if len(text) <= 300 else text[:300] + "…"


def is_data_plane_example(path: Path) -> bool:
    swagger_path = find_swagger(path)
    return swagger_path is not None and is_data_plane_swagger(_load_swagger(str(swagger_path)))


def replay_example(path: Path, root: Path, base: str, swagger_path: Path | None = None,
                   api_version: str | None = None, data_plane: dataplane.Target | None = None) -> CassetteResult:
    cid = cassette_id(path, root)
    result = CassetteResult(cid, str(path), kind="example")
    swagger_path = swagger_path or find_swagger(path)
    if swagger_path is None:
        result.error = "no swagger (containerregistry.json) found for this example"
        return result
    swagger = _load_swagger(str(swagger_path))
    example = json.loads(path.read_text())
    found = find_operation(swagger, path)
    if found is None:
        result.error = f"no operation in {swagger_path.name} lists {path.name} in x-ms-examples"
        return result
    if is_data_plane_swagger(swagger):
        return replay_data_plane_example(path, root, swagger, found, base, data_plane, _parameter, conclude)
    method, template, op = found
    params = example.get("parameters", {})
    values: dict[str, str] = {}
    query: dict[str, str] = {}
    body: Any = None
    for raw in op.get("parameters", []):
        param = _parameter(swagger, raw)
        name = param.get("name")
        if name not in params:
            continue
        if param.get("in") == "path":
            values[name] = str(params[name])
        elif param.get("in") == "query":
            query[name] = str(params[name])
        elif param.get("in") == "body":
            body = params[name]
    entry = scope.find(method, template)  # templates are themselves paths the route patterns accept
    if entry is None:
        result.interactions.append(InteractionResult(
            id=f"{cid}#0", cassette=cid, index=0, method=method, uri=template, template=template,
            operation=op.get("operationId") or f"{method} {template}", api_version=params.get("api-version"),
            recorded_api_version=params.get("api-version"), cls=UNSUPPORTED,
            note="no route of the emulator serves this operation",
            recorded={"status": sorted(example.get("responses", {})), "headers": {}, "body": "(swagger schema)"}))
        return result
    if api_version and (entry is None or entry.registry_versioned):
        query["api-version"] = api_version
    url_path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer acr-fidelity-harness", "Accept": "application/json"})
    result.seeded = _seed(session, base, template, op, values, body, example, swagger_path)
    url = base + url_path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    request_body = json.dumps(body) if body is not None else ""
    interaction = InteractionResult(
        id=f"{cid}#0", cassette=cid, index=0, method=method, uri=url_path, template=template,
        operation=op.get("operationId") or f"{method} {template}", api_version=query.get("api-version"),
        recorded_api_version=params.get("api-version"), cls=MATCH, request_body=request_body,
        recorded={"status": sorted(example.get("responses", {})), "headers": {}, "body": "(swagger schema)"})
    result.interactions.append(interaction)
    try:
        resp = session.request(method, url, data=request_body or None, timeout=TIMEOUT_S,
                               headers={"Content-Type": "application/json"} if body is not None else {})
    except requests.RequestException as exc:
        interaction.cls, interaction.note = ERROR, f"no answer: {exc}"
        return result
    conclude(interaction, swagger, op, example, url, resp, resp.text)
    return result


def conclude(interaction: InteractionResult, swagger: dict[str, Any], op: dict[str, Any], example: dict[str, Any],
             url: str, resp: requests.Response, body: str) -> None:
    """Class an example's answer: its status among the example's, its body (`body`: what to validate) conforming."""
    interaction.replayed = {"url": url, "status": resp.status_code, "headers": dict(resp.headers), "body": resp.text}
    if resp.status_code >= 500:
        interaction.cls, interaction.note = ERROR, f"emulator answered {resp.status_code}"
        return
    gaps = validate(swagger, op, resp.status_code, body)
    if str(resp.status_code) not in example.get("responses", {}) and not any(g.kind == "status" for g in gaps):
        gaps.append(Gap("status", "status", f"one of {sorted(example.get('responses', {}))}", resp.status_code))
    interaction.gaps = gaps
    interaction.cls = GAP if gaps else MATCH
    interaction.note = "conforms to the swagger schema" if not gaps else f"{len(gaps)} schema/status errors"


def _create_example_body(swagger_path: Path, family: str) -> dict[str, Any]:
    """The request body of `{family}_Create`'s first example in this swagger's folder (the newest that has one);
    without one, what `{family}_Get`'s example shows of the resource's writable fields."""
    for candidate in sorted(swagger_path.parent.parent.glob("*/containerregistry.json"), reverse=True):
        swagger = _load_swagger(str(candidate))
        for ops in swagger.get("paths", {}).values():
            op = ops.get("put") if isinstance(ops, dict) else None
            if not op or op.get("operationId") != f"{family}_Create":
                continue
            for ref in op.get("x-ms-examples", {}).values():
                # The example file may sit beside any api-version's swagger: the newest copy.
                name = Path(ref["$ref"]).name
                for example in sorted(swagger_path.parent.parent.glob(f"*/examples/{name}"), reverse=True):
                    params = json.loads(example.read_text())["parameters"]
                    body = next((v for k, v in params.items() if isinstance(v, dict)), None)
                    if body is not None:
                        return body
    return _body_from_get(swagger_path, family)


def _body_from_get(swagger_path: Path, family: str) -> dict[str, Any]:
    for example in sorted(swagger_path.parent.parent.glob("*/examples/*.json"), reverse=True):
        if not example.name.startswith(family.rstrip("s")) or "Get" not in example.name:
            continue
        shown = json.loads(example.read_text()).get("responses", {}).get("200", {}).get("body") or {}
        # Without what Azure sets itself: the provisioning state, the creation date, a status object.
        props = {k: v for k, v in (shown.get("properties") or {}).items()
                 if k not in ("provisioningState", "creationDate") and not (k == "status" and isinstance(v, dict))}
        return {**({"location": shown["location"]} if "location" in shown else {}), "properties": props}
    return {}


_CHILD_ID = re.compile(r"/registries/[^/]+/(\w+)/([^/]+)$", re.IGNORECASE)


def _referenced_children(body: Any) -> list[tuple[str, str]]:
    """(segment, name) of every child resource id a body refers to (a token's scope map, ...)."""
    found: list[tuple[str, str]] = []
    if isinstance(body, dict):
        for value in body.values():
            found += _referenced_children(value)
    elif isinstance(body, list):
        for value in body:
            found += _referenced_children(value)
    elif isinstance(body, str) and (match := _CHILD_ID.search(body)):
        found.append((match.group(1), match.group(2)))
    return found


def _with_their_references(swagger_path: Path, children: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The children, each after what its own create example refers to, once each."""
    ordered: list[tuple[str, str]] = []
    for segment, name in children:
        family = segment[0].upper() + segment[1:]
        for needed in [*_with_their_references(swagger_path, _referenced_children(
                _create_example_body(swagger_path, family))), (segment, name)]:
            if needed not in ordered:
                ordered.append(needed)
    return ordered


def _seed(session: requests.Session, base: str, template: str, op: dict[str, Any], values: dict[str, str],
          body: Any, example: dict[str, Any], swagger_path: Path) -> list[dict[str, Any]]:
    """The group, registry and child resource the example presupposes (and, for a name-taken check, the registry
    taking it)."""
    steps: list[tuple[str, dict[str, Any]]] = []
    sub = values.get("subscriptionId", "00000000-0000-0000-0000-000000000000")
    group, registry = values.get("resourceGroupName"), values.get("registryName")
    operation_id = op.get("operationId", "")
    location = body.get("location") if isinstance(body, dict) and isinstance(body.get("location"), str) else "westus"
    # The examples show admin-enabled registries (listCredentials needs one).
    registry_body = {"location": location, "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}}
    if group:
        steps.append((f"/subscriptions/{sub}/resourcegroups/{group}?api-version={RG_API_VERSION}",
                      {"location": location}))
    if group and registry and operation_id != "Registries_Create":
        steps.append((f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/registries/"
                      f"{registry}?api-version={SEED_REGISTRY_API_VERSION}", registry_body))
    if group and registry:
        children: list[tuple[str, str]] = _referenced_children(body)
        child = re.search(r"/registries/\{registryName\}/(\w+)/\{(\w+)\}(/\w+)?$", template)
        if child and not operation_id.endswith("_Create") and child.group(2) in values:
            children.append((child.group(1), values[child.group(2)]))  # the child the example reads or changes
        for segment, name in _with_their_references(swagger_path, children):
            # Created as the swagger's own create example of its family does.
            steps.append((f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.ContainerRegistry/"
                          f"registries/{registry}/{segment}/{name}?api-version={SEED_REGISTRY_API_VERSION}",
                          _create_example_body(swagger_path, segment[0].upper() + segment[1:])))
    taken = example.get("responses", {}).get("200", {}).get("body") or {}
    if operation_id == "Registries_CheckNameAvailability" and taken.get("nameAvailable") is False:
        name = body.get("name") if isinstance(body, dict) else None
        if name:
            steps.append((f"/subscriptions/{sub}/resourcegroups/seeded-by-harness?api-version={RG_API_VERSION}",
                          {"location": "westus"}))
            steps.append((f"/subscriptions/{sub}/resourceGroups/seeded-by-harness/providers/"
                          f"Microsoft.ContainerRegistry/registries/{name}?api-version={SEED_REGISTRY_API_VERSION}",
                          registry_body))
    source = body.get("source") if isinstance(body, dict) else None
    if operation_id == "Registries_ImportImage" and isinstance(source, dict) and source.get("resourceId"):
        match = re.match(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/.*/registries/([^/]+)$",
                         source["resourceId"], re.IGNORECASE)
        if match:
            s, g, r = match.groups()
            steps.append((f"/subscriptions/{s}/resourcegroups/{g}?api-version={RG_API_VERSION}",
                          {"location": location}))
            steps.append((f"/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerRegistry/registries/"
                          f"{r}?api-version={SEED_REGISTRY_API_VERSION}", registry_body))
    done = []
    for path, doc in steps:
        record: dict[str, Any] = {"method": "PUT", "path": path.split("?")[0], "body": doc}
        try:
            resp = session.put(base + path, json=doc, timeout=TIMEOUT_S)
            record["status"] = resp.status_code
            poll = resp.headers.get("Azure-AsyncOperation")
            for _ in range(20):  # a seeded registry must be ready before the probe
                if not poll:
                    break
                state = session.get(poll, timeout=TIMEOUT_S).json().get("status", "")
                if str(state).lower() in ("succeeded", "failed", "canceled"):
                    break
        except (requests.RequestException, ValueError) as exc:
            record["status"], record["error"] = None, str(exc)
        done.append(record)
    return done
