"""docker push / docker pull throughput of one image through the emulator (its front door, Azure's enforced auth,
docker logged in with the admin user, in front of its registry container), side by side with the same registry
binary run bare on the host (over plain HTTP, and over TLS with a certificate made as the emulator makes its own)
and in a plain container of the same image. docker speaks TLS to whatever offers it on localhost, so the emulator
over TLS compares like for like with the bare binary over TLS, and the emulator over HTTP with the bare binary over
HTTP; across the two, the ratio also holds TLS's own cost on docker's side.

Each round imports a fresh image (one layer of random bytes, so nothing is deduplicated), pushes it to every target,
removes it locally, and pulls it back from each target (removing it again between pulls); targets take turns going
first. Needs a Docker engine (scripts/start-dockerd) and registry:2 (scripts/build-registry-image).
Usage: python benchmarks/push_pull.py [--size-mib 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
import urllib3

from acr_fidelity.tls.certs import ensure_certificate

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # wait_for asks the bare binary's TLS port

ROOT = Path(__file__).resolve().parents[1]

SUB = "00000000-0000-0000-0000-000000000000"
API = "2025-04-01"
# The registry:2 config (as scripts/build-registry-image writes it), for the bare binary.
BARE_CONFIG = """version: 0.1
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""
BARE_TLS = """  tls:
    certificate: {cert}
    key: {key}
"""


