"""fidelity.md: a short summary for a pull-request comment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acr_fidelity.harness.diff import CLASSES
from acr_fidelity.harness.reports import pct

FILENAME = "fidelity.md"
MAX_GAPS = 15


def render(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    lines = [
        f"### ACR fidelity: {pct(s['fidelity'])} (coverage {pct(s['coverage'])}, {s['scored']}/{s['total']} scored)",
        "",
        "| " + " | ".join(CLASSES) + " |",
        "|" + "---|" * len(CLASSES),
        "| " + " | ".join(str(s["counts"][c]) for c in CLASSES) + " |",
        "",
        "| operation | fidelity | coverage | gaps |",
        "|---|---|---|---|",
    ]
    for op, o in doc["by_operation"].items():
        if o["scored"]:
            lines.append(f"| `{op}` | {pct(o['fidelity'])} | {pct(o['coverage'])} | {o['counts']['gap']} |")
    gaps = [i for i in doc["interactions"] if i["class"] in ("gap", "error")]
    if gaps:
        lines += ["", f"<details><summary>{len(gaps)} gap/error interaction(s)</summary>", ""]
        for item in gaps[:MAX_GAPS]:
            paths = ", ".join(f"`{g['path']}`" for g in item["gaps"][:5]) or item["note"]
            lines.append(f"- `{item['id']}` {item['operation']}: {paths}")
        if len(gaps) > MAX_GAPS:
            lines.append(f"- … and {len(gaps) - MAX_GAPS} more (see fidelity.json)")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def write(doc: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    path.write_text(render(doc))
    return path
