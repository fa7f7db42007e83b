"""Token issuing and checking with PyJWT (RS256, a key the emulator keeps next to its certificate).

PyJWT and cryptography (80 ms of imports) load with the first token or key use, not with the emulator's start.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

KEY_NAME = "token-signing-key.pem"
LIFETIME = 3599
LATEST_SHOWABLE = 253402300799  # 9999-12-31T23:59:59Z, the last second strftime can show
ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.azure.com/",
                 "https://management.core.windows.net", "https://management.azure.com")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")
ALIASES = ("common", "organizations", "consumers")


class IdentityError(Exception):
    """An Entra ID error: HTTP status, OAuth error, AADSTS code and description."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description

    def body(self) -> dict[str, Any]:
        trace = str(uuid.uuid4())
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description}\r\nTrace ID: {trace}\r\n"
                                 f"Correlation ID: {trace}\r\nTimestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ')}",
            "error_codes": [self.code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": trace,
            "correlation_id": trace,
        }


class TokenRejected(Exception):
    """ARM refuses the bearer token: the ARM error code and its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def check_tenant(tenant: str) -> None:
    if tenant.lower() in ALIASES or GUID.match(tenant) or _DOMAIN.match(tenant):
        return
    raise IdentityError(400, "invalid_request", 900023,
                        f"Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external "
                        "domain.")


def audience_of(scope: str | None, resource: str | None) -> str:
    """v1 sends `resource`; v2 sends `scope` ("https://management.core.windows.net//.default openid ...")."""
    if resource:
        return resource
    for item in (scope or "").split():
        if item.endswith("/.default"):
            return item[: -len("/.default")]
    return ARM_AUDIENCES[0]


def _stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256("|".join(parts).encode()).digest()[:16], version=4))


@dataclass
class TokenIssuer:
    keys_dir: Path
    principals: tuple[dict[str, str], ...]
    default_tenant: str

    @functools.cached_property
    def key(self) -> rsa.RSAPrivateKey:
        """Loaded (or made) at first use: loading checks the key, which costs more than a whole emulator start."""
        return load_or_create_key(self.keys_dir)

    @functools.cached_property
    def kid(self) -> str:
        from cryptography.hazmat.primitives import serialization

        public = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(public).hexdigest()[:27]

    def jwks(self) -> dict[str, Any]:
        import jwt

        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def check_client(self, tenant: str, client_id: str | None, secret: str | None) -> None:
        """With principals registered, only they get tokens, whatever the grant: each is a confidential client, so
        its secret comes with every request. Without, any client id and secret do."""
        if not self.principals:
            return
        known = [p for p in self.principals if p["client-id"] == client_id and
                 (p["tenant"].lower() == tenant.lower() or tenant.lower() in ALIASES)]
        if not known:
            raise IdentityError(401, "invalid_client", 700016,
                                f"Application with identifier '{client_id}' was not found in the directory "
                                f"'{tenant}'. This can happen if the application has not been installed by the "
                                "administrator of the tenant or consented to by any user in the tenant.")
        if not any(p["secret"] == secret for p in known):
            raise IdentityError(401, "invalid_client", 7000215,
                                "Invalid client secret provided. Ensure the secret being sent in the request is the "
                                f"client secret value, not the client secret ID, for a secret added to app "
                                f"'{client_id}'.")

    def check_refresh_token(self, client_id: str, token: str | None) -> None:
        """With principals registered, a refresh token must be one we issued to this same client. Its expiry is not
        checked: ours double as access tokens, while Entra's refresh tokens outlive them by months."""
        if not self.principals:
            return
        import jwt

        try:
            claims = jwt.decode(token or "", self.key.public_key(), algorithms=["RS256"],
                                options={"verify_aud": False, "verify_exp": False})
        except (jwt.PyJWTError, ValueError, OverflowError):
            claims = {}
        if claims.get("appid") != client_id:
            raise IdentityError(400, "invalid_grant", 70000,
                                "Provided grant is invalid or malformed. The refresh token was not issued to "
                                f"application '{client_id}'.")

    def directory(self, tenant: str) -> str:
        """The directory id Entra resolves a tenant to: a GUID stays itself, an alias or a domain name becomes the
        emulator's own tenant."""
        return tenant if GUID.match(tenant) else self.default_tenant

    def issue(self, tenant: str, client_id: str, audience: str, authority: str, v2: bool,
              user: str | None = None) -> str:
        """A token from `authority` (the emulated Entra ID's base URL), with a v1 or v2 issuer."""
        tid = self.directory(tenant)
        issuer = f"{authority}/{tid}/v2.0" if v2 else f"{authority}/{tid}/"
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": now + LIFETIME,
            "tid": tid, "oid": _stable_uuid(tid, client_id, user or ""), "sub": _stable_uuid("sub", tid, client_id),
            "appid": client_id, "azp": client_id, "appidacr": "1", "idtyp": "user" if user else "app",
            "ver": "1.0", "uti": uuid.uuid4().hex[:22], "rh": "0.emulated",
        }
        if user:
            claims.update({"upn": user, "unique_name": user, "name": user})
        import jwt

        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, token: str) -> dict[str, Any]:
        """ARM's checks of a bearer token: signed by us, within its lifetime, meant for ARM, issued by the tenant
        the subscriptions belong to (or a registered principal's)."""
        import jwt

        try:
            claims = jwt.decode(token, self.key.public_key(), algorithms=["RS256"], audience=list(ARM_AUDIENCES),
                                options={"require": ["exp", "nbf", "aud", "iss", "tid"]})
        except jwt.ExpiredSignatureError:
            expiry = jwt.decode(token, options={"verify_signature": False}).get("exp", 0)
            expiry = min(max(int(expiry), 0), LATEST_SHOWABLE)  # a signed exp can be any integer: keep it showable
            shown = "%m/%d/%Y %H:%M:%S"
            raise TokenRejected("ExpiredAuthenticationToken",
                                f"The access token expiry UTC time '{time.strftime(shown, time.gmtime(expiry))}' is "
                                f"earlier than current UTC time '{time.strftime(shown, time.gmtime())}'.") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("InvalidAuthenticationTokenAudience",
                                "The access token has been obtained for wrong audience or resource.") from None
        except (jwt.PyJWTError, ValueError, OverflowError):  # PyJWT lets int(exp) overflow for exp: Infinity
            raise TokenRejected("InvalidAuthenticationToken", "The access token is invalid.") from None
        self._check_issuer(claims)
        return claims

    def _check_issuer(self, claims: dict[str, Any]) -> None:
        """The token's tenant is one ARM serves here, and its issuer is that tenant's (v1 `…/{tid}/` or v2
        `…/{tid}/v2.0`, under whatever host the emulator was reached by)."""
        tenants = {self.default_tenant.lower(), *(p["tenant"].lower() for p in self.principals)}
        tid, issuer = claims.get("tid"), claims.get("iss")
        expected = f"https://sts.windows.net/{self.default_tenant}/"
        if not isinstance(tid, str) or tid.lower() not in tenants or not isinstance(issuer, str) or not re.search(
                rf"/{re.escape(tid)}/(v2\.0)?$", issuer, re.IGNORECASE):
            raise TokenRejected(
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer '{issuer}'. It must match the tenant '{expected}' "
                "associated with this subscription. Please use the authority (URL) "
                f"'https://login.windows.net/{self.default_tenant}' to get the token. Note, if the subscription is "
                "transferred to another tenant there is no impact to the services, but information about new tenant "
                "could take time to propagate (up to an hour). If you just transferred your subscription and see "
                "this error message, please try back later.")


def load_or_create_key(directory: Path) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = directory / KEY_NAME
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key
