"""fidelity.html: one self-contained page (inline CSS and SVG, no scripts, no network) that fits 1,280 px: a summary
chart, operations by id, calls outside the scope by route, and for each gap the recorded and replayed bodies side by
side with the differing paths marked. Interactions without a gap are one line each, which keeps the page small."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from acr_fidelity.harness.diff import CLASSES, format_path, key_value_list
from acr_fidelity.harness.reports import pct
from acr_fidelity.harness.reports.groups import operation_name, operations, seeded_groups, unsupported_groups

FILENAME = "fidelity.html"
_COLORS = {"match": "#1a7f37", "deviation": "#0969da", "lro-shape": "#8250df", "gap": "#cf222e",
           "error": "#a40e26", "skipped": "#9a6700", "unsupported": "#8c959f"}
_SHORT = {"deviation": "dev", "lro-shape": "lro", "error": "err", "skipped": "skip", "unsupported": "n/s"}
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;color:#222;max-width:1240px;margin:0 auto;padding:12px 16px}
table{border-collapse:collapse;margin:.5em 0;width:100%;table-layout:fixed}
td,th{border:1px solid #d0d7de;padding:2px 6px;text-align:left;overflow-wrap:anywhere;vertical-align:top}
th.n,td.n{width:4.2em;text-align:right}th.w,td.w{width:6em;text-align:right}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font-size:12px}code{overflow-wrap:anywhere}
pre>span,pre>mark{display:block;min-height:1.2em}mark{background:#ffebe9}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.sbs>div{min-width:0;border:1px solid #d0d7de;padding:4px}details{margin:.4em 0}summary{cursor:pointer}
""" + "".join(f".{c}{{color:{color}}}" for c, color in _COLORS.items())


def _e(text: Any) -> str:
    return html.escape(str(text))


def _chart(counts: dict[str, int]) -> str:
    """The class counts as one stacked bar with a legend: inline SVG that scales with the page."""
    total = sum(counts.values()) or 1
    x, bars, legend = 0.0, [], []
    for c in CLASSES:
        width = 1000 * counts[c] / total
        if width:
            bars.append(f"<rect x='{x:.1f}' y='0' width='{width:.1f}' height='28' fill='{_COLORS[c]}'>"
                        f"<title>{c}: {counts[c]}</title></rect>")
        x += width
    for n, c in enumerate(CLASSES):
        legend.append(f"<rect x='{n * 142}' y='40' width='12' height='12' fill='{_COLORS[c]}'/>"
                      f"<text x='{n * 142 + 16}' y='51' font-size='13'>{c} {counts[c]}</text>")
    return (f"<svg viewBox='0 0 1000 60' width='100%' role='img' aria-label='interactions by class'>"
            f"{''.join(bars)}{''.join(legend)}</svg>")


def _counts_table(title: str, rows: dict[str, dict[str, Any]]) -> str:
    """Rows of summaries as the JSON report has them (`counts`, `total`, `fidelity`)."""
    head = "<th class='n'>n</th>" + "".join(f"<th class='n' title='{c}'>{_SHORT.get(c, c)}</th>" for c in CLASSES)
    head += "<th class='w'>fidelity</th>"
    body = []
    for name, o in rows.items():
        cells = "".join(f"<td class='n {c}'>{o['counts'][c] or ''}</td>" for c in CLASSES)
        body.append(f"<tr><td>{_e(name)}</td><td class='n'>{o['total']}</td>{cells}"
                    f"<td class='w'>{pct(o['fidelity'])}</td></tr>")
    return f"<h2>{_e(title)}</h2><table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _lines(value: Any, marks: list[str], path: tuple[Any, ...] = (), key: str = "", depth: int = 0,
           inherited: bool = False) -> list[tuple[bool, str]]:
    """A JSON body pretty-printed line by line, each line marked when it is at or under a gap's path."""
    shown = format_path(path)
    marked = inherited or any(shown == m or shown.startswith((m + ".", m + "[")) for m in marks)
    pad, label = "  " * depth, f"{json.dumps(key)}: " if key else ""
    if isinstance(value, dict) and value:
        inner = [line for k, v in value.items() for line in _lines(v, marks, (*path, k), k, depth + 1, marked)]
        return [(marked, f"{pad}{label}{{"), *inner, (marked, f"{pad}}}")]
    if isinstance(value, list) and value:
        inner = [line for n, v in enumerate(value) for line in _lines(v, marks, (*path, n), "", depth + 1, marked)]
        return [(marked, f"{pad}{label}["), *inner, (marked, f"{pad}]")]
    return [(marked, f"{pad}{label}{json.dumps(value)}")]


