"""The model's failures: an Azure error code and the values its message names. No HTTP here:
`acr_fidelity.arm.errors` maps each code to its status and message template."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
