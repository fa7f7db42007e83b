"""The tables and rules the package reads at run time ship in a non-editable install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_package_data(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True)
    wheel = next(tmp_path.glob("acr_fidelity-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "acr_fidelity").rglob("*.yaml")):
        assert data in names
    assert "acr_fidelity/registry/api_versions.yaml" in names
