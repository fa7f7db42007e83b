"""Tokens (repository-scoped access): the rules of this family, their passwords, and their sign-in on the data plane.
No HTTP here.

A token names a scope map of its registry. Its passwords (password1, password2) are made by generateCredentials (or
asked for in its PUT), shown once, kept for sign-in and never rendered again; a password past its expiry, or a
disabled token, signs nobody in.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
from datetime import UTC, datetime
from typing import Any

from acr_fidelity.registry.children import Family, Rules, body_properties, check_limit, sibling_id
from acr_fidelity.registry.errors import DomainError
from acr_fidelity.registry.scopemaps import SCOPE_MAPS

PASSWORD_NAMES = ("password1", "password2")
STATUSES = ("enabled", "disabled")
_ALPHABET = string.ascii_letters + string.digits + "+/="


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    from acr_fidelity.registry.models import azure_time

    return azure_time(moment, zulu=True)


def expiry_of(value: Any) -> str | None:
    """An ISO-8601 expiry as Azure writes it, or None for no expiry."""
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DomainError("InvalidRequestContent", detail=f"expiry {value!r} is not an ISO-8601 date-time") from None
    return _stamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def new_password(name: str, expiry: str | None) -> dict[str, Any]:
    password = {"name": name, "creationTime": _stamp(_now()),
                "value": "".join(secrets.choice(_ALPHABET) for _ in range(44))}
    if expiry:
        password["expiry"] = expiry
    return password


class TokenRules(Rules):
    @staticmethod
    def _scope_map(backend: Any, registry: dict[str, Any], value: Any) -> str:
        return sibling_id(backend, SCOPE_MAPS, registry, value, "InvalidScopeMapId")

    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        check_limit(backend, "Tokens", registry, len(siblings), "TokenLimitExceeded")
        props = body_properties(body)
        record = {"properties": {"creationDate": _stamp(_now()),
                                 "scopeMapId": self._scope_map(backend, registry, props.get("scopeMapId")),
                                 "status": "enabled", "credentials": {"certificates": [], "passwords": []}},
                  "secret": {"passwords": []}}
        _apply(record, props)
        return record

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        props = body_properties(body)
        if props.get("scopeMapId") is not None:
            parent = backend.find_registry(record["registry"])
            record["properties"]["scopeMapId"] = self._scope_map(backend, parent, props["scopeMapId"])
        _apply(record, props)


def _apply(record: dict[str, Any], props: dict[str, Any]) -> None:
    """status, and the passwords `credentials` asks for (made anew)."""
    if props.get("status") is not None:
        status = props["status"]
        if not isinstance(status, str) or status.lower() not in STATUSES:
            raise DomainError("InvalidEnumValue", field="status", value=status, allowed=STATUSES)
        record["properties"]["status"] = status.lower()
    credentials = props.get("credentials")
    if credentials is None:
        return
    if not isinstance(credentials, dict) or not isinstance(credentials.get("passwords", []), list):
        raise DomainError("InvalidRequestContent", detail="'properties.credentials.passwords' must be a list")
    for asked in credentials.get("passwords", []):
        if not isinstance(asked, dict):
            raise DomainError("InvalidRequestContent", detail="'properties.credentials.passwords' holds objects")
        name = asked.get("name")
        if name not in PASSWORD_NAMES:
            raise DomainError("InvalidEnumValue", field="credentials.passwords.name", value=name,
                              allowed=PASSWORD_NAMES)
        set_password(record, new_password(name, expiry_of(asked.get("expiry"))))


def set_password(record: dict[str, Any], password: dict[str, Any]) -> None:
    """A new password (replacing one of its name); the properties show its name, times and expiry, not its value."""
    record["secret"]["passwords"] = sorted(
        [p for p in record["secret"]["passwords"] if p["name"] != password["name"]] + [password],
        key=lambda p: p["name"])
    record["properties"]["credentials"]["passwords"] = [
        {k: v for k, v in p.items() if k != "value"} for p in record["secret"]["passwords"]]


def signs_in(record: dict[str, Any], password: str) -> bool:
    """An enabled token, and one of its passwords, unexpired."""
    if record["properties"]["status"] != "enabled":
        return False
    now = _now()
    for kept in record["secret"]["passwords"]:
        expiry = kept.get("expiry")
        if expiry and datetime.fromisoformat(expiry.replace("Z", "+00:00")) <= now:
            continue
        if hmac.compare_digest(kept["value"].encode(), password.encode()):
            return True
    return False


TOKENS = Family("tokens", "Microsoft.ContainerRegistry/registries/tokens", re.compile(r"^[a-zA-Z0-9-]{5,50}$"),
                TokenRules())
