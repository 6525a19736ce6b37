"""The app's secrets (`factories.get_secrets`/`get_cipher` over `secrets.SecretsCache`): the extension first,
boto3 only as a fallback, a TTL cache, no leaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
import pytest
import respx
from moto import mock_aws

from ghlbridge import factories, secrets
from ghlbridge.factories import get_cipher, get_secrets, get_secrets_cache
from ghlbridge.secrets import SecretsUnavailableError
from ghlbridge.tokens.crypto import TokenCipher
from tests import leak_guard
from tests.security.conftest import CLIENT_SECRET, JWT_SECRET, KEY_1, KEY_2, STATE_KEY, TOKEN_KEYS

SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ghl-bridge/app-AbCdEf"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789"
EXTENSION_URL = "http://localhost:2773/secretsmanager/get"
ROOT = Path(__file__).resolve().parents[2]

leak_guard.register(SESSION_TOKEN)


def secret_document(**overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "ghlClientSecret": CLIENT_SECRET,
        "supabaseServiceRoleKey": "sec-service-role-key-0123456789",
        "supabaseJwtSecret": JWT_SECRET,
        "stateSigningKey": STATE_KEY,
        "tokenKeys": TOKEN_KEYS,
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


def extension_answer(document: dict[str, object]) -> httpx.Response:
    """The extension returns GetSecretValue's JSON."""
    return httpx.Response(
        200,
        json={
            "ARN": SECRET_ID,
            "Name": "ghl-bridge/app",
            "SecretString": json.dumps(document),
            "VersionId": "v-1",
            "VersionStages": ["AWSCURRENT"],
        },
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def aws_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("SECRETS_TTL_SECONDS", "300")
    for name in ("GHL_CLIENT_SECRET", "STATE_SIGNING_KEY", "TOKEN_KEYS"):
        monkeypatch.delenv(name)  # in AWS they come only from the secret
    factories.reset()


@pytest.fixture
def clock() -> Clock:
    """The container's secrets cache, on a clock the test moves (after `aws_mode` set the settings)."""
    c = Clock()
    get_secrets_cache().clock = c
    return c


# --- local runs: from the Settings' own fields -------------------------------------------------


def test_local_mode_reads_settings_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", JWT_SECRET)
    factories.reset()
    with respx.mock(assert_all_mocked=True) as router:  # no network at all
        loaded = get_secrets()
    assert not router.calls
    assert loaded.ghl_client_secret.get_secret_value() == CLIENT_SECRET
    assert loaded.state_signing_key.get_secret_value() == STATE_KEY
    assert loaded.supabase_jwt_secret is not None
    assert loaded.supabase_jwt_secret.get_secret_value() == JWT_SECRET
    assert loaded.supabase_service_role_key is None  # optional (sqlite mode)
    assert get_cipher().current_kid == "k2"
    leak_guard.assert_no_secret(f"{loaded!r} {loaded}", "AppSecrets repr")


def test_missing_required_secret_names_the_field_not_the_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GHL_CLIENT_SECRET")
    factories.reset()
    with pytest.raises(SecretsUnavailableError, match="ghl_client_secret: missing") as info:
        get_secrets()
    text = f"{info.value} {info.value!r}"
    for value in (STATE_KEY, KEY_1, KEY_2):
        assert value not in text
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_blank_optional_secret_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", "")
    factories.reset()
    assert get_secrets().supabase_jwt_secret is None


def test_unusable_token_keys_is_reported_without_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_KEYS", json.dumps({"current": "k1", "keys": {"k1": KEY_1[:-8] + "AAAA"}}))
    factories.reset()
    with pytest.raises(SecretsUnavailableError, match="tokenKeys") as info:
        get_cipher()
    assert KEY_1[:20] not in str(info.value)


# --- AWS: the Parameters and Secrets Lambda Extension --------------------------------------------


@pytest.mark.usefixtures("aws_mode")
def test_extension_path_sends_token_header_and_secret_id(clock: Clock) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.get(EXTENSION_URL, params={"secretId": SECRET_ID}).mock(
            return_value=extension_answer(secret_document())
        )
        loaded = get_secrets()
        cipher = get_cipher()
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.host == "localhost" and request.url.port == 2773
    assert request.url.params["secretId"] == SECRET_ID
    assert request.headers["X-Aws-Parameters-Secrets-Token"] == SESSION_TOKEN
    assert loaded.ghl_client_secret.get_secret_value() == CLIENT_SECRET
    assert loaded.supabase_service_role_key is not None
    assert isinstance(cipher, TokenCipher) and cipher.current_kid == "k2"
    assert get_secrets_cache().api_client is None  # no fallback happened


@pytest.mark.usefixtures("aws_mode")
def test_extension_port_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2999")
    factories.reset()
    with respx.mock(assert_all_called=True) as router:
        router.get("http://localhost:2999/secretsmanager/get").mock(return_value=extension_answer(secret_document()))
        assert get_secrets().state_signing_key.get_secret_value() == STATE_KEY


@pytest.mark.usefixtures("aws_mode")
def test_cached_within_ttl_then_refetched(clock: Clock) -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.get(EXTENSION_URL).mock(
            side_effect=[
                extension_answer(secret_document()),
                extension_answer(secret_document(stateSigningKey="sec-rotated-state-key-0123456789")),
            ]
        )
        first, cipher = get_secrets(), get_cipher()
        clock.now += 299
        assert get_secrets() is first and get_cipher() is cipher
        assert route.call_count == 1
        clock.now += 1  # TTL (300 s) reached
        second = get_secrets()
        assert route.call_count == 2
    assert second.state_signing_key.get_secret_value() == "sec-rotated-state-key-0123456789"
    assert get_cipher() is not cipher  # rebuilt alongside the new secrets


@pytest.mark.usefixtures("aws_mode")
def test_a_reset_reloads(clock: Clock) -> None:
    with respx.mock() as router:
        route = router.get(EXTENSION_URL).mock(return_value=extension_answer(secret_document()))
        first = get_secrets()
        assert get_secrets() is first and route.call_count == 1
        factories.reset()
        assert get_secrets() is not first
    assert route.call_count == 2


@pytest.mark.usefixtures("aws_mode")
def test_failed_refresh_serves_cached_copy_and_backs_off(clock: Clock) -> None:
    with respx.mock() as router:
        route = router.get(EXTENSION_URL).mock(
            side_effect=[extension_answer(secret_document()), httpx.Response(500), httpx.Response(500)]
        )
        first = get_secrets()
        clock.now += 301
        assert get_secrets() is first  # served stale after the failed refresh
        assert route.call_count == 2
        clock.now += secrets.RETRY_AFTER_FAILURE_SECONDS - 1
        get_secrets()
        assert route.call_count == 2  # no retry storm
        clock.now += 1
        assert get_secrets() is first
        assert route.call_count == 3


@pytest.mark.usefixtures("aws_mode")
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, text="secret not found"),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"SecretBinary": "AAAA"}),
        httpx.Response(200, json={"SecretString": "[1, 2]"}),
    ],
)
def test_extension_errors_do_not_fall_back(answer: httpx.Response) -> None:
    with respx.mock(assert_all_called=True) as router, mock_aws():
        router.get(EXTENSION_URL).mock(return_value=answer)
        with pytest.raises(SecretsUnavailableError):
            get_secrets()
    assert get_secrets_cache().api_client is None


