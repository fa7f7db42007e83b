"""The project's own Schemathesis checks, loaded through the configuration's `hooks`."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection


@schemathesis.check
def arm_error_envelope(ctx: Any, response: Any, case: Any) -> None:
    """A 4xx or 5xx carries `{"error": {"code", "message"}}` with string code and message, as ARM's do."""
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"]
            and isinstance(error.get("message"), str)):
        raise AssertionError(f"{response.status_code} is not in ARM's error envelope: {response.text[:200]!r}")
    return None


@schemathesis.check
def json_content_type(ctx: Any, response: Any, case: Any) -> None:
    """An answer with a body says it is JSON; an empty one declares no type, as Azure's empty answers do."""
    declared = response.headers.get("Content-Type") or response.headers.get("content-type")
    if isinstance(declared, list):
        declared = declared[0] if declared else None
    if response.content and not (declared or "").startswith("application/json"):
        raise AssertionError(f"a {response.status_code} with a body declares {declared!r}, not application/json")
    if not response.content and declared:
        raise AssertionError(f"an empty {response.status_code} declares {declared!r}")
    return None


def _azure_accepts(mutation: Any) -> bool:
    """Mutations Azure itself lets through: Json.NET reads a field's `null` as absent, and ARM ignores
    read-only properties in a request (Schemathesis sends them as violations of `not`). A dropped Authorization
    header is no mutation at all: the run's credentials are added to every request."""
    return ((mutation.keywords == ("type",) and mutation.new_value == "null") or mutation.keywords == ("not",)
            or (mutation.keywords == ("required",) and mutation.original_value in ("Authorization", ["Authorization"])))


def _null_at(body: Any, location: str | None) -> bool:
    """Whether the coverage phase's `location`, a schema path (/properties/a/properties/b/type), holds null in the
    body."""
    segments = (location or "").strip("/").split("/")
    if segments[-1:] == ["type"]:
        segments.pop()
    if len(segments) < 2 or len(segments) % 2 or any(kind != "properties" for kind in segments[::2]):
        return False
    node = body
    for key in segments[1::2]:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return node is None


@schemathesis.check
def invalid_data_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's negative_data_rejection, except for cases whose every violation Azure accepts too."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    mutations = getattr(data, "mutations", None)
    if mutations and all(_azure_accepts(m) for m in mutations):
        return None
    if getattr(data, "scenario", None) == "incorrect_type" and _null_at(case.body, getattr(data, "location", None)):
        return None
    return negative_data_rejection(ctx, response, case)
