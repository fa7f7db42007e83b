"""Replay speed: interactions per second over the shared cassettes (a fresh in-process emulator per cassette).

    python benchmarks/replay_speed.py [PATH ...] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from acr_fidelity.harness.replay import Replayer
from acr_fidelity.harness.rules import load_rules

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "cassettes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(SHARED)])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cassettes at once (default: cores)")
    args = parser.parse_args()
    if not all(Path(p).exists() for p in args.paths):
        print(f"no cassettes at {', '.join(args.paths)}", file=sys.stderr)
        return 2
    rules = load_rules()
    best = 0.0
    for n in range(args.repeat):
        started = time.perf_counter()
        run = Replayer(rules, workers=args.jobs).run(list(args.paths))
        elapsed = time.perf_counter() - started
        total = len(run.interactions())
        sent = sum(1 for i in run.interactions() if i.replayed is not None)
        rate = total / elapsed if elapsed else float("inf")
        best = max(best, rate)
        print(f"run {n + 1}: {total} interactions ({sent} sent) in {elapsed:.2f}s: {rate:.1f} interactions/s "
              f"({len(run.cassettes)} cassettes, {elapsed / max(len(run.cassettes), 1) * 1000:.0f} ms each)")
    print(f"best: {best:.1f} interactions/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
