"""The caller check (`factories.get_verified_callers().verify`): Supabase user JWTs by JWKS
(ES256, RS256) or the legacy HS256 secret; nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from ghlbridge.errors import CallerUnauthenticatedError
from ghlbridge.http.caller import (
    CallerVerifier,
    HmacKeySource,
    JwksKeySource,
)
from ghlbridge.settings import reset_settings
from ghlbridge.toolkit.context import Caller
from tests import leak_guard
from tests.security.conftest import JWT_SECRET, SUPABASE_URL

ISSUER = f"{SUPABASE_URL}/auth/v1"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"


def verify_caller(authorization: str | None) -> Caller:
    """What the HTTP edge does with a request's Authorization header (`current_caller`)."""
    from ghlbridge import factories

    return factories.get_verified_callers().verify(authorization)


USER_ID = "6f1c2a9e-8d4b-4c1e-9a57-1f2e3d4c5b6a"

EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_PUBLIC_PEM = RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def jwk(public_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = ECAlgorithm if alg == "ES256" else RSAAlgorithm
    return {**algorithm.to_jwk(public_key, as_dict=True), "kid": kid, "alg": alg, "use": "sig"}


JWKS = {"keys": [jwk(EC_KEY.public_key(), "ec-1", "ES256"), jwk(RSA_KEY.public_key(), "rsa-1", "RS256")]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": USER_ID,
        "aud": "authenticated",
        "iss": ISSUER,
        "iat": now,
        "exp": now + 3600,
        "role": "authenticated",
        "email": "rep@example.com",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(key: Any = EC_KEY, alg: str = "ES256", kid: str | None = "ec-1", **overrides: Any) -> str:
    headers = {"kid": kid} if kid else None
    value = jwt.encode(claims(**overrides), key, algorithm=alg, headers=headers)
    leak_guard.register(value)
    return value


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def hand_made(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand, for what PyJWT refuses to sign (alg none, HMAC with a PEM)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = b"" if secret is None else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    value = f"{signing_input}.{b64url(signature)}"
    leak_guard.register(value)
    return value


def bearer(value: str) -> str:
    return f"Bearer {value}"


@pytest.fixture
def jwks() -> Any:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router.get(JWKS_URL).mock(return_value=httpx.Response(200, json=JWKS))


@pytest.fixture
def legacy_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", JWT_SECRET)
    reset_settings()


def assert_rejected(authorization: str | None, caplog: pytest.LogCaptureFixture | None = None) -> None:
    with pytest.raises(CallerUnauthenticatedError) as info:
        verify_caller(authorization)
    error = info.value
    assert error.status == 401 and error.code == "unauthenticated"
    assert error.message == "Missing or invalid credentials."
    assert error.__cause__ is None and error.__context__ is None
    text = f"{error} {error!r} {error.details!r}"
    credential = (authorization or "").split(" ")[-1]
    for part in (credential, *credential.split(".")):
        assert len(part) < 8 or part not in text
    if caplog is not None:
        assert any(r.getMessage() == "caller rejected" for r in caplog.records)
        leak_guard.assert_clean(caplog.records)


# --- accepted -------------------------------------------------------------------------------------


def test_valid_es256(jwks: respx.Route) -> None:
    caller = verify_caller(bearer(token()))
    assert caller == Caller(user_id=USER_ID, email="rep@example.com", role="authenticated")
    assert jwks.call_count == 1
    assert jwks.calls.last.request.method == "GET"


def test_valid_rs256(jwks: respx.Route) -> None:
    caller = verify_caller(bearer(token(RSA_KEY, "RS256", "rsa-1", email=None)))
    assert caller.user_id == USER_ID and caller.email is None


@pytest.mark.usefixtures("legacy_secret")
def test_valid_hs256_with_legacy_secret(jwks: respx.Route) -> None:
    caller = verify_caller(bearer(token(JWT_SECRET, "HS256", None)))
    assert caller.user_id == USER_ID
    assert jwks.call_count == 0  # HS256 never needs the JWKS


def test_scheme_is_case_insensitive(jwks: respx.Route) -> None:
    assert verify_caller(f"bearer  {token()} ").user_id == USER_ID


def test_caller_is_frozen(jwks: respx.Route) -> None:
    caller = verify_caller(bearer(token()))
    with pytest.raises(ValidationError):
        caller.user_id = "someone-else"  # type: ignore[misc]


def test_jwks_fetched_once_across_many_verifications(jwks: respx.Route) -> None:
    for _ in range(10):
        verify_caller(bearer(token()))
        verify_caller(bearer(token(RSA_KEY, "RS256", "rsa-1")))
    assert jwks.call_count == 1


# --- rejected -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": int(time.time()) - 120},  # expired (beyond the 30 s clock-skew leeway)
        {"aud": "anon"},
        {"aud": None},
        {"iss": "https://other.supabase.co/auth/v1"},
        {"iss": None},
        {"exp": None},
        {"sub": None},
        {"sub": ""},
        {"nbf": int(time.time()) + 3600},
    ],
    ids=["expired", "wrong-aud", "no-aud", "wrong-iss", "no-iss", "no-exp", "no-sub", "empty-sub", "not-yet"],
)
def test_bad_claims_rejected(jwks: respx.Route, overrides: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert_rejected(bearer(token(**overrides)), caplog)


@pytest.mark.usefixtures("legacy_secret")
def test_alg_none_rejected(jwks: respx.Route) -> None:
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "none", "kid": "ec-1"}, {"alg": "None"}):
        assert_rejected(bearer(hand_made(header, claims(), None)))
    assert_rejected(bearer(hand_made({"alg": "none"}, claims(), None).rstrip(".") + "."))


