"""The webhook route end to end: the real handler, a real-shaped HTTP API event, the SQLite store."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ghlbridge.settings import reset_settings
from ghlbridge.store import InstallationStatus
from tests.conftest import AppEnv
from tests.lambda_events import http_event, lambda_context
from tests.seed import seed_installation

ED_KEY = ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def env(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    public = ED_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    monkeypatch.setenv("GHL_WEBHOOK_ED25519_PUBLIC_KEY", public.decode())
    reset_settings()
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    seed_installation(
        factories.get_store(),
        get_cipher(),
        "locW",
        access="ghl-access-locW-1234",
        refresh="ghl-refresh-locW-1234",
        expires_in=timedelta(hours=20),
    )
    return app_env


def uninstall_body(**fields: Any) -> bytes:
    payload = {
        "type": "UNINSTALL",
        "appId": "test",  # GHL_CLIENT_ID "test-client-id" up to the first "-"
        "locationId": "locW",
        "webhookId": "wh-e2e-1",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    payload.update(fields)
    return json.dumps(payload).encode()


def post(raw: bytes, signature: str | None) -> dict[str, Any]:
    import webhook  # functions/oauth/webhook.py, the handler template.yaml names

    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-GHL-Signature"] = signature
    return webhook.handler(http_event("POST", "/webhooks/ghl", headers=headers, body=raw), lambda_context())


def status_of(location_id: str) -> InstallationStatus:
    from ghlbridge import factories

    inst = factories.get_store().get_installation(location_id)
    assert inst is not None
    return inst.status


def sign(raw: bytes) -> str:
    return base64.b64encode(ED_KEY.sign(raw)).decode()


def test_signed_uninstall_uninstalls_then_replay_is_a_duplicate(env: AppEnv) -> None:
    raw = uninstall_body()
    response = post(raw, sign(raw))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "webhookId": "wh-e2e-1",
        "type": "UNINSTALL",
        "outcome": "uninstalled",
    }
    assert status_of("locW") is InstallationStatus.UNINSTALLED
    again = post(raw, sign(raw))
    assert json.loads(again["body"])["outcome"] == "duplicate"


@pytest.mark.parametrize("signature", [None, sign(b"something else"), "%%%"])
def test_forged_or_unsigned_is_401_and_changes_nothing(env: AppEnv, signature: str | None) -> None:
    response = post(uninstall_body(), signature)
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "invalid_signature"
    assert status_of("locW") is InstallationStatus.ACTIVE


def test_stale_is_401_and_changes_nothing(env: AppEnv) -> None:
    raw = uninstall_body(timestamp="2026-01-01T00:00:00Z")
    response = post(raw, sign(raw))
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "stale_webhook"
    assert status_of("locW") is InstallationStatus.ACTIVE


def test_non_object_body_is_400(env: AppEnv) -> None:
    raw = b"[1, 2, 3]"
    response = post(raw, sign(raw))
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "invalid_request"


def test_a_10_mb_body_is_413_before_any_check_and_changes_nothing(env: AppEnv) -> None:
    raw = uninstall_body(padding="x" * (10 * 1024 * 1024))

    response = post(raw, sign(raw))

    assert response["statusCode"] == 413
    assert json.loads(response["body"])["error"]["code"] == "payload_too_large"
    assert status_of("locW") is InstallationStatus.ACTIVE


def test_signed_malformed_json_is_400_and_changes_nothing(env: AppEnv) -> None:
    raw = b'{"type": "UNINSTALL", "locationId": "locW",'

    response = post(raw, sign(raw))

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "invalid_request"
    assert status_of("locW") is InstallationStatus.ACTIVE


def test_a_base64_encoded_body_is_verified_over_its_decoded_bytes(env: AppEnv) -> None:
    import webhook

    raw = uninstall_body(webhookId="wh-b64")
    event = http_event("POST", "/webhooks/ghl", headers={"X-GHL-Signature": sign(raw)}, body=raw)
    assert event["isBase64Encoded"] is True

    response = webhook.handler(event, lambda_context())

    assert json.loads(response["body"])["outcome"] == "uninstalled"
    assert status_of("locW") is InstallationStatus.UNINSTALLED
