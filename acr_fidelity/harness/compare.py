"""Two JSON reports side by side: what got better, what got worse; and the baseline gate built on it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acr_fidelity.harness.diff import GOOD
from acr_fidelity.harness.model import load_report


@dataclass
class Comparison:
    better: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old class, new class)
    worse: list[tuple[str, str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # neither better nor worse, e.g. gap → error
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    old_fidelity: float | None = None
    new_fidelity: float | None = None


def read(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def compare_reports(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    before, after = load_report(old), load_report(new)
    result = Comparison(old_fidelity=old["summary"]["fidelity"], new_fidelity=new["summary"]["fidelity"])
    for iid, cls in after.items():
        if iid not in before:
            result.added.append((iid, cls))
            continue
        prev = before[iid]
        if prev == cls:
            continue
        if prev not in GOOD and cls in GOOD:
            result.better.append((iid, prev, cls))
        elif prev in GOOD and cls not in GOOD:
            result.worse.append((iid, prev, cls))
        else:
            result.changed.append((iid, prev, cls))
    result.removed = [(iid, cls) for iid, cls in before.items() if iid not in after]
    return result


def baseline_of(report: dict[str, Any]) -> dict[str, Any]:
    """The report's summary and each interaction's class, without recorded bodies: what `--baseline` reads."""
    keep = ("format_version", "tool", "api_version_override", "summary")
    return {**{k: report[k] for k in keep if k in report},
            "interactions": [{"id": i["id"], "operation": i["operation"], "class": i["class"]}
                             for i in report["interactions"]]}


def regressions(baseline: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Interactions that matched (match/deviation/lro-shape) in the baseline and no longer do in this run."""
    before, after = load_report(baseline), load_report(new)
    return [(iid, cls, after[iid]) for iid, cls in before.items()
            if cls in GOOD and iid in after and after[iid] not in GOOD]


def render(c: Comparison) -> str:
    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v * 100:.1f}%"

    lines = [f"fidelity {fmt(c.old_fidelity)} → {fmt(c.new_fidelity)}"]
    for title, rows in (("better", c.better), ("worse", c.worse), ("changed", c.changed)):
        lines.append(f"{title}: {len(rows)}")
        lines += [f"  {iid}: {old} → {new}" for iid, old, new in rows]
    lines.append(f"new interactions: {len(c.added)}")
    lines += [f"  {iid}: {cls}" for iid, cls in c.added]
    lines.append(f"gone interactions: {len(c.removed)}")
    lines += [f"  {iid}: was {cls}" for iid, cls in c.removed]
    return "\n".join(lines)
