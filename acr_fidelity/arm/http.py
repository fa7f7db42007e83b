"""What a handler receives and returns: plain data, so handlers parse and render and nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acr_fidelity.arm.errors import ArmError
from acr_fidelity.registry.models import Caller

if TYPE_CHECKING:
    from acr_fidelity.emulator import Emulator


@dataclass
class ArmRequest:
    emulator: Emulator
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]  # keys lower-cased: ARM reads query names case-insensitively
    body: bytes
    base_url: str  # scheme://host of this request, for the links we hand back
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    caller: Caller = field(default_factory=Caller)

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def json(self) -> dict[str, Any]:
        """The body as a JSON object. Every operation that reads one requires it, as Azure does (400 when empty)."""
        if not self.body.strip():
            raise ArmError("InvalidRequestContent", detail="the request body is empty")
        try:
            doc = json.loads(self.body, parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise ArmError("InvalidRequestContent", detail=str(exc)) from None
        except RecursionError:
            raise ArmError("InvalidRequestContent", detail=f"nested deeper than {MAX_DEPTH} levels") from None
        if _depth(doc) > MAX_DEPTH:
            raise ArmError("InvalidRequestContent", detail=f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(doc, dict):
            raise ArmError("InvalidRequestContent", detail="the body must be a JSON object")
        return doc


# ARM reads bodies with Json.NET, whose reader stops at 64 levels; deeper documents never reach the rules (and
# could not be stored or rendered back).
MAX_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not JSON")


def _depth(doc: Any) -> int:
    """How deeply a parsed document nests, counted without recursion."""
    deepest, level = 0, [(doc, 1)]
    while level:
        node, depth = level.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            level.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


# An empty body, as opposed to a body of JSON null (which Azure sends for some 202s).
NO_BODY: Any = object()


@dataclass
class ArmResponse:
    status: int
    body: Any = NO_BODY
    headers: dict[str, str] = field(default_factory=dict)


def page(request: ArmRequest, items: list[Any]) -> ArmResponse:
    """ARM paging: `value` holds one page, `nextLink` the URL of the next while there is one."""
    size = request.emulator.settings.page_size
    try:
        start = max(0, int(request.query.get("$skiptoken", "0")))
    except ValueError:
        raise ArmError("InvalidRequestContent", detail="$skiptoken must be a number") from None
    body: dict[str, Any] = {"value": items[start:start + size]}
    if start + size < len(items):
        body["nextLink"] = (
            f"{request.base_url}{request.path}?api-version={request.api_version}&$skiptoken={start + size}"
        )
    return ArmResponse(200, body)
