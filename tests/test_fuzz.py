"""Schemathesis against the official 2025-04-01 swagger, over every operation the emulator serves (`tox -e fuzz`).

One fixed seed and a bounded number of cases per operation: no 5xx, no answer that breaks the swagger's response
schemas, every error in ARM's envelope, invalid input refused. tests/fuzz/ holds the configuration, the project's
own checks and the short list of the published swagger's faults.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from acr_fidelity.server import RunningServer
from tests.conftest import Arm, shared_path, start
from tests.fuzz.spec import load

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "fuzz" / "schemathesis.toml"
SEED = 20261202
# Cases per operation and phase; 52 operations make this several thousand cases in a few minutes on 2 cores.
EXAMPLES = int(os.environ.get("ACR_FIDELITY_FUZZ_EXAMPLES", "60"))


@pytest.fixture
def fuzz_target() -> Iterator[RunningServer]:
    """A fresh emulator holding what the configuration names: group rg1, registries fuzzkids and fuzzreg."""
    with start() as server:
        arm = Arm(server.url)
        assert arm.group().status_code in (200, 201)
        for name in ("fuzzkids", "fuzzreg"):
            assert arm.registry(name).status_code == 201
        yield server


def test_the_official_swagger_finds_no_fault(fuzz_target: RunningServer, tmp_path: Path) -> None:
    spec = tmp_path / "containerregistry.json"
    spec.write_text(json.dumps(load(shared_path("specs", "2025-04-01", "containerregistry.json"))))
    st = Path(sys.executable).with_name("st")
    command = [str(st), "--config-file", str(CONFIG), "run", str(spec), "--url", fuzz_target.url,
               "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--workers", "2", "--no-color",
               "--report", "junit", "--report-dir", str(tmp_path / "report")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    print(run.stdout[-3000:])  # the summary: cases generated, failures by code
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated and int(generated.group(1)) >= 1000, "the fuzzer ran fewer cases than its budget promises"
