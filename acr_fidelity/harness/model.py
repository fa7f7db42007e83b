"""Results of a replay run, their scores, and the stable JSON form (format_version 1) that compare/baseline read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from acr_fidelity.harness.diff import CLASSES, GOOD, SCORED, Gap

FORMAT_VERSION = 1


@dataclass
class InteractionResult:
    id: str  # "<cassette id>#<index>": stable across runs, the key of baselines and compare
    cassette: str
    index: int
    method: str
    uri: str  # as recorded
    operation: str  # route operation id, or "METHOD /path" when out of scope
    template: str | None
    api_version: str | None  # as sent
    recorded_api_version: str | None
    cls: str
    note: str = ""
    gaps: list[Gap] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    request_body: str = ""
    recorded: dict[str, Any] = field(default_factory=dict)  # status, headers, body
    replayed: dict[str, Any] | None = None  # url, status, headers, body; None when nothing was sent
    extra_polls: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "cassette": self.cassette, "index": self.index, "method": self.method, "uri": self.uri,
            "operation": self.operation, "template": self.template, "api_version": self.api_version,
            "recorded_api_version": self.recorded_api_version, "class": self.cls, "note": self.note,
            "gaps": [g.to_dict() for g in self.gaps], "rules": self.rules, "request_body": self.request_body,
            "recorded": self.recorded, "replayed": self.replayed, "extra_polls": self.extra_polls,
        }


@dataclass
class CassetteResult:
    id: str
    path: str
    kind: str = "cassette"  # or "example" (a swagger x-ms-example validated against its schema)
    seeded: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    interactions: list[InteractionResult] = field(default_factory=list)


@dataclass
class RunResult:
    target: str
    api_version: str | None
    rules_sources: list[str]
    rules: dict[str, dict[str, str]]  # id -> {kind, reason}
    cassettes: list[CassetteResult] = field(default_factory=list)
    started_at: str = ""
    duration_s: float = 0.0

    def interactions(self) -> list[InteractionResult]:
        return [i for c in self.cassettes for i in c.interactions]


def summarize(classes: Iterable[str]) -> dict[str, Any]:
    """Counts of every class, fidelity over the scored ones and coverage (scored / all)."""
    counts = Counter(classes)
    total = sum(counts.values())
    scored = sum(counts[c] for c in SCORED)
    good = sum(counts[c] for c in GOOD)
    return {
        "counts": {c: counts.get(c, 0) for c in CLASSES},
        "total": total,
        "scored": scored,
        "fidelity": round(good / scored, 4) if scored else None,
        "coverage": round(scored / total, 4) if total else None,
    }


def group(results: Iterable[InteractionResult], key: Callable[[InteractionResult], str]) -> dict[str, dict[str, Any]]:
    buckets: dict[str, list[str]] = {}
    for r in results:
        buckets.setdefault(key(r), []).append(r.cls)
    return {k: summarize(v) for k, v in sorted(buckets.items())}


def operation_key(r: InteractionResult) -> str:
    return f"{r.operation} ({r.method} {r.template})" if r.template else r.operation


def to_json(run: RunResult) -> dict[str, Any]:
    """The stable report: every field documented in cassettes/README.md; add fields, never rename them."""
    results = run.interactions()
    rule_counts = Counter(rule for r in results for rule in r.rules)
    return {
        "format_version": FORMAT_VERSION,
        "tool": "acr-fidelity",
        "started_at": run.started_at,
        "duration_s": round(run.duration_s, 3),
        "target": run.target,
        "api_version_override": run.api_version,
        "rules_sources": run.rules_sources,
        "summary": summarize(r.cls for r in results),
        "by_cassette": group(results, lambda r: r.cassette),
        "by_operation": group(results, operation_key),
        "by_api_version": group(results, lambda r: r.api_version or "(none)"),
        "rules": {rid: {**meta, "count": rule_counts.get(rid, 0)} for rid, meta in run.rules.items()},
        "cassettes": [
            {"id": c.id, "path": c.path, "kind": c.kind, "seeded": c.seeded, "error": c.error,
             "interactions": len(c.interactions)}
            for c in run.cassettes
        ],
        "interactions": [r.to_dict() for r in results],
    }


def load_report(doc: dict[str, Any]) -> dict[str, str]:
    """interaction id -> class, from a JSON report; refuses formats it does not know."""
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported report format_version {version!r} (this harness reads {FORMAT_VERSION})")
    return {i["id"]: i["class"] for i in doc.get("interactions", [])}
