"""Azure public-cloud regions where Microsoft.ContainerRegistry is offered. ARM accepts a region's name in any case
and with spaces ("West US" is westus) and stores the canonical lower-case form."""

from __future__ import annotations

from typing import Any

from acr_fidelity.registry.errors import DomainError

REGIONS = (
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast", "belgiumcentral",
    "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast", "centralindia", "centralus", "centraluseuap",
    "chilecentral", "eastasia", "eastus", "eastus2", "eastus2euap", "francecentral", "francesouth",
    "germanynorth", "germanywestcentral", "indonesiacentral", "israelcentral", "italynorth", "japaneast",
    "japanwest", "jioindiacentral", "jioindiawest", "koreacentral", "koreasouth", "malaysiawest", "mexicocentral",
    "newzealandnorth", "northcentralus", "northeurope", "norwayeast", "norwaywest", "polandcentral", "qatarcentral",
    "southafricanorth", "southafricawest", "southcentralus", "southeastasia", "southindia", "spaincentral",
    "swedencentral", "swedensouth", "switzerlandnorth", "switzerlandwest", "uaecentral", "uaenorth", "uksouth",
    "ukwest", "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
)


def normalize_location(value: str) -> str | None:
    """The canonical region name, or None when Azure has no such region."""
    canonical = value.replace(" ", "").lower()
    return canonical if canonical in REGIONS else None


def required_location(body: dict[str, Any]) -> str:
    """A resource body's `location`, canonical; Azure's errors when it is missing or no region."""
    given = body.get("location")
    if not isinstance(given, str) or not given:
        raise DomainError("LocationRequired")
    location = normalize_location(given)
    if location is None:
        raise DomainError("LocationNotAvailableForResourceType", location=given, regions=REGIONS)
    return location
