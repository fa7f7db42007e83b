"""Report formats, compare, and the replay command's gates (baseline, fail-under)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from acr_fidelity.harness.commands import main
from acr_fidelity.harness.compare import compare_reports, regressions
from acr_fidelity.harness.model import FORMAT_VERSION
from acr_fidelity.harness.reports import parse_formats
from tests.test_harness_support import REG, SUB, interaction, write_cassette

CREATE = {"location": "westus", "sku": {"name": "Basic"}}


@pytest.fixture
def cassette_dir(tmp_path: Path) -> Path:
    """One matching GET and one planted gap, plus an unsupported call."""
    folder = tmp_path / "cassettes"
    folder.mkdir()
    group = {"id": f"/subscriptions/{SUB}/resourceGroups/rg1", "name": "rg1", "location": "westus",
             "type": "Microsoft.Resources/resourceGroups", "properties": {"provisioningState": "Succeeded"}}
    write_cassette(folder / "one.yaml", [
        interaction("PUT", f"/subscriptions/{SUB}/resourcegroups/rg1?api-version=2021-04-01", 201, group,
                    {"location": "westus"}),
        interaction("POST", f"/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/checkNameAvailability"
                    "?api-version=2025-04-01", 200, {"nameAvailable": False, "planted": "<b>gap</b>"},
                    {"name": "reg00001", "type": "Microsoft.ContainerRegistry/registries"}),
        interaction("GET", f"{REG}/reg00001/tasks?api-version=2025-04-01", 200, {"value": []}),
    ])
    return folder


def _replay(cassette_dir: Path, out: Path, *extra: str) -> int:
    return main(["replay", str(cassette_dir), "--report-dir", str(out),
                 "--format", "json,junit,html,markdown", *extra])


def test_all_formats(cassette_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _replay(cassette_dir, out) == 0
    doc = json.loads((out / "fidelity.json").read_text())
    assert doc["format_version"] == FORMAT_VERSION
    assert doc["summary"]["counts"]["gap"] == 1 and doc["summary"]["counts"]["unsupported"] == 1
    assert [i["id"] for i in doc["interactions"]] == [f"cassettes/one.yaml#{n}" for n in range(3)]
    gap = doc["interactions"][1]
    assert {"path": "planted", "kind": "removed", "recorded": "<b>gap</b>", "replayed": None} in gap["gaps"]
    assert set(doc["by_operation"]) >= {"Registries_CheckNameAvailability (POST /subscriptions/{subscriptionId}"
                                        "/providers/Microsoft.ContainerRegistry/checkNameAvailability)"}

    suites = ET.parse(out / "fidelity.junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == 3
    assert [c.find("failure") is not None for c in cases] == [False, True, False]
    assert cases[2].find("skipped") is not None
    assert suites.get("failures") == "1"

    markdown = (out / "fidelity.md").read_text()
    assert "ACR fidelity" in markdown and "cassettes/one.yaml#1" in markdown

    page = (out / "fidelity.html").read_text()
    assert "<script" not in page and "http://" not in page.split("<body>")[1].split("one.yaml")[0]
    assert "&lt;b&gt;gap&lt;/b&gt;" in page  # escaped, never markup


def test_github_annotations_and_job_summary(cassette_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: `--format github` writes an ::error workflow command per gap, escaped, and the Markdown summary
    into the job summary."""
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(cassette_dir.parent)
    assert main(["replay", "cassettes", "--report-dir", str(tmp_path / "out"), "--format", "github"]) == 0
    annotations = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error file=cassettes/one.yaml,title=fidelity gap%3A Registries_CheckName")
    assert "cassettes/one.yaml#1 POST" in annotations[0] and "%0Aplanted: recorded <b>gap</b>" in annotations[0]
    assert "ACR fidelity" in summary.read_text()


