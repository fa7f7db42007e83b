"""Requests per second and p50/p99 latency of registry GET and PUT under 32 concurrent clients, beside a bare
Tornado handler that answers the same GET's body from memory, in the same run (the machine is noisy: the ratio is
the figure). With wrk, the emulator and two floors take turns for a few rounds (the median ratio is the figure):
the bare `RequestHandler`, and a bare message delegate (Tornado's HTTP layer alone, which the emulator's
dispatcher is built on) to show what the emulator's own work costs.

Starts `acr-fidelity serve` and the bare server each in its own process on a free port (so clients and servers do
not share a GIL), then runs each phase for a fixed number of requests.
Usage: python benchmarks/arm_load.py [--requests 4000] [--clients 32] [--rounds 3]
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


def bare_server(port: int, body: bytes, delegate: bool) -> None:
    """A floor: one Tornado handler writing a fixed registry body, nothing else; or, with `delegate`, the same
    answer from a message delegate on Tornado's HTTP server, without the web framework."""
    import tornado.httpserver
    import tornado.httputil
    import tornado.ioloop
    import tornado.web

    class Fixed(tornado.web.RequestHandler):
        def get(self, *_: str) -> None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(body)

    class FixedMessage(tornado.httputil.HTTPMessageDelegate):
        def __init__(self, connection: tornado.httputil.HTTPConnection) -> None:
            self.connection = connection

        def finish(self) -> None:
            headers = tornado.httputil.HTTPHeaders({"Content-Type": "application/json; charset=utf-8",
                                                    "Content-Length": str(len(body))})
            self.connection.write_headers(tornado.httputil.ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
            self.connection.finish()

    class FixedServer(tornado.httputil.HTTPServerConnectionDelegate):
        def start_request(self, server_conn: object,
                          request_conn: tornado.httputil.HTTPConnection) -> tornado.httputil.HTTPMessageDelegate:
            return FixedMessage(request_conn)

    app = FixedServer() if delegate else tornado.web.Application([(r"/(.*)", Fixed)])
    tornado.httpserver.HTTPServer(app).listen(port, "127.0.0.1")
    tornado.ioloop.IOLoop.current().start()


def start_bare(body: str, delegate: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    flags = ["--bare-delegate"] if delegate else []
    process = subprocess.Popen([sys.executable, __file__, "--bare-server", str(port), "--bare-body", body, *flags],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url)
    return process, url


def wrk_rate(url: str, clients: int, seconds: int = 5) -> float:
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


def wrk_rounds(args: argparse.Namespace, emulator: str, handler: str, message: str) -> None:
    """The emulator and the two floors in turns, so that the machine's drift falls on all three alike."""
    ratios: dict[str, list[float]] = {"handler": [], "delegate": []}
    for n in range(args.rounds):
        floor, bare, get = (wrk_rate(u, args.clients) for u in (handler, message, emulator))
        ratios["handler"].append(get / floor)
        ratios["delegate"].append(get / bare)
        print(f"wrk round {n + 1}, {args.clients} connections, 5 s each: bare handler {floor:.0f} req/s, "
              f"bare delegate {bare:.0f} req/s, emulator GET {get:.0f} req/s")
    print(f"GET rate (wrk, median of {args.rounds}): {statistics.median(ratios['handler']):.2f}x the bare Tornado "
          f"handler's, {statistics.median(ratios['delegate']):.2f}x the bare message delegate's")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="turns of the emulator and the floors under wrk")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)  # internal: run a floor on this port
    parser.add_argument("--bare-body", help=argparse.SUPPRESS)
    parser.add_argument("--bare-delegate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server, args.bare_body.encode(), args.bare_delegate)
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
        bare, bare_url = start_bare(shown, delegate=False)
        message, message_url = start_bare(shown, delegate=True)
        try:
            print(f"{args.clients} concurrent clients, each server in its own process ({os.cpu_count()} cores)")
            floor = phase("bare GET", bare_url, args.clients, args.requests,
                          lambda s, n: s.get(f"{bare_url}/registries/benchreg{n % 64}"))
            get = phase("GET", url, args.clients, args.requests,
                        lambda s, n: s.get(f"{registry}benchreg{n % 64}", params={"api-version": API}))
            phase("PUT", url, args.clients, args.requests,
                  lambda s, n: s.put(f"{registry}benchreg{n % 64}", params={"api-version": API}, json=body))
            print(f"GET rate: {get / floor:.2f}x the bare Tornado handler's (Python clients)")
            if shutil.which("wrk"):
                wrk_rounds(args, f"{registry}benchreg0?api-version={API}", f"{bare_url}/registries/benchreg0",
                           f"{message_url}/registries/benchreg0")
        finally:
            for process in (bare, message):
                process.terminate()
                process.wait(timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
