"""Every child-resource family of a registry: adding one is a row here, its rules module and its route rows."""

from __future__ import annotations

from acr_fidelity.registry.caching import CACHE_RULES, CREDENTIAL_SETS
from acr_fidelity.registry.children import Family
from acr_fidelity.registry.privatelink import PRIVATE_ENDPOINT_CONNECTIONS
from acr_fidelity.registry.replications import REPLICATIONS
from acr_fidelity.registry.scopemaps import SCOPE_MAPS
from acr_fidelity.registry.tokens import TOKENS
from acr_fidelity.registry.webhooks import WEBHOOKS

FAMILIES: tuple[Family, ...] = (REPLICATIONS, WEBHOOKS, SCOPE_MAPS, TOKENS, CREDENTIAL_SETS, CACHE_RULES,
                                PRIVATE_ENDPOINT_CONNECTIONS)
