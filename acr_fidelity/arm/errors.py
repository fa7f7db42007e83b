"""ARM's errors as a catalogue: each code once, with its HTTP status and message template.

Every error the ARM server sends is rendered here, into Azure's envelope. The resource provider's own errors carry
`"status": "Failed"` beside `"error"`, as recorded; ARM front-door errors (routing, api-version, auth) do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acr_fidelity.registry.errors import DomainError


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    template: str
    from_provider: bool = True  # the RP answered (envelope gets "status": "Failed"), rather than ARM itself


_ACR_NAME_RULE = "Registry names may contain only alpha numeric characters and must be between 5 and 50 characters."

CATALOGUE: dict[str, ErrorSpec] = {
    # ARM front door
    "MissingApiVersionParameter": ErrorSpec(
        400, "The api-version query parameter (?api-version=) is required for all requests.", False),
    "NoRegisteredProviderFound": ErrorSpec(
        400,
        "No registered resource provider found for location '{location}' and API version '{apiVersion}' for type "
        "'registries'. The supported api-versions are '{supported}'. The supported locations are '{locations}'.",
        False),
    "AuthenticationFailed": ErrorSpec(401, "Authentication failed. The 'Authorization' header is missing.", False),
    "InvalidAuthenticationTokenFormat": ErrorSpec(
        401, "The 'Authorization' header is not a bearer token: expected 'Bearer <access token>'.", False),
    "InvalidAuthenticationToken": ErrorSpec(401, "{message}", False),
    "ExpiredAuthenticationToken": ErrorSpec(401, "{message}", False),
    "InvalidAuthenticationTokenAudience": ErrorSpec(401, "{message}", False),
    "InvalidAuthenticationTokenTenant": ErrorSpec(401, "{message}", False),
    "MissingSubscriptionRegistration": ErrorSpec(
        409,
        "The subscription is not registered to use namespace 'Microsoft.ContainerRegistry'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions.",
        False),
    "InvalidSubscriptionId": ErrorSpec(
        400, "The provided subscription identifier '{subscriptionId}' is malformed or invalid.", False),
    "NotFound": ErrorSpec(404, "The requested resource '{path}' was not found.", False),
    "MethodNotAllowed": ErrorSpec(405, "The requested resource does not support http method '{method}'.", False),
    "RequestEntityTooLarge": ErrorSpec(
        413, "The request content size of {size} bytes exceeds the maximum of {limit} bytes.", False),
    "RequestUriTooLong": ErrorSpec(414, "The request URL of {size} bytes exceeds the maximum of {limit} bytes.", False),
    "RequestHeaderFieldsTooLarge": ErrorSpec(
        431, "The request headers of {size} bytes exceed the maximum of {limit} bytes.", False),
    "UnsupportedMediaType": ErrorSpec(
        415, "The content media type '{mediaType}' is not supported. Only 'application/json' is supported.", False),
    "InvalidRequestContent": ErrorSpec(
        400, "The request content was invalid and could not be deserialized: '{detail}'.", False),
    # The safety net for a request the emulator failed to handle: logged, and never answered with a 500.
    "UnhandledRequest": ErrorSpec(
        400, "The emulator could not handle this request ({detail}). Please report it with the request.", False),
    "ResourceGroupNotFound": ErrorSpec(404, "Resource group '{resourceGroup}' could not be found.", False),
    "ResourceNotFound": ErrorSpec(
        404,
        "The Resource 'Microsoft.ContainerRegistry/registries/{name}' under resource group '{resourceGroup}' was "
        "not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        False),
    "LocationRequired": ErrorSpec(400, "The location property is required for this definition.", False),
    "LocationNotAvailableForResourceType": ErrorSpec(
        400,
        "The provided location '{location}' is not available for resource type "
        "'Microsoft.ContainerRegistry/registries'. List of available regions for the resource type is '{regions}'.",
        False),
    "LocationNotAvailableForResourceGroup": ErrorSpec(
        400,
        "The provided location '{location}' is not available for resource group. List of available regions is "
        "'{regions}'.",
        False),
    "InvalidResourceLocation": ErrorSpec(
        400,
        "The resource '{name}' already exists in location '{existing}' in resource group '{resourceGroup}'. A "
        "resource with the same name cannot be created in location '{requested}'. Please select a new resource "
        "name.",
        False),
    "InvalidResourceGroupLocation": ErrorSpec(
        409,
        "Invalid resource group location '{requested}'. The Resource group already exists in location "
        "'{existing}'.",
        False),
    "InvalidResourceGroupName": ErrorSpec(
        400,
        "The provided resource group name '{resourceGroup}' has these invalid characters or is too long. The name "
        "can be 1 to 90 characters of letters, digits, underscores, parentheses, hyphens and periods, and cannot "
        "end in a period.",
        False),
    "InvalidFilterInQueryString": ErrorSpec(
        400, "Invalid $filter '{filter}' specified in the query string. Supported: resourceType, name and "
             "resourceGroup with 'eq', joined by 'and'.", False),
    "InvalidTags": ErrorSpec(400, "The tags must be an object of string names and string values.", False),
    "InvalidTagsCount": ErrorSpec(
        400, "The number of tags ({count}) exceeds the limit of 50 tag name-value pairs per resource.", False),
    "InvalidTagNameCharacters": ErrorSpec(
        400, "The tag names '{names}' are empty or have reserved characters '<,>,%,&,\\,?,/' or control "
             "characters.", False),
    "InvalidTagNameLength": ErrorSpec(400, "The tag name '{name}' exceeds the limit of 512 characters.", False),
    "InvalidTagValueLength": ErrorSpec(
        400, "The value of tag '{name}' exceeds the limit of 256 characters.", False),
    # Microsoft.ContainerRegistry
    "ClassicSkuDeprecated": ErrorSpec(400, "Classic SKU is now deprecated. Please select a managed SKU."),
    "RegistryNameAlreadyInUse": ErrorSpec(
        409,
        "The registry name {name} is already in use. You can check if the name is already claimed using following "
        "API: https://aka.ms/acr/check-name-availability"),
    "InvalidRegistryName": ErrorSpec(400, f"The registry name '{{name}}' is invalid. {_ACR_NAME_RULE}"),
    "SkuRequired": ErrorSpec(400, "The 'sku' property with a 'name' is required."),
    "InvalidSku": ErrorSpec(400, "The SKU '{sku}' is invalid. Valid SKUs are: Basic, Standard, Premium."),
    "InvalidEnumValue": ErrorSpec(
        400, "The value '{value}' of '{field}' is invalid. Allowed values are: {allowed}."),
    "PropertyChangeNotAllowed": ErrorSpec(
        400, "The property '{field}' cannot be changed after the registry is created."),
    "RegistryDeleting": ErrorSpec(409, "The registry {name} is being deleted. Try again when the deletion ends."),
    "UnAuthorizedForCredentialOperations": ErrorSpec(
        400,
        "Cannot perform credential operations for {resourceId} as admin user is disabled. Kindly enable admin user "
        "as per docs: https://docs.microsoft.com/en-us/azure/container-registry/container-registry-authentication"
        "#admin-account"),
    "InvalidPasswordName": ErrorSpec(
        400, "The password name '{value}' is invalid. Allowed values are: password, password2."),
    "InvalidCheckNameRequest": ErrorSpec(400, "The request must have a string 'name' and a string 'type'."),
    "InvalidResourceTypeForNameCheck": ErrorSpec(
        400, "The resource type '{type}' is invalid. The supported type is 'Microsoft.ContainerRegistry/registries'."),
    "ImportSourceRequired": ErrorSpec(400, "The 'source' of the image to import is required."),
    "ImportSourceRegistryRequired": ErrorSpec(
        400, "The source must name a registry: give 'source.registryUri' or 'source.resourceId'."),
    "ImportSourceImageRequired": ErrorSpec(400, "The 'source.sourceImage' of the image to import is required."),
    "ImportTargetRequired": ErrorSpec(
        400, "Give at least one target: 'targetTags' or 'untaggedTargetRepositories'."),
    "OperationNotFound": ErrorSpec(404, "The operation '{operationId}' was not found."),
    # Child resources (replications, ...)
    "ChildResourceNotFound": ErrorSpec(
        404,
        "The Resource '{resource}' under resource group '{resourceGroup}' was not found. For more details please go "
        "to https://aka.ms/ARMResourceNotFoundFix",
        False),
    "InvalidChildResourceName": ErrorSpec(
        400, "The {type} name '{name}' is invalid: it must match {pattern}."),
    "ReplicationsNotSupported": ErrorSpec(
        400, "Geo-replication is not supported for the SKU {sku}. For more information, please visit "
             "https://aka.ms/acr/geo-replication."),
    "ReplicationLocationInUse": ErrorSpec(
        409, "The registry already has the replication '{name}' in location '{location}'."),
    "InvalidWebhookServiceUri": ErrorSpec(
        400, "The webhook service URI '{value}' is invalid: an absolute http or https URL is required."),
    "WebhookLimitExceeded": ErrorSpec(
        409, "The registry has reached the maximum number of webhooks ({limit}) of the {sku} SKU."),
    "SystemScopeMapReadOnly": ErrorSpec(
        400, "The scope map '{name}' is defined by the system: it cannot be created, changed or deleted."),
    "ScopeMapLimitExceeded": ErrorSpec(
        409, "The registry has reached the maximum number of scope maps ({limit}) of the {sku} SKU."),
    "InvalidScopeMapActions": ErrorSpec(
        400, "The scope map action '{value}' is invalid: expected repositories/<repository>/<permission>, the "
             "permission one of content/read, content/write, content/delete, metadata/read, metadata/write."),
    "InvalidScopeMapId": ErrorSpec(
        400, "The scope map '{value}' does not exist in the registry '{registry}'."),
    "TokenLimitExceeded": ErrorSpec(
        409, "The registry has reached the maximum number of tokens ({limit}) of the {sku} SKU."),
    "InvalidTokenId": ErrorSpec(400, "The token '{value}' does not exist in this registry."),
    "InvalidCredentialSetId": ErrorSpec(
        400, "The credential set '{value}' does not exist in the registry '{registry}'."),
    "InvalidCacheRuleRepositories": ErrorSpec(
        400, "The cache rule's source repository '{source}' must be {{login server}}/{{repository}} and its target "
             "repository '{target}' a repository name; a trailing /* on one needs one on the other."),
    "CacheRuleTargetInUse": ErrorSpec(409, "Another cache rule of the registry has the target repository '{target}'."),
    "PrivateLinkNotSupported": ErrorSpec(
        400, "Private link is not supported for the SKU {sku}. For more information, please visit "
             "https://aka.ms/acr/private-link."),
    "PrivateLinkResourceNotFound": ErrorSpec(
        404, "The private link resource '{groupName}' of the registry '{registry}' was not found."),
    "HomeReplicationCannotBeDeleted": ErrorSpec(
        400, "The replication in the registry's home location '{location}' cannot be deleted."),
    # Failures of the data plane's work, reported by a failed operation (the message comes with them).
    "TagAlreadyExists": ErrorSpec(409, "{message}"),
    "SourceImageNotFound": ErrorSpec(404, "{message}"),
    "SourceRegistryUnreachable": ErrorSpec(400, "{message}"),
    "SourceAuthenticationFailed": ErrorSpec(401, "{message}"),
    "UnsupportedManifest": ErrorSpec(400, "{message}"),
    "InvalidTargetTag": ErrorSpec(400, "{message}"),
    "ImportFailed": ErrorSpec(400, "{message}"),
    "DataPlaneUnavailable": ErrorSpec(400, "{message}"),
}


def status_of(code: str) -> int:
    """The HTTP status of a code; 400 for one the catalogue does not know."""
    spec = CATALOGUE.get(code)
    return spec.status if spec else 400


class ArmError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @classmethod
    def from_domain(cls, error: DomainError) -> ArmError:
        return cls(error.code, **error.params)

    @property
    def status(self) -> int:
        return CATALOGUE[self.code].status

    def envelope(self) -> dict[str, Any]:
        spec = CATALOGUE[self.code]
        # Parameters can echo a request's JSON as it came (a list of nulls, a number): render whatever they hold.
        params = {k: ", ".join(map(str, v)) if isinstance(v, tuple | list) else v for k, v in self.params.items()}
        body: dict[str, Any] = {"error": {"code": self.code, "message": spec.template.format(**params)}}
        if spec.from_provider:
            body["status"] = "Failed"
        return body
