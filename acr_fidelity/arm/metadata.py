"""Cloud metadata (`GET /metadata/endpoints`), which `az cloud register` and go-azure-sdk read: every endpoint
points at this emulator."""

from __future__ import annotations

from typing import Any

from acr_fidelity.arm.http import ArmRequest, ArmResponse

CLOUD_NAME = "AcrFidelity"


def _cloud(base: str) -> dict[str, Any]:
    """The fields az and go-azure-sdk read; every service endpoint is this emulator."""
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
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
        "batch": f"{base}/",
        "resourceManager": f"{base}/",
        "vmImageAliasDoc": f"{base}/",
        "activeDirectoryDataLake": f"{base}/",
        "sqlManagement": f"{base}/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": f"{base}/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    }


def endpoints(request: ArmRequest) -> ArmResponse:
    cloud = _cloud(request.base_url)
    # 2019-05-01 and older answer an array of clouds; 2022-09-01 answers the one cloud.
    if request.api_version and request.api_version < "2022-09-01":
        return ArmResponse(200, [cloud])
    return ArmResponse(200, cloud)
