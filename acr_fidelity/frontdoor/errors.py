"""The registry's errors as a catalogue (code -> HTTP status, default message), rendered in the registry's envelope
`{"errors": [{"code", "message", "detail"}]}` as ACR and distribution do."""

from __future__ import annotations

import json
from typing import Any

AUTH_REQUIRED = "authentication required, visit https://aka.ms/acr/authorization for more information."

CATALOGUE: dict[str, tuple[int, str]] = {
    "UNAUTHORIZED": (401, AUTH_REQUIRED),
    "DENIED": (403, "requested access to the resource is denied"),
    "NAME_UNKNOWN": (404, "repository name not known to registry"),
    "NAME_INVALID": (400, "invalid repository name"),
    "MANIFEST_UNKNOWN": (404, "manifest unknown"),
    "MANIFEST_INVALID": (400, "manifest invalid"),
    "TAG_INVALID": (400, "manifest tag did not match URI"),
    "TAG_UNKNOWN": (404, "the specified tag does not exist"),
    "BLOB_UNKNOWN": (404, "blob unknown to registry"),
    "DIGEST_INVALID": (400, "provided digest did not match uploaded content"),
    "SIZE_INVALID": (400, "provided length did not match content length"),
    "RANGE_INVALID": (416, "the content range does not continue the upload"),
    "PAGINATION_NUMBER_INVALID": (400, "invalid number of results requested"),
    "INVALID_REQUEST": (400, "the request is invalid"),
    "UNSUPPORTED": (405, "The operation is unsupported."),
    "METHOD_UNKNOWN": (405, "The operation is unsupported."),
    "BODY_TOO_LARGE": (413, "the request body is too large"),
    "UNAVAILABLE": (503, "the registry's storage is not available: the registry container is not serving"),
}


class RegistryError(Exception):
    def __init__(self, code: str, message: str | None = None, detail: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message or CATALOGUE[code][1])
        self.code = code
        self.status = CATALOGUE[code][0]
        self.message = message or CATALOGUE[code][1]
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> bytes:
        return json.dumps({"errors": [{"code": self.code, "message": self.message, "detail": self.detail}]}).encode()
