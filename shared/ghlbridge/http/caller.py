"""Who is calling: the Supabase Auth user JWT in `Authorization: Bearer <jwt>`, checked on every
toolkit route.

Keys come from `KeySource`s. Each source decides from the (unverified) header whether it owns the
token and hands back one key bound to one algorithm; the algorithm is never taken from the token
alone. So `none` is never accepted, and a public key can never be used as an HS256 secret (alg
confusion): HS256 is served only by the legacy shared secret, ES256/RS256 only by the project's
JWKS. A later local-dev mode adds its own source to `CallerVerifier.sources`; callers don't change.

Every rejection is the same `CallerUnauthenticatedError` with a generic message; the log line
gets the reason's class name, never the token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NoReturn, Protocol

import httpx
import jwt
from pydantic import SecretStr

from ghlbridge import deadline
from ghlbridge.errors import CallerUnauthenticatedError
from ghlbridge.observability import logger
from ghlbridge.settings import Settings
from ghlbridge.store.base import canonical_user_id
from ghlbridge.toolkit.context import Caller

ASYMMETRIC_ALGORITHMS = frozenset({"ES256", "RS256"})
JWKS_MIN_REFETCH_SECONDS = 60.0  # an unknown kid triggers at most one refetch a minute
JWKS_RETRY_AFTER_FAILURE_SECONDS = 5.0  # before the first good fetch: don't let forged tokens hammer it
JWKS_TIMEOUT_SECONDS = 3.0
CLOCK_SKEW_SECONDS = 30  # between Supabase's clock and ours, for exp/nbf/iat
MAX_TOKEN_CHARS = 8192
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
_REJECTED = "Missing or invalid credentials."


@dataclass(frozen=True)
class VerificationKey:
    """A key and the one algorithm it may verify."""

    key: jwt.PyJWK | bytes | str = field(repr=False)
    algorithm: str
    issuer: str | None = None  # the issuer tokens signed with this key must carry; None: the verifier's


class KeySource(Protocol):
    def resolve(self, header: Mapping[str, Any]) -> VerificationKey | None:
        """The key for a token with this unverified header, or None if this source has none."""
        ...


class JwksKeySource:
    """ES256/RS256 keys from the project's JWKS, cached for `ttl_seconds`.

    An unknown kid (a key rotated in since the last fetch) triggers a refetch, at most once per
    `JWKS_MIN_REFETCH_SECONDS`, so forged kids cannot turn each request into a fetch. A failed
    refetch keeps the keys already known.
    """

    def __init__(
        self,
        url: str,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        client: Callable[[], httpx.Client] | None = None,
    ) -> None:
        self._url, self._ttl, self._clock = url, ttl_seconds, clock
        self._client = client or _http_client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    def resolve(self, header: Mapping[str, Any]) -> VerificationKey | None:
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ASYMMETRIC_ALGORITHMS or not isinstance(kid, str):
            return None
        with self._lock:
            key = self._lookup(kid)
        if key is None or key.algorithm_name != alg:
            return None
        return VerificationKey(key, key.algorithm_name)

    def _lookup(self, kid: str) -> jwt.PyJWK | None:
        now = self._clock()
        expired = self._fetched_at is None or now - self._fetched_at >= self._ttl
        if (expired or kid not in self._keys) and self._may_fetch(now):
            self._fetch(now)
        return self._keys.get(kid)

    def _may_fetch(self, now: float) -> bool:
        if self._attempted_at is None:
            return True
        wait = JWKS_MIN_REFETCH_SECONDS if self._fetched_at is not None else JWKS_RETRY_AFTER_FAILURE_SECONDS
        return now - self._attempted_at >= wait

    def _fetch(self, now: float) -> None:
        self._attempted_at = now
        timeout = max(0.5, min(JWKS_TIMEOUT_SECONDS, deadline.remaining()))
        try:
            response = self._client().get(self._url, timeout=timeout)
            response.raise_for_status()
            keys = _usable_keys(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("JWKS fetch failed; keeping known keys", extra={"error": type(exc).__name__})
            return
        self._keys, self._fetched_at = keys, now


class HmacKeySource:
    """The legacy HS256 shared secret, read lazily (it lives with the other secrets)."""

    def __init__(self, secret: Callable[[], SecretStr | None]) -> None:
        self._secret = secret

    def resolve(self, header: Mapping[str, Any]) -> VerificationKey | None:
        if header.get("alg") != "HS256":
            return None
        secret = self._secret()
        return None if secret is None else VerificationKey(secret.get_secret_value().encode(), "HS256")


class DevKeySource:
    """The local dev key: ES256 tokens with kid `local-dev` and issuer `local-dev`, minted by
    `make dev`. Built only outside Lambda (see `build_verifier`), so a deployed function never
    accepts them, whatever its environment says."""

    KID = "local-dev"
    ISSUER = "local-dev"

    def __init__(self, public_key_pem: str) -> None:
        self._pem = public_key_pem

    def resolve(self, header: Mapping[str, Any]) -> VerificationKey | None:
        if header.get("alg") != "ES256" or header.get("kid") != self.KID:
            return None
        return VerificationKey(self._pem, "ES256", issuer=self.ISSUER)


@dataclass(frozen=True)
class CallerVerifier:
    sources: tuple[KeySource, ...]
    issuer: str
    audience: str

    def verify(self, authorization: str | None) -> Caller:
        return self.verify_until(authorization)[0]

    def verify_until(self, authorization: str | None) -> tuple[Caller, float]:
        """The caller and the token's `exp` (epoch seconds)."""
        claims = self._claims(_bearer_token(authorization))
        sub, email, role = claims["sub"], claims.get("email"), claims.get("role")
        if not isinstance(sub, str) or canonical_user_id(sub) is None:  # Supabase Auth user ids are UUIDs
            _reject("bad_sub")
        caller = Caller(
            user_id=sub,
            email=email if isinstance(email, str) and email else None,
            role=role if isinstance(role, str) else "",
        )
        return caller, float(claims["exp"])

    def _claims(self, token: str) -> dict[str, Any]:
        # Rejections are raised outside the `except` blocks, so no PyJWT error rides along as context.
        reason = "no_key_for_header"
        try:
            header = jwt.get_unverified_header(token)
            key = next((k for s in self.sources if (k := s.resolve(header)) is not None), None)
            if key is not None:
                return jwt.decode(
                    token,
                    key.key,
                    algorithms=[key.algorithm],
                    audience=self.audience,
                    issuer=key.issuer or self.issuer,
                    leeway=CLOCK_SKEW_SECONDS,
                    options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
                )
        except jwt.PyJWTError as exc:
            reason = type(exc).__name__
        _reject(reason)


