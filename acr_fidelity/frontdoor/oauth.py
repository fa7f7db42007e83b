"""ACR's token endpoints: `/oauth2/exchange` (an Entra ID access token for an ACR refresh token) and `/oauth2/token`
(a refresh token, a user name and password, or nothing at all, for an access token scoped to what was asked)."""

from __future__ import annotations

from typing import Any

from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.routes import Call
from acr_fidelity.registry.access import (
    ANONYMOUS,
    DataPlaneError,
    Principal,
    parse_scopes,
    registry_of_service,
    resolve,
)


def _field(form: dict[str, list[str]], name: str, required: bool = True) -> str:
    values = form.get(name) or []
    if not values or not values[0]:
        if required:
            raise RegistryError("INVALID_REQUEST", f"the form field {name!r} is required")
        return ""
    return values[0]


async def exchange(door: Any, call: Call) -> None:
    form = door.form()
    grant = _field(form, "grant_type")
    if grant not in ("access_token", "access_token_refresh_token"):
        raise RegistryError("INVALID_REQUEST", f"grant_type {grant!r}: expected access_token")
    service = _field(form, "service")
    aad_token = _field(form, "access_token")
    emulator = door.emulator
    import jwt  # with the first exchange, as in identity/tokens.py

    try:
        if emulator.settings.verify_tokens:
            claims = jwt.decode(aad_token, emulator.identity.key.public_key(), algorithms=["RS256"],
                                options={"verify_aud": False, "require": ["exp"]})
        else:
            claims = jwt.decode(aad_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise RegistryError("UNAUTHORIZED", f"the Entra ID access token is not valid: {exc}") from None
    subject = str(claims.get("oid") or claims.get("sub") or "")
    if not subject:
        raise RegistryError("UNAUTHORIZED", "the Entra ID access token names no identity (oid or sub)")
    registry = registry_of_service(service, emulator.settings.acr_login_host)
    _check_network(door, registry)
    door.send_json({"refresh_token": door.gate.tokens.refresh_token(Principal("aad", subject), service)})


async def token(door: Any, call: Call) -> None:
    gate = door.gate
    if door.request.method == "GET":  # docker's form: the query string, Basic credentials
        form = call.query
        credentials = door.request.headers.get("Authorization", "")
        principal = gate.password_principal(*gate.basic(credentials)) if credentials.lower().startswith(
            "basic ") else Principal(ANONYMOUS)
    else:
        form = door.form()
        grant = _field(form, "grant_type")
        if grant == "refresh_token":
            claims = gate.tokens.read(_field(form, "refresh_token"), "refresh_token")
            principal = Principal.decode(claims.get("principal", ""))
        elif grant == "password":
            username = _field(form, "username", required=False)
            principal = (gate.password_principal(username, _field(form, "password")) if username
                         else Principal(ANONYMOUS))
        else:
            raise RegistryError("INVALID_REQUEST", f"grant_type {grant!r}: expected refresh_token or password")
    service = _field(form, "service")
    scopes = parse_scopes(" ".join(form.get("scope") or []))
    service_registry = registry_of_service(service, door.emulator.settings.acr_login_host)
    if service_registry is None and call.context is not None:
        # A service that names no registry of the emulator (an Azure host name) at a registry's own login server:
        # the token is for that registry, and says so.
        service, service_registry = gate.service(door.request, call), call.context
    _check_network(door, service_registry)
    access = []
    for scope in scopes:
        registry, repository = resolve(service_registry, scope.type, scope.name)
        _check_network(door, registry)
        if registry is None:
            # The bare host's catalog: what it lists is filtered by principal when it is read.
            granted = scope.actions if scope.type == "registry" else ()
        else:
            granted = gate.policy.granted(principal, registry, scope.actions, repository)
        if granted:
            access.append(scope.claim(granted))
    door.send_json({"access_token": gate.tokens.access_token(principal, service, access)})


def _check_network(door: Any, registry: str | None) -> None:
    if registry is None:
        return
    try:
        door.gate.policy.check_network(registry)
    except DataPlaneError as exc:
        raise RegistryError(exc.code, exc.message) from None
