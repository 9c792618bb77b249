"""Single sign-on: bearer JWTs of an OIDC provider (a provincial platform's 统一认证), verified against
the keys it publishes (its JWKS), their claims mapped to a tenant and a role by configuration.

A token is accepted when its signature verifies with a published key named by its ``kid`` under one of
the configured public-key algorithms (never ``none``, never HS*: a public key is no shared secret), its
issuer is the configured one, its audience includes ours, and it is neither expired nor not yet valid
(``LEEWAY_SECONDS`` of clock skew either way). A token without ``kid`` is accepted only while the
provider publishes a single key. The keys are fetched on the first token (never at
import or start), kept ``MAM_OIDC_JWKS_CACHE_SECONDS``, and fetched again at once, but at most every
``REFETCH_COOLDOWN_SECONDS``, when a token names a key not yet known (the provider rotated its keys).

A token that fails any check is a 401 (:class:`AuthenticationError`); a genuine token whose tenant or
role claim names nothing known here is a 403 (:class:`PermissionDeniedError`). Neither message repeats
the token, a claim's value or what the configuration maps.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from sqlalchemy.orm import Session

from mam.errors import AuthenticationError, BusyError, NotFoundError, PermissionDeniedError
from mam.identity.principal import Principal
from mam.identity.roles import Role
from mam.identity.tenants import get_tenant
from mam.settings import Settings

__all__ = [
    "LEEWAY_SECONDS",
    "REFETCH_COOLDOWN_SECONDS",
    "Fetch",
    "OidcConfig",
    "ProviderKeys",
    "map_claims",
    "provider_keys",
    "verify_claims",
    "verify_token",
]

LEEWAY_SECONDS = 60.0
"""Clock skew allowed between the provider and us, for ``exp``, ``nbf`` and ``iat``."""
REFETCH_COOLDOWN_SECONDS = 30.0
"""A token naming an unknown key fetches the key set at most this often (a flood of made-up key ids
cannot turn into a flood of requests to the provider)."""
MAX_DOCUMENT_BYTES = 1024 * 1024
"""The largest discovery document or key set read from the provider."""

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
"""The key type (``kty``) each family of algorithms needs."""

Fetch = Callable[[str, float], dict[str, Any]]
"""Read a JSON object from a URL within a timeout (seconds); raises :class:`BusyError` when it cannot."""


def fetch_json(url: str, timeout: float) -> dict[str, Any]:
    """GET ``url`` as a JSON object, reading at most ``MAX_DOCUMENT_BYTES``."""
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise BusyError(f"the single sign-on provider answered {response.status_code} (discovery or keys)")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise BusyError("the single sign-on provider sent a key document over 1 MiB")
    except httpx.HTTPError as exc:
        raise BusyError(f"the single sign-on provider cannot be reached ({type(exc).__name__})") from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BusyError("the single sign-on provider sent a key document that is not JSON") from exc
    if not isinstance(data, dict):
        raise BusyError("the single sign-on provider sent a key document that is not a JSON object")
    return data


@dataclass(frozen=True)
class OidcConfig:
    """Single sign-on as the settings describe it (``MAM_OIDC_*``)."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    tenant_claim: str = "tenant"
    role_claim: str = "role"
    tenant_map: tuple[tuple[str, str], ...] = ()
    role_map: tuple[tuple[str, str], ...] = ()
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    cache_seconds: float = 600.0
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """The configuration, or None when single sign-on is not configured."""
        if settings.oidc_issuer is None or settings.oidc_audience is None:
            return None
        return cls(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            jwks_url=settings.oidc_jwks_url,
            tenant_claim=settings.oidc_tenant_claim,
            role_claim=settings.oidc_role_claim,
            tenant_map=settings.oidc_tenant_map,
            role_map=settings.oidc_role_map,
            algorithms=settings.oidc_algorithms,
            cache_seconds=settings.oidc_jwks_cache_seconds,
            timeout=settings.oidc_timeout_seconds,
        )

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class ProviderKeys:
    """The provider's signing keys, fetched when first needed and kept ``cache_seconds``.

    Thread-safe: one fetch at a time, and requests wait for it (bounded by the timeout). When a fetch
    fails after the keys expired, the keys held are kept for another ``REFETCH_COOLDOWN_SECONDS``.
    """

    def __init__(self, config: OidcConfig, fetch: Fetch = fetch_json, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._jwks_url = config.jwks_url
        self._keys: list[dict[str, Any]] | None = None
        self._expires = 0.0
        self._last_forced: float | None = None
        self._verifiers: dict[tuple[str | None, str], jwt.PyJWK] = {}

    def signing_key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        """The published key ``kid`` bound to ``algorithm``; a token without ``kid`` needs a set of one key.

        Raises :class:`AuthenticationError` when no such key is published (after one fetch), or the key
        cannot verify ``algorithm``; :class:`BusyError` when the keys were never fetched and cannot be.
        """
        with self._lock:
            now = self._clock()
            fetched = self._keys is None or now >= self._expires
            if fetched:
                self._refresh(now)
            jwk = self._find(kid)
            cooled = self._last_forced is None or now - self._last_forced >= REFETCH_COOLDOWN_SECONDS
            if jwk is None and not fetched and cooled:
                self._last_forced = now
                self._refresh(now)
                jwk = self._find(kid)
            if jwk is None:
                raise AuthenticationError("the token is signed by a key the single sign-on provider does not publish")
            cached = self._verifiers.get((kid, algorithm))
            if cached is None:
                cached = self._verifiers[(kid, algorithm)] = _bind(jwk, algorithm)
            return cached

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        keys = self._keys or []
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((k for k in keys if k.get("kid") == kid), None)

    def _refresh(self, now: float) -> None:
        try:
            self._keys = self._fetch_keys()
        except BusyError:
            if self._keys is None:
                raise
            self._expires = now + REFETCH_COOLDOWN_SECONDS
            return
        self._expires = now + self.config.cache_seconds
        self._verifiers.clear()

    def _fetch_keys(self) -> list[dict[str, Any]]:
        if self._jwks_url is None:
            document = self._fetch(self.config.discovery_url, self.config.timeout)
            if document.get("issuer") != self.config.issuer:
                raise BusyError("the single sign-on provider's discovery document names another issuer")
            url = document.get("jwks_uri")
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise BusyError("the single sign-on provider's discovery document names no jwks_uri")
            self._jwks_url = url
        try:
            found = self._fetch(self._jwks_url, self.config.timeout).get("keys")
        except BusyError:
            self._jwks_url = self.config.jwks_url  # discover again next time: the provider may have moved it
            raise
        if not isinstance(found, list):
            raise BusyError("the single sign-on provider's key set has no keys")
        return [
            k
            for k in found
            if isinstance(k, dict) and k.get("kty") in _KEY_TYPES.values() and k.get("use", "sig") == "sig"
        ]


def _bind(jwk: dict[str, Any], algorithm: str) -> jwt.PyJWK:
    """The key ready to verify ``algorithm``, if its type (and its ``alg``, when it names one) allows it."""
    if jwk.get("kty") != _KEY_TYPES.get(algorithm[:2]) or jwk.get("alg", algorithm) != algorithm:
        raise AuthenticationError(f"the single sign-on provider's key does not sign with {algorithm}")
    try:
        return jwt.PyJWK(jwk, algorithm=algorithm)
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"the single sign-on provider's key cannot verify {algorithm}") from exc


