"""One emulator instance: its settings, state, model and data plane, built once and handed to every handler."""

from __future__ import annotations

from dataclasses import dataclass

from acr_fidelity.config import Settings
from acr_fidelity.dataplane import DataPlane, MockedDataPlane
from acr_fidelity.registry.models import Backend
from acr_fidelity.registry.versions import VersionTable, load_table
from acr_fidelity.state.store import Store


@dataclass
class Emulator:
    settings: Settings
    store: Store
    table: VersionTable
    dataplane: DataPlane
    backend: Backend

    def close(self) -> None:
        self.store.close()


def build_emulator(settings: Settings) -> Emulator:
    store = Store(settings.state_dir)
    table = load_table()
    dataplane: DataPlane = MockedDataPlane(
        "mocked mode" if settings.acr_mocked else "no data plane in this build: management plane only"
    )
    backend = Backend(store, dataplane, table, settings.tenant_id)
    return Emulator(settings, store, table, dataplane, backend)