@pytest.mark.usefixtures("legacy_secret")
def test_tampered_payload_rejected(jwks: respx.Route) -> None:
    for good in (token(), token(JWT_SECRET, "HS256", None)):
        header, _, signature = good.split(".")
        forged = b64url(json.dumps(claims(sub="admin-user-id")).encode())
        assert_rejected(bearer(f"{header}.{forged}.{signature}"))


@pytest.mark.usefixtures("legacy_secret")
def test_tampered_signature_rejected(jwks: respx.Route) -> None:
    for good in (token(), token(RSA_KEY, "RS256", "rsa-1"), token(JWT_SECRET, "HS256", None)):
        header, payload, signature = good.split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[5] ^= 0x01
        assert_rejected(bearer(f"{header}.{payload}.{b64url(bytes(raw))}"))


def test_signed_by_unknown_key_or_kid_rejected(jwks: respx.Route) -> None:
    assert_rejected(bearer(token(OTHER_EC_KEY, "ES256", "ec-1")))  # right kid, wrong key
    assert_rejected(bearer(token(OTHER_EC_KEY, "ES256", "ec-unknown")))
    assert_rejected(bearer(token(kid=None)))  # no kid: the JWKS cannot pick a key


def test_alg_must_match_the_jwks_key(jwks: respx.Route) -> None:
    es_header_on_rsa_kid = token(EC_KEY, "ES256", "rsa-1")
    assert_rejected(bearer(es_header_on_rsa_kid))


@pytest.mark.parametrize("configured", [True, False], ids=["legacy-secret-set", "no-legacy-secret"])
def test_hs256_signed_with_the_rsa_public_key_rejected(
    jwks: respx.Route, monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    """The classic alg-confusion forgery: HS256 with the public PEM as the HMAC secret."""
    if configured:
        monkeypatch.setenv("SUPABASE_JWT_SECRET", JWT_SECRET)
        reset_settings()
    for kid in ("rsa-1", None):
        header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
        assert_rejected(bearer(hand_made(header, claims(), RSA_PUBLIC_PEM)))


def test_hs256_rejected_without_legacy_secret(jwks: respx.Route) -> None:
    assert_rejected(bearer(token(JWT_SECRET, "HS256", None)))


def test_symmetric_key_in_jwks_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    oct_secret = b"a-symmetric-key-published-in-jwks-32b"
    keys = {"keys": [*JWKS["keys"], {"kty": "oct", "kid": "oct-1", "alg": "HS256", "k": b64url(oct_secret)}]}
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(return_value=httpx.Response(200, json=keys))
        assert verify_caller(bearer(token())).user_id == USER_ID  # the JWKS is loaded
        assert_rejected(bearer(hand_made({"alg": "HS256", "kid": "oct-1"}, claims(), oct_secret)))
        assert_rejected(bearer(hand_made({"alg": "ES256", "kid": "oct-1"}, claims(), oct_secret)))
        source = JwksKeySource(JWKS_URL, 600)
        assert source.resolve({"alg": "HS256", "kid": "oct-1"}) is None
        assert source.resolve({"alg": "ES256", "kid": "oct-1"}) is None  # filtered out at load
    assert route.call_count == 2


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "   ",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc.def.ghi",
        "abc.def.ghi",
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer !!!.@@@.###",
        "Bearer eyJhbGciOiJFUzI1NiJ9",
        "Bearer two tokens",
        "Bearer " + "a" * 9000,
    ],
    ids=lambda v: repr(v)[:24],
)
def test_missing_or_malformed_header_rejected(jwks: respx.Route, authorization: str | None) -> None:
    assert_rejected(authorization)
    assert jwks.call_count == 0  # nothing parseable, nothing fetched


def test_es256_token_sent_with_another_scheme_rejected(jwks: respx.Route) -> None:
    assert_rejected(f"Basic {token()}")


