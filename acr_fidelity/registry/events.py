"""What happens in a registry's data plane (pushes and deletes of manifests and tags), described as ACR's webhook
events are, and kept per registry (the newest MAX_EVENTS) for webhooks to deliver. No HTTP here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from acr_fidelity.state.store import Store

KIND = "event"
MAX_EVENTS = 1000


class Events:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, registry: str, action: str, repository: str, request: dict[str, str], *,
               digest: str | None = None, tag: str | None = None, media_type: str | None = None,
               size: int | None = None) -> dict[str, Any]:
        """`action`: push or delete; `request`: {host, method, useragent} of the request that caused it."""
        from acr_fidelity.registry.models import azure_time

        now = datetime.now(UTC)
        target: dict[str, Any] = {"mediaType": media_type, "size": size, "digest": digest, "length": size,
                                  "repository": repository, "tag": tag}
        event = {"id": str(uuid.uuid4()), "timestamp": azure_time(now, zulu=True), "action": action,
                 "target": {k: v for k, v in target.items() if v is not None},
                 "request": {"id": str(uuid.uuid4()), **request}}
        prefix = f"{registry.lower()}/"
        # Keys sort in time order: the oldest go first when a registry holds too many.
        self.store.put_bounded(KIND, f"{prefix}{now.strftime('%Y%m%d%H%M%S%f')}-{event['id']}", event, prefix,
                               MAX_EVENTS)
        return event

    def of(self, registry: str) -> list[dict[str, Any]]:
        """A registry's events, oldest first."""
        prefix = f"{registry.lower()}/"
        return self.store.under(KIND, prefix)

    def forget(self, registry: str) -> None:
        for key in self.store.keys(KIND, f"{registry.lower()}/"):
            self.store.delete(KIND, key)
