"""The Docker data plane: one shared registry container, every registry a repository prefix `{name}/` in it.

The container listens on loopback only, on a port of its own: clients reach it through the front door
(acr_fidelity/frontdoor), which owns the data-plane port in base-port..max-port and checks every request.

A supervisor thread owns the container: it adopts, starts or recreates it (on the same host port when it can),
checks it every `acr_health_interval` seconds, and removes deleted registries' repositories. The methods the model
calls on the event loop only read state under a lock and wake that thread; `import_image` runs on the model's
worker pool; `size_bytes` is one short `docker exec`.

Storage facts this relies on (distribution 2.8): removing `repositories/{name}` drops a registry's repositories from
`_catalog` at once; with the in-memory blob descriptor cache on, the registry would keep answering for the removed
blobs until it restarts, so the container runs with that cache off. Blobs no repository references any more are
collected offline (the container stopped) before each start, and on demand by `collect_garbage()`; never with
`--delete-untagged`, which in 2.8 also deletes the untagged children of manifest lists still in use.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import docker
import docker.errors
import requests
from docker.models.containers import Container

from acr_fidelity.config import Settings
from acr_fidelity.dataplane import images
from acr_fidelity.registry.errors import DomainError

log = logging.getLogger("acr_fidelity.dataplane")

LABEL_MANAGED = "acr-fidelity.managed"
LABEL_NAMESPACE = "acr-fidelity.namespace"
LABEL_PORT = "acr-fidelity.port"
# Containers of an earlier layout (published on every interface, no front door) are recreated, not adopted.
LABEL_LAYOUT = "acr-fidelity.layout"
LAYOUT = "frontdoor-2"
STORAGE = "/var/lib/registry"
REPOSITORIES = f"{STORAGE}/docker/registry/v2/repositories"
CONFIG = "/etc/docker/registry/config.yml"
READY_TIMEOUT = 30.0
IMPORT_WAIT = 60.0
PORT_RELEASE_WAIT = 10.0
BUILD_HINT = "run scripts/build-registry-image (it builds registry:2 locally)"

# Sum the sizes of the distinct blobs (layers, configs, manifests) linked under one registry's prefix.
_SIZE_SCRIPT = r"""
cd /var/lib/registry/docker/registry/v2 2>/dev/null || { echo 0; exit 0; }
[ -d "repositories/$1" ] || { echo 0; exit 0; }
find "repositories/$1" -name link \( -path '*/_layers/*' -o -path '*/_manifests/revisions/*' \) |
  while read -r f; do cat "$f"; echo; done | sort -u | while read -r d; do
    h=${d#sha256:}; p=$(echo "$h" | cut -c1-2); stat -c %s "blobs/sha256/$p/$h/data" 2>/dev/null
  done | awk '{s += $1} END {print s + 0}'
"""


# One repository as distribution 2.8 stores it: the repository directory's time, each tag with the digest it points
# at, when its directory was made and its link last written, and each manifest revision with when it was linked.
# Lines are `|`-separated; times are stat's %y (nanoseconds).
_LISTING_SCRIPT = r"""
cd "/var/lib/registry/docker/registry/v2/repositories/$1" 2>/dev/null || exit 3
echo "R|$(stat -c %y .)"
for t in _manifests/tags/*/; do
  [ -f "${t}current/link" ] || continue
  n=${t#_manifests/tags/}
  echo "T|${n%/}|$(cat "${t}current/link")|$(stat -c %y "$t")|$(stat -c %y "${t}current/link")"
done
for m in _manifests/revisions/sha256/*/; do
  [ -f "${m}link" ] || continue
  d=${m#_manifests/revisions/sha256/}
  echo "M|sha256:${d%/}|$(stat -c %y "${m}link")"
done
"""


class _Failure(Exception):
    """Why the container is not serving, worded for the user: what is wrong and what to do."""


def connect(settings: Settings, public_port: int) -> DockerDataPlane | str:
    """The Docker data plane, or why there cannot be one (no engine answers)."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        return (f"no Docker engine answers ({exc}): management plane only. Start Docker (scripts/start-dockerd) "
                "and restart the emulator, or set mocked: true to silence this")
    return DockerDataPlane(settings, client, public_port)


def port_is_free(port: int, host: str = "0.0.0.0") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As docker-proxy binds: connections in TIME_WAIT (our own health checks) do not make a port busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def first_free_port(ports: range, host: str) -> int | None:
    """The front door's port: the first of base-port..max-port free on its host."""
    return next((port for port in ports if port_is_free(port, host)), None)


def _ephemeral_port() -> int:
    """A loopback port for the container: the kernel picks one that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DockerDataPlane:
    def __init__(self, settings: Settings, client: docker.DockerClient, public_port: int) -> None:
        self.client = client
        self.public_port = public_port
        self.image = settings.acr_default_image
        self.login_host = settings.acr_login_host
        self.host_style = settings.acr_login_style == "host"
        self.namespace = settings.acr_namespace
        self.interval = settings.acr_health_interval
        self.keep_container = settings.acr_keep_container
        self.host_network = _host_network(settings.acr_network, client)
        self.container_name = f"acr-fidelity-{self.namespace}-registry"
        self.volume_name = f"acr-fidelity-{self.namespace}-storage"
        self.labels = {LABEL_MANAGED: "true", LABEL_NAMESPACE: self.namespace, LABEL_LAYOUT: LAYOUT}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # All below under _lock.
        self._wanted = False
        self._status = "idle"  # idle | starting | ready | failed
        self._error: str | None = None
        self._port: int | None = None
        self._address: tuple[str, int] | None = None  # where the front door reaches the container (see _adopt)
        self._removals: set[str] = set()
        self._removal_errors: dict[str, str] = {}
        self._gc_requested: threading.Event | None = None
        self._gc_due = True  # collect at the first start we do: removals of an earlier run may be pending

    # ---- what the model calls (event loop: quick, no waiting on Docker) -----------------------------------------

    def login_server(self, registry_name: str, domain_label: str | None) -> str:
        if self.host_style:
            return f"{registry_name.lower()}.{self.login_host}:{self.public_port}"
        return f"{self.login_host}:{self.public_port}/{registry_name.lower()}"

    def backend_address(self) -> tuple[str, int] | None:
        """Where the front door reaches the container while it serves, else None."""
        with self._lock:
            if self._status == "ready":
                return self._address
            self._want()
            return None

    def provision(self, registry_name: str) -> str | None:
        name = registry_name.lower()
        with self._lock:
            self._want()
            if name in self._removal_errors:
                return self._removal_errors.pop(name)
            if name in self._removals:
                return "pending"  # the deleted namesake's repositories are still being removed
            if self._status == "ready":
                return None
            if self._status == "failed":
                return self._error
            return "pending"

    def remove(self, registry_name: str) -> None:
        with self._lock:
            self._removals.add(registry_name.lower())
            self._want()

    def removing(self, registry_name: str) -> bool:
        with self._lock:
            return registry_name.lower() in self._removals

    def size_bytes(self, registry_name: str) -> int:
        container = self._running_container()
        if container is None:
            return 0
        code, output = container.exec_run(["/bin/sh", "-c", _SIZE_SCRIPT, "size", registry_name.lower()])
        text = output.decode(errors="replace").strip()
        if code != 0 or not text.isdigit():
            log.warning("size of %s: exit %s %s (image without busybox? %s)", registry_name, code, text, BUILD_HINT)
            return 0
        return int(text)

    # ---- what the front door asks of storage (blocking: called off the event loop) ------------------------------

    def repository_listing(self, registry_name: str, repository: str) -> list[list[str]] | None:
        """The repository's tags and manifests as _LISTING_SCRIPT prints them, split; None if it does not exist."""
        code, text = self._exec(["/bin/sh", "-c", _LISTING_SCRIPT, "list", f"{registry_name.lower()}/{repository}"])
        if code == 3:
            return None
        if code != 0:
            raise DomainError("DataPlaneUnavailable", message=f"listing {repository}: {text}")
        return [line.split("|") for line in text.splitlines() if line]

    def untag(self, registry_name: str, repository: str, tag: str) -> None:
        """Distribution 2.8 deletes manifests, not tags: ACR's untag removes the tag's directory."""
        self._remove_path(f"{registry_name.lower()}/{repository}/_manifests/tags/{tag}")

    def remove_repository(self, registry_name: str, repository: str) -> None:
        self._remove_path(f"{registry_name.lower()}/{repository}")

    def _remove_path(self, relative: str) -> None:
        code, text = self._exec(["/bin/rm", "-rf", f"{REPOSITORIES}/{relative}"])
        if code != 0:
            raise DomainError("DataPlaneUnavailable", message=f"removing {relative}: {text}")

    def _exec(self, command: list[str]) -> tuple[int, str]:
        container = self._running_container()
        if container is None:
            raise DomainError("DataPlaneUnavailable", message="the registry container is not serving")
        code, output = container.exec_run(command)
        return code, output.decode(errors="replace").strip()

    def import_image(self, registry_name: str, request: dict[str, Any]) -> None:
        """Runs on a worker thread: waits (bounded) for the container, then copies over HTTP."""
        base = self._wait_ready(IMPORT_WAIT)
        target = images.Endpoint(images.RegistryClient(base), registry_name.lower())
        source_spec = request["source"]
        if source_spec.get("resourceId"):
            source_name = source_spec["resourceId"].rstrip("/").rsplit("/", 1)[-1].lower()
            source = images.Endpoint(target.client, source_name)
        else:
            source = images.remote_endpoint(source_spec["registryUri"], source_spec.get("credentials"))
        try:
            images.copy_image(source, source_spec["sourceImage"], target, request["targetTags"],
                              request["untaggedTargetRepositories"], force=request["mode"] == "Force")
        except requests.RequestException as exc:
            raise DomainError("ImportFailed", message=f"copying {source_spec['sourceImage']}: {exc}") from exc

    def health(self) -> dict[str, Any]:
        with self._lock:
            return {
                "mode": "docker",
                "status": self._status,
                "error": self._error,
                "container": self.container_name,
                "volume": self.volume_name,
                "image": self.image,
                "port": self._port,
                "network": "host" if self.host_network else "bridge",
                "pendingRemovals": sorted(self._removals),
            }

    # ---- lifecycle (emulator, CLI, tests) -------------------------------------------------------------------

    def start(self) -> None:
        """Bring the container up in the background (at start-up when registries were persisted)."""
        with self._lock:
            self._want()

    def collect_garbage(self, timeout: float = 120.0) -> None:
        """A maintenance window: stop the container, collect unreferenced blobs, start it. Blocks; not for the loop."""
        done = threading.Event()
        with self._lock:
            self._gc_requested = done
            self._want()
        if not done.wait(timeout):
            raise TimeoutError("garbage collection did not finish")

    def close(self) -> None:
        """Stop supervising; the container keeps running unless keep_container is off (the volume always stays)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if not self.keep_container:
            container = self._find()
            if container is not None:
                container.remove(force=True)

    def purge(self) -> None:
        """Remove the container and its volume: every image of every registry of this namespace."""
        self.close()
        container = self._find()
        if container is not None:
            container.remove(force=True)
        try:
            self.client.volumes.get(self.volume_name).remove(force=True)
        except docker.errors.NotFound:
            pass

    # ---- internals ------------------------------------------------------------------------------------------

    def _want(self) -> None:
        """Under _lock: the container should run; make sure the supervisor does it."""
        self._wanted = True
        if self._thread is None:
            self._thread = threading.Thread(target=self._supervise, name="acr-dataplane", daemon=True)
            self._thread.start()
        self._wake.set()


    def _supervise(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._tick()
            except Exception:  # the supervisor must outlive any one bad check
                log.exception("data plane supervision")

    def _tick(self) -> None:
        with self._lock:
            if not self._wanted:
                return
            gc_done, self._gc_requested = self._gc_requested, None
        try:
            if gc_done is not None:
                self._maintenance()
            container = self._ensure()
        except _Failure as exc:
            self._set_status("failed", str(exc))
            return
        finally:
            if gc_done is not None:
                gc_done.set()
        self._set_status("ready", None)
        self._remove_pending(container)

    def _set_status(self, status: str, error: str | None) -> None:
        with self._lock:
            if status == "starting" and self._status == "failed":
                return  # a retry: the failure stands (and is not logged again) until the container serves
            if (status, error) != (self._status, self._error):
                (log.warning if error else log.info)("registry container %s: %s%s", self.container_name, status,
                                                     f" ({error})" if error else f" on port {self._port}")
            self._status, self._error = status, error

    def _ensure(self) -> Container:
        """The container, running and answering GET /v2/: adopted, started or (re)created as needed."""
        try:
            container = self._find()
            if container is not None and container.labels.get(LABEL_NAMESPACE) != self.namespace:
                raise _Failure(f"a container named {self.container_name} exists that this emulator did not create: "
                               "remove it or set another acr namespace")
            if container is not None and container.labels.get(LABEL_LAYOUT) != LAYOUT:
                log.warning("registry container %s is of an earlier layout: recreating it", self.container_name)
                container.remove(force=True)
                container = None
            if container is not None and container.status == "running":
                port = _published_port(container)
                if port is not None and _answers(port):
                    self._adopt(container, port)
                    return container
                self._set_status("starting", None)
                if port is not None and self._await_answer(container, port, READY_TIMEOUT / 3):
                    self._adopt(container, port)
                    return container
                log.warning("registry container %s runs but does not answer: recreating it", self.container_name)
                container.remove(force=True)
                container = None
            self._set_status("starting", None)
            if container is not None:
                port = _published_port(container, configured=True)
                with self._lock:
                    wanted_port = self._port
                if port == wanted_port and port is not None and self._await_free(port):
                    self._collect_offline()
                    container.start()
                    self._await_answer(container, port, READY_TIMEOUT, required=True)
                    self._adopt(container, port)
                    return container
                container.remove(force=True)
            return self._create()
        except docker.errors.DockerException as exc:
            raise _Failure(f"Docker engine error: {exc}. Is it running? (scripts/start-dockerd)") from exc
        except requests.RequestException as exc:
            raise _Failure(f"the Docker engine does not answer ({exc}): start it (scripts/start-dockerd)") from exc

    def _create(self) -> Container:
        self._ensure_image()
        self._ensure_volume()
        self._collect_offline()
        for port in [_ephemeral_port() for _ in range(3)]:
            try:
                environment = {
                    "REGISTRY_STORAGE_DELETE_ENABLED": "true",
                    # Off: removed repositories must stop answering at once (see module docstring).
                    "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR": "none",
                    # Stable across restarts, so interrupted uploads resume.
                    "REGISTRY_HTTP_SECRET": f"acr-fidelity-{self.namespace}",
                    # Location and Link as paths: the front door rewrites them into each client's form.
                    "REGISTRY_HTTP_RELATIVEURLS": "true",
                    # One catalog request reads every repository; the front door pages per registry.
                    "REGISTRY_CATALOG_MAXENTRIES": "100000",
                    # Non-distributable (foreign) layers, as ACR takes them (Windows base images).
                    "REGISTRY_VALIDATION_MANIFESTS_URLS_ALLOW": '["^https?://"]',
                }
                # Loopback only, for the front door. Without a bridge the registry binds the port itself; with
                # one, Docker publishes 5000 on 127.0.0.1.
                network: dict[str, Any] = (
                    {"network_mode": "host"} if self.host_network else {"ports": {"5000/tcp": ("127.0.0.1", port)}})
                if self.host_network:
                    environment["REGISTRY_HTTP_ADDR"] = f"127.0.0.1:{port}"
                container = self.client.containers.run(
                    self.image, name=self.container_name, detach=True,
                    labels={**self.labels, LABEL_PORT: str(port)},
                    environment=environment,
                    volumes={self.volume_name: {"bind": STORAGE, "mode": "rw"}},
                    restart_policy={"Name": "unless-stopped"},
                    **network,
                )
            except docker.errors.APIError as exc:
                if "port is already allocated" in str(exc) or "address already in use" in str(exc):
                    self._remove_leftover()
                    continue
                raise _Failure(f"cannot start {self.image}: {exc}") from exc
            self._await_answer(container, port, READY_TIMEOUT, required=True)
            self._adopt(container, port)
            return container
        raise _Failure("no free loopback port for the registry container")

    @staticmethod
    def _await_free(port: int, timeout: float = PORT_RELEASE_WAIT) -> bool:
        """A container just removed releases its port a moment later; keep the port registries were told about."""
        deadline = time.monotonic() + timeout
        while not port_is_free(port):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    def _remove_leftover(self) -> None:
        container = self._find()
        if container is not None:
            container.remove(force=True)

    def _adopt(self, container: Container, port: int) -> None:
        """The container serves on `port`; the front door relays to its bridge address when this host reaches it
        (a local Linux engine: no docker-proxy between them), else to the published loopback port."""
        address = ("127.0.0.1", port)
        if not self.host_network:
            container.reload()
            ip = self._bridge_ip(container)
            if ip and _answers(5000, ip):
                address = (ip, 5000)
        with self._lock:
            self._port = port
            self._address = address

    @staticmethod
    def _bridge_ip(container: Container) -> str | None:
        return (container.attrs.get("NetworkSettings") or {}).get("IPAddress") or None

    def _ensure_image(self) -> None:
        try:
            self.client.images.get(self.image)
            return
        except docker.errors.ImageNotFound:
            pass
        try:
            self.client.images.pull(self.image)
        except docker.errors.DockerException as exc:
            raise _Failure(f"image {self.image} is not in the Docker engine and cannot be pulled ({exc}): "
                           f"{BUILD_HINT}, or set default-image to an image the engine has") from exc

    def _ensure_volume(self) -> None:
        try:
            self.client.volumes.get(self.volume_name)
        except docker.errors.NotFound:
            self.client.volumes.create(self.volume_name, labels=self.labels)

    def _collect_offline(self) -> None:
        """Collect unreferenced blobs in a one-off container while ours is stopped (a no-op on a fresh volume)."""
        with self._lock:
            if not self._gc_due:
                return
        try:
            self.client.containers.run(
                self.image, entrypoint=["/bin/sh", "-c"],
                command=[f"[ ! -d {REPOSITORIES} ] || exec /usr/bin/registry garbage-collect {CONFIG}"],
                volumes={self.volume_name: {"bind": STORAGE, "mode": "rw"}}, labels=self.labels,
                network_mode="none", remove=True,
            )
        except docker.errors.DockerException as exc:
            log.warning("garbage collection failed (blobs stay until the next one): %s", exc)
            return
        with self._lock:
            self._gc_due = False

    def _maintenance(self) -> None:
        container = self._find()
        with self._lock:
            self._gc_due = True
        if container is not None and container.status == "running":
            self._set_status("starting", None)
            container.stop(timeout=10)
        # _ensure collects (gc is due) and starts it again.

    def _remove_pending(self, container: Container) -> None:
        with self._lock:
            names = sorted(self._removals)
        for name in names:
            try:
                code, output = container.exec_run(["/bin/rm", "-rf", f"{REPOSITORIES}/{name}"])
                problem = None if code == 0 else output.decode(errors="replace").strip()
            except docker.errors.DockerException as exc:
                problem = str(exc)
            with self._lock:
                self._removals.discard(name)
                self._gc_due = True
                if problem is not None:
                    self._removal_errors[name] = (
                        f"the repositories of the deleted registry {name} could not be removed ({problem}): the "
                        f"image {self.image} needs /bin/rm; {BUILD_HINT} --force, then delete and create again")
                    log.warning("%s", self._removal_errors[name])

    def _find(self) -> Container | None:
        try:
            return self.client.containers.get(self.container_name)
        except docker.errors.NotFound:
            return None

    def _running_container(self) -> Container | None:
        with self._lock:
            if self._status != "ready":
                return None
        try:
            container = self._find()
        except docker.errors.DockerException:
            return None
        return container if container is not None and container.status == "running" else None

    def _await_answer(self, container: Container, port: int, timeout: float, required: bool = False) -> bool:
        """Whether the registry answers, at its published loopback port or at its bridge address: from inside a
        container of its own (the emulator's image), the host's loopback is out of reach."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bridge = None if self.host_network else self._bridge_ip(container)
            if _answers(port) or (bridge is not None and _answers(5000, bridge)):
                return True
            container.reload()
            if container.status not in ("running", "created", "restarting"):
                break
            time.sleep(0.2)
        if not required:
            return False
        tail = container.logs(tail=5).decode(errors="replace").strip()
        raise _Failure(f"the registry container did not answer GET /v2/ on port {port} (status {container.status}); "
                       f"last log lines: {tail or '(none)'}")

    def _wait_ready(self, timeout: float) -> str:
        """The container's base URL once it serves; DomainError when it does not within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._want()
                status, error, address = self._status, self._error, self._address
            if status == "ready" and address is not None:
                return f"http://{address[0]}:{address[1]}"  # where _adopt found it answering
            if status == "failed" or time.monotonic() > deadline:
                raise DomainError("DataPlaneUnavailable", message=error or "the registry container is not ready")
            time.sleep(0.2)


def _host_network(choice: str, client: docker.DockerClient) -> bool:
    """Host networking when asked, or (auto) when the engine has no bridge network (dockerd --bridge=none)."""
    if choice != "auto":
        return choice == "host"
    try:
        return not client.networks.list(names=["bridge"])
    except docker.errors.DockerException:
        return False


def _published_port(container: Container, configured: bool = False) -> int | None:
    """The host port of 5000/tcp: as running (NetworkSettings) or as created (HostConfig, for stopped ones); on
    the host network, the port the container was made to listen on (its label)."""
    if (container.attrs.get("HostConfig") or {}).get("NetworkMode") == "host":
        label = container.labels.get(LABEL_PORT)
        return int(label) if label and label.isdigit() else None
    if configured:
        bindings = (container.attrs.get("HostConfig") or {}).get("PortBindings") or {}
    else:
        bindings = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in bindings.get("5000/tcp") or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


def _answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        return requests.get(f"http://{host}:{port}/v2/", timeout=2).status_code in (200, 401)
    except requests.RequestException:
        return False
