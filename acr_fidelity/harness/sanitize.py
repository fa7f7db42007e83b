"""Scrub recorded exchanges before they are written: credentials, secrets and subscription ids."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

ZERO_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
REDACTED = "sanitized"
_SUBSCRIPTION = re.compile(r"(/subscriptions/)[0-9a-fA-F-]{36}", re.IGNORECASE)
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|key)s?$", re.IGNORECASE)
_DROP_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-ms-authorization-auxiliary"}
_FORM_SECRETS = {"access_token", "refresh_token", "password", "client_secret", "client_assertion"}


def scrub_text(text: str) -> str:
    return _SUBSCRIPTION.sub(rf"\g<1>{ZERO_SUBSCRIPTION}", text)


def _fake(value: str) -> str:
    # Same length keeps the harness's password rule (length and alphabet) meaningful on replay.
    return ("fakeSanitized" + "0" * len(value))[: len(value)] if value else value


def _scrub_json(node: Any, secret: bool = False) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            is_secret = bool(_SECRET_KEY.search(str(key))) and not isinstance(value, (dict, bool))
            if key == "passwords" and isinstance(value, list):  # [{"name": "password", "value": "..."}]
                out[key] = [{**v, "value": _fake(str(v.get("value", "")))} if isinstance(v, dict) else v
                            for v in value]
            else:
                out[key] = _scrub_json(value, is_secret)
        return out
    if isinstance(node, list):
        return [_scrub_json(v, secret) for v in node]
    if secret and isinstance(node, str):
        return _fake(node)
    if isinstance(node, str):
        return scrub_text(node)
    return node


def scrub_body(body: str, content_type: str | None = None) -> str:
    if not body:
        return body
    try:
        return json.dumps(_scrub_json(json.loads(body)), separators=(",", ":"))
    except ValueError:
        pass
    if "=" in body and (content_type or "").startswith("application/x-www-form-urlencoded") or "grant_type=" in body:
        pairs = [(k, REDACTED if k in _FORM_SECRETS else v) for k, v in parse_qsl(body, keep_blank_values=True)]
        return urlencode(pairs)
    return scrub_text(body)


def scrub_headers(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: [scrub_text(v) for v in values] for k, values in headers.items() if k.lower() not in _DROP_HEADERS}
