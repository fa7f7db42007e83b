"""What ACR keeps about a registry's repositories, tags and manifests beside the images: their changeable attributes,
and the locks those attributes put on the data plane. No HTTP here.

Distribution stores the images; these attributes live in the emulator's store, one document per repository, tag
(`repo:tag`) or manifest (`repo@digest`) that has ever been changed; everything else has ACR's defaults (all true).
"""

from __future__ import annotations

from typing import Any

from acr_fidelity.registry.access import DataPlaneError
from acr_fidelity.state.store import Store

KIND = "artifactAttributes"
ATTRIBUTES = ("deleteEnabled", "writeEnabled", "readEnabled", "listEnabled")
LOCKED = "The operation is disallowed on this registry, repository or image: its {attribute} is false."


def item_key(registry: str, repository: str, tag: str | None = None, digest: str | None = None) -> str:
    key = f"{registry.lower()}/{repository}"
    if tag is not None:
        key += f":{tag}"
    if digest is not None:
        key += f"@{digest}"
    return key


class Repositories:
    def __init__(self, store: Store) -> None:
        self.store = store

    def attributes(self, key: str) -> dict[str, bool]:
        stored = self.store.get(KIND, key) or {}
        return {name: bool(stored.get(name, True)) for name in ATTRIBUTES}

    def update(self, key: str, body: Any) -> dict[str, bool]:
        """PATCH of changeableAttributes: booleans only, the others unchanged."""
        if not isinstance(body, dict):
            raise DataPlaneError("INVALID_REQUEST", "the body must be a JSON object of changeable attributes")
        for name, value in body.items():
            if name in ATTRIBUTES and not isinstance(value, bool):
                raise DataPlaneError("INVALID_REQUEST", f"{name} must be true or false, not {value!r}")
        current = self.attributes(key)
        current.update({name: value for name, value in body.items() if name in ATTRIBUTES})
        self.store.put(KIND, key, current)
        return current

    def forget(self, prefix: str) -> None:
        """Drop the attributes of everything under `prefix` (a registry `reg/`, a repository `reg/repo`, an item)."""
        with self.store.transaction():
            for key in self.store.keys(KIND, prefix):
                if key == prefix or key.startswith((prefix + ":", prefix + "@", prefix + "/")) or prefix.endswith("/"):
                    self.store.delete(KIND, key)

    def check(self, operation: str, keys: list[str]) -> None:
        """DENIED unless the repository and the item allow `operation`: read, write or delete (delete needs
        deleteEnabled and writeEnabled, as ACR's lock does)."""
        needed = {"read": ("readEnabled",), "write": ("writeEnabled",),
                  "delete": ("deleteEnabled", "writeEnabled")}[operation]
        for key in keys:
            attributes = self.attributes(key)
            for attribute in needed:
                if not attributes[attribute]:
                    raise DataPlaneError("DENIED", LOCKED.format(attribute=attribute))

    def listed(self, key: str) -> bool:
        return self.attributes(key)["listEnabled"]
