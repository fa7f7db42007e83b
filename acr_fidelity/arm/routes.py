"""The route table, declared once: the server dispatches with it, the harness reads its scope from it.

Rows are named after the swagger operationIds. ARM matches paths case-insensitively; so does `match`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum

from acr_fidelity.arm import (
    children,
    emulator,
    identity,
    metadata,
    operations,
    provider,
    registries,
    resources,
    webhooks,
)
from acr_fidelity.arm.errors import ArmError
from acr_fidelity.arm.http import ArmRequest, ArmResponse
from acr_fidelity.registry.caching import CACHE_RULES, CREDENTIAL_SETS
from acr_fidelity.registry.children import Family
from acr_fidelity.registry.privatelink import PRIVATE_ENDPOINT_CONNECTIONS
from acr_fidelity.registry.replications import REPLICATIONS
from acr_fidelity.registry.scopemaps import SCOPE_MAPS
from acr_fidelity.registry.tokens import TOKENS
from acr_fidelity.registry.webhooks import WEBHOOKS


class Versioning(Enum):
    REGISTRY = "registry"  # one of Microsoft.ContainerRegistry's api-versions
    ANY = "any"  # required, any value (Microsoft.Resources, operation polls)
    NONE = "none"  # not required


# A handler answers at once, or hands back an awaitable when it must wait off the event loop.
Handler = Callable[[ArmRequest], ArmResponse | Awaitable[ArmResponse]]


@dataclass(frozen=True)
class Route:
    operation_id: str
    method: str
    template: str
    handler: Handler
    versioning: Versioning = Versioning.REGISTRY
    auth: bool = True
    provider: bool = True  # served by Microsoft.ContainerRegistry (off when the service is disabled)
    pattern: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}"))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$", re.IGNORECASE))


def _open(operation_id: str, method: str, template: str, handler: Handler) -> Route:
    """A row outside ARM's checks: no bearer token, api-version or provider registration."""
    return Route(operation_id, method, template, handler, Versioning.NONE, auth=False, provider=False)


def _generic(operation_id: str, method: str, template: str, handler: Handler) -> Route:
    """A Microsoft.Resources row: any api-version, and served even when the ACR provider is disabled."""
    return Route(operation_id, method, template, handler, Versioning.ANY, provider=False)


def _family(prefix: str, family: Family, name_param: str) -> tuple[Route, ...]:
    """The rows of a child-resource family, named as the swagger names them ({prefix}_Create, ...): five, or four
    for a family without PATCH."""
    handle = children.handlers(family, name_param)
    item = f"{REG}/{family.segment}/{{{name_param}}}"
    rows = (
        Route(f"{prefix}_Create", "PUT", item, handle["create"]),
        Route(f"{prefix}_Get", "GET", item, handle["get"]),
        Route(f"{prefix}_Update", "PATCH", item, handle["update"]),
        Route(f"{prefix}_Delete", "DELETE", item, handle["delete"]),
        Route(f"{prefix}_List", "GET", f"{REG}/{family.segment}", handle["list"]),
    )
    return tuple(row for row in rows if family.patchable or row.method != "PATCH")


SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
ACR = "/providers/Microsoft.ContainerRegistry"
REG = RG + ACR + "/registries/{registryName}"

