"""The official swaggers (management 2025-04-01, data plane 2021-07-01), made loadable on their own, with the
published files' known faults mended.

The management file refers to Azure's common types by a relative path outside ../shared; those four definitions are
restated here from the common-types v5 contract. Every other change is a fault of a published file, listed in
SPEC_FAULTS and DATA_PLANE_FAULTS so that the lists stay short and visible.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

COMMON_TYPES = "../../../../../common-types/resource-management/v5/types.json"

COMMON_PARAMETERS: dict[str, Any] = {
    "SubscriptionIdParameter": {"name": "subscriptionId", "in": "path", "required": True, "type": "string",
                                "format": "uuid"},
    "ApiVersionParameter": {"name": "api-version", "in": "query", "required": True, "type": "string",
                            "minLength": 1},
    "ResourceGroupNameParameter": {"name": "resourceGroupName", "in": "path", "required": True, "type": "string",
                                   "minLength": 1, "maxLength": 90},
}
_READ_ONLY_STRING = {"type": "string", "readOnly": True}
COMMON_DEFINITIONS: dict[str, Any] = {
    "ErrorResponse": {"type": "object", "properties": {"error": {"$ref": "#/definitions/ErrorDetail"}}},
    "ErrorDetail": {"type": "object", "properties": {
        "code": _READ_ONLY_STRING, "message": _READ_ONLY_STRING, "target": _READ_ONLY_STRING,
        "details": {"type": "array", "readOnly": True, "items": {"$ref": "#/definitions/ErrorDetail"}},
        "additionalInfo": {"type": "array", "readOnly": True,
                           "items": {"$ref": "#/definitions/ErrorAdditionalInfo"}}}},
    "ErrorAdditionalInfo": {"type": "object", "properties": {"type": _READ_ONLY_STRING,
                                                              "info": {"type": "object", "readOnly": True}}},
}

# Faults of the published file, mended before fuzzing:
SPEC_FAULTS = (
    # ARM's RPC requires every operation to describe its error response; 31 operations of the published file omit
    # `default`, so every 4xx they answer (404 for a missing registry, 400 for a bad body) would count as undocumented.
    "operations without a `default` error response get the common ErrorResponse",
)

_ERROR = {"description": "Error response describing why the operation failed.",
          "schema": {"$ref": "#/definitions/ErrorResponse"}}
_METHODS = ("get", "put", "post", "patch", "delete", "head")


def load(path: Path) -> dict[str, Any]:
    spec = json.loads(path.read_text())
    spec = _local_refs(spec)
    spec["parameters"].update(COMMON_PARAMETERS)
    spec["definitions"].update(copy.deepcopy(COMMON_DEFINITIONS))
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if method in _METHODS:
                operation["responses"].setdefault("default", _ERROR)
    return spec


def _local_refs(node: Any) -> Any:
    """Common-type references pointed at the restated definitions; the examples (external files) dropped."""
    if isinstance(node, list):
        return [_local_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "x-ms-examples":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(COMMON_TYPES):
            value = "#" + value.split("#", 1)[1]
        out[key] = _local_refs(value)
    return out


DATA_PLANE_FAULTS = (
    # ACR's UNAUTHORIZED and DENIED list the access asked for (`[{"Type", "Name", "Action"}]`), distribution's
    # errors carry null, a digest or an object: the file types it as an object only.
    "AcrErrorInfo.detail takes any JSON",
    # A mount that falls back to an upload (the source blob is not there) answers 202 with no body, in ACR as in
    # distribution; the file lists only 201, so the 202 falls to `default`, whose schema is an error.
    "MountBlob gets its 202 (an upload begun instead)",
)


def load_data_plane(path: Path) -> dict[str, Any]:
    spec = _local_refs(json.loads(path.read_text()))
    spec.pop("x-ms-parameterized-host", None)  # the base URL is the login server, given to the fuzzer
    spec["definitions"]["AcrErrorInfo"]["properties"]["detail"] = {"description": "any JSON"}
    spec["paths"]["/v2/{name}/blobs/uploads/"]["post"]["responses"].setdefault(
        "202", {"description": "The blob was not mounted: an upload has begun instead."})
    return spec