def _side(answer: dict[str, Any] | None, marks: list[str], title: str) -> str:
    if answer is None:
        return f"<div><b>{title}</b><pre>(none)</pre></div>"
    try:
        body = key_value_list(json.loads(answer["body"]), None) if answer["body"] else ""
    except (TypeError, ValueError):  # not JSON: shown as it came
        return f"<div><b>{title}</b> {answer['status']}<pre>{_e(answer['body'])}</pre></div>"
    # compared as the diff compared it (lists of resources keyed by id), so that the marked paths are the gaps'
    text = "".join(f"<mark>{_e(line)}</mark>" if marked else f"<span>{_e(line)}</span>"
                   for marked, line in _lines(body, marks))
    return f"<div><b>{title}</b> {answer['status']}<pre>{text}</pre></div>"


def _gap(item: dict[str, Any]) -> str:
    marks = [g["path"] for g in item["gaps"]]
    rows = "".join(f"<tr><td><code>{_e(g['path'])}</code></td><td class='w'>{_e(g['kind'])}</td>"
                   f"<td><pre>{_e(json.dumps(g['recorded']))}</pre></td><td><pre>{_e(json.dumps(g['replayed']))}</pre>"
                   f"</td></tr>" for g in item["gaps"])
    return (f"<details open><summary class='{item['class']}'>{_e(item['id'])} · {_e(item['method'])} "
            f"{_e(operation_name(item['operation']))} · {item['class']}</summary>"
            + (f"<p>{_e(item['note'])}</p>" if item["note"] else "")
            + f"<p><code>{_e(item['method'])} {_e(item['uri'])}</code></p>"
            + (f"<table><tr><th>path</th><th class='w'>kind</th><th>recorded</th><th>replayed</th></tr>{rows}"
               "</table>" if rows else "")
            + f"<div class='sbs'>{_side(item['recorded'], marks, 'recorded')}"
              f"{_side(item['replayed'], marks, 'replayed')}</div></details>")


def render(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    unsupported = unsupported_groups(doc)
    seeded = seeded_groups(doc)
    problems = [i for i in doc["interactions"] if i["class"] in ("gap", "error")]
    rules = "".join(f"<tr><td>{_e(rid)}</td><td class='w'>{m['kind']}</td><td class='n'>{m['count']}</td>"
                    f"<td>{_e(m['reason'])}</td></tr>" for rid, m in doc["rules"].items())
    others = "".join(f"<tr><td>{_e(i['id'])}</td><td class='w'>{_e(i['method'])}</td>"
                     f"<td>{_e(operation_name(i['operation']))}</td><td class='w {i['class']}'>{i['class']}</td>"
                     f"<td>{_e(', '.join(sorted(set(i['rules']))) or i['note'])}</td></tr>"
                     for i in doc["interactions"] if i["class"] not in ("gap", "error", "unsupported"))
    body = [
        f"<h1>ACR fidelity: {pct(s['fidelity'])}</h1>",
        f"<p>coverage {pct(s['coverage'])} ({s['scored']} scored of {s['total']}) · target {_e(doc['target'])} · "
        f"{_e(doc['started_at'])}</p>",
        _chart(s["counts"]),
        f"<h2>Gaps and errors ({len(problems)})</h2>" + ("".join(_gap(i) for i in problems) or "<p>none</p>"),
        _counts_table("Per operation", operations(doc)),
        f"<h2>Not served by the emulator ({sum(n for *_, n in unsupported)})</h2>"
        "<p>{group} = /subscriptions/…/resourceGroups/…/providers</p><table><tr><th class='n'>n</th>"
        "<th class='w'>method</th><th>route</th></tr>"
        + "".join(f"<tr><td class='n'>{n}</td><td class='w'>{_e(m)}</td><td><code>{_e(t)}</code></td></tr>"
                  for m, t, n in unsupported) + "</table>",
        _counts_table("Per cassette", doc["by_cassette"]),
        _counts_table("Per api-version", doc["by_api_version"]),
        f"<h2>Rules</h2><table><tr><th>id</th><th class='w'>kind</th><th class='n'>count</th><th>reason</th>"
        f"</tr>{rules}</table>",
        "<h2>Seeding</h2><table><tr><th class='n'>n</th><th class='w'>method</th><th>route</th>"
        "<th class='w'>answer</th></tr>" + "".join(
            f"<tr><td class='n'>{n}</td><td class='w'>{_e(m)}</td><td><code>{_e(t)}</code></td>"
            f"<td class='w'>{_e(st)}</td></tr>" for m, t, st, n in seeded) + "</table>",
        f"<details><summary>Every other interaction</summary><table><tr><th>interaction</th><th class='w'>method"
        f"</th><th>operation</th><th class='w'>class</th><th>rules or note</th></tr>{others}</table></details>",
    ]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            f"<title>ACR fidelity report</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


def write(doc: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    path.write_text(render(doc))
    return path
