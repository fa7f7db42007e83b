"""fidelity.html: one self-contained page (inline CSS, no scripts, no network): summary, operations, interactions."""

from __future__ import annotations

import difflib
import html
import json
from pathlib import Path
from typing import Any

from acr_fidelity.harness.diff import CLASSES
from acr_fidelity.harness.reports import pct

FILENAME = "fidelity.html"
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
.match{color:#1a7f37}.deviation{color:#0969da}.lro-shape{color:#8250df}.gap{color:#cf222e}.error{color:#a40e26}
.skipped{color:#9a6700}.unsupported{color:#777}details{margin:.3em 0}pre{white-space:pre-wrap;margin:0}
table.diff{font-family:monospace;font-size:12px}.diff_add{background:#e6ffec}.diff_chg{background:#fff8c5}
.diff_sub{background:#ffebe9}.diff_header{color:#999}td.diff_next{display:none}
"""


def _pretty(body: Any) -> str:
    if isinstance(body, str):
        try:
            return json.dumps(json.loads(body), indent=2, sort_keys=True)
        except ValueError:
            return body
    return json.dumps(body, indent=2, sort_keys=True)


def _summary_row(name: str, o: dict[str, Any]) -> str:
    cells = "".join(f"<td class='{c}'>{o['counts'][c] or ''}</td>" for c in CLASSES)
    return f"<tr><td>{html.escape(name)}</td>{cells}<td>{pct(o['fidelity'])}</td><td>{pct(o['coverage'])}</td></tr>"


def _table(title: str, groups: dict[str, dict[str, Any]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in CLASSES)
    rows = "".join(_summary_row(k, v) for k, v in groups.items())
    return (f"<h2>{html.escape(title)}</h2><table><tr><th></th>{head}<th>fidelity</th><th>coverage</th></tr>"
            f"{rows}</table>")


def _interaction(item: dict[str, Any]) -> str:
    cls = item["class"]
    title = f"{item['id']} — {item['method']} {item['operation']} — {cls}"
    parts = [f"<details><summary class='{cls}'>{html.escape(title)}</summary>"]
    if item["note"]:
        parts.append(f"<p>{html.escape(item['note'])}</p>")
    parts.append(f"<p><b>request</b> <code>{html.escape(item['method'])} {html.escape(item['uri'])}</code></p>")
    if item["request_body"]:
        parts.append(f"<pre>{html.escape(_pretty(item['request_body']))}</pre>")
    if item["gaps"]:
        rows = "".join(
            f"<tr><td><code>{html.escape(g['path'])}</code></td><td>{g['kind']}</td>"
            f"<td><pre>{html.escape(json.dumps(g['recorded']))}</pre></td>"
            f"<td><pre>{html.escape(json.dumps(g['replayed']))}</pre></td></tr>" for g in item["gaps"])
        parts.append(f"<table><tr><th>path</th><th>kind</th><th>recorded</th><th>replayed</th></tr>{rows}</table>")
    if item["rules"]:
        parts.append(f"<p>rules: {html.escape(', '.join(sorted(set(item['rules']))))}</p>")
    if item["replayed"] is not None:
        recorded = f"{item['recorded']['status']}\n{_pretty(item['recorded']['body'])}".splitlines()
        replayed = f"{item['replayed']['status']}\n{_pretty(item['replayed']['body'])}".splitlines()
        parts.append(difflib.HtmlDiff(wrapcolumn=80).make_table(recorded, replayed, "recorded", "replayed",
                                                                context=False))
    parts.append("</details>")
    return "".join(parts)


def render(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    counts = " ".join(f"<span class='{c}'>{c} {s['counts'][c]}</span>" for c in CLASSES)
    seeded = "".join(f"<li>{html.escape(c['id'])}: {html.escape(st['method'])} {html.escape(st['path'])} → "
                     f"{st.get('status')}</li>" for c in doc["cassettes"] for st in c["seeded"])
    rules = "".join(f"<tr><td>{html.escape(rid)}</td><td>{m['kind']}</td><td>{m['count']}</td>"
                    f"<td>{html.escape(m['reason'])}</td></tr>" for rid, m in doc["rules"].items())
    body = [
        f"<h1>ACR fidelity: {pct(s['fidelity'])}</h1>",
        f"<p>coverage {pct(s['coverage'])} ({s['scored']} scored of {s['total']}) · target "
        f"{html.escape(doc['target'])} · {html.escape(doc['started_at'])}</p><p>{counts}</p>",
        _table("Per operation", doc["by_operation"]),
        _table("Per cassette", doc["by_cassette"]),
        _table("Per api-version", doc["by_api_version"]),
        f"<h2>Rules</h2><table><tr><th>id</th><th>kind</th><th>count</th><th>reason</th></tr>{rules}</table>",
        f"<h2>Seeding</h2><ul>{seeded}</ul>" if seeded else "",
        "<h2>Interactions</h2>",
        *(_interaction(i) for i in doc["interactions"]),
    ]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>ACR fidelity report</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


def write(doc: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    path.write_text(render(doc))
    return path
