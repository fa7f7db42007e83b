"""Report formats, one module each, in a named registry: an unknown name fails with the list of known ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Writer = Callable[[dict[str, Any], Path], Path | None]  # (JSON report document, report dir) -> file written


def _registry() -> dict[str, Writer]:
    from acr_fidelity.harness.reports import console, github, html, json_report, junit, markdown

    return {"console": console.write, "json": json_report.write, "junit": junit.write, "html": html.write,
            "markdown": markdown.write, "github": github.write}


FORMATS = ("console", "json", "junit", "html", "markdown", "github")


def writer(name: str) -> Writer:
    formats = _registry()
    if name not in formats:
        raise ValueError(f"unknown report format {name!r}; known formats: {', '.join(FORMATS)}")
    return formats[name]


def parse_formats(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        writer(name)  # fail early, naming the valid ones
    return names


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"