ROUTES: tuple[Route, ...] = (
    Route("Registries_Create", "PUT", REG, registries.create),
    Route("Registries_Get", "GET", REG, registries.get),
    Route("Registries_Update", "PATCH", REG, registries.update),
    Route("Registries_Delete", "DELETE", REG, registries.delete),
    Route("Registries_ListByResourceGroup", "GET", RG + ACR + "/registries", registries.list_by_resource_group),
    Route("Registries_List", "GET", SUB + ACR + "/registries", registries.list_all),
    Route("Registries_ListCredentials", "POST", REG + "/listCredentials", registries.list_credentials),
    Route("Registries_RegenerateCredential", "POST", REG + "/regenerateCredential", registries.regenerate_credential),
    Route("Registries_ListUsages", "GET", REG + "/listUsages", registries.list_usages),
    Route("Registries_ImportImage", "POST", REG + "/importImage", registries.import_image),
    Route("Registries_CheckNameAvailability", "POST", SUB + ACR + "/checkNameAvailability",
          registries.check_name_availability),
    *_family("Replications", REPLICATIONS, "replicationName"),
    *_family("Webhooks", WEBHOOKS, "webhookName"),
    *_family("ScopeMaps", SCOPE_MAPS, "scopeMapName"),
    *_family("Tokens", TOKENS, "tokenName"),
    *_family("CredentialSets", CREDENTIAL_SETS, "credentialSetName"),
    *_family("CacheRules", CACHE_RULES, "cacheRuleName"),
    *_family("PrivateEndpointConnections", PRIVATE_ENDPOINT_CONNECTIONS, "privateEndpointConnectionName"),
    Route("Registries_ListPrivateLinkResources", "GET", REG + "/privateLinkResources",
          registries.list_private_link_resources),
    Route("Registries_GetPrivateLinkResource", "GET", REG + "/privateLinkResources/{groupName}",
          registries.get_private_link_resource),
    Route("Operations_List", "GET", "/providers/Microsoft.ContainerRegistry/operations", provider.list_operations),
    Route("Registries_GenerateCredentials", "POST", REG + "/generateCredentials", registries.generate_credentials),
    Route("Webhooks_Ping", "POST", REG + "/webhooks/{webhookName}/ping", webhooks.ping),
    Route("Webhooks_ListEvents", "POST", REG + "/webhooks/{webhookName}/listEvents", webhooks.list_events),
    Route("Webhooks_GetCallbackConfig", "POST", REG + "/webhooks/{webhookName}/getCallbackConfig",
          webhooks.get_callback_config),
    Route("Registries_OperationStatus", "GET", REG + "/operationStatuses/{operationId}", operations.status,
          Versioning.ANY),
    Route("ChildResources_OperationStatus", "GET", REG + "/{childType}/{childName}/operationStatuses/{operationId}",
          operations.status, Versioning.ANY),
    Route("Registries_OperationResult", "GET", SUB + ACR + "/locations/{location}/operationResults/{operationId}",
          operations.result, Versioning.ANY),
    _generic("Subscriptions_List", "GET", "/subscriptions", resources.list_subscriptions),
    _generic("Subscriptions_Get", "GET", SUB, resources.get_subscription),
    _generic("ResourceGroups_List", "GET", SUB + "/resourceGroups", resources.list_resource_groups),
    _generic("ResourceGroups_CreateOrUpdate", "PUT", RG, resources.put_resource_group),
    _generic("ResourceGroups_Get", "GET", RG, resources.get_resource_group),
    _generic("ResourceGroups_CheckExistence", "HEAD", RG, resources.head_resource_group),
    _generic("ResourceGroups_Update", "PATCH", RG, resources.patch_resource_group),
    _generic("ResourceGroups_Delete", "DELETE", RG, resources.delete_resource_group),
    _generic("ResourceGroups_OperationResult", "GET", SUB + "/operationresults/{operationId}",
             resources.group_operation_result),
    _generic("Resources_List", "GET", SUB + "/resources", resources.list_resources),
    _generic("Resources_ListByResourceGroup", "GET", RG + "/resources", resources.list_group_resources),
    _open("Metadata_Endpoints", "GET", "/metadata/endpoints", metadata.endpoints),
    # Entra ID (login.microsoftonline.com's part): no ARM auth, api-version or provider check.
    _open("Identity_OpenIdConfiguration", "GET", "/{tenant}/v2.0/.well-known/openid-configuration",
          identity.openid_configuration),
    _open("Identity_OpenIdConfigurationV1", "GET", "/{tenant}/.well-known/openid-configuration",
          identity.openid_configuration),
    _open("Identity_InstanceDiscovery", "GET", "/common/discovery/instance", identity.instance_discovery),
    _open("Identity_Keys", "GET", "/{tenant}/discovery/v2.0/keys", identity.keys),
    _open("Identity_KeysV1", "GET", "/{tenant}/discovery/keys", identity.keys),
    _open("Identity_Token", "POST", "/{tenant}/oauth2/v2.0/token", identity.token),
    _open("Identity_TokenV1", "POST", "/{tenant}/oauth2/token", identity.token),
    _open("Identity_ManagedIdentity", "GET", "/metadata/identity/oauth2/token", identity.managed_identity),
    _open("Emulator_Health", "GET", "/_emulator/health", emulator.health),
    _open("Emulator_Certificate", "GET", "/_emulator/cert", emulator.certificate),
)


def allowed_methods(path: str) -> list[str]:
    """The methods some route serves at this path: a 405's `Allow` header. HEAD goes wherever GET does."""
    methods = {route.method for route in ROUTES if route.pattern.match(path)}
    return sorted(methods | {"HEAD"} if "GET" in methods else methods)


def match(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for a request; ARM's 404 or 405 in the envelope when there is none."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is not None and route.method == method:
            return route, found.groupdict()
    allow = allowed_methods(path)
    if method == "HEAD" and "GET" in allow:  # ARM's existence check: the GET, answered 204 or with its error status
        return match("GET", path)
    if allow:
        raise ArmError("MethodNotAllowed", method=method, allow=allow)
    raise ArmError("NotFound", path=path)
