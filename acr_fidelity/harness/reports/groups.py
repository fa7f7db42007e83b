"""How the reports group what they show: operations by id, calls outside the emulator's scope by route template."""

from __future__ import annotations

from collections import Counter
from typing import Any

from acr_fidelity.harness.model import summarize
from acr_fidelity.harness.scope import route_template


def operation_name(key: str) -> str:
    """`Registries_Get (GET /subscriptions/…)` -> `Registries_Get`: the operation id reads better than its path."""
    return key.split(" (", 1)[0]


def operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The summary (counts, fidelity, as the JSON report's) of each operation the emulator serves, one row per
    operation id (the same operation may be reached at several templates: path-style and host-style login
    servers)."""
    rows: dict[str, Counter[str]] = {}
    for key, o in doc["by_operation"].items():
        if o["scored"] or o["counts"]["skipped"]:  # operations outside the scope are grouped by route instead
            rows.setdefault(operation_name(key), Counter()).update(o["counts"])
    return {name: summarize(counts.elements()) for name, counts in sorted(rows.items())}


_PREFIXES = (("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/", "{group}/"),
             ("/subscriptions/{subscriptionId}/providers/", "{subscription}/"),
             ("/subscriptions/{subscriptionId}/", "{subscription}/"))


def short_template(template: str) -> str:
    """A route template without the ARM prefix every one of them shares, so that a line fits 80 columns."""
    for prefix, shown in _PREFIXES:
        if template.startswith(prefix):
            return shown + template[len(prefix):]
    return template


def unsupported_groups(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Interactions outside the emulator's scope, grouped by method and route template, most frequent first."""
    counts = Counter((i["method"], i["template"] or route_template(i["uri"]))
                     for i in doc["interactions"] if i["class"] == "unsupported")
    return [(method, short_template(template), n) for (method, template), n in counts.most_common()]


def seeded_groups(doc: dict[str, Any]) -> list[tuple[str, str, Any, int]]:
    """What the replay seeded, grouped by method, route template and answer, most frequent first."""
    counts = Counter((step["method"], short_template(route_template(step["path"]))
                      if step["path"].startswith("/subscriptions/") else "an image (data plane)", step.get("status"))
                     for c in doc["cassettes"] for step in c["seeded"])
    return [(method, template, status, n) for (method, template, status), n in counts.most_common()]
