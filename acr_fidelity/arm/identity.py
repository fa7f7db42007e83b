"""Entra ID endpoints the CLI, azure-identity and MSAL call: discovery, keys, tokens, managed identity."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs

from acr_fidelity.arm.http import ArmRequest, ArmResponse
from acr_fidelity.identity.tokens import ALIASES, LIFETIME, IdentityError, audience_of, check_tenant


def _tenant(request: ArmRequest) -> str:
    tenant = request.params["tenant"]
    check_tenant(tenant)
    return tenant


def _oauth_error(exc: IdentityError) -> ArmResponse:
    return ArmResponse(exc.status, exc.body())


def openid_configuration(request: ArmRequest) -> ArmResponse:
    try:
        tenant = _tenant(request)
    except IdentityError as exc:
        return _oauth_error(exc)
    base, v2 = request.base_url, "/v2.0" if "/v2.0/" in request.path else ""
    prefix = f"{base}/{tenant}/oauth2{v2}"
    # The issuer names the directory the tokens will carry (`tid`), as Entra's does for a domain name; the
    # multi-tenant aliases get Entra's template instead.
    issuer = "{tenantid}" if tenant.lower() in ALIASES else request.emulator.identity.directory(tenant)
    return ArmResponse(200, {
        "token_endpoint": f"{prefix}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant}/discovery{v2}/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{issuer}{v2}" if v2 else f"{base}/{issuer}/",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{prefix}/authorize",
        "device_authorization_endpoint": f"{prefix}/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{prefix}/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid", "upn"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": request.emulator.settings.hostname,
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    })


def instance_discovery(request: ArmRequest) -> ArmResponse:
    """MSAL's instance discovery, for clients that do not turn it off: this emulator is its own instance."""
    host = request.base_url.split("://", 1)[1]
    return ArmResponse(200, {
        "tenant_discovery_endpoint": f"{request.base_url}/common/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    })


def keys(request: ArmRequest) -> ArmResponse:
    return ArmResponse(200, request.emulator.identity.jwks())


def _client_info(tenant: str, oid: str) -> str:
    raw = json.dumps({"uid": oid, "utid": tenant}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token(request: ArmRequest) -> ArmResponse:
    """Client credentials, and the user grants (password, refresh token, device code) the CLI may send."""
    try:
        tenant = _tenant(request)
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        if grant not in ("client_credentials", "password", "refresh_token", "authorization_code",
                         "urn:ietf:params:oauth:grant-type:device_code",
                         "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            raise IdentityError(400, "unsupported_grant_type", 70003,
                                f"The app requested an unsupported grant type '{grant}'.")
        client_id = form.get("client_id") or "04b07795-8ddb-461a-bbee-02f9e1bf7b46"  # the Azure CLI's own app id
        request.emulator.identity.check_client(tenant, client_id, form.get("client_secret"))
        if grant == "refresh_token":
            request.emulator.identity.check_refresh_token(client_id, form.get("refresh_token"))
    except IdentityError as exc:
        return _oauth_error(exc)
    v2 = "/v2.0/" in request.path
    audience = audience_of(form.get("scope"), form.get("resource"))
    user = form.get("username") if grant == "password" else None
    access = request.emulator.identity.issue(tenant, client_id, audience, request.base_url, v2, user)
    body: dict[str, object] = {"token_type": "Bearer", "expires_in": LIFETIME, "ext_expires_in": LIFETIME,
                               "access_token": access}
    if not v2:
        now = int(time.time())
        body.update({"expires_in": str(LIFETIME), "ext_expires_in": str(LIFETIME), "expires_on": str(now + LIFETIME),
                     "not_before": str(now), "resource": audience})
    if grant != "client_credentials":
        body["refresh_token"] = access
        body["scope"] = form.get("scope", "")
    if form.get("client_info") == "1":
        body["client_info"] = _client_info(tenant, client_id)
    return ArmResponse(200, body)


def managed_identity(request: ArmRequest) -> ArmResponse:
    """IMDS: `GET /metadata/identity/oauth2/token?resource=…` with `Metadata: true`."""
    if request.headers.get("metadata", "").lower() != "true":
        return ArmResponse(400, {"error": "invalid_request",
                                 "error_description": "Required metadata header not specified"})
    resource = request.query.get("resource")
    if not resource:
        return ArmResponse(400, {"error": "invalid_request",
                                 "error_description": "Required audience parameter not specified"})
    settings = request.emulator.settings
    client_id = request.query.get("client_id") or "00000000-0000-0000-0000-00000000c11d"
    access = request.emulator.identity.issue(settings.tenant_id, client_id, resource, request.base_url, v2=False)
    now = int(time.time())
    return ArmResponse(200, {"access_token": access, "client_id": client_id, "expires_in": str(LIFETIME),
                             "expires_on": str(now + LIFETIME), "ext_expires_in": str(LIFETIME),
                             "not_before": str(now), "resource": resource, "token_type": "Bearer"})
