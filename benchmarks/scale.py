"""The emulator at scale: create rate, GET latency, and list latency (all pages, and one page) with 100, 1,000 and
10,000 registries in one subscription, measured in one run by a sequential client; with --data-plane (Docker), also
one registry holding 100 repositories of 5 tags each (token, catalog and tag-list latency, as dataplane_api.py).

The page at the largest count is also compared side by side with a page of a second emulator holding the smallest
count, the two asked in turn: a ratio measured phases apart would carry the machine's drift between them.

Starts `acr-fidelity serve` (mocked data plane, in-memory state) in its own process, two for the comparison. Usage:
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


def start_emulator(page_size: int, servers: list[subprocess.Popen]) -> tuple[str, requests.Session]:
    """A mocked emulator in its own process (added to `servers`, to be stopped), with the group `scale`."""
    port = free_port()
    env = {**os.environ, "FLOCI_AZ_SERVICES_ACR_MOCKED": "true", "ACR_FIDELITY_PAGE_SIZE": str(page_size)}
    server = subprocess.Popen([sys.executable, "-m", "acr_fidelity", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers.append(server)
    url = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["Authorization"] = "Bearer bench"
    wait_until_up(url)
    session.put(f"{url}/subscriptions/{SUB}/resourceGroups/scale", params={"api-version": "2021-04-01"},
                json={"location": "westus"}).raise_for_status()
    return url, session


def fill(session: requests.Session, url: str, start: int, count: int) -> None:
    for n in range(start, count):
        session.put(f"{url}/subscriptions/{SUB}/resourceGroups/scale/providers/Microsoft.ContainerRegistry/"
                    f"registries/scalereg{n:05d}", params={"api-version": API},
                    json={"location": "westus", "sku": {"name": "Basic"}}).raise_for_status()


def in_turn(first, second, rounds: int = 10, repeat: int = 10) -> tuple[float, float]:
    """Median seconds of each call over `rounds` rounds of `repeat` calls, the two taking turns."""
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(first, repeat))
        b.append(timed(second, repeat))
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="100,1000,10000")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--data-plane", action="store_true", help="also 100 repositories of 5 tags (needs Docker)")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    servers: list[subprocess.Popen] = []
    try:
        url, session = start_emulator(args.page_size, servers)
        registries = f"{url}/subscriptions/{SUB}/resourceGroups/scale/providers/Microsoft.ContainerRegistry/registries"
        everywhere = f"{url}/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries"
        made = 0
        print(f"page size {args.page_size}; sequential client; emulator in its own process ({os.cpu_count()} cores)")
        print(f"{'registries':>10} {'create ms/op':>13} {'GET ms':>8} {'one page ms':>12} {'all pages ms':>13}")
        for count in counts:
            started = time.perf_counter()
            fill(session, url, made, count)
            create = (time.perf_counter() - started) / max(count - made, 1)
            made = count
            middle = f"{registries}/scalereg{made // 2:05d}"
            get = timed(lambda: session.get(middle, params={"api-version": API}), 50)  # noqa: B023
            one = timed(lambda: session.get(everywhere, params={"api-version": API}), 20)
            every = timed(lambda: walk(session, everywhere), 3)
            assert walk(session, everywhere) == count
            print(f"{count:>10,} {create * 1000:>13.2f} {get * 1000:>8.2f} {one * 1000:>12.1f} {every * 1000:>13.0f}")
        if len(counts) > 1:
            small_url, small = start_emulator(args.page_size, servers)
            fill(small, small_url, 0, counts[0])
            small_page = f"{small_url}/subscriptions/{SUB}/providers/Microsoft.ContainerRegistry/registries"
            large_ms, small_ms = (x * 1000 for x in in_turn(
                lambda: session.get(everywhere, params={"api-version": API}),
                lambda: small.get(small_page, params={"api-version": API})))
            print(f"one page at {counts[-1]:,} against one at {counts[0]:,}, asked in turn: {large_ms:.1f} ms and "
                  f"{small_ms:.1f} ms, {large_ms / small_ms:.2f}x")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    if args.data_plane:
        report(measure(100, 50, tags=5), "one registry, 100 repositories of 5 tags, 50 samples each, milliseconds")


if __name__ == "__main__":
    main()
