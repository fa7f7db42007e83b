"""Answers kept while the store stands still: a GET whose answer only a write can change is read, rendered and
serialized once per store generation, not once per request (`az acr show` and every SDK poll ask again and again)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from acr_fidelity.arm.http import JsonText, json_text
from acr_fidelity.state.store import Store

# Enough for every registry a busy emulator holds; all of it is dropped at the next write anyway.
LIMIT = 4096


class Answers:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._generation = -1
        self._kept: dict[Hashable, JsonText] = {}

    @property
    def generation(self) -> int:
        """Read before reading what an answer shows, and passed to `keep`."""
        return self._store.generation

    def get(self, key: Hashable) -> JsonText | None:
        return self._kept.get(key) if self._generation == self._store.generation else None

    def keep(self, key: Hashable, generation: int, body: Any) -> JsonText:
        """The body serialized, and kept if nothing was written since `generation` (else it may already be stale)."""
        text = json_text(body)
        if generation == self._store.generation:
            if generation != self._generation or len(self._kept) >= LIMIT:
                self._kept = {}
                self._generation = generation
            self._kept[key] = text
        return text
