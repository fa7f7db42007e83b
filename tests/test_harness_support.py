"""Helpers for the harness tests (no tests here): synthetic cassettes, the shared folder, a running emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request
from vcr.serializers import jsonserializer, yamlserializer

from tests.conftest import shared_path as shared  # noqa: F401 - re-exported for the harness tests

SUB = "00000000-0000-0000-0000-000000000000"
ARM = "https://management.azure.com"
REG = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.ContainerRegistry/registries"


def interaction(method: str, uri: str, status: int, body: Any = "", request_body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[Request, dict[str, Any]]:
    req_body = json.dumps(request_body) if isinstance(request_body, (dict, list)) else request_body
    request = Request(method, uri if uri.startswith("http") else ARM + uri, req_body,
                      {"Content-Type": "application/json"} if req_body else {})
    text = json.dumps(body) if isinstance(body, (dict, list)) else body
    response = {"status": {"code": status, "message": "x"},
                "headers": {k: [v] for k, v in (headers or {}).items()}, "body": {"string": text}}
    return request, response


def write_cassette(path: Path, interactions: list[tuple[Request, dict[str, Any]]]) -> Path:
    serializer = jsonserializer if path.suffix == ".json" else yamlserializer
    FilesystemPersister.save_cassette(path, {"requests": [i[0] for i in interactions],
                                             "responses": [i[1] for i in interactions]}, serializer)
    return path
