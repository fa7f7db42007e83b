"""Webhooks: the rules of this family, and which data-plane events a webhook is for. No HTTP here (delivery is
acr_fidelity/webhooks.py).

The service URI and custom headers are secrets: kept in the record's `secret`, never rendered, shown only by
getCallbackConfig. A registry holds at most its SKU's number of webhooks (the `Webhooks` row of listUsages).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any
from urllib.parse import urlsplit

from acr_fidelity.registry.children import Family, LocatedRules, body_properties, check_limit, resource_tags
from acr_fidelity.registry.errors import DomainError
from acr_fidelity.registry.locations import required_location

ACTIONS = ("push", "delete", "quarantine", "chart_push", "chart_delete")
STATUSES = ("enabled", "disabled")


def _service_uri(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError("InvalidWebhookServiceUri", value=value)
    return value


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise DomainError("InvalidRequestContent", detail="'properties.customHeaders' must map names to strings")
    return dict(value)


def _apply(record: dict[str, Any], props: dict[str, Any]) -> None:
    """The writable properties a body names, checked, into the record."""
    if props.get("serviceUri") is not None:
        record["secret"]["serviceUri"] = _service_uri(props["serviceUri"])
    if props.get("customHeaders") is not None:
        record["secret"]["customHeaders"] = _headers(props["customHeaders"])
    if props.get("status") is not None:
        status = props["status"]
        if not isinstance(status, str) or status.lower() not in STATUSES:
            raise DomainError("InvalidEnumValue", field="status", value=status, allowed=STATUSES)
        record["properties"]["status"] = status.lower()
    if props.get("scope") is not None:
        if not isinstance(props["scope"], str):
            raise DomainError("InvalidRequestContent", detail="'properties.scope' must be a string")
        record["properties"]["scope"] = props["scope"]
    if props.get("actions") is not None:
        actions = props["actions"]
        if not isinstance(actions, list) or not actions or not all(a in ACTIONS for a in actions):
            raise DomainError("InvalidEnumValue", field="actions", value=actions, allowed=ACTIONS)
        record["properties"]["actions"] = list(dict.fromkeys(actions))


class WebhookRules(LocatedRules):
    def create(self, backend: Any, registry: dict[str, Any], name: str, body: dict[str, Any],
               siblings: list[dict[str, Any]]) -> dict[str, Any]:
        check_limit(backend, "Webhooks", registry, len(siblings), "WebhookLimitExceeded")
        location = required_location(body)
        props = body_properties(body)
        for required in ("serviceUri", "actions"):
            if props.get(required) is None:
                raise DomainError("InvalidRequestContent", detail=f"'properties.{required}' is required")
        record: dict[str, Any] = {"location": location, "tags": resource_tags(body.get("tags")),
                                  "properties": {"status": "enabled", "scope": "", "actions": []},
                                  "secret": {"serviceUri": "", "customHeaders": {}}}
        _apply(record, props)
        return record

    def update(self, backend: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
        if "tags" in body:
            record["tags"] = resource_tags(body["tags"])
        _apply(record, body_properties(body))

    def deleted(self, backend: Any, record: dict[str, Any]) -> None:
        backend.delivery.forget(backend.children.key(record))


WEBHOOKS = Family("webhooks", "Microsoft.ContainerRegistry/registries/webhooks", re.compile(r"^[a-zA-Z0-9]{5,50}$"),
                  WebhookRules())


def wants(webhook: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether an enabled webhook's actions and scope cover a data-plane event. The scope is `repo:tag` with `*`
    wildcards; a bare `repo` means `repo:latest`; empty means every event."""
    props = webhook["properties"]
    if props["status"] != "enabled" or event["action"] not in props["actions"]:
        return False
    scope = props["scope"]
    if not scope:
        return True
    if ":" not in scope:
        scope += ":latest"
    target = event.get("target", {})
    return fnmatch.fnmatchcase(f"{target.get('repository', '')}:{target.get('tag') or ''}", scope)
