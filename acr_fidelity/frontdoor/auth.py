"""The HTTP side of data-plane auth: read the credentials a request carries, ask the access policy, answer 401
with ACR's Bearer challenge. The rules themselves are in registry/access.py."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from tornado.httputil import HTTPServerRequest

from acr_fidelity.frontdoor.errors import RegistryError
from acr_fidelity.frontdoor.routes import CATALOG_ROUTES, Call
from acr_fidelity.identity.registry_tokens import RegistryTokens
from acr_fidelity.registry.access import (
    ANONYMOUS,
    AccessPolicy,
    DataPlaneError,
    Principal,
    registry_of_service,
    resolve,
)

# The user name az and docker send with an ACR refresh token as the password.
REFRESH_TOKEN_USER = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Credentials:
    principal: Principal
    access: list[dict] | None = None  # a bearer token's grants; None for Basic (the principal's own rights)
    service: str = ""


class Gate:
    def __init__(self, policy: AccessPolicy, tokens: RegistryTokens, login_host: str) -> None:
        self.policy = policy
        self.tokens = tokens
        self.login_host = login_host

    # ---- who is asking -----------------------------------------------------------------------------------------

    def password_principal(self, username: str, password: str) -> Principal:
        """A user name and password: an ACR refresh token (any user name, as az sends it) or the admin user."""
        if username == REFRESH_TOKEN_USER and password.count(".") == 2:
            claims = self.tokens.read(password, "refresh_token")
            return Principal.decode(claims.get("principal", ""))
        return self.policy.sign_in(username, password)

    def basic(self, header: str) -> tuple[str, str]:
        try:
            username, _, password = base64.b64decode(header.split(" ", 1)[1].strip()).decode().partition(":")
        except (IndexError, binascii.Error, UnicodeDecodeError):
            raise DataPlaneError("UNAUTHORIZED", "malformed basic credentials") from None
        return username, password

    def credentials(self, request: HTTPServerRequest) -> Credentials | None:
        header = request.headers.get("Authorization", "")
        scheme = header.split(" ", 1)[0].lower()
        if not header:
            return None
        if scheme == "basic":
            return Credentials(self.password_principal(*self.basic(header)))
        if scheme == "bearer":
            claims = self.tokens.read(header.split(" ", 1)[1].strip() if " " in header else "", "access_token")
            return Credentials(Principal.decode(claims.get("principal", "")), claims.get("access") or [],
                               str(claims.get("aud", "")))
        raise DataPlaneError("UNAUTHORIZED", f"unsupported authorization scheme {scheme!r}")

    # ---- may it -------------------------------------------------------------------------------------------------

    def authorize(self, request: HTTPServerRequest, call: Call, action: str) -> Credentials | None:
        """Let the request through, or raise RegistryError 401/403 with the challenge a client needs."""
        scope_type = "registry" if call.route.name in CATALOG_ROUTES else "repository"
        try:
            if call.registry is not None:
                self.policy.check_network(call.registry)
            credentials = self.credentials(request)
            if credentials is not None and self._covers(credentials, call, scope_type, action):
                return credentials
            if self.policy.mode == ANONYMOUS:
                return credentials  # credentials given must be right; none are needed
            # Azure's: even where anonymous pull is on, a client first gets an (anonymous) token.
            denied = DataPlaneError("UNAUTHORIZED")
        except DataPlaneError as exc:
            denied = exc
        if denied.code != "UNAUTHORIZED":
            raise RegistryError(denied.code, denied.message)
        name = "catalog" if scope_type == "registry" else (
            call.repository if call.context else f"{call.registry}/{call.repository}")
        scope = f"{scope_type}:{name}:{action}"
        raise RegistryError("UNAUTHORIZED", denied.message,
                            detail=[{"Type": scope_type, "Name": name, "Action": action}],
                            headers={"WWW-Authenticate": self.challenge(request, call, scope)})

    def _covers(self, credentials: Credentials, call: Call, scope_type: str, action: str) -> bool:
        if credentials.access is None:  # Basic: the principal's own rights (the bare host's catalog is filtered)
            return call.registry is None or bool(self.policy.granted(credentials.principal, call.registry, (action,),
                                                                     call.repository))
        service_registry = registry_of_service(credentials.service, self.login_host)
        for entry in credentials.access:
            registry, repository = resolve(service_registry, str(entry.get("type")), str(entry.get("name")))
            if (entry.get("type") == scope_type and registry == call.registry and
                    (scope_type == "registry" or repository == call.repository) and
                    action in (entry.get("actions") or [])):
                return True
        return False

    @staticmethod
    def service(request: HTTPServerRequest, call: Call) -> str:
        """The login server a request came to: its host, with a path-style prefix when it used one."""
        return f"{request.host}{call.prefix.lower()}"

    def challenge(self, request: HTTPServerRequest, call: Call, scope: str | None = None) -> str:
        realm = f"{request.protocol}://{request.host}/oauth2/token"
        value = f'Bearer realm="{realm}",service="{self.service(request, call)}"'
        if scope:
            value += f',scope="{scope}",error="invalid_token"'
        return value
