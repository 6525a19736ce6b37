"""Fixtures for the security tests: a clean, known environment for settings, secrets and auth."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from ghlbridge.settings import Settings
from tests import leak_guard

SUPABASE_URL = "https://sec-test.supabase.co"
GHL_CLIENT_ID = "app123-suffix456"
CLIENT_SECRET = "sec-client-secret-0123456789"
STATE_KEY = "sec-state-signing-key-0123456789"
JWT_SECRET = "sec-legacy-jwt-secret-with-at-least-32-bytes"
KEY_1 = base64.b64encode(b"\x01" * 32).decode()
KEY_2 = base64.b64encode(b"\x02" * 32).decode()
TOKEN_KEYS = {"current": "k2", "keys": {"k1": KEY_1, "k2": KEY_2}}

leak_guard.register(CLIENT_SECRET, STATE_KEY, JWT_SECRET, KEY_1, KEY_2)


def reset_all() -> None:
    from ghlbridge import factories

    factories.reset()  # settings, secrets, the caller verifier and every other cached object


@pytest.fixture(autouse=True)
def security_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every setting unset except a local-mode baseline (secrets by value, no APP_SECRET_ID)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    baseline = {
        "SUPABASE_URL": SUPABASE_URL,
        "GHL_CLIENT_ID": GHL_CLIENT_ID,
        "GHL_CLIENT_SECRET": CLIENT_SECRET,
        "STATE_SIGNING_KEY": STATE_KEY,
        "TOKEN_KEYS": json.dumps(TOKEN_KEYS),
        "TOKEN_STORE": "sqlite",
        "POWERTOOLS_SERVICE_NAME": "security-tests",
    }
    for name, value in baseline.items():
        monkeypatch.setenv(name, value)
    reset_all()
    yield
    reset_all()
