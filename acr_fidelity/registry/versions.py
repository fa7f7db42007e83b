"""api-versions of Microsoft.ContainerRegistry and which fields each returns, from `api_versions.yaml`."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml


def version_key(version: str) -> tuple[str, int]:
    """Order api-versions by date; a preview sorts before the stable version of the same date."""
    return (version[:10], 0 if version.endswith("-preview") else 1)


@dataclass(frozen=True)
class Span:
    since: str
    until: str | None = None  # the first version that no longer has it
    skipped: frozenset[str] = frozenset()  # versions inside the span that do not have it

    def covers(self, version: str) -> bool:
        key = version_key(version)
        if key < version_key(self.since) or version in self.skipped:
            return False
        return self.until is None or key < version_key(self.until)


@dataclass(frozen=True)
class VersionTable:
    versions: tuple[str, ...]
    classic_only: frozenset[str]
    fields: dict[str, tuple[Span, ...]]
    usages: tuple[dict[str, Any], ...]
    # version -> the paths it does not return, compiled at a version's first use (every render asks)
    _absent: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def is_supported(self, version: str) -> bool:
        return version in self.versions

    def has_field(self, path: str, version: str) -> bool:
        """A path not in the table is returned by every version."""
        absent = self._absent.get(version)
        if absent is None:
            absent = frozenset(p for p, spans in self.fields.items() if not any(s.covers(version) for s in spans))
            if version in self.versions:  # only the known ones: the cache stays as small as the table
                self._absent[version] = absent
        return path not in absent

    def usages_for(self, version: str) -> list[dict[str, Any]]:
        return [row for row in self.usages if any(span.covers(version) for span in _spans(row["since"]))]


def _spans(value: Any) -> tuple[Span, ...]:
    if isinstance(value, str | datetime.date):  # YAML reads a bare 2017-10-01 as a date
        return (Span(str(value)),)
    if isinstance(value, dict):
        until = value.get("until")
        skipped = frozenset(str(v) for v in value.get("except", ()))
        return (Span(str(value["since"]), None if until is None else str(until), skipped),)
    return tuple(s for item in value for s in _spans(item))


@functools.cache
def load_table() -> VersionTable:
    text = resources.files("acr_fidelity.registry").joinpath("api_versions.yaml").read_text()
    doc = yaml.safe_load(text)
    versions = tuple(sorted((str(v) for v in doc["versions"]), key=version_key))
    return VersionTable(
        versions=versions,
        classic_only=frozenset(str(v) for v in doc["classic_only"]),
        fields={path: _spans(spec) for path, spec in doc["fields"].items()},
        usages=tuple(doc["usages"]),
    )