_providers: dict[OidcConfig, ProviderKeys] = {}
_providers_lock = threading.Lock()


def provider_keys(config: OidcConfig) -> ProviderKeys:
    """The key cache of this configuration, made on first use (one per provider for the process)."""
    with _providers_lock:
        found = _providers.get(config)
        if found is None:
            found = _providers[config] = ProviderKeys(config)
        return found


def verify_claims(config: OidcConfig, token: str, keys: ProviderKeys | None = None) -> dict[str, Any]:
    """The claims of ``token`` once its signature, issuer, audience and times are verified; otherwise
    :class:`AuthenticationError` saying which check failed (never repeating the token)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthenticationError("the bearer token is not a well-formed JWT") from None
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in config.algorithms:
        shown = algorithm if isinstance(algorithm, str) and len(algorithm) <= 10 else "unknown"
        raise AuthenticationError(
            f"single sign-on tokens signed with {shown!r} are not accepted (accepted: {', '.join(config.algorithms)})"
        )
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise AuthenticationError("the token's key id (kid) is not a string")
    key = (keys or provider_keys(config)).signing_key(kid, algorithm)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=config.audience,
            issuer=config.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("the single sign-on token expired; sign in again") from None
    except jwt.ImmatureSignatureError:
        raise AuthenticationError("the single sign-on token is not valid yet (nbf or iat in the future)") from None
    except jwt.InvalidAudienceError:
        raise AuthenticationError("the single sign-on token was issued for another audience") from None
    except jwt.InvalidIssuerError:
        raise AuthenticationError("the single sign-on token was issued by another issuer") from None
    except jwt.InvalidSignatureError:
        raise AuthenticationError("the single sign-on token's signature does not verify") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationError(f"the single sign-on token has no {exc.claim!r} claim") from None
    except jwt.PyJWTError:
        raise AuthenticationError("the single sign-on token is refused (malformed or not verifiable)") from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise AuthenticationError("the single sign-on token's subject (sub) is empty")
    return claims


def _claim(claims: Mapping[str, Any], name: str) -> list[str]:
    """The string values of claim ``name`` (a dotted path reads nested objects when no claim has the name)."""
    value: Any = claims.get(name)
    if value is None and "." in name:
        value = claims
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _mapped(values: list[str], mapping: tuple[tuple[str, str], ...]) -> set[str]:
    if not mapping:
        return set(values)
    table = dict(mapping)
    return {table[v] for v in values if v in table}


def map_claims(config: OidcConfig, claims: Mapping[str, Any], roles: Mapping[str, Role]) -> tuple[str, Role]:
    """The tenant id and the role the claims map to; :class:`PermissionDeniedError` when the token maps
    to none, or to more than one."""
    tenants = _mapped(_claim(claims, config.tenant_claim), config.tenant_map)
    if len(tenants) != 1:
        state = "no tenant known here" if not tenants else "more than one tenant"
        raise PermissionDeniedError(f"the single sign-on token's {config.tenant_claim!r} claim names {state}")
    names = {n for n in _mapped(_claim(claims, config.role_claim), config.role_map) if n in roles}
    if len(names) != 1:
        state = "no role known here" if not names else "more than one role"
        raise PermissionDeniedError(f"the single sign-on token's {config.role_claim!r} claim names {state}")
    return tenants.pop(), roles[names.pop()]


def verify_token(settings: Settings, token: str, *, roles: Mapping[str, Role], session: Session) -> Principal:
    """The principal of a single sign-on bearer token: verified (:func:`verify_claims`), mapped to a
    tenant of the catalog and a role (:func:`map_claims`)."""
    config = OidcConfig.from_settings(settings)
    if config is None:
        raise AuthenticationError("single sign-on is not configured: use an API key")
    claims = verify_claims(config, token)
    tenant_id, role = map_claims(config, claims, roles)
    try:
        get_tenant(session, tenant_id)
    except NotFoundError:
        raise PermissionDeniedError(
            f"the single sign-on token's {config.tenant_claim!r} claim names no tenant known here"
        ) from None
    subject = str(claims["sub"])
    name = next((v for k in ("preferred_username", "name") if isinstance(v := claims.get(k), str) and v), subject)
    return Principal(kind="oidc", id=subject[:200], name=name[:80], tenant_id=tenant_id, role=role)
