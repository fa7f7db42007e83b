"""One emulator instance: its settings, state, model and data plane, built once and handed to every handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from acr_fidelity.arm.answers import Answers
from acr_fidelity.config import Settings
from acr_fidelity.dataplane import DataPlane, MockedDataPlane
from acr_fidelity.identity.tokens import TokenIssuer
from acr_fidelity.registry.models import Backend
from acr_fidelity.registry.versions import VersionTable, load_table
from acr_fidelity.state.store import Store
from acr_fidelity.tls.certs import CertificatePair, ensure_certificate
from acr_fidelity.webhooks import Delivery

log = logging.getLogger("acr_fidelity.dataplane")


@dataclass
class Emulator:
    settings: Settings
    store: Store
    table: VersionTable
    dataplane: DataPlane
    backend: Backend
    identity: TokenIssuer
    answers: Answers
    workers: ThreadPoolExecutor | None = None
    certificate: CertificatePair | None = None  # None when HTTPS is off

    def close(self) -> None:
        if self.workers is not None:
            self.workers.shutdown(wait=True, cancel_futures=True)
        # Deliveries still retrying an endpoint that does not answer are dropped, not waited for.
        self.backend.delivery.workers.shutdown(wait=False, cancel_futures=True)
        self.dataplane.close()
        self.store.close()


def _choose_dataplane(settings: Settings) -> DataPlane:
    if settings.acr_mocked:
        return MockedDataPlane("mocked mode")
    from acr_fidelity.dataplane.docker import connect, first_free_port  # the docker SDK only when it is used

    port = first_free_port(range(settings.acr_base_port, settings.acr_max_port + 1), settings.host)
    if port is None:
        reason = f"no free port in {settings.acr_base_port}-{settings.acr_max_port} for the data plane"
        log.warning("ACR data plane unavailable: %s", reason)
        return MockedDataPlane(reason)
    dataplane = connect(settings, port)
    if isinstance(dataplane, str):
        log.warning("ACR data plane unavailable: %s", dataplane)
        return MockedDataPlane(dataplane)
    log.info("ACR data plane: Docker, image %s, container %s, port %d", settings.acr_default_image,
             dataplane.container_name, port)
    return dataplane


def _runner(workers: ThreadPoolExecutor) -> Callable[[Callable[[], None]], None]:
    """Run slow model jobs (imports) off the event loop; a job's unexpected failure is logged, not lost."""

    def report(future: Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("data-plane job failed", exc_info=future.exception())

    def run(job: Callable[[], None]) -> None:
        workers.submit(job).add_done_callback(report)

    return run


def build_emulator(settings: Settings) -> Emulator:
    store = Store(settings.state_dir)
    table = load_table()
    dataplane = _choose_dataplane(settings)
    workers = None
    runner = None
    if not isinstance(dataplane, MockedDataPlane):
        workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="acr-dataplane-job")
        runner = _runner(workers)
        if store.list("registry"):
            dataplane.start()  # persisted registries: their images should be served without waiting for a request
    # Webhook deliveries wait on other servers: never on the event loop, in a pool of their own.
    delivery = Delivery(store, ThreadPoolExecutor(max_workers=2, thread_name_prefix="acr-webhook"))
    backend = Backend(store, dataplane, table, settings.tenant_id, delivery, runner, settings.acr_secrets,
                      auto_create_groups=settings.arm_auto_create_resource_groups)
    keys_dir = settings.keys_dir
    certificate = None
    if settings.https_enabled:
        if settings.tls_cert_file and settings.tls_key_file:
            certificate = CertificatePair(settings.tls_cert_file, settings.tls_key_file)
        else:
            certificate = ensure_certificate(keys_dir, settings.certificate_names)
    identity = TokenIssuer(keys_dir, settings.service_principals, settings.tenant_id)
    return Emulator(settings, store, table, dataplane, backend, identity, Answers(store), workers, certificate)