VERIFIED_CACHE_SIZE = 512
VERIFIED_CACHE_SECONDS = 300.0


class VerifiedCallers:
    """The container's verifier, and the tokens it verified lately.

    A token that verified stays valid until its `exp`: a warm container remembers the answer for a
    few minutes instead of checking the signature on every request (≈125 µs for HS256, more for
    ES256/RS256). Keyed by the whole header value. Built once per container
    (`ghlbridge.factories.get_verified_callers`), so the JWKS cache lives as long as the container
    and `factories.reset()` forgets both.
    """

    def __init__(self, verifier: CallerVerifier, *, clock: Callable[[], float] | None = None) -> None:
        self.verifier = verifier
        self._clock = clock  # None: the wall clock (`time.time`, read on each call)
        self._verified: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str | None) -> Caller:
        """The caller of a toolkit route, or `CallerUnauthenticatedError`."""
        now = self._clock() if self._clock is not None else time.time()
        if authorization and (hit := self._verified.get(authorization)) is not None and hit[0] > now:
            return hit[1]
        caller, expires_at = self.verifier.verify_until(authorization)
        if authorization:
            with self._lock:
                if len(self._verified) >= VERIFIED_CACHE_SIZE:
                    self._verified.pop(next(iter(self._verified)))  # oldest first (dicts keep insertion order)
                self._verified[authorization] = (min(expires_at, now + VERIFIED_CACHE_SECONDS), caller)
        return caller


def build_verifier(settings: Settings, *, legacy_secret: Callable[[], SecretStr | None]) -> CallerVerifier:
    """The verifier for these settings (see the module docstring for the key sources); `legacy_secret`
    gives the HS256 secret, asked only when an HS256 token arrives."""
    issuer = f"{settings.supabase_url.rstrip('/')}/auth/v1"
    sources: list[KeySource] = []
    if settings.dev_jwt_public_key:  # first: the JWKS source would otherwise fetch for the dev kid
        if settings.aws_lambda_function_name:
            logger.error("DEV_JWT_PUBLIC_KEY is set inside Lambda: ignored; dev tokens are for local runs only")
        else:
            sources.append(DevKeySource(settings.dev_jwt_public_key))
    if settings.supabase_url:  # without it there is no JWKS (and no issuer a token could match)
        sources.append(JwksKeySource(f"{issuer}/.well-known/jwks.json", settings.supabase_jwks_ttl_seconds))
    sources.append(HmacKeySource(legacy_secret))
    return CallerVerifier(sources=tuple(sources), issuer=issuer, audience=settings.supabase_jwt_audience)


@lru_cache(maxsize=1)
def _http_client() -> httpx.Client:
    return httpx.Client(timeout=JWKS_TIMEOUT_SECONDS, follow_redirects=False)


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > MAX_TOKEN_CHARS:
        _reject("no_bearer_token")
    return token


def _usable_keys(document: Any) -> dict[str, jwt.PyJWK]:
    """The signing keys we accept: kid present, ES256 or RS256, not marked for encryption."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS is not {keys: [...]}")
    keys: dict[str, jwt.PyJWK] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or jwk.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in ASYMMETRIC_ALGORITHMS:
            keys[jwk["kid"]] = key
    return keys


def _reject(reason: str) -> NoReturn:
    logger.info("caller rejected", extra={"reason": reason})
    raise CallerUnauthenticatedError(_REJECTED)
