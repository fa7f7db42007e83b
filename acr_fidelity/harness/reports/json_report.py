"""fidelity.json: everything, in the stable schema of model.to_json (format_version 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FILENAME = "fidelity.json"


def write(doc: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILENAME
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return path
