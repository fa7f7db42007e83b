"""The terminal report (rich): summary, a table per operation, the list of gaps; plus the replay progress bar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from acr_fidelity.harness.diff import CLASSES
from acr_fidelity.harness.replay import ProgressFn
from acr_fidelity.harness.reports import pct

_STYLE = {"match": "green", "deviation": "cyan", "lro-shape": "blue", "gap": "red", "error": "bold red",
          "skipped": "yellow", "unsupported": "dim"}


@contextmanager
def progress_bar(total: int, console: Console | None = None) -> Iterator[ProgressFn]:
    with Progress(TextColumn("[bold]replaying[/] {task.fields[cassette]}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("replay", total=total, cassette="")

        def advance(cassette: str, n: int) -> None:
            progress.update(task, advance=n, cassette=cassette)

        yield advance


def _short(value: Any, limit: int = 70) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(doc: dict[str, Any], console: Console) -> None:
    s = doc["summary"]
    console.print(f"[bold]ACR fidelity[/] {pct(s['fidelity'])}   coverage {pct(s['coverage'])} "
                  f"({s['scored']} scored of {s['total']})   target: {doc['target']}"
                  + (f"   api-version override: {doc['api_version_override']}" if doc["api_version_override"] else ""))
    console.print("  ".join(f"[{_STYLE[c]}]{c} {s['counts'][c]}[/]" for c in CLASSES))

    table = Table(title="per operation")
    table.add_column("operation")
    for c in CLASSES:
        table.add_column(c, justify="right", style=_STYLE[c])
    table.add_column("fidelity", justify="right")
    table.add_column("coverage", justify="right")
    for op, o in doc["by_operation"].items():
        table.add_row(op, *[str(o["counts"][c] or "") for c in CLASSES], pct(o["fidelity"]), pct(o["coverage"]))
    console.print(table)

    used = {rid: meta for rid, meta in doc["rules"].items() if meta["count"]}
    if used:
        console.print("[bold]rules applied[/]: " + ", ".join(f"{rid} ×{m['count']} ({m['kind']})"
                                                            for rid, m in used.items()))
    seeded = [(c["id"], s) for c in doc["cassettes"] for s in c["seeded"]]
    if seeded:
        console.print(f"[bold]seeded[/] {len(seeded)} resource(s) the recordings presuppose:")
        for cid, step in seeded:
            tail = "/".join(step["path"].rstrip("/").split("/")[-2:])
            console.print(f"  {cid}: {step['method']} …/{tail} → {step.get('status')}", highlight=False,
                          soft_wrap=True)
    for c in doc["cassettes"]:
        if c["error"]:
            console.print(f"[bold red]cassette error[/] {c['id']}: {c['error']}", highlight=False)

    problems = [i for i in doc["interactions"] if i["class"] in ("gap", "error")]
    if problems:
        console.print(f"[bold red]{len(problems)} interaction(s) with gaps or errors[/]")
        for item in problems:
            console.print(f"[red]{item['id']}[/] {item['method']} {item['operation']} {item['note']}",
                          highlight=False)
            for g in item["gaps"]:
                console.print(f"    {g['path']} ({g['kind']}): recorded {_short(g['recorded'])} "
                              f"| replayed {_short(g['replayed'])}", highlight=False, soft_wrap=True)


def write(doc: dict[str, Any], out_dir: Path) -> None:
    render(doc, Console())
    return None
