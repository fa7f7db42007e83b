"""GitHub Actions: an `::error` annotation per gap or error interaction (workflow commands on stdout), and the
Markdown summary appended to the job summary when the job has one ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from acr_fidelity.harness.reports import markdown

MAX_ANNOTATIONS = 50  # GitHub shows at most 10 errors per step, and 50 per run
MAX_VALUE = 120


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def render(doc: dict[str, Any]) -> list[str]:
    paths = {c["id"]: c.get("path") for c in doc["cassettes"]}
    lines = []
    for item in (i for i in doc["interactions"] if i["class"] in ("gap", "error")):
        details = [f"{g['path']}: recorded {_shown(g['recorded'])}, replayed {_shown(g['replayed'])}"
                   for g in item["gaps"][:5]] or [item["note"]]
        message = f"{item['id']} {item['method']} {item['operation']}\n" + "\n".join(details)
        where = paths.get(item["cassette"])
        file = f"file={_property(where)}," if where and not Path(where).is_absolute() else ""
        lines.append(f"::error {file}title={_property('fidelity ' + item['class'] + ': ' + item['operation'])}::"
                     f"{_data(message)}")
    if len(lines) > MAX_ANNOTATIONS:
        lines = lines[:MAX_ANNOTATIONS] + [f"::warning::{len(lines) - MAX_ANNOTATIONS} more gap(s) in fidelity.json"]
    return lines


def write(doc: dict[str, Any], out_dir: Path) -> None:
    for line in render(doc):
        print(line)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(markdown.render(doc))
