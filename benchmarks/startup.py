"""Emulator start to first answer, and resident memory at idle: `acr-fidelity serve` spawned afresh each round,
polled on /_emulator/health until it answers (the time from the spawn is the figure), then left idle a moment
before its VmRSS is read.

Runs the mocked data plane (`--mocked`) or the one the machine has (Docker when it answers). The certificate and
signing key are made by a first start and kept for the measured ones, as for every start but the first; with
`--fresh`, each round starts from an empty key directory and makes them (two RSA keys) as a first run does.
The package's bytecode is compiled first, as `pip install` does: a checkout run with PYTHONDONTWRITEBYTECODE set
would otherwise compile every module at every start (0.1 s here).
Usage: python benchmarks/startup.py [--rounds 7] [--mocked] [--fresh]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_start(home: str, mocked: bool, idle: float) -> tuple[float, float]:
    """Seconds from spawn to the first answer, and MiB resident after `idle` seconds."""
    port = free_port()
    env = {**os.environ, "ACR_FIDELITY_CONFIG_DIR": home, "FLOCI_AZ_SERVICES_ACR_MOCKED": str(mocked).lower()}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "acr_fidelity", "serve", "--host", "127.0.0.1", "--port",
                                str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session = requests.Session()
    session.trust_env = False
    try:
        while True:
            try:
                if session.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                if process.poll() is not None:
                    raise SystemExit("the emulator exited") from None
                time.sleep(0.005)
        elapsed = time.perf_counter() - started
        time.sleep(idle)
        status = Path(f"/proc/{process.pid}/status").read_text()
        rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024
        return elapsed, rss
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--mocked", action="store_true", help="the mocked data plane (no Docker)")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before memory is read")
    parser.add_argument("--fresh", action="store_true", help="make the certificate and keys in every start")
    args = parser.parse_args()
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "acr_fidelity", quiet=1)
    homes = [tempfile.mkdtemp(prefix="acr-fidelity-startup-") for _ in range(args.rounds if args.fresh else 1)]
    try:
        if not args.fresh:
            one_start(homes[0], args.mocked, 0)  # makes the keys the measured starts find
        starts, memory = zip(*(one_start(homes[n % len(homes)], args.mocked, args.idle)
                               for n in range(args.rounds)), strict=True)
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
    print(f"{'mocked' if args.mocked else 'default'} data plane, {'fresh' if args.fresh else 'kept'} keys, "
          f"{args.rounds} starts: "
          f"start to first answer median {statistics.median(starts):.2f} s (min {min(starts):.2f}, "
          f"max {max(starts):.2f}); resident at idle median {statistics.median(memory):.0f} MiB")


if __name__ == "__main__":
    main()
