"""What a handler receives and returns: plain data, so handlers parse and render and nothing else."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson

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
    headers: Mapping[str, str] = field(default_factory=dict)  # read case-insensitively (Tornado's HTTPHeaders)

    @functools.cached_property
    def caller(self) -> Caller:
        """Who the bearer token names, for systemData: decoded only by the writes that record it."""
        return caller_from(self.headers.get("authorization", ""))

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def json(self) -> dict[str, Any]:
        """The body as a JSON object. Every operation that reads one requires it, as Azure does (400 when empty)."""
        if not self.body.strip():
            raise ArmError("InvalidRequestContent", detail="the request body is empty")
        try:
            doc = json.loads(self.body, parse_constant=_reject_constant, parse_int=_int64, parse_float=_finite)
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise ArmError("InvalidRequestContent", detail=str(exc)) from None
        except RecursionError:
            raise ArmError("InvalidRequestContent", detail=f"nested deeper than {MAX_DEPTH} levels") from None
        if _depth(doc) > MAX_DEPTH:
            raise ArmError("InvalidRequestContent", detail=f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(doc, dict):
            raise ArmError("InvalidRequestContent", detail="the body must be a JSON object")
        return doc


def bearer_token(authorization: str) -> str | None:
    """The token of a Bearer header; the scheme's case does not matter (RFC 9110)."""
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def caller_from(authorization: str) -> Caller:
    """systemData names whoever the bearer token says; signatures are not checked here."""
    token = bearer_token(authorization)
    if token is None:
        return Caller()
    import jwt  # at the first write with a token: an emulator starts without PyJWT (identity/tokens.py)

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return Caller()
    user = claims.get("upn") or claims.get("unique_name") or claims.get("email")
    if user:
        return Caller(str(user), "User")
    app = claims.get("appid") or claims.get("azp") or claims.get("oid")
    return Caller(str(app), "Application") if app else Caller()


# ARM reads bodies with Json.NET, whose reader stops at 64 levels; deeper documents never reach the rules (and
# could not be stored or rendered back).
MAX_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not JSON")


def _int64(text: str) -> int:
    """Integers fit 64 bits, as Json.NET reads them into ARM's contracts (and as the store's encoder writes them)."""
    value = int(text)
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"{text} is out of range for a 64-bit integer")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a number")
    return value


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


class JsonText(bytes):
    """A body already serialized as JSON (a kept answer)."""


def json_text(body: Any) -> JsonText:
    """orjson: an answer of a hundred registries is encoded ten times faster than by the standard library."""
    return JsonText(orjson.dumps(body))


@dataclass
class ArmResponse:
    status: int
    body: Any = NO_BODY
    headers: dict[str, str] = field(default_factory=dict)


Fetch = Callable[[str, int], tuple[list[dict[str, Any]], str | None]]


def listing(request: ArmRequest, fetch: Fetch, render: Callable[[dict[str, Any]], Any]) -> ArmResponse:
    """ARM paging from the store's index: one page read and rendered per request. `$skiptoken` names where the
    page starts (opaque to clients), so creates and deletes between pages neither repeat nor hide anything."""
    token = request.query.get("$skiptoken", "")
    try:
        after = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ArmError("InvalidRequestContent", detail="$skiptoken is not one this server gave") from None
    records, following = fetch(after, request.emulator.settings.page_size)
    body: dict[str, Any] = {"value": [render(record) for record in records]}
    if following is not None:
        query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = base64.urlsafe_b64encode(following.encode()).decode().rstrip("=")
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query)}"
    return ArmResponse(200, body)


def page(request: ArmRequest, items: list[Any]) -> ArmResponse:
    """ARM paging of a short list computed whole (private link resources, webhook events, subscriptions): `value`
    holds one page, `nextLink` the URL of the next while there is one."""
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
