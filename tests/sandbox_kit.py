"""GHL for the app's tests: the project's sandbox (`local/ghlsandbox`) in-process on a free port,
with the test client registered, and a few helpers to set up and inspect it.

The sandbox answers as GHL does (codes checked before client credentials, `redirect_uri` checked
against the install, single-use rotating refresh tokens, faults on demand). Its request log
(`state.requests`) keeps no credentials and no bodies, on purpose; the tests must still see what
the app sent (the form of `POST /oauth/token`, the `Authorization` header of a replay), so
`SandboxForTests` also keeps each request as it arrived in `sent`. Every token it issues and every
code handed out here is registered with `tests.leak_guard`.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from ghlsandbox import ALL_SCOPES, DEMO_LOCATION_ID, FaultRule, OAuthClient, Sandbox, SandboxConfig
from ghlsandbox.state import RequestRecord
from ghlsandbox.tokens import Grant

from tests import leak_guard
from tests.lambda_events import DOMAIN

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
REDIRECT_URI = f"https://{DOMAIN}/oauth/callback"
"""Where the OAuth function tells GHL to send the user back (the API's own domain)."""
TOKEN_REJECTED = {"statusCode": 401, "message": "Invalid JWT"}
"""GHL's 401 for an access token it does not accept (issue #213)."""


@dataclass(frozen=True)
class Sent:
    """One request as it reached the sandbox, credentials included (tests only)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    def as_httpx_request(self) -> httpx.Request:
        """As an httpx.Request on GHL's host, for the spec checks in tests/ghl_spec.py."""
        url = f"https://services.leadconnectorhq.com{self.path}" + (f"?{self.query}" if self.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        return httpx.Request(self.method, url, headers=headers, content=self.body)


def _register_tokens(saved: str) -> None:
    tokens = json.loads(saved)
    leak_guard.register(*tokens["access"], *tokens["refresh"])


class SandboxForTests(Sandbox):
    """`with SandboxForTests() as ghl: ghl.url ...`: the sandbox with the app's test client."""

    def __init__(self, **config: Any) -> None:
        client = OAuthClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, name="ghlbridge tests")
        super().__init__(SandboxConfig(clients=(client,), **config), on_tokens=_register_tokens)
        self.sent: list[Sent] = []
        self._sent_lock = threading.Lock()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Keep the request as it arrived, then let the sandbox read it from a copy of the body."""
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = handler.rfile.read(length) if 0 < length <= self.config.max_body_bytes else b""
        url = urlsplit(handler.path)
        if not url.path.startswith("/_sandbox"):
            with self._sent_lock:
                self.sent.append(Sent(handler.command, url.path, url.query, dict(handler.headers.items()), body))
        connection = handler.rfile
        handler.rfile = io.BytesIO(body)
        try:
            super()._serve(handler)
        finally:
            handler.rfile = connection  # the next request on this keep-alive connection

    # --- set-up ----------------------------------------------------------------------------------

    def code_for(self, location_id: str = DEMO_LOCATION_ID, *, user_type: str = "Location") -> str:
        """An authorization code, as "Approve" on the install page gives it, for the app's redirect URI."""
        code = self.authorize(
            location_id=location_id,
            user_type="Company" if user_type == "Company" else "Location",
            redirect_uri=REDIRECT_URI,
        )
        leak_guard.register(code)
        return code

    def refresh_token_for(
        self,
        installation_id: str = "loc1",
        *,
        company: bool = False,
        approved_locations: tuple[str, ...] = (),
        company_id: str = "comp1",
    ) -> str:
        """A live refresh token of an installation made earlier (the store holds it, not the sandbox's data)."""
        grant = Grant(
            client_id=CLIENT_ID,
            app_id=CLIENT_ID.partition("-")[0],
            user_type="Company" if company else "Location",
            company_id=installation_id if company else company_id,
            location_id=None if company else installation_id,
            approved_locations=approved_locations,
            user_id="ghl-user-1",
            scopes=tuple(ALL_SCOPES.split()),
        )
        with self.state.lock:
            pair = self.state.tokens.issue_pair(
                grant,
                now=self.clock(),
                access_ttl=self.config.access_token_ttl_seconds,
                refresh_ttl=self.config.refresh_token_ttl_seconds,
            )
        leak_guard.register(pair["access_token"], pair["refresh_token"])
        return str(pair["refresh_token"])

    def spend(self, refresh_token: str) -> None:
        """GHL no longer accepts this refresh token (used by a refresh whose answer was lost)."""
        with self.state.lock:
            assert refresh_token in self.state.tokens.refresh
            self.state.tokens.spend_refresh(refresh_token)

    def reject_tokens(self, route: str = "GET /opportunities/pipelines", *, count: int | None = None) -> str:
        """GHL answers 401 "Invalid JWT" to every (or the next `count`) call of `route`."""
        return self.add_fault(FaultRule(route, "status", value=401, body=TOKEN_REJECTED, count=count))

    # --- what happened ---------------------------------------------------------------------------

    def sent_to(self, path: str) -> list[Sent]:
        with self._sent_lock:
            return [s for s in self.sent if s.path == path]

    def token_posts(self, grant_type: str | None = None) -> int:
        """`POST /oauth/token` requests that arrived, of one grant type or all."""
        return sum(
            1
            for s in self.sent_to("/oauth/token")
            if s.method == "POST" and (grant_type is None or s.form.get("grant_type") == grant_type)
        )

    def logged(self, path: str) -> list[RequestRecord]:
        """The sandbox's own log of the requests to `path` it answered (method, status, Version...)."""
        with self.state.lock:
            return [r for r in self.state.requests if r.path == path]

    def last_issued(self) -> tuple[str, str]:
        """The newest access token and the newest live refresh token the sandbox issued."""
        with self.state.lock:
            return list(self.state.tokens.access)[-1], list(self.state.tokens.refresh)[-1]
