"""kill -9 in the middle of concurrent creates and deletes on a --state-dir, several rounds (issue 10): after each
restart every acknowledged write is there, nothing unacknowledged is half there, and SQLite's integrity check
passes."""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.conftest import SUBSCRIPTION, free_port, reg_path, spawn_serve

ROUNDS = 5
WORKERS = 6
VERSION = {"api-version": "2025-04-01"}


class Ledger:
    """What the server acknowledged (a 2xx came back) and what was in flight when it died, per registry name."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.exists: dict[str, bool] = {}  # name -> acknowledged state
        self.unsure: set[str] = set()  # a write was sent and never answered
        self.acknowledged = 0  # writes answered 2xx, all rounds
        self.in_flight = 0  # writes cut off by a kill, all rounds

    def run(self, url: str, worker: int, round_no: int, stop: threading.Event) -> None:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer crash"
        rng = random.Random(worker * 1000 + round_no)
        count = 0
        while not stop.is_set():
            with self.lock:
                mine = [n for n, there in self.exists.items() if there and n.startswith(f"w{worker}r")]
            if mine and rng.random() < 0.4:
                name, method = rng.choice(mine), "DELETE"
            else:
                name, method, count = f"w{worker}r{round_no}n{count:04d}", "PUT", count + 1
            body = {"location": "westus", "sku": {"name": "Basic"}, "tags": {"round": str(round_no)}}
            try:
                answer = session.request(method, f"{url}/subscriptions/{SUBSCRIPTION}{reg_path('rg1', name)}",
                                         params=VERSION, json=body if method == "PUT" else None, timeout=10)
            except requests.RequestException:
                with self.lock:
                    self.unsure.add(name)
                    self.in_flight += 1
                return  # the server is gone
            assert answer.status_code < 300, answer.text
            with self.lock:
                self.exists[name] = method == "PUT"
                self.acknowledged += 1


def _check_database(state_dir: Path) -> None:
    with sqlite3.connect(state_dir / "state.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _check_state(url: str, ledger: Ledger) -> None:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer crash"
    listed: set[str] = set()
    page: str | None = (f"{url}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg1/providers/"
                        "Microsoft.ContainerRegistry/registries?api-version=2025-04-01")
    while page:
        answer = session.get(page, timeout=30).json()
        listed.update(r["name"] for r in answer["value"])
        page = answer.get("nextLink")
    for name, there in ledger.exists.items():
        if name in ledger.unsure:
            continue
        answer = session.get(f"{url}/subscriptions/{SUBSCRIPTION}{reg_path('rg1', name)}", params=VERSION, timeout=10)
        assert answer.status_code == (200 if there else 404), (name, there, answer.text)
        assert (name in listed) == there, name
    for name in ledger.unsure:  # either wholly there or wholly absent
        answer = session.get(f"{url}/subscriptions/{SUBSCRIPTION}{reg_path('rg1', name)}", params=VERSION, timeout=10)
        assert answer.status_code in (200, 404), answer.text
        if answer.status_code == 200:
            registry = answer.json()
            assert registry["properties"]["loginServer"] and registry["sku"]["name"] == "Basic"
            assert name in listed
        else:
            assert name not in listed
        ledger.exists[name] = answer.status_code == 200
    ledger.unsure.clear()


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    state_dir, port, ledger = tmp_path / "state", free_port(), Ledger()
    args = ("--state-dir", str(state_dir))
    process, url = spawn_serve(tmp_path, *args, port=port)
    requests.put(f"{url}/subscriptions/{SUBSCRIPTION}/resourcegroups/rg1", params={"api-version": "2021-04-01"},
                 json={"location": "westus"}, headers={"Authorization": "Bearer crash"}, timeout=10).raise_for_status()
    rng = random.Random(10)
    for round_no in range(ROUNDS):
        stop = threading.Event()
        with ThreadPoolExecutor(WORKERS) as pool:
            running = [pool.submit(ledger.run, url, worker, round_no, stop) for worker in range(WORKERS)]
            time.sleep(0.5 + rng.random())
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            stop.set()
            for future in running:
                future.result()
        _check_database(state_dir)
        process, url = spawn_serve(tmp_path, *args, port=port)
        _check_state(url, ledger)
    process.terminate()
    process.wait(timeout=20)
    assert ledger.acknowledged > ROUNDS * WORKERS  # the rounds did write
    print(f"{ROUNDS} kill -9 rounds: {ledger.acknowledged} acknowledged writes, all there; "
          f"{ledger.in_flight} in flight at the kills, each wholly there or wholly absent")
