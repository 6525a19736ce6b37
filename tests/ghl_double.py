"""A stateful test double of GHL's OAuth endpoints, served over real HTTP so several processes can
share it (respx only reaches the process that set it up).

It behaves as GHL does where it matters for the token lifecycle: refresh tokens are single-use and
rotate on every refresh (a spent one answers `invalid_grant`), authorization codes are single-use,
location tokens carry no refresh token. Faults can be queued: delay, a status, or a stall longer
than the client's timeout.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests import leak_guard


@dataclass
class Fault:
    status: int | None = None  # answer this status instead
    delay: float = 0.0  # seconds to wait before answering (after doing the work when `after`)
    after: bool = False  # do the real work first (the rotation happens), then fail/stall
    body: dict[str, Any] | None = None


@dataclass
class OAuthState:
    client_id: str = "test-client-id"
    client_secret: str = "test-client-secret"
    expires_in: int = 86399
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    live_refresh: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> grant
    spent_refresh: set[str] = field(default_factory=set)
    issued_access: list[str] = field(default_factory=list)
    issued_refresh: list[str] = field(default_factory=list)
    revoked_access: set[str] = field(default_factory=set)
    reject_every_token: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)


class GHLDouble:
    """`with GHLDouble() as ghl: ghl.url ...`"""

    def __init__(self) -> None:
        self.state = OAuthState()
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                double._handle(self)

            def do_GET(self) -> None:
                double._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> GHLDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- set-up helpers for tests ------------------------------------------------------------
    def grant(
        self,
        *,
        user_type: str = "Location",
        location_id: str = "loc1",
        company_id: str = "comp1",
        approved_locations: list[str] | None = None,
    ) -> dict[str, Any]:
        return {
            "userType": user_type,
            "locationId": location_id if user_type == "Location" else None,
            "companyId": company_id,
            "approvedLocations": approved_locations or [],
            "userId": "ghl-user-1",
            "scope": "contacts.readonly opportunities.readonly",
        }

    def issue_code(self, **grant: Any) -> str:
        code = "code-" + secrets.token_hex(8)
        leak_guard.register(code)
        with self.lock:
            self.state.codes[code] = self.grant(**grant)
        return code

    def issue_refresh_token(self, **grant: Any) -> str:
        token = "rt-" + secrets.token_hex(12)
        leak_guard.register(token)
        with self.lock:
            self.state.live_refresh[token] = self.grant(**grant)
            self.state.issued_refresh.append(token)
        return token

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.state.faults.append(fault)

    def revoke_access(self, token: str) -> None:
        with self.lock:
            self.state.revoked_access.add(token)

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.state.requests if r["path"] == path]

    def as_httpx_request(self, recorded: dict[str, Any]) -> Any:
        """A recorded request as an httpx.Request, for the spec checks in tests/ghl_spec.py."""
        import httpx

        url = f"https://services.leadconnectorhq.com{recorded['path']}"
        if recorded["query"]:
            url += "?" + recorded["query"]
        headers = {k: v for k, v in recorded["headers"].items() if k.lower() not in ("host", "content-length")}
        return httpx.Request(recorded["method"], url, headers=headers, content=recorded["body"])

    def token_posts(self, grant_type: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for r in self.state.requests
                if r["path"] == "/oauth/token" and (grant_type is None or r["form"].get("grant_type") == grant_type)
            )

    # --- the server -------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        with self.lock:
            self.state.requests.append(
                {
                    "method": h.command,
                    "path": url.path,
                    "query": url.query,
                    "form": form,
                    "headers": dict(h.headers.items()),
                    "body": raw,
                }
            )
            fault = self.state.faults.popleft() if self.state.faults else None
        if fault and not fault.after:
            time.sleep(fault.delay)
            if fault.status is not None:
                return self._send(h, fault.status, fault.body or {"statusCode": fault.status, "message": "fault"})
        if h.command == "POST" and url.path == "/oauth/token":
            status, body = self._token(form)
        elif h.command == "POST" and url.path == "/oauth/locationToken":
            status, body = self._location_token(h, form)
        elif h.command == "GET" and url.path == "/opportunities/pipelines":
            status, body = self._pipelines(h)
        else:
            status, body = 404, {"statusCode": 404, "message": f"Cannot {h.command} {url.path}"}
        if fault and fault.after:
            time.sleep(fault.delay)
            if fault.status is not None:
                status, body = fault.status, fault.body or {"statusCode": fault.status, "message": "fault"}
        self._send(h, status, body)

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away

    def _issue(self, grant: dict[str, Any], *, with_refresh: bool = True) -> dict[str, Any]:
        access = "at-" + secrets.token_hex(12)
        leak_guard.register(access)
        self.state.issued_access.append(access)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.state.expires_in,
            "scope": grant["scope"],
            "userType": grant["userType"],
            "companyId": grant["companyId"],
            "userId": grant["userId"],
        }
        if grant.get("locationId"):
            body["locationId"] = grant["locationId"]
        if grant.get("approvedLocations"):
            body["approvedLocations"] = grant["approvedLocations"]
        if with_refresh:
            refresh = "rt-" + secrets.token_hex(12)
            leak_guard.register(refresh)
            self.state.live_refresh[refresh] = grant
            self.state.issued_refresh.append(refresh)
            body["refresh_token"] = refresh
        return body

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.state.client_id or form.get("client_secret") != self.state.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Invalid client credentials"}
        with self.lock:
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                grant = self.state.codes.pop(form.get("code", ""), None)
                if grant is None:
                    return 401, {"error": "UnAuthorized!", "error_description": "Authorization code not found"}
                return 200, self._issue(grant)
            if grant_type == "refresh_token":
                token = form.get("refresh_token", "")
                grant = self.state.live_refresh.pop(token, None)
                if grant is None:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Invalid grant: refresh token is invalid",
                    }
                self.state.spent_refresh.add(token)
                return 200, self._issue(grant)
            return 400, {"error": "unsupported_grant_type", "error_description": "grant_type is not supported"}

    def _bearer_ok(self, h: BaseHTTPRequestHandler) -> bool:
        auth = h.headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if self.state.reject_every_token:
            return False
        return token in self.state.issued_access and token not in self.state.revoked_access

    def _pipelines(self, h: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if not self._bearer_ok(h):
                return 401, {
                    "statusCode": 401,
                    "message": "Invalid token: access token is invalid",
                    "error": "Unauthorized",
                }
        if h.headers.get("version") != "2021-07-28":
            return 401, {"statusCode": 401, "message": "version header was not found."}
        return 200, {"pipelines": [{"id": "p1", "name": "Sales", "stages": []}]}

    def _location_token(self, h: BaseHTTPRequestHandler, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if not self._bearer_ok(h):
                return 401, {"statusCode": 401, "message": "Invalid JWT"}
            grant = self.grant(location_id=form.get("locationId", ""), company_id=form.get("companyId", ""))
            body = self._issue(grant, with_refresh=False)
        body["locationId"] = form.get("locationId")
        return 201, body