def sh(*args: str, data: bytes | None = None) -> None:
    done = subprocess.run(args, input=data, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {done.stderr.decode()[-1000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1, verify=False).status_code in (200, 401):
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


@contextmanager
def emulator_target(namespace: str, peak: dict[str, int], https: bool = True) -> Iterator[str]:
    """A registry created through an emulator of its own process (`acr-fidelity serve`), docker logged in with its
    admin user in Azure's enforced auth mode: its loginServer, once Succeeded. `peak` gets the process's peak
    resident memory (VmHWM, kB) when it stops: the front door streams, so it stays far below the image size.
    docker speaks TLS to a front door that offers it (as to ACR); with `https` off it falls back to plain HTTP, as it
    speaks to the bare binary, which isolates the relay's own cost."""
    port = free_port()
    state = tempfile.mkdtemp(prefix="acr-fidelity-bench-")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ACR_FIDELITY_PORT": str(port), "ACR_FIDELITY_STATE_DIR": state,
           "ACR_FIDELITY_ACR_NAMESPACE": namespace, "ACR_FIDELITY_ACR_AUTH": "enforced",
           "ACR_FIDELITY_ACR_KEEP_CONTAINER": "false", "FLOCI_AZ_SERVICES_ACR_BASE_PORT": str(free_port()),
           "ACR_FIDELITY_HTTPS": str(https).lower()}
    env["FLOCI_AZ_SERVICES_ACR_MAX_PORT"] = env["FLOCI_AZ_SERVICES_ACR_BASE_PORT"]
    process = subprocess.Popen([sys.executable, "-m", "acr_fidelity.cli", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/_emulator/health")
        session = requests.Session()
        session.headers["Authorization"] = "Bearer bench"
        base = f"http://127.0.0.1:{port}/subscriptions/{SUB}/resourceGroups/bench"
        session.put(base, params={"api-version": "2021-04-01"}, json={"location": "westus"}).raise_for_status()
        path = f"{base}/providers/Microsoft.ContainerRegistry/registries/benchreg01"
        session.put(path, params={"api-version": API}, json={
            "location": "westus", "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": True}},
        ).raise_for_status()
        deadline = time.monotonic() + 60
        while (props := session.get(path, params={"api-version": API}).json()["properties"])[
                "provisioningState"] == "Creating" and time.monotonic() < deadline:
            time.sleep(0.2)
        if props["provisioningState"] != "Succeeded":
            raise SystemExit(f"registry not ready: {props}")
        creds = session.post(f"{path}/listCredentials", params={"api-version": API}).json()
        host = props["loginServer"].split("/")[0]
        sh("docker", "login", host, "-u", creds["username"], "--password-stdin",
           data=creds["passwords"][0]["value"].encode())
        yield props["loginServer"]
        sh("docker", "logout", host)
    finally:
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak["kB"] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        process.terminate()
        process.wait(timeout=30)
        subprocess.run(["docker", "rm", "-f", f"acr-fidelity-{namespace}-registry"], capture_output=True)
        subprocess.run(["docker", "volume", "rm", "-f", f"acr-fidelity-{namespace}-storage"], capture_output=True)
        shutil.rmtree(state, ignore_errors=True)


@contextmanager
def bare_target(tls: bool = False) -> Iterator[str]:
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    port = free_port()
    with tempfile.TemporaryDirectory() as root:
        config = Path(root) / "config.yml"
        text = BARE_CONFIG.format(root=f"{root}/data", port=port)
        if tls:
            pair = ensure_certificate(Path(root) / "tls", [])
            text += BARE_TLS.format(cert=pair.cert, key=pair.key)
        config.write_text(text)
        process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            wait_for(f"{'https' if tls else 'http'}://127.0.0.1:{port}/v2/")
            yield f"localhost:{port}/bare"
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def container_target(image: str) -> Iterator[str]:
    name = f"acr-fidelity-bench-{uuid.uuid4().hex[:8]}"
    port = free_port()
    sh("docker", "run", "-d", "--name", name, "-p", f"{port}:5000", image)
    try:
        wait_for(f"http://127.0.0.1:{port}/v2/")
        yield f"localhost:{port}/plain"
    finally:
        sh("docker", "rm", "-f", "-v", name)


def random_image(tag: str, size: int) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("payload.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    sh("docker", "import", "-", tag, data=buffer.getvalue())


def timed(*args: str) -> float:
    start = time.perf_counter()
    sh(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--image", default="registry:2", help="the registry image (emulator and plain container)")
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    peak: dict[str, int] = {}
    plain_peak: dict[str, int] = {}
    with ExitStack() as stack:
        targets = {
            "emulator": stack.enter_context(emulator_target(f"bench-{uuid.uuid4().hex[:8]}", peak)),
            "emulator, http": stack.enter_context(emulator_target(f"bench-{uuid.uuid4().hex[:8]}", plain_peak,
                                                                  https=False)),
            "bare binary": stack.enter_context(bare_target()),
            "bare binary, tls": stack.enter_context(bare_target(tls=True)),
            "plain container": stack.enter_context(container_target(args.image)),
        }
        push: dict[str, list[float]] = {name: [] for name in targets}
        pull: dict[str, list[float]] = {name: [] for name in targets}
        for round_no in range(args.rounds):
            order = list(targets)[round_no % len(targets):] + list(targets)[:round_no % len(targets)]
            source = f"acr-fidelity-bench-source:{round_no}"
            random_image(source, size)
            refs = {name: f"{targets[name]}/payload:{round_no}" for name in targets}
            for name in order:
                sh("docker", "tag", source, refs[name])
                push[name].append(timed("docker", "push", refs[name]))
            sh("docker", "rmi", "-f", source, *refs.values())
            for name in order:
                pull[name].append(timed("docker", "pull", refs[name]))
                sh("docker", "rmi", "-f", refs[name])
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)

    mib = args.size_mib
    print(f"\n{mib} MiB image (one random layer), {args.rounds} rounds, median MiB/s (higher is better)\n")
    print(f"{'target':<17} {'push MiB/s':>11} {'pull MiB/s':>11}")
    rates = {}
    for name in targets:
        rates[name] = (mib / statistics.median(push[name]), mib / statistics.median(pull[name]))
        print(f"{name:<17} {rates[name][0]:>11.1f} {rates[name][1]:>11.1f}")
    # Ratios of each round's pair (taken within seconds of each other), then their median: the machine's drift
    # between rounds falls on both sides of a pair alike.
    print("\nratios (median of the rounds' pairs; ratio of the medians in brackets)")
    for mine, other in (("emulator", "bare binary, tls"), ("emulator, http", "bare binary"),
                        ("emulator", "bare binary"), ("emulator, http", "plain container")):
        paired = [statistics.median(b / a for a, b in zip(times[mine], times[other], strict=True))
                  for times in (push, pull)]
        print(f"{mine} / {other}: push {paired[0]:.2f} ({rates[mine][0] / rates[other][0]:.2f}), "
              f"pull {paired[1]:.2f} ({rates[mine][1] / rates[other][1]:.2f})")
    print(f"emulator process peak resident memory: {peak['kB'] / 1024:.0f} MiB (image {mib} MiB)")


if __name__ == "__main__":
    main()
