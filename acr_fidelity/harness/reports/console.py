"""The terminal report (rich): summary, a table per operation, the list of gaps; plus the replay progress bar."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from acr_fidelity.harness.diff import CLASSES, GOOD, SCORED
from acr_fidelity.harness.replay import ProgressFn
from acr_fidelity.harness.reports import pct
from acr_fidelity.harness.scope import route_template

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


def operation_name(key: str) -> str:
    """`Registries_Get (GET /subscriptions/…)` -> `Registries_Get`: the operation id reads better than its path."""
    return key.split(" (", 1)[0]


def operations(doc: dict[str, Any]) -> dict[str, Counter[str]]:
    """The class counts of each operation the emulator serves, one row per operation id (the same operation may be
    reached at several templates: path-style and host-style login servers)."""
    rows: dict[str, Counter[str]] = {}
    for key, o in doc["by_operation"].items():
        if o["scored"] or o["counts"]["skipped"]:  # operations outside the scope are grouped by route instead
            rows.setdefault(operation_name(key), Counter()).update(o["counts"])
    return dict(sorted(rows.items()))


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
    for name, counts in operations(doc).items():
        scored = sum(counts[c] for c in SCORED)
        good = sum(counts[c] for c in GOOD)
        table.add_row(name, str(sum(counts.values())), str(good), str(counts["gap"] or ""),
                      str(counts["error"] or ""), pct(good / scored if scored else None))
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
    seeded = Counter((step["method"], short_template(route_template(step["path"]))
                      if step["path"].startswith("/subscriptions/") else "an image (data plane)", step.get("status"))
                     for c in doc["cassettes"] for step in c["seeded"])
    if seeded:
        console.print(f"[bold]seeded[/] {seeded.total()} resource(s) the recordings presuppose (each in "
                      "fidelity.json):", highlight=False)
        for (method, template, status), n in seeded.most_common():
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
