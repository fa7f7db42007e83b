"""The emulator at scale: create rate, GET latency, and list latency (all pages, and one page) with 100, 1,000 and
10,000 registries in one subscription, measured in one run by a sequential client; with --data-plane (Docker), also
one registry holding 100 repositories of 5 tags each (token, catalog and tag-list latency, as dataplane_api.py).

Starts `acr-fidelity serve` (mocked data plane, in-memory state) in its own process. Usage:
python benchmarks/scale.py [--counts 100,1000,10000] [--page-size 100] [--data-plane]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import requests
from arm_load import API, SUB, free_port, wait_until_up  # benchmarks/ is on the path of its own scripts
from dataplane_api import measure, report


def timed(call, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def walk(session: requests.Session, first: str) -> int:
    """Follow nextLink to the end; the number of items listed."""
    total, answer = 0, session.get(first, params={"api-version": API}).json()
    while True:
        total += len(answer["value"])
        if "nextLink" not in answer:
            return total
        answer = session.get(answer["nextLink"]).json()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="100,1000,10000")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--data-plane", action="store_true", help="also 100 repositories of 5 tags (needs Docker)")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    port = free_port()
    env = {**os.environ, "FLOCI_AZ_SERVICES_ACR_MOCKED": "true", "ACR_FIDELITY_PAGE_SIZE": str(args.page_size)}
    server = subprocess.Popen([sys.executable, "-m", "acr_fidelity", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["Authorization"] = "Bearer bench"
    try:
        wait_until_up(url)
        group = f"{url}/subscriptions/{SUB}/resourceGroups/scale"
        session.put(group, params={"api-version": "2021-04-01"}, json={"location": "westus"}).raise_for_status()
        registries = group + "/providers/Microsoft.ContainerRegistry/registries"
        everywhere = f"{url}/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries"
        body = {"location": "westus", "sku": {"name": "Basic"}}
        made = 0
        print(f"page size {args.page_size}; sequential client; emulator in its own process ({os.cpu_count()} cores)")
        print(f"{'registries':>10} {'create ms/op':>13} {'GET ms':>8} {'one page ms':>12} {'all pages ms':>13}")
        for count in counts:
            started = time.perf_counter()
            batch = count - made
            while made < count:
                session.put(f"{registries}/scalereg{made:05d}", params={"api-version": API},
                            json=body).raise_for_status()
                made += 1
            create = (time.perf_counter() - started) / max(batch, 1)
            middle = f"{registries}/scalereg{made // 2:05d}"
            get = timed(lambda: session.get(middle, params={"api-version": API}), 50)  # noqa: B023
            one = timed(lambda: session.get(everywhere, params={"api-version": API}), 20)
            every = timed(lambda: walk(session, everywhere), 3)
            assert walk(session, everywhere) == count
            print(f"{count:>10,} {create * 1000:>13.2f} {get * 1000:>8.2f} {one * 1000:>12.1f} {every * 1000:>13.0f}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    if args.data_plane:
        report(measure(100, 50, tags=5), "one registry, 100 repositories of 5 tags, 50 samples each, milliseconds")


if __name__ == "__main__":
    main()
