"""Requests per second and p50/p99 latency of registry GET and PUT under 32 concurrent clients, beside a bare
Tornado handler that answers the same GET's body from memory, in the same run (the machine is noisy: the ratio is
the figure).

Starts `acr-fidelity serve` and the bare server each in its own process on a free port (so clients and servers do
not share a GIL), then runs each phase for a fixed number of requests.
Usage: python benchmarks/arm_load.py [--requests 4000] [--clients 32]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

import requests

SUB = "00000000-0000-0000-0000-000000000000"
API = "2025-04-01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            requests.get(url + "/_emulator/health", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the emulator did not start")


def bare_server(port: int, body: bytes) -> None:
    """The floor: one Tornado handler writing a fixed registry body, nothing else."""
    import tornado.ioloop
    import tornado.web

    class Fixed(tornado.web.RequestHandler):
        def get(self, *_: str) -> None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(body)

    tornado.web.Application([(r"/(.*)", Fixed)]).listen(port, "127.0.0.1")
    tornado.ioloop.IOLoop.current().start()


def wrk_rate(url: str, clients: int, seconds: int = 10) -> float:
    """Requests per second wrk (a C client, so the client is not the limit) gets from one URL."""
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-H", "Authorization: Bearer bench", url],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if found is None or non_2xx is not None:
        raise SystemExit(f"wrk: {out}")
    return float(found.group(1))


def phase(name: str, url: str, clients: int, total: int, make_request) -> float:
    sessions = [requests.Session() for _ in range(clients)]
    for s in sessions:
        s.headers["Authorization"] = "Bearer bench"

    def worker(index: int) -> list[float]:
        session, latencies = sessions[index], []
        for n in range(index, total, clients):
            started = time.perf_counter()
            answer = make_request(session, n)
            latencies.append(time.perf_counter() - started)
            if answer.status_code >= 300:
                raise SystemExit(f"{name}: unexpected {answer.status_code} {answer.text[:200]}")
        return latencies

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        latencies = [x for part in pool.map(worker, range(clients)) for x in part]
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    rate = len(latencies) / elapsed
    print(f"{name:8} {len(latencies):6d} requests  {rate:8.0f} req/s  "
          f"p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:6.1f} ms")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)  # internal: run the floor on this port
    parser.add_argument("--bare-body", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server, args.bare_body.encode())
        return
    port = free_port()
    env = {**os.environ, "FLOCI_AZ_SERVICES_ACR_MOCKED": "true"}
    server = subprocess.Popen([sys.executable, "-m", "acr_fidelity", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        base = f"{url}/subscriptions/{SUB}/resourceGroups/bench"
        headers = {"Authorization": "Bearer bench"}
        requests.put(base, params={"api-version": "2021-04-01"}, json={"location": "westus"}, headers=headers)
        body = {"location": "westus", "sku": {"name": "Premium"}}
        registry = base + "/providers/Microsoft.ContainerRegistry/registries/"
        for i in range(64):
            requests.put(f"{registry}benchreg{i}", params={"api-version": API}, json=body, headers=headers)
        shown = requests.get(f"{registry}benchreg0", params={"api-version": API}, headers=headers).text
        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, __file__, "--bare-server", str(bare_port), "--bare-body", shown],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare_url = f"http://127.0.0.1:{bare_port}"
        try:
            wait_until_up(bare_url)
            print(f"{args.clients} concurrent clients, each server in its own process ({os.cpu_count()} cores)")
            floor = phase("bare GET", bare_url, args.clients, args.requests,
                          lambda s, n: s.get(f"{bare_url}/registries/benchreg{n % 64}"))
            get = phase("GET", url, args.clients, args.requests,
                        lambda s, n: s.get(f"{registry}benchreg{n % 64}", params={"api-version": API}))
            phase("PUT", url, args.clients, args.requests,
                  lambda s, n: s.put(f"{registry}benchreg{n % 64}", params={"api-version": API}, json=body))
            print(f"GET rate: {get / floor:.2f}x the bare Tornado handler's (Python clients)")
            if shutil.which("wrk"):
                floor = wrk_rate(f"{bare_url}/registries/benchreg0", args.clients)
                get = wrk_rate(f"{registry}benchreg0?api-version={API}", args.clients)
                print(f"wrk, {args.clients} connections, 10 s each: bare GET {floor:.0f} req/s, GET {get:.0f} req/s: "
                      f"{get / floor:.2f}x")
        finally:
            bare.terminate()
            bare.wait(timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
