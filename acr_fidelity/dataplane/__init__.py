"""The data plane behind each registry's loginServer: what the registry model asks of it.

`MockedDataPlane` keeps the management plane alone (no Docker, cosmetic `{name}.azurecr.io`); `docker.DockerDataPlane`
serves the Docker Registry HTTP API V2 from one shared registry container.
"""

from __future__ import annotations

from typing import Any, Protocol


class DataPlane(Protocol):
    def login_server(self, registry_name: str, domain_label: str | None) -> str:
        """The host (and, path-style, prefix) that docker clients use for this registry."""

    @property
    def public_port(self) -> int | None:
        """The data-plane port the front door listens on; None without a data plane."""

    def backend_address(self) -> tuple[str, int] | None:
        """(host, port) of the registry container while it serves, else None."""

    def provision(self, registry_name: str) -> str | None:
        """Start making the registry usable; None once it is ready, else why it is not ("pending" while it works)."""

    def remove(self, registry_name: str) -> None:
        """Drop everything the registry stored (possibly in the background)."""

    def removing(self, registry_name: str) -> bool:
        """Whether the removal `remove` started is still under way."""

    def import_image(self, registry_name: str, request: dict[str, Any]) -> None:
        """Copy an image into the registry as importImage describes it."""

    def size_bytes(self, registry_name: str) -> int:
        """What the registry's blobs take, for listUsages."""

    def health(self) -> dict[str, Any]:
        """A description for GET /_emulator/health."""

    def start(self) -> None:
        """Get ready in the background (persisted registries exist); returns at once."""

    def close(self) -> None:
        """The emulator stops."""


class MockedDataPlane:
    """No data plane at all: registries are ready at once, imports are accepted and do nothing."""

    public_port = None

    def __init__(self, reason: str = "mocked mode") -> None:
        self.reason = reason

    def backend_address(self) -> tuple[str, int] | None:
        return None

    def login_server(self, registry_name: str, domain_label: str | None) -> str:
        return f"{domain_label or registry_name.lower()}.azurecr.io"

    def provision(self, registry_name: str) -> str | None:
        return None

    def remove(self, registry_name: str) -> None:
        return None

    def removing(self, registry_name: str) -> bool:
        return False

    def import_image(self, registry_name: str, request: dict[str, Any]) -> None:
        return None

    def size_bytes(self, registry_name: str) -> int:
        return 0

    def health(self) -> dict[str, Any]:
        return {"mode": "management-plane-only", "reason": self.reason}

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None
