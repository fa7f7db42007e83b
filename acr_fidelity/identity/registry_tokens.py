"""ACR's own tokens (PyJWT, RS256 with the emulator's signing key): refresh tokens from `/oauth2/exchange` and scoped
access tokens from `/oauth2/token`, with the claims ACR puts in them (issuer "Azure Container Registry", `access`
listing `{type, name, actions}` per scope). `principal` says whose token it is (see registry/access.py).
PyJWT loads with the first token, as in identity/tokens.py."""

from __future__ import annotations

import time
import uuid
from typing import Any

from acr_fidelity.identity.tokens import TokenIssuer
from acr_fidelity.registry.access import DataPlaneError, Principal

ISSUER = "Azure Container Registry"
# As ACR's (recorded): a refresh token lives 3 h 15 min, an access token 75 min.
REFRESH_LIFETIME = 11700
ACCESS_LIFETIME = 4500


class RegistryTokens:
    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    def _sign(self, claims: dict[str, Any], lifetime: int) -> str:
        now = int(time.time())
        claims = {"jti": str(uuid.uuid4()), "nbf": now, "exp": now + lifetime, "iat": now, "iss": ISSUER,
                  "roles": [], **claims}
        import jwt

        return jwt.encode(claims, self.issuer.key, algorithm="RS256", headers={"kid": self.issuer.kid})

    def refresh_token(self, principal: Principal, service: str) -> str:
        return self._sign({"sub": principal.subject, "aud": service, "version": "1.0",
                           "grant_type": "refresh_token", "principal": principal.encode(),
                           "permissions": {"actions": ["read", "write", "delete"], "notActions": None}},
                          REFRESH_LIFETIME)

    def access_token(self, principal: Principal, service: str, access: list[dict[str, Any]]) -> str:
        return self._sign({"sub": principal.subject, "aud": service, "version": "2.0", "access": access,
                           "grant_type": "access_token", "principal": principal.encode()}, ACCESS_LIFETIME)

    def read(self, token: str, grant_type: str) -> dict[str, Any]:
        """A token we signed, within its lifetime, of the given kind; DataPlaneError(UNAUTHORIZED) otherwise."""
        import jwt

        try:
            claims = jwt.decode(token, self.issuer.key.public_key(), algorithms=["RS256"], issuer=ISSUER,
                                options={"verify_aud": False, "require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise DataPlaneError("UNAUTHORIZED", "the token has expired") from None
        except (jwt.PyJWTError, ValueError):
            raise DataPlaneError("UNAUTHORIZED", "the token is invalid") from None
        if claims.get("grant_type") != grant_type:
            raise DataPlaneError("UNAUTHORIZED", f"expected a token of grant type {grant_type}")
        return claims
