"""For the toolkit tests: the ids, a caller of the real handlers with real-shaped HTTP API v2
events (`Toolkit.call`), and helpers to read what GHL was sent."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx
from gateway.events import LambdaContext

from tests import leak_guard
from tests.conftest import make_jwt
from tests.ghl.ghl_testkit import ACCESS_TOKEN, LOCATION_ID
from tests.ghl_spec import assert_request_conforms
from tests.lambda_events import http_event, lambda_context

USER = "3b9f6c2e-8d1a-4f5b-9c7e-1a2b3c4d5e6f"
OTHER_USER = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
LOCATION = LOCATION_ID
OTHER_LOCATION = "oThErLoCaTiOnId00001"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    request_id: str = ""  # the event's requestContext.requestId

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        return dict(self.body["error"])

    @property
    def code(self) -> str:
        return str(self.error["code"])


@dataclass
class Toolkit:
    env: dict[str, str]
    store: Any
    sleeps: list[float] = field(default_factory=list)

    def call(
        self,
        module: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        user: str = USER,
        token: str | None = None,
        key: str | None = None,
        auth: bool = True,
        context: LambdaContext | None = None,
    ) -> Reply:
        """Invoke the handler `module` (a function file the template names) with one request."""
        import importlib

        sent = dict(headers or {})
        if auth:
            sent["Authorization"] = f"Bearer {token or make_jwt(user)}"
        if key is not None:
            sent["Idempotency-Key"] = key
        if body is not None and not isinstance(body, str | bytes):
            body = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        event = http_event(method, path, headers=sent, query=query, body=body)
        result = importlib.import_module(module).handler(event, context or lambda_context())
        text = result.get("body") or ""
        leak_guard.assert_no_secret(text, "a response body")
        return Reply(
            result["statusCode"],
            json.loads(text) if text else None,
            dict(result.get("headers") or {}),
            event["requestContext"]["requestId"],
        )

    def add_member(self, location_id: str = LOCATION, user: str = USER, role: str = "member") -> None:
        from ghlbridge.store import MemberRole

        self.store.add_member(location_id, user, MemberRole(role))


def new_key() -> str:
    return str(uuid.uuid4())


def sent(route: respx.Route, index: int = -1) -> httpx.Request:
    """The request a route received, checked against GHL's spec and our bearer token."""
    request = route.calls[index].request
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert_request_conforms(request)
    return request
