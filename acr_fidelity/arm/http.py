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
        """The body as a JSON object; an empty body is an empty object."""
        if not self.body.strip():
            return {}
        try:
            doc = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArmError("InvalidRequestContent", detail=str(exc)) from None
        if not isinstance(doc, dict):
            raise ArmError("InvalidRequestContent", detail="the body must be a JSON object")
        return doc


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