@pytest.mark.usefixtures("aws_mode")
def test_extension_timeout_is_an_error_not_a_fallback() -> None:
    with respx.mock() as router:
        router.get(EXTENSION_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(SecretsUnavailableError, match="ReadTimeout"):
            get_secrets()


@pytest.mark.usefixtures("aws_mode")
def test_incomplete_secret_names_fields_only() -> None:
    with respx.mock() as router:
        router.get(EXTENSION_URL).mock(return_value=extension_answer(secret_document(stateSigningKey=None)))
        with pytest.raises(SecretsUnavailableError, match="stateSigningKey: missing") as info:
            get_secrets()
    leak_guard.assert_no_secret(f"{info.value} {info.value!r}", "SecretsUnavailableError")


# --- fallback: boto3 (moto) only when the extension is not running ----------------------------------


@pytest.mark.usefixtures("aws_mode")
def test_connection_refused_falls_back_to_secrets_manager_api() -> None:
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString=json.dumps(secret_document()))
        with respx.mock(assert_all_called=True) as router:
            route = router.get(EXTENSION_URL).mock(side_effect=httpx.ConnectError("Connection refused"))
            loaded = get_secrets()
            cipher = get_cipher()
    assert route.call_count == 1
    assert loaded.ghl_client_secret.get_secret_value() == CLIENT_SECRET
    assert cipher.current_kid == "k2"
    assert get_secrets_cache().api_client is not None


@pytest.mark.usefixtures("aws_mode")
def test_without_session_token_goes_straight_to_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    factories.reset()
    with mock_aws(), respx.mock(assert_all_mocked=True) as router:
        boto3.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString=json.dumps(secret_document()))
        assert get_secrets().state_signing_key.get_secret_value() == STATE_KEY
    assert not router.calls


@pytest.mark.usefixtures("aws_mode")
def test_fallback_error_reports_the_aws_code_only() -> None:
    with mock_aws(), respx.mock() as router:
        router.get(EXTENSION_URL).mock(side_effect=httpx.ConnectError("Connection refused"))
        with pytest.raises(SecretsUnavailableError, match="ResourceNotFoundException"):
            get_secrets()


# --- cold start ----------------------------------------------------------------------------------


def test_importing_secrets_does_not_import_boto3() -> None:
    code = (
        "import sys, ghlbridge.secrets, ghlbridge.http.caller, ghlbridge.tokens.webhooks, ghlbridge.tokens.crypto; "
        "print(sorted(m for m in sys.modules if m == 'boto3' or m.startswith(('boto3.', 'botocore.client'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
