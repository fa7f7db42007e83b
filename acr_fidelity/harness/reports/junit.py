"""fidelity.junit.xml: one testcase per interaction; gaps and errors fail, skipped and unsupported are skipped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

FILENAME = "fidelity.junit.xml"


def build(doc: dict[str, Any]) -> ET.Element:
    root = ET.Element("testsuites", name="acr-fidelity")
    suites: dict[str, ET.Element] = {}
    counts: dict[str, dict[str, int]] = {}
    for item in doc["interactions"]:
        cassette = item["cassette"]
        if cassette not in suites:
            suites[cassette] = ET.SubElement(root, "testsuite", name=cassette)
            counts[cassette] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        case = ET.SubElement(suites[cassette], "testcase", classname=cassette,
                             name=f"#{item['index']} {item['method']} {item['operation']}")
        c = counts[cassette]
        c["tests"] += 1
        cls = item["class"]
        if cls == "gap":
            c["failures"] += 1
            failure = ET.SubElement(case, "failure", type="gap",
                                    message=f"{len(item['gaps'])} undocumented difference(s)")
            failure.text = "\n".join(
                f"{g['path']} ({g['kind']}): recorded {json.dumps(g['recorded'])} "
                f"vs replayed {json.dumps(g['replayed'])}"
                for g in item["gaps"])
        elif cls == "error":
            c["errors"] += 1
            ET.SubElement(case, "error", type="error", message=item["note"] or "emulator failed to answer")
        elif cls in ("skipped", "unsupported"):
            c["skipped"] += 1
            ET.SubElement(case, "skipped", message=f"{cls}: {item['note']}")
        else:
            out = ET.SubElement(case, "system-out")
            out.text = cls + (f" ({', '.join(sorted(set(item['rules'])))})" if item["rules"] else "")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, suite in suites.items():
        for key, value in counts[name].items():
            suite.set(key, str(value))
            total[key] += value
    for key, value in total.items():
        root.set(key, str(value))
    return root


def write(doc: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    tree = ET.ElementTree(build(doc))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