# --- the JWKS cache -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def verifier(clock: Clock, ttl: float = 600) -> CallerVerifier:
    return CallerVerifier(
        sources=(JwksKeySource(JWKS_URL, ttl, clock=clock), HmacKeySource(lambda: None)),
        issuer=ISSUER,
        audience="authenticated",
    )


def test_unknown_kid_refetches_at_most_once_a_minute() -> None:
    clock, rotated = Clock(), ec.generate_private_key(ec.SECP256R1())
    new_jwks = {"keys": [*JWKS["keys"], jwk(rotated.public_key(), "ec-2", "ES256")]}
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(
            side_effect=[httpx.Response(200, json=JWKS), httpx.Response(200, json=new_jwks)]
        )
        v = verifier(clock)
        v.verify(bearer(token()))
        clock.now += 30
        for _ in range(5):  # forged kids inside the minute: no refetch
            with pytest.raises(CallerUnauthenticatedError):
                v.verify(bearer(token(rotated, "ES256", "ec-2")))
        assert route.call_count == 1
        clock.now += 31
        assert v.verify(bearer(token(rotated, "ES256", "ec-2"))).user_id == USER_ID  # rotated in
        assert route.call_count == 2


def test_jwks_refetched_after_ttl() -> None:
    clock = Clock()
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(return_value=httpx.Response(200, json=JWKS))
        v = verifier(clock, ttl=600)
        v.verify(bearer(token()))
        clock.now += 599
        v.verify(bearer(token()))
        assert route.call_count == 1
        clock.now += 1
        v.verify(bearer(token()))
        assert route.call_count == 2


def test_jwks_outage_keeps_known_keys() -> None:
    clock = Clock()
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(
            side_effect=[httpx.Response(200, json=JWKS), httpx.Response(503), httpx.ConnectError("down")]
        )
        v = verifier(clock, ttl=600)
        v.verify(bearer(token()))
        clock.now += 600
        assert v.verify(bearer(token())).user_id == USER_ID  # refetch failed: old keys still serve
        clock.now += 61
        assert v.verify(bearer(token(RSA_KEY, "RS256", "rsa-1"))).user_id == USER_ID
        assert route.call_count == 3


def test_jwks_unreachable_from_the_start_rejects_and_backs_off() -> None:
    clock = Clock()
    with respx.mock() as router:
        route = router.get(JWKS_URL).mock(side_effect=httpx.ConnectError("down"))
        v = verifier(clock)
        for _ in range(3):
            with pytest.raises(CallerUnauthenticatedError):
                v.verify(bearer(token()))
        assert route.call_count == 1
        clock.now += 5
        route.mock(return_value=httpx.Response(200, json=JWKS))
        assert v.verify(bearer(token())).user_id == USER_ID
        assert route.call_count == 2


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": "x"}', b'{"keys": [{"kty": "EC"}]}'])
def test_bad_jwks_documents_yield_no_keys(body: bytes) -> None:
    with respx.mock() as router:
        router.get(JWKS_URL).mock(return_value=httpx.Response(200, content=body))
        with pytest.raises(CallerUnauthenticatedError):
            verifier(Clock()).verify(bearer(token()))


def test_no_supabase_url_means_no_jwks_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPABASE_URL")
    reset_settings()
    with respx.mock(assert_all_mocked=True) as router:
        assert_rejected(bearer(token()))
    assert not router.calls


def test_verification_key_repr_hides_the_secret() -> None:
    key = HmacKeySource(lambda: __import__("pydantic").SecretStr(JWT_SECRET)).resolve({"alg": "HS256"})
    assert key is not None and JWT_SECRET not in repr(key)


def test_a_verified_token_is_remembered_until_it_expires(jwks: respx.Route, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-container cache of verified tokens: one signature check, and never past `exp`."""
    import ghlbridge.http.caller

    verifications = 0
    real = ghlbridge.http.caller.CallerVerifier.verify_until

    def counting(self: CallerVerifier, authorization: str | None) -> tuple[Caller, float]:
        nonlocal verifications
        verifications += 1
        return real(self, authorization)

    monkeypatch.setattr(ghlbridge.http.caller.CallerVerifier, "verify_until", counting)
    soon = int(time.time()) + 2
    short_lived = token(exp=soon)

    for _ in range(5):
        assert verify_caller(bearer(short_lived)).user_id == USER_ID
    assert verifications == 1
    assert_rejected(bearer(short_lived[:-2] + "xx"))  # another header value: checked, and refused

    monkeypatch.setattr(ghlbridge.http.caller.time, "time", lambda: soon + 1)  # the cache's clock passes `exp`
    verify_caller(bearer(short_lived))  # (PyJWT's own clock, with its leeway, still accepts it)
    assert verifications == 3  # the refused one above, and this one: not answered from the cache
