"""How long the az CLI's whole ACR flow takes against the emulator, command by command.

Needs `az` on PATH (e.g. `.tox/azcli/bin`). Starts `acr-fidelity serve` in its own process with a fresh config
directory, then runs: cloud register/set, login, group create, acr create/show/list/update/credential/check-name/
show-usage/import/delete. Usage: PATH=.tox/azcli/bin:$PATH python benchmarks/az_flow.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from acr_fidelity.tls.certs import ensure_certificate, trust_bundle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="acr-fidelity-az-bench-"))
    port = free_port()
    env = {**os.environ, "ACR_FIDELITY_CONFIG_DIR": str(work), "FLOCI_AZ_SERVICES_ACR_MOCKED": "true"}
    server = subprocess.Popen([sys.executable, "-m", "acr_fidelity", "serve", "--host", "127.0.0.1", "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bundle = trust_bundle(ensure_certificate(work, ["localhost"]), work / "bundle.pem")
    url = f"https://localhost:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/_emulator/health", verify=str(bundle), timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    az_env = {**os.environ, "AZURE_CONFIG_DIR": str(work / "az"), "REQUESTS_CA_BUNDLE": str(bundle),
              "AZURE_CORE_INSTANCE_DISCOVERY": "false", "AZURE_CORE_COLLECT_TELEMETRY": "false"}
    steps = [
        ["cloud", "register", "--name", "AcrFidelityBench", "--endpoint-resource-manager", url + "/"],
        ["cloud", "set", "--name", "AcrFidelityBench"],
        ["login", "--service-principal", "-u", "bench-app", "-p", "s", "--tenant",
         "72f988bf-86f1-41af-91ab-2d7cd011db47"],
        ["group", "create", "-n", "benchgroup", "-l", "westus"],
        ["acr", "create", "-n", "benchreg01", "-g", "benchgroup", "--sku", "Basic", "-l", "westus"],
        ["acr", "create", "-n", "benchreg02", "-g", "benchgroup", "--sku", "Standard"],
        ["acr", "show", "-n", "benchreg01", "-g", "benchgroup"],
        ["acr", "show", "-n", "benchreg01"],
        ["acr", "list"],
        ["acr", "list", "-g", "benchgroup"],
        ["acr", "update", "-n", "benchreg01", "--admin-enabled", "true"],
        ["acr", "update", "-n", "benchreg01", "--tags", "a=b"],
        ["acr", "credential", "show", "-n", "benchreg01"],
        ["acr", "credential", "renew", "-n", "benchreg01", "--password-name", "password2"],
        ["acr", "check-name", "-n", "benchreg03"],
        ["acr", "show-usage", "-n", "benchreg01"],
        ["acr", "import", "-n", "benchreg02", "--source", "hello:1", "-r", "benchreg01", "--image", "hello:1"],
        ["acr", "delete", "-n", "benchreg01", "--yes"],
    ]
    total = 0.0
    try:
        for step in steps:
            started = time.perf_counter()
            done = subprocess.run(["az", *step], env=az_env, capture_output=True, text=True)
            took = time.perf_counter() - started
            total += took
            print(f"{took:6.2f} s  rc={done.returncode}  az {' '.join(step[:4])}")
            if done.returncode != 0:
                raise SystemExit(done.stderr)
        print(f"{total:6.2f} s  whole flow, {len(steps)} commands")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
