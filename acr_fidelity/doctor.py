"""`acr-fidelity doctor`: what this machine has for the emulator and its clients, and what to do about what is missing.

Each check answers (ok, what was found, the fix); only failures of what `serve` needs with these settings make the
command fail: the ports, and Docker with its registry image unless the data plane is mocked.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from acr_fidelity.config import Settings
from acr_fidelity.tls.certs import CERT_NAME


@dataclass
class Finding:
    check: str
    ok: bool
    found: str
    fix: str = ""
    needed: bool = True  # a failure fails the command


def _docker(settings: Settings) -> list[Finding]:
    needed = settings.acr_enabled and not settings.acr_mocked
    try:
        import docker

        client = docker.from_env(timeout=10)
        version = client.version().get("Version", "?")
    except Exception as exc:  # noqa: BLE001 - any failure means: no engine here
        return [Finding("Docker engine", False, f"does not answer ({type(exc).__name__})",
                        "install docker.io and start dockerd (scripts/start-dockerd does both), or run mocked "
                        "(floci-az: {services: {acr: {mocked: true}}})", needed)]
    found = [Finding("Docker engine", True, f"answers (version {version})")]
    try:
        image = client.images.get(settings.acr_default_image)
        found.append(Finding("registry image", True, f"{settings.acr_default_image} ({image.short_id})"))
    except Exception:  # noqa: BLE001 - absent or unreadable alike
        found.append(Finding("registry image", False, f"{settings.acr_default_image} is not in the engine",
                             "bash scripts/build-registry-image (builds registry:2 from Debian's docker-registry; "
                             "nothing is pulled)", needed))
    return found


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _ports(settings: Settings) -> list[Finding]:
    where = f"{settings.host}:{settings.port}"
    arm = (Finding("ARM port", True, f"{where} is free") if _port_free(settings.host, settings.port)
           else Finding("ARM port", False, f"{where} is taken (an emulator already running?)",
                        "stop what holds it, or serve with --port"))
    free = [p for p in range(settings.acr_base_port, settings.acr_max_port + 1) if _port_free(settings.host, p)]
    span = f"{settings.acr_base_port}-{settings.acr_max_port}"
    data = (Finding("data-plane ports", True, f"{len(free)} free in {span}") if free
            else Finding("data-plane ports", False, f"none free in {span}",
                         "free one, or set floci-az: {services: {acr: {base-port, max-port}}}"))
    return [arm, data]


def _certificate(settings: Settings) -> list[Finding]:
    path = settings.tls_cert_file or settings.keys_dir / CERT_NAME
    if not path.exists():
        return [Finding("certificate", True, f"{path} is made at first start", needed=False)]
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        return [Finding("certificate", False, f"{path} is not a PEM certificate", "delete it: serve makes a new one")]
    left = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    found = [Finding("certificate", left.days > 7, f"{path}, {left.days} days left",
                     "" if left.days > 7 else "delete it: serve makes a new one")]
    bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    pem = path.read_text().strip()
    if bundle and os.path.exists(bundle) and pem in open(bundle, encoding="utf-8", errors="replace").read():
        found.append(Finding("trust bundle", True, f"REQUESTS_CA_BUNDLE={bundle} holds it", needed=False))
    else:
        found.append(Finding("trust bundle", False, f"REQUESTS_CA_BUNDLE={bundle or '(unset)'} does not hold it",
                             "eval \"$(acr-fidelity env az)\" (or: acr-fidelity cert --bundle FILE and point "
                             "REQUESTS_CA_BUNDLE at FILE); needed by az and the SDKs over HTTPS", needed=False))
    return found


_CLIENTS: tuple[tuple[str, Callable[[], str | None], str], ...] = (
    ("az", lambda: shutil.which("az"), "pip install azure-cli"),
    ("docker CLI", lambda: shutil.which("docker"), "apt-get install docker.io"),
    ("skopeo", lambda: shutil.which("skopeo"), "apt-get install skopeo"),
    ("terraform", lambda: shutil.which("terraform"), "scripts/build-terraform (builds it and azurerm from Go)"),
)
_PACKAGES = (("azure-mgmt-containerregistry", "pip install azure-mgmt-containerregistry"),
             ("azure-containerregistry", "pip install azure-containerregistry"),
             ("oras", "pip install oras"))


def _clients() -> list[Finding]:
    found = []
    for name, where, fix in _CLIENTS:
        path = where()
        found.append(Finding(name, path is not None, path or "not installed", "" if path else fix, needed=False))
    for package, fix in _PACKAGES:
        try:
            found.append(Finding(package, True, importlib.metadata.version(package), needed=False))
        except importlib.metadata.PackageNotFoundError:
            found.append(Finding(package, False, "not installed", fix, needed=False))
    return found


def examine(settings: Settings) -> list[Finding]:
    return [*_docker(settings), *_ports(settings), *_certificate(settings), *_clients()]
