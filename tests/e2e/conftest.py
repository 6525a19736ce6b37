"""The local stack over real HTTP on free ports: GHL sandbox + local API gateway + SQLite store."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests import leak_guard

WEBHOOK_KEY = ed25519.Ed25519PrivateKey.generate()
WEBHOOK_PUBLIC_PEM = (
    WEBHOOK_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


@dataclass
class Stack:
    stack: Any  # devstack.stack.DevStack
    token: str
    location_id: str

    @property
    def api(self) -> str:
        return str(self.stack.api_url)

    @property
    def ghl(self) -> str:
        return str(self.stack.sandbox.url)

    @property
    def sandbox(self) -> Any:
        return self.stack.sandbox

    def ghl_requests(self, path_part: str = "") -> list[dict[str, Any]]:
        """The requests the GHL sandbox received (its log), those whose path holds `path_part`."""
        log = httpx.get(f"{self.ghl}/_sandbox/requests", timeout=10).json()["requests"]
        return [r for r in log if path_part in r["path"]]

    def token_for(self, user_id: str, email: str = "rep@example.com") -> str:
        """A dev JWT of another toolkit user (local runs only accept it)."""
        token = str(self.stack.secrets.mint_jwt(user_id=user_id, email=email))
        leak_guard.register(token)
        return token

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """`method path` on the API as the dev user (or as the owner of `token`)."""
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.api}{path}", headers=headers, timeout=60, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", path, **kwargs)

    def sign_webhook(self, raw: bytes) -> str:
        return base64.b64encode(WEBHOOK_KEY.sign(raw)).decode()


def start_stack(tmp: Path, **sandbox: Any) -> Stack:
    from devstack.stack import DevStack, StackConfig

    config = StackConfig(dev_dir=tmp / ".dev", api_port=0, sandbox_port=0, sandbox_overrides=sandbox)
    stack = DevStack(config, environ={}).start()
    token = stack.dev_token()
    leak_guard.register(token)
    return Stack(stack, token, stack.ensure_demo_install(token))


@pytest.fixture
def make_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`make_stack(**sandbox_config)` starts a fresh stack; everything stops afterwards (and the
    stack puts the environment back)."""
    monkeypatch.setenv("GHL_WEBHOOK_ED25519_PUBLIC_KEY", WEBHOOK_PUBLIC_PEM)
    monkeypatch.setenv("REFRESH_LEASE_SECONDS", "5")
    started: list[Stack] = []

    def make(**sandbox: Any) -> Stack:
        started.append(start_stack(tmp_path, **sandbox))
        return started[-1]

    yield make
    for stack in started:
        stack.stack.stop()


@pytest.fixture
def stack(make_stack: Any) -> Stack:
    return make_stack()  # type: ignore[no-any-return]
