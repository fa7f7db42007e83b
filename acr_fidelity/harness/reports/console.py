"""The terminal report (rich): summary, a table per operation, the list of gaps; plus the replay progress bar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from acr_fidelity.harness.diff import CLASSES, GOOD
from acr_fidelity.harness.replay import ProgressFn
from acr_fidelity.harness.reports import pct
from acr_fidelity.harness.reports.groups import operation_name, operations, seeded_groups, unsupported_groups

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


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(doc: dict[str, Any], console: Console) -> None:
    s = doc["summary"]
    console.print(f"[bold]ACR fidelity[/] {pct(s['fidelity'])}   coverage {pct(s['coverage'])} "
                  f"({s['scored']} scored of {s['total']})   target: {doc['target']}"
                  + (f"   api-version override: {doc['api_version_override']}" if doc["api_version_override"] else ""))
    console.print("  ".join(f"[{_STYLE[c]}]{c} {s['counts'][c]}[/]" for c in CLASSES))

    # At 80 columns (a CI log) only the operation names may fold: the counts keep their width. `ok` is match,
    # deviation and lro-shape; the full split is in the summary line above and in the JSON and HTML reports.
    table = Table(title="per operation", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("operation", overflow="fold", ratio=1)
    for header, style in (("n", ""), ("ok", "green"), ("gap", "red"), ("err", "bold red"), ("fidelity", "")):
        table.add_column(header, justify="right", style=style, no_wrap=True)
    for name, o in operations(doc).items():
        counts = o["counts"]
        table.add_row(name, str(o["total"]), str(sum(counts[c] for c in GOOD)), str(counts["gap"] or ""),
                      str(counts["error"] or ""), pct(o["fidelity"]))
    console.print(table)

    groups = unsupported_groups(doc)
    if groups:
        console.print(f"[bold]not served by the emulator[/] ({sum(n for *_, n in groups)} interactions, "
                      "by route; {group} = /subscriptions/…/resourceGroups/…/providers):", highlight=False)
        for method, template, n in groups:
            console.print(f"  {n:>4} × {method} {template}", highlight=False, overflow="fold")

    used = {rid: meta for rid, meta in doc["rules"].items() if meta["count"]}
    if used:
        console.print("[bold]rules applied[/]: " + ", ".join(f"{rid} ×{m['count']} ({m['kind']})"
                                                            for rid, m in used.items()), overflow="fold")
    seeded = seeded_groups(doc)
    if seeded:
        console.print(f"[bold]seeded[/] {sum(n for *_, n in seeded)} resource(s) the recordings presuppose (each in "
                      "fidelity.json):", highlight=False)
        for method, template, status, n in seeded:
            console.print(f"  {n:>4} × {method} {template} → {status}", highlight=False, overflow="fold")
    for c in doc["cassettes"]:
        if c["error"]:
            console.print(f"[bold red]cassette error[/] {c['id']}: {c['error']}", highlight=False, overflow="fold")

    problems = [i for i in doc["interactions"] if i["class"] in ("gap", "error")]
    if problems:
        console.print(f"[bold red]{len(problems)} interaction(s) with gaps or errors[/]")
        for item in problems:
            console.print(f"[red]{item['id']}[/] {item['method']} {operation_name(item['operation'])} "
                          f"{item['note']}", highlight=False, overflow="fold")
            for g in item["gaps"]:
                console.print(f"    {g['path']} ({g['kind']})", highlight=False, overflow="fold")
                console.print(f"      recorded {_short(g['recorded'])}", highlight=False, overflow="fold")
                console.print(f"      replayed {_short(g['replayed'])}", highlight=False, overflow="fold")


def write(doc: dict[str, Any], out_dir: Path) -> None:
    render(doc, Console())
    return None
