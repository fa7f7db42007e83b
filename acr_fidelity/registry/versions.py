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
    # (version, prefix) -> what a render drops, compiled at first use: every render asks
    _compiled: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def is_supported(self, version: str) -> bool:
        return version in self.versions

    def has_field(self, path: str, version: str) -> bool:
        """A path not in the table is returned by every version."""
        spans = self.fields.get(path)
        return spans is None or any(span.covers(version) for span in spans)

    def absent(self, prefix: str, version: str) -> dict[str, Any]:
        """The fields under `prefix` ("" for a registry, "webhooks/" for a webhook) that `version` does not
        return, as a tree of keys: None drops the key, a dict descends into it."""
        tree = self._compiled.get((version, prefix))
        if tree is None:
            tree = {}
            paths = [p[len(prefix):] for p in self.fields if p.startswith(prefix) and "/" not in p[len(prefix):]]
            for path in sorted(paths, key=lambda p: p.count(".")):  # a dropped parent takes its children along
                if self.has_field(prefix + path, version):
                    continue
                *parents, leaf = path.split(".")
                node: dict[str, Any] | None = tree
                for key in parents:
                    node = node.setdefault(key, {}) if node is not None else None
                if node is not None:
                    node[leaf] = None
            if version in self.versions:  # only the known ones: the cache stays as small as the table
                self._compiled[(version, prefix)] = tree
        return tree

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
