"""Webhook delivery: each event a webhook wants is POSTed to its service URI with its custom headers, on a worker
thread (never the event loop), retried while the endpoint fails, and every attempt's request and response kept for
listEvents (the newest MAX_KEPT per webhook)."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from acr_fidelity.state.store import Store

log = logging.getLogger("acr_fidelity.webhooks")

KIND = "webhookEvent"
MAX_KEPT = 100
ATTEMPTS = 3  # one try and two retries, after BACKOFF[i] seconds
BACKOFF = (0.5, 2.0)
TIMEOUT = 5.0
CONTENT_TYPE = "application/vnd.docker.distribution.events.v1+json"


class Delivery:
    def __init__(self, store: Store, workers: ThreadPoolExecutor) -> None:
        self.store = store
        self.workers = workers

    def deliver(self, webhook_key: str, secret: dict[str, Any], event: dict[str, Any]) -> None:
        """Queue the delivery of `event` to the webhook (its store key and its secret: service URI, headers)."""
        self.workers.submit(self._send, webhook_key, dict(secret), event)

    def _send(self, webhook_key: str, secret: dict[str, Any], event: dict[str, Any]) -> None:
        import requests  # loaded by the first delivery, on its worker thread: an emulator starts without it

        headers = {"Content-Type": CONTENT_TYPE, "User-Agent": "AzureContainerRegistry/1.0",
                   **secret.get("customHeaders", {})}
        body = json.dumps(event)
        for attempt in range(ATTEMPTS):
            response: dict[str, Any]
            try:
                answer = requests.post(secret["serviceUri"], data=body, headers=headers, timeout=TIMEOUT)
                response = {"content": answer.text[:4096], "headers": dict(answer.headers),
                            "reasonPhrase": answer.reason or "", "statusCode": str(answer.status_code),
                            "version": "1.1"}
                delivered = answer.status_code < 400
            except requests.RequestException as exc:
                response = {"content": str(exc)[:4096], "headers": {}, "reasonPhrase": type(exc).__name__,
                            "statusCode": "", "version": "1.1"}
                delivered = False
            self._keep(webhook_key, {
                "id": event["id"],
                "eventRequestMessage": {"content": event, "headers": headers, "method": "POST",
                                        "requestUri": secret["serviceUri"], "version": "1.1"},
                "eventResponseMessage": response})
            if delivered:
                return
            if attempt < len(BACKOFF):
                time.sleep(BACKOFF[attempt])
        log.info("webhook %s: %s not delivered to %s after %d attempts", webhook_key, event["id"],
                 secret["serviceUri"], ATTEMPTS)

    def _keep(self, webhook_key: str, record: dict[str, Any]) -> None:
        prefix = f"{webhook_key}/"
        self.store.put_bounded(KIND, f"{prefix}{time.time_ns():020d}", record, prefix, MAX_KEPT)

    def events(self, webhook_key: str) -> list[dict[str, Any]]:
        """Delivery attempts, newest first (as listEvents answers)."""
        prefix = f"{webhook_key}/"
        return [doc for key in reversed(self.store.keys(KIND, prefix)) if (doc := self.store.get(KIND, key))]

    def forget(self, webhook_key: str) -> None:
        for key in self.store.keys(KIND, f"{webhook_key}/"):
            self.store.delete(KIND, key)
