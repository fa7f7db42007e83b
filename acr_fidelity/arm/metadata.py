"""Cloud metadata (`GET /metadata/endpoints`), which `az cloud register` and go-azure-sdk read: every endpoint
points at this emulator."""

from __future__ import annotations

from typing import Any

from acr_fidelity.arm.http import ArmRequest, ArmResponse

CLOUD_NAME = "AcrFidelity"


def _cloud(base: str) -> dict[str, Any]:
    return {
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": f"{base}/",
        "name": CLOUD_NAME,
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "sqlServerHostname": "database.windows.net",
        },
        "batch": f"{base}/",
        "resourceManager": f"{base}/",
        "vmImageAliasDoc": f"{base}/",
        "activeDirectoryDataLake": f"{base}/",
        "sqlManagement": f"{base}/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
    }


def endpoints(request: ArmRequest) -> ArmResponse:
    cloud = _cloud(request.base_url)
    # 2019-05-01 and older answer an array of clouds; 2022-09-01 answers the one cloud.
    if request.api_version and request.api_version < "2022-09-01":
        return ArmResponse(200, [cloud])
    return ArmResponse(200, cloud)
