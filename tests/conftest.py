"""Shared fixtures: the GHL sandbox over real HTTP, the app's settings pointed at it, caller JWTs."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from tests import leak_guard
from tests.sandbox_kit import SandboxForTests

pytest_plugins = ["tests.pg", "tests.postgrest_double"]

SUPABASE_URL = "https://projref.supabase.co"
JWT_SECRET = "test-legacy-jwt-secret-with-at-least-32-bytes!"
STATE_KEY = "test-state-signing-key"
TOKEN_KEYS = {
    "current": "k2",
    "keys": {"k1": base64.b64encode(b"1" * 32).decode(), "k2": base64.b64encode(b"2" * 32).decode()},
}


@dataclass
class AppEnv:
    ghl: SandboxForTests
    tmp: Path
    env: dict[str, str]

    @property
    def sqlite_path(self) -> str:
        return self.env["SQLITE_PATH"]

    @property
    def parking_dir(self) -> Path:
        return Path(self.env["PARKING_DIR"])


def app_environment(ghl_url: str, tmp: Path) -> dict[str, str]:
    """The settings a test run of the app uses (also handed to child processes)."""
    return {
        "TOKEN_STORE": "sqlite",
        "SQLITE_PATH": str(tmp / "tokens.sqlite3"),
        "PARKING_DIR": str(tmp / "parked"),
        "PARKING_QUEUE_URL": "",
        "REAUTH_EVENT_BUS": "",
        "APP_SECRET_ID": "",
        "GHL_BASE_URL": ghl_url,
        "GHL_CLIENT_ID": "test-client-id",
        "GHL_CLIENT_SECRET": "test-client-secret",
        "GHL_TIMEOUT_SECONDS": "2",
        "STATE_SIGNING_KEY": STATE_KEY,
        "TOKEN_KEYS": json.dumps(TOKEN_KEYS),
        "SUPABASE_URL": SUPABASE_URL,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "TOOLKIT_URL": "https://toolkit.example.com/app",
        "REFRESH_LEASE_SECONDS": "5",
        "POWERTOOLS_SERVICE_NAME": "test",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "POWERTOOLS_METRICS_NAMESPACE": "GHLBridge",
    }


@pytest.fixture
def ghl() -> Iterator[SandboxForTests]:
    with SandboxForTests() as sandbox:
        yield sandbox


@pytest.fixture
def app_env(ghl: SandboxForTests, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppEnv]:
    from ghlbridge import factories

    env = app_environment(ghl.url, tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    factories.reset()
    yield AppEnv(ghl, tmp_path, env)
    factories.reset()


def make_jwt(user_id: str | None = None, **overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id or str(uuid.uuid4()),
        "aud": "authenticated",
        "iss": f"{SUPABASE_URL}/auth/v1",
        "iat": now,
        "exp": now + 3600,
        "role": "authenticated",
        "email": "rep@example.com",
    }
    claims.update(overrides)
    token = jwt.encode({k: v for k, v in claims.items() if v is not None}, JWT_SECRET, algorithm="HS256")
    leak_guard.register(token)
    return token


@pytest.fixture(autouse=True)
def _no_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with DEBUG logging; afterwards no secret it saw may appear in any log record."""
    import logging

    from ghlbridge.observability import logger

    leak_guard.register(JWT_SECRET, STATE_KEY, "test-client-secret", *TOKEN_KEYS["keys"].values())
    previous = logger.log_level
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield
    logger.setLevel(previous)
    leak_guard.assert_clean(caplog.records)


@pytest.fixture(autouse=True)
def _fresh_deadline() -> None:
    """Each test is its own invocation: a handler called by an earlier test must not leave its
    (by now expired) deadline behind."""
    from ghlbridge import deadline
    from ghlbridge.observability import metrics

    deadline.start(None)
    metrics.clear_metrics()  # metrics added outside a handler by an earlier test must not be flushed here


@pytest.fixture(autouse=True)
def _no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may reach real AWS from a test."""
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
