"""The local dev JWT key (`make dev`): accepted only outside Lambda, only as ES256 `local-dev`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests import leak_guard

KEY = ec.generate_private_key(ec.SECP256R1())
JWKS_URL = "https://projref.supabase.co/auth/v1/.well-known/jwks.json"
PUBLIC_PEM = (
    KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
)


def dev_token(**overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "iss": "local-dev",
        "iat": now,
        "exp": now + 600,
        "role": "authenticated",
    }
    claims.update(overrides)
    token = jwt.encode(claims, KEY, algorithm="ES256", headers={"kid": "local-dev"})
    leak_guard.register(token)
    return token


@pytest.fixture
def dev_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.Route]:
    """Local-run settings; Supabase's JWKS answered (with no keys) instead of the internet."""
    from ghlbridge import factories
    from ghlbridge.settings import reset_settings

    monkeypatch.setenv("DEV_JWT_PUBLIC_KEY", PUBLIC_PEM)
    monkeypatch.setenv("SUPABASE_URL", "https://projref.supabase.co")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    reset_settings()
    factories.reset()
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock.get(JWKS_URL).respond(200, json={"keys": []})


def test_a_dev_token_is_accepted_in_local_runs(dev_env: respx.Route) -> None:
    from tests.security.test_auth import verify_caller

    user = str(uuid.uuid4())

    assert verify_caller(f"Bearer {dev_token(sub=user)}").user_id == user
    assert dev_env.call_count == 0  # the dev key answers first: no JWKS fetch for a dev token


def test_inside_lambda_the_dev_key_is_ignored(dev_env: respx.Route, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghlbridge import factories
    from ghlbridge.errors import CallerUnauthenticatedError
    from ghlbridge.settings import reset_settings
    from tests.security.test_auth import verify_caller

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ghl-bridge-OAuthFunction")
    reset_settings()
    factories.reset()

    with pytest.raises(CallerUnauthenticatedError):
        verify_caller(f"Bearer {dev_token()}")


@pytest.mark.parametrize(
    "claims",
    [{"iss": "https://projref.supabase.co/auth/v1"}, {"aud": "anon"}, {"exp": 1_700_000_000, "iat": 1_699_990_000}],
)
def test_dev_tokens_still_need_the_dev_issuer_audience_and_expiry(
    dev_env: respx.Route, claims: dict[str, object]
) -> None:
    from ghlbridge.errors import CallerUnauthenticatedError
    from tests.security.test_auth import verify_caller

    with pytest.raises(CallerUnauthenticatedError):
        verify_caller(f"Bearer {dev_token(**claims)}")


def test_the_dev_kid_does_not_open_hs256(dev_env: respx.Route) -> None:
    import base64
    import hashlib
    import hmac
    import json

    from ghlbridge.errors import CallerUnauthenticatedError
    from tests.security.test_auth import verify_caller

    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    signing_input = (
        part({"alg": "HS256", "kid": "local-dev"})
        + "."
        + part({"sub": str(uuid.uuid4()), "aud": "authenticated", "iss": "local-dev", "exp": now + 60})
    )
    mac = hmac.new(PUBLIC_PEM.encode(), signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()  # alg confusion attempt

    with pytest.raises(CallerUnauthenticatedError):
        verify_caller(f"Bearer {forged}")
