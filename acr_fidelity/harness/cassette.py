"""Cassettes in and out: vcrpy reads and writes them; this module only decodes and indexes what it returns."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import jsonserializer, yamlserializer

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
# Folders whose name anchors an interaction id, so a cassette keeps its id however the harness was pointed at it.
_ID_ANCHORS = ("cassettes", "specs")


def decode_body(body: Any) -> str:
    """A request or response body as text; unwraps bytes literals (`b'…'`, nested by old recorders)."""
    if body is None:
        return ""
    if isinstance(body, dict):  # vcrpy response bodies are {"string": ...}
        body = body.get("string")
        if body is None:
            return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    text = str(body)
    # Each level of nesting is one repr() of bytes; literal_eval peels one level at a time.
    for _ in range(16):
        stripped = text.strip()
        if not (stripped.startswith(("b'", 'b"')) and stripped.endswith(("'", '"'))):
            break
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            break
        if isinstance(value, bytes):
            text = value.decode("utf-8", errors="replace")
        elif isinstance(value, str):
            text = value
        else:
            break
    return text


def parse_json(text: str) -> tuple[bool, Any]:
    """(True, value) for a JSON body, (False, text) otherwise; the empty body is text, not null."""
    if text == "":
        return False, ""
    try:
        return True, json.loads(text)
    except ValueError:
        return False, text


@dataclass
class Interaction:
    index: int
    method: str
    uri: str
    request_headers: dict[str, list[str]]
    request_body: str
    status: int
    response_headers: dict[str, list[str]]
    response_body: str

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.uri).query, keep_blank_values=True)

    @property
    def api_version(self) -> str | None:
        values = self.query.get("api-version")
        return values[0] if values else None

    def response_header(self, name: str) -> str | None:
        for key, values in self.response_headers.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    def request_json(self) -> Any:
        ok, value = parse_json(self.request_body)
        return value if ok else None

    def response_json(self) -> Any:
        ok, value = parse_json(self.response_body)
        return value if ok else None


@dataclass
class Cassette:
    path: Path
    id: str  # stable, relative name used in interaction ids and reports
    interactions: list[Interaction] = field(default_factory=list)


def _headers(raw: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in dict(raw or {}).items():
        values = value if isinstance(value, list) else [value]
        out[str(key)] = [v.decode() if isinstance(v, bytes) else str(v) for v in values]
    return out


def cassette_id(path: Path, root: Path | None = None) -> str:
    """`cassettes/…` or `specs/…` when the file lies under such a folder, else relative to `root` (or its name)."""
    resolved = path.resolve()
    parents = list(resolved.parents)
    for parent in parents:
        if parent.name in _ID_ANCHORS:
            return f"{parent.name}/{resolved.relative_to(parent).as_posix()}"
    if root is not None:
        try:
            return resolved.relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return resolved.name


def load_cassette(path: str | Path, root: Path | None = None) -> Cassette:
    """Load through vcrpy's own persister and serializers (YAML or JSON, by suffix)."""
    path = Path(path)
    serializer = jsonserializer if path.suffix.lower() == ".json" else yamlserializer
    loaded = FilesystemPersister.load_cassette(path, serializer)
    requests_, responses = loaded[0], loaded[1]
    cassette = Cassette(path=path, id=cassette_id(path, root))
    for index, (request, response) in enumerate(zip(requests_, responses, strict=True)):
        cassette.interactions.append(
            Interaction(
                index=index,
                method=request.method.upper(),
                uri=request.uri,
                request_headers=_headers(request.headers),
                request_body=decode_body(request.body),
                status=int(response["status"]["code"]),
                response_headers=_headers(response.get("headers")),
                response_body=decode_body(response.get("body")),
            )
        )
    return cassette


def _json_kind(path: Path) -> str | None:
    """What a JSON file holds: "cassette" (`interactions`), "example" (`{"parameters", "responses"}`), "other";
    None when it cannot be read as JSON."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return "other"
    if "interactions" in doc:
        return "cassette"
    return "example" if "parameters" in doc and "responses" in doc else "other"


def is_spec_example(path: Path) -> bool:
    """An x-ms-examples file, not a JSON cassette."""
    return path.suffix.lower() == ".json" and _json_kind(path) == "example"


def is_cassette_or_example(path: Path) -> bool:
    """YAML files are taken as cassettes; a JSON file must be a cassette or an example (unreadable ones pass, so
    the loader reports what is wrong with them)."""
    return path.suffix.lower() != ".json" or _json_kind(path) in (None, "cassette", "example")


def discover(paths: Iterable[str | Path]) -> Iterator[tuple[Path, Path]]:
    """(file, root) for every cassette or example under the given files and folders, sorted within a folder."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CASSETTE_SUFFIXES):
                if is_cassette_or_example(found):  # e.g. a swagger next to its examples
                    yield found, path
        elif path.is_file():
            yield path, path.parent
        else:
            raise FileNotFoundError(f"no such cassette or folder: {path}")
