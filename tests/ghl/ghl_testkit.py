"""For the GHL tests: spec-shaped bodies (apps/oauth.json), the fake credentials the tests hunt for,
and small assertion helpers.

Every credential is distinctive, so "it is not in the log" is a meaningful assertion.
"""

from __future__ import annotations

from typing import Any

import pytest

from ghlbridge.observability import metrics

BASE_URL = "https://services.leadconnectorhq.com"

ACCESS_TOKEN = "at-SECRET-access-7f3a9c"
REFRESH_TOKEN = "rt-SECRET-refresh-51d0e2"
NEW_REFRESH_TOKEN = "rt-SECRET-refresh-rotated-88c1"
CLIENT_ID = "65f0c0ffee-lq1x2y3z"
CLIENT_SECRET = "cs-SECRET-client-4b7e11"
AUTH_CODE = "code-SECRET-9a8b7c"
COMPANY_TOKEN = "ct-SECRET-company-2d4f60"
LOCATION_TOKEN = "lt-SECRET-location-e5a3b9"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2MxIn0.c2lnbmF0dXJlLXNlY3JldA"

SECRETS = (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    NEW_REFRESH_TOKEN,
    CLIENT_SECRET,
    AUTH_CODE,
    COMPANY_TOKEN,
    LOCATION_TOKEN,
    JWT,
)


def token_body(**overrides: Any) -> dict[str, Any]:
    """A `POST /oauth/token` 200 body for a Location token (GetAccessCodeSuccessfulResponseDto)."""
    body: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 86399,
        "refresh_token": NEW_REFRESH_TOKEN,
        "scope": "conversations/message.readonly conversations/message.write",
        "userType": "Location",
        "locationId": "l1C08ntBrFjLS0elLIYU",
        "companyId": "c0MpAnY1d2e3f4g5h6i7",
        "approvedLocations": ["l1C08ntBrFjLS0elLIYU"],
        "userId": "u5Er1d2e3f4g5h6i7j8k",
        "planId": "p1AnId2e3f4g5h6i7j8k",
        "isBulkInstallation": False,
    }
    return body | overrides


def location_token_body(**overrides: Any) -> dict[str, Any]:
    """A `POST /oauth/locationToken` body (GetLocationAccessTokenSuccessfulResponseDto)."""
    body: dict[str, Any] = {
        "access_token": LOCATION_TOKEN,
        "token_type": "Bearer",
        "expires_in": 86399,
        "scope": "opportunities.readonly contacts.readonly oauth.readonly oauth.write",
        "locationId": "l1C08ntBrFjLS0elLIYU",
        "planId": "p1AnId2e3f4g5h6i7j8k",
        "userId": "u5Er1d2e3f4g5h6i7j8k",
        "appId": "6578278e879ad2646715ba9c",
        "versionId": "6578278e879ad2646715ba9c",
    }
    return body | overrides


def assert_no_secrets(*texts: str) -> None:
    """No fake credential above appears in any of the texts."""
    for text in texts:
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"credential leaked: {leaked} in {text!r}"


def log_text(caplog: pytest.LogCaptureFixture, *, logger_name: str | None = None) -> str:
    """Everything the captured records (of one logger, if named) hold: messages and every extra field."""
    records = [r for r in caplog.records if logger_name is None or r.name == logger_name]
    return "\n".join(f"{record.getMessage()} {vars(record)!r}" for record in records)


def metric_values(name: str) -> list[float]:
    entry = metrics.metric_set.get(name)
    return list(entry["Value"]) if entry else []