def test_console_reads_at_80_columns(cassette_dir: Path, tmp_path: Path) -> None:
    """Issue 12: in a CI log (80 columns) nothing is cut: operation ids, whole counts, unsupported calls grouped by
    route with a count, each gap with cassette#index, path and both values."""
    import io

    from rich.console import Console

    from acr_fidelity.harness.reports.console import render

    for n in range(3):  # the same unsupported route under three names: one line, counted
        write_cassette(cassette_dir / f"tasks{n}.yaml", [
            interaction("GET", f"{REG}/name{n}with-a-long-name/tasks/task{n}?api-version=2025-04-01", 200, {})])
    out = tmp_path / "reports"
    assert _replay(cassette_dir, out) == 0
    doc = json.loads((out / "fidelity.json").read_text())
    console = Console(width=80, file=io.StringIO(), color_system=None)
    render(doc, console)
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text.split("not served")[0]
    assert "Registries_CheckNameAvailability" in text and "/subscriptions/" not in text.split("not served")[0]
    assert "3 × GET {group}/Microsoft.ContainerRegistry/registries/{name}/tasks/{name}" in text
    assert "1 × GET {group}/Microsoft.ContainerRegistry/registries/{name}/tasks" in text
    assert "cassettes/one.yaml#1 POST Registries_CheckNameAvailability" in text
    assert "planted (removed)" in text and "recorded <b>gap</b>" in text and "replayed null" in text


def _chromium(*args: str) -> str:
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: CI must install it")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120, check=True).stdout


def test_html_fits_1280_px_in_headless_chromium(cassette_dir: Path, tmp_path: Path) -> None:
    """Issue 12: the page fits 1,280 px without horizontal scrolling; the gap shows both bodies, its path marked.
    The measuring script goes into a copy: the report itself has none."""
    out = tmp_path / "reports"
    _replay(cassette_dir, out)
    page = (out / "fidelity.html").read_text()
    assert "<script" not in page and "<svg" in page
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", "<script>document.body.dataset.fits = String("
                                  "document.documentElement.scrollWidth <= window.innerWidth) + ' ' + "
                                  "document.documentElement.scrollWidth;</script></body>"))
    dom = _chromium("--window-size=1280,900", "--dump-dom", probe.as_uri())
    assert 'data-fits="true ' in dom, dom[:300]
    assert "ACR fidelity" in dom and "Per operation" in dom and "Registries_CheckNameAvailability" in dom
    assert "<mark>" in dom and "planted" in dom
    assert "<code>{group}/Microsoft.ContainerRegistry/registries/{name}/tasks</code>" in dom
    shot = tmp_path / "fidelity.png"
    _chromium("--window-size=1280,1600", f"--screenshot={shot}", (out / "fidelity.html").as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_and_baseline(cassette_dir: Path, tmp_path: Path) -> None:
    assert _replay(cassette_dir, tmp_path / "old") == 0
    old = json.loads((tmp_path / "old" / "fidelity.json").read_text())
    new = json.loads(json.dumps(old))
    new["interactions"][0]["class"] = "gap"  # got worse
    new["interactions"][1]["class"] = "match"  # got better
    result = compare_reports(old, new)
    assert [r[0] for r in result.worse] == ["cassettes/one.yaml#0"]
    assert [r[0] for r in result.better] == ["cassettes/one.yaml#1"]
    assert regressions(old, new) == [("cassettes/one.yaml#0", "match", "gap")]

    (tmp_path / "new.json").write_text(json.dumps(new))
    assert main(["compare", str(tmp_path / "old" / "fidelity.json"), str(tmp_path / "new.json")]) == 1
    assert main(["compare", str(tmp_path / "old" / "fidelity.json"), str(tmp_path / "old" / "fidelity.json")]) == 0

    worse_baseline = json.loads(json.dumps(old))
    worse_baseline["interactions"][1]["class"] = "match"  # pretend the gap used to match
    (tmp_path / "baseline.json").write_text(json.dumps(worse_baseline))
    assert _replay(cassette_dir, tmp_path / "b", "--baseline", str(tmp_path / "baseline.json")) == 1
    assert _replay(cassette_dir, tmp_path / "c", "--baseline", str(tmp_path / "old" / "fidelity.json")) == 0


def test_fail_under(cassette_dir: Path, tmp_path: Path) -> None:
    assert _replay(cassette_dir, tmp_path / "a", "--fail-under", "40") == 0
    assert _replay(cassette_dir, tmp_path / "b", "--fail-under", "99") == 1


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="console, json, junit, html, markdown"):
        parse_formats("json,pdf")
    assert main(["replay", "nowhere", "--format", "pdf"]) == 2
