"""Latency of the data plane's own API with many repositories: token issue (docker's GET /oauth2/token with the admin
user) and ACR's /acr/v1/_catalog (one page of 100, and all 1,000 at once), in Azure's enforced auth mode.

Fills one registry with --repos repositories (a tiny image each, its blob mounted across repositories), then times
each call --samples times. Needs a Docker engine (scripts/start-dockerd) and registry:2 (scripts/build-registry-image).
Usage: python benchmarks/dataplane_api.py [--repos 1000] [--samples 200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acr_fidelity.config import load_settings  # noqa: E402
from acr_fidelity.server import start_in_thread  # noqa: E402

SUB = "00000000-0000-0000-0000-000000000000"
API = "2025-04-01"
REGISTRY = "benchapi01"
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": CONFIG_DIGEST,
                                  "size": len(CONFIG)}, "layers": []}).encode()


def fill(base: str, session: requests.Session, repos: int, tags: int = 1) -> None:
    """`repos` repositories, each with the same tiny image under `tags` tags: the config blob is uploaded once,
    then mounted."""
    for index in range(repos):
        repo = f"{REGISTRY}/app{index:05d}"
        if index == 0:
            started = session.post(f"{base}/v2/{repo}/blobs/uploads/")
            session.put(base + started.headers["Location"], params={"digest": CONFIG_DIGEST},
                        data=CONFIG).raise_for_status()
        else:
            session.post(f"{base}/v2/{repo}/blobs/uploads/",
                         params={"mount": CONFIG_DIGEST, "from": f"{REGISTRY}/app00000"}).raise_for_status()
        for tag in range(1, tags + 1):
            session.put(f"{base}/v2/{repo}/manifests/{tag}", data=MANIFEST,
                        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}).raise_for_status()


def timed(call: Callable[[], requests.Response], samples: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    seconds = []
    for _ in range(samples):
        start = time.perf_counter()
        call().raise_for_status()
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(len(seconds) * 0.95) - 1] * 1000


def measure(repos: int, samples: int, tags: int = 1) -> dict[str, tuple[float, float]]:
    """An emulator with the Docker data plane, one registry filled with `repos` repositories of `tags` tags each;
    the median and p95 of token issue, the catalog and a tag list."""
    settings = load_settings(env={}, overrides={"port": 0, "acr_mocked": False, "acr_auth": "enforced",
                                                "acr_namespace": f"bench-{uuid.uuid4().hex[:8]}",
                                                "acr_keep_container": False})
    with start_in_thread(settings) as server:
        arm = requests.Session()
        arm.headers["Authorization"] = "Bearer bench"
        group = f"{server.url}/subscriptions/{SUB}/resourceGroups/bench"
        arm.put(group, params={"api-version": "2021-04-01"}, json={"location": "westus"}).raise_for_status()
        path = f"{group}/providers/Microsoft.ContainerRegistry/registries/{REGISTRY}"
        arm.put(path, params={"api-version": API}, json={"location": "westus", "sku": {"name": "Premium"},
                                                          "properties": {"adminUserEnabled": True}})
        while arm.get(path, params={"api-version": API}).json()["properties"]["provisioningState"] == "Creating":
            time.sleep(0.2)
        creds = arm.post(f"{path}/listCredentials", params={"api-version": API}).json()
        auth = (creds["username"], creds["passwords"][0]["value"])
        base = f"http://127.0.0.1:{server.emulator.dataplane.public_port}"
        data = requests.Session()
        data.auth = auth
        try:
            started = time.perf_counter()
            fill(base, data, repos, tags)
            print(f"filled {repos} repositories of {tags} tags in {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)
            service = base.removeprefix("http://")
            return {
                "token (GET /oauth2/token, admin user)": timed(lambda: data.get(
                    f"{base}/oauth2/token", params={"service": service,
                                                    "scope": f"repository:{REGISTRY}/app00001:pull,push"}),
                    samples),
                "/acr/v1/_catalog, first 100": timed(lambda: data.get(
                    f"{base}/{REGISTRY}/acr/v1/_catalog", params={"n": 100}), samples),
                f"/acr/v1/_catalog, all {repos}": timed(lambda: data.get(
                    f"{base}/{REGISTRY}/acr/v1/_catalog", params={"n": repos}), samples),
                f"/acr/v1/app00001/_tags ({tags} tags)": timed(lambda: data.get(
                    f"{base}/{REGISTRY}/acr/v1/app00001/_tags"), samples),
            }
        finally:
            server.emulator.dataplane.purge()


def report(rows: dict[str, tuple[float, float]], heading: str) -> None:
    print(f"\n{heading}\n")
    print(f"{'call':<42} {'median':>8} {'p95':>8}")
    for name, (median, p95) in rows.items():
        print(f"{name:<42} {median:>8.1f} {p95:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=1)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    rows = measure(args.repos, args.samples, args.tags)
    report(rows, f"{args.repos} repositories, {args.samples} samples each, milliseconds")


if __name__ == "__main__":
    main()
