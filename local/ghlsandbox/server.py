"""The sandbox server: a stdlib `ThreadingHTTPServer` on 127.0.0.1 and the request pipeline.

Each request goes through the same steps, in this order, so every route gets GHL's checks:

1. a fresh `traceId` (response header on every answer, and in every error body);
2. `/_sandbox/...` control endpoints are answered at once (local-only, never faulted);
3. faults that act before the work (latency, status, timeout, rate_limit);
4. the route: unknown path or method → `404 {"message": "Cannot GET /x"}`;
5. the `Version` header of the route's group: missing → 401, wrong → 400;
6. the bearer token: missing, unknown or expired → 401; wrong class (Company token on a
   sub-account route) or missing scope → 401;
7. the burst and daily rate limits (the `X-RateLimit-*` headers from here on) → 429;
8. the body (bad JSON → 400) and the declared fields (→ 422 with a message array);
9. the handler, under the state lock: it checks location access (403) and the resource
   rules, then changes state only when everything was valid;
10. faults that act after the work (`after=True`).

Nothing is logged but method, path, status, duration and traceId: no query, header or body.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, parse_qsl, urlsplit

from ghlsandbox import control, ids
from ghlsandbox.clock import Clock, utc
from ghlsandbox.config import SandboxConfig, UserType
from ghlsandbox.data import DEMO_LOCATION_ID, seed_data
from ghlsandbox.faults import FaultBook, FaultRule
from ghlsandbox.oauth import approve_install
from ghlsandbox.ratelimit import RateLimiter
from ghlsandbox.resources import ROUTES
from ghlsandbox.routing import (
    AUTH_CLASS_MESSAGE,
    PUBLISHED_VERSIONS,
    ApiError,
    Call,
    Reply,
    Route,
    reason,
    unprocessable,
)
from ghlsandbox.state import RequestRecord, SandboxState
from ghlsandbox.tokens import Grant, TokenStore
from ghlsandbox.validation import body_fields, query_params

logger = logging.getLogger("ghlsandbox")

INVALID_JWT = "Invalid JWT"
EXPIRED_TOKEN = "Invalid token: access token is invalid"  # noqa: S105  (an error message)
MISSING_SCOPE = "The token is not authorized for this scope."


class _Stall(Exception):
    """A `timeout` fault: hold the connection, then close it without an answer."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class Sandbox:
    """A GHL API v2 sandbox over real HTTP.

        with Sandbox(SandboxConfig(burst_limit=5)) as ghl:
            httpx.get(f"{ghl.url}/opportunities/pipelines", ...)

    `state` holds every record and token (tests may read it; hold `state.lock` to change it).
    `clock` (epoch seconds) drives expiry, rate-limit windows and "now" for free slots.
    `on_tokens` receives the OAuth tokens (`export_tokens`' JSON) each time a token is issued,
    spent or expired, under the state lock, so calls come in order: `make dev` keeps them in a
    file, and a stack killed hard comes back with the tokens its store holds.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock = time.time,
        on_tokens: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock
        self.on_tokens = on_tokens
        self.state = SandboxState(
            data=seed_data(self.config.seed, utc(clock())),
            requests=deque(maxlen=self.config.request_log_size),
        )
        self.faults = FaultBook(seed=self.config.seed)
        for rule in self.config.faults:
            self.faults.add(rule)
        self.rate_limiter = RateLimiter(
            burst=self.config.burst_limit,
            window_seconds=self.config.burst_window_seconds,
            daily=self.config.daily_limit,
            clock=clock,
        )
        self.routes: tuple[Route, ...] = ROUTES
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._stopping.clear()
        self._server = _Server((self.config.host, self.config.port), _handler_class(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="ghlsandbox", daemon=True)
        self._thread.start()
        logger.info("GHL sandbox listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving; requests stalled by a fault are released and closed."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    # --- conveniences for tests and `make dev` ------------------------------------------------------

    def authorize(
        self,
        *,
        location_id: str | None = None,
        user_type: UserType = "Location",
        client_id: str | None = None,
        scope: str | None = None,
        redirect_uri: str = "http://localhost/callback",
    ) -> str:
        """An authorization code, as "Approve" on the install page would give (single-use, expires)."""
        client = self.config.client(client_id) if client_id else self.config.clients[0]
        if client is None:
            raise ValueError(f"unknown client_id {client_id!r}")
        if user_type not in ("Location", "Company"):
            raise ValueError("userType must be Location or Company")
        with self.state.lock:
            return approve_install(
                self.state.data,
                self.state.tokens,
                client,
                redirect_uri=redirect_uri,
                scopes=tuple((scope or client.scopes).split()),
                location_id=location_id or DEMO_LOCATION_ID,
                user_type=user_type,
                now=self.clock(),
                code_ttl=self.config.code_ttl_seconds,
            )

    def export_tokens(self) -> str:
        """The OAuth tokens as JSON (secrets: the caller keeps the file private)."""
        with self.state.lock:
            return self.state.tokens.to_json()

    def import_tokens(self, text: str) -> None:
        with self.state.lock:
            self.state.tokens.load_json(text)

    def add_fault(self, rule: FaultRule | dict[str, Any]) -> str:
        """Install a fault rule now; returns its id (for `remove_fault`)."""
        return self.faults.add(rule if isinstance(rule, FaultRule) else FaultRule.from_dict(rule)).id

    def remove_fault(self, fault_id: str) -> bool:
        return self.faults.remove(fault_id)

    def clear_faults(self) -> int:
        return self.faults.clear()

    def expire_tokens(self) -> int:
        """Make every access token expire now; refresh tokens keep working."""
        with self.state.lock:
            expired = self.state.tokens.expire_all(self.clock())
            self._tokens_changed()
            return expired

    def reset(self, *, oauth: bool = False) -> None:
        """Back to the seeded data, an empty outbox, fresh rate limits and the configured faults.
        Installs and tokens survive unless `oauth` (so a running app stays connected)."""
        data = seed_data(self.config.seed, utc(self.clock()))
        with self.state.lock:
            self.state.data = data
            self.state.requests.clear()
            if oauth:
                self.state.tokens = TokenStore()
                self._tokens_changed()
        self.rate_limiter.reset()
        self.faults.clear()
        for rule in self.config.faults:
            self.faults.add(rule)

    @property
    def outbox(self) -> list[dict[str, Any]]:
        """Every recorded send, oldest first."""
        with self.state.lock:
            return [entry.api() for entry in self.state.data.outbox]

    # --- the pipeline ------------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        trace_id = ids.trace_id()
        url = urlsplit(handler.path)
        method, path = handler.command.upper(), url.path or "/"
        try:
            body = self._read_body(handler)
            if path == control.PREFIX or path.startswith(control.PREFIX + "/"):
                try:
                    reply = control.handle(self, method, path, body, handler.client_address[0])
                except ApiError as exc:
                    reply = exc.reply(trace_id)
            else:
                reply = self._with_faults(handler, method, path, url.query, body, trace_id)
        except _Stall as stall:
            self._stopping.wait(stall.seconds)
            handler.close_connection = True
            self._record(method, path, url.query, 0, trace_id, handler, started)
            return
        except ApiError as exc:  # 413 from reading the body
            reply = exc.reply(trace_id)
            handler.close_connection = True
        except Exception:  # a sandbox bug must not look like a network fault: answer 500, log the stack
            logger.exception("sandbox error on %s %s traceId=%s", method, path, trace_id)
            reply = Reply(500, {"statusCode": 500, "message": "Internal server error", "traceId": trace_id})
        # Logged before sending, so a client that reads the log after its answer finds its request.
        self._record(method, path, url.query, reply.status, trace_id, handler, started)
        _send(handler, reply, trace_id)

    def _with_faults(
        self, handler: BaseHTTPRequestHandler, method: str, path: str, query: str, body: bytes, trace_id: str
    ) -> Reply:
        before = self.faults.plan(method, path, after=False)
        if before.delay:
            self._stopping.wait(before.delay)
        if before.answer is not None:
            return self._fault_reply(before.answer, trace_id)
        reply = self._process(handler, method, path, query, body, trace_id)
        after = self.faults.plan(method, path, after=True)
        if after.delay:
            self._stopping.wait(after.delay)
        if after.answer is not None:
            faulted = self._fault_reply(after.answer, trace_id)
            limits = {name: value for name, value in reply.headers.items() if name.startswith("X-RateLimit-")}
            faulted.headers = {**limits, **faulted.headers}  # the work was counted; nothing else of it shows
            return faulted
        return reply

    def _fault_reply(self, rule: FaultRule, trace_id: str) -> Reply:
        if rule.kind == "timeout":
            raise _Stall(self.config.timeout_fault_seconds if rule.value is None else rule.value)
        if rule.kind == "rate_limit":
            reply = ApiError(429, "Too many requests").reply(trace_id)
            reply.headers.update(self.rate_limiter.exhausted_headers())
            return reply
        status = int(rule.value or 500)
        if isinstance(rule.body, str):
            return Reply.html(status, rule.body)
        if rule.body is not None:
            return Reply(status, {**rule.body, "traceId": trace_id})
        message = "Internal server error" if status == 500 else reason(status)
        return Reply(status, {"statusCode": status, "message": message, "traceId": trace_id})

    def _process(
        self, handler: BaseHTTPRequestHandler, method: str, path: str, raw_query: str, body: bytes, trace_id: str
    ) -> Reply:
        route, path_params = self._route(method, path)
        if route is None:
            return ApiError(404, f"Cannot {method} {path}", error="Not Found").reply(trace_id)
        headers = handler.headers
        limit_headers: dict[str, str] = {}
        try:
            self._check_version(route, headers.get("Version"))
            grant = self._authenticate(route, headers.get("Authorization")) if route.auth_class else None
            if grant is not None:
                result = self.rate_limiter.hit((grant.client_id, grant.rate_limit_resource))
                limit_headers = result.headers
                if not result.allowed:
                    raise ApiError(429, "Too many requests")
            query_values = parse_qs(raw_query, keep_blank_values=True)
            payload = _parse_body(route, headers.get("Content-Type", ""), body)
            query: dict[str, Any] = {}
            problems: list[str] = []
            if not route.raw:
                query, problems = query_params(query_values, route.query)
                if route.body is not None:
                    problems += body_fields(payload, route.body)
            if problems:
                raise unprocessable(problems)
            with self.state.lock:
                call = Call(
                    route=route,
                    method=method,
                    path=path,
                    path_params=path_params,
                    query=query,
                    raw_query=query_values,
                    body=payload,
                    grant=grant,
                    data=self.state.data,
                    tokens=self.state.tokens,
                    config=self.config,
                    now=self.clock(),
                    trace_id=trace_id,
                    base_url=_base_url(headers.get("Host"), self.url),
                )
                changes = self.state.tokens.changes
                try:
                    reply = route.handler(call)
                finally:
                    if self.state.tokens.changes != changes:
                        self._tokens_changed()
        except ApiError as exc:
            reply = exc.reply(trace_id)
        reply.headers.update(limit_headers)
        return reply

    def _tokens_changed(self) -> None:
        """Hand the tokens to `on_tokens` (the caller holds the state lock)."""
        if self.on_tokens is None:
            return
        try:
            self.on_tokens(self.state.tokens.to_json())
        except Exception:  # GHL's answer does not depend on it; say so, without the tokens
            logger.exception("on_tokens failed: the tokens were not kept")

    def _route(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The route for this method and path. A trailing slash is ignored (`/calendars/` is the
        spec's spelling, `/calendars` works too), as on GHL's Express-based API."""
        normalized = path.rstrip("/") or "/"
        for route in self.routes:
            if route.method == method:
                params = route.match(normalized)
                if params is not None:
                    return route, params
        return None, {}

    def _check_version(self, route: Route, version: str | None) -> None:
        if route.version is None:
            return
        if not version:
            raise ApiError(401, "version header was not found.")
        allowed = (route.version,) if self.config.strict_versions else PUBLISHED_VERSIONS
        if version not in allowed:
            raise ApiError(400, f"Invalid API version segment: {version[:40]}", error="Bad Request")

    def _authenticate(self, route: Route, authorization: str | None) -> Grant:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, INVALID_JWT)
        with self.state.lock:
            record = self.state.tokens.access.get(token.strip())
        if record is None:
            raise ApiError(401, INVALID_JWT)
        if record.expires_at <= self.clock():
            raise ApiError(401, EXPIRED_TOKEN, error="Unauthorized")
        if record.grant.user_type not in route.auth_classes:
            raise ApiError(401, AUTH_CLASS_MESSAGE)
        if route.scope and route.scope not in record.grant.scopes:
            raise ApiError(401, MISSING_SCOPE)
        return record.grant

    def _read_body(self, handler: BaseHTTPRequestHandler) -> bytes:
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(400, "Invalid Content-Length", error="Bad Request") from None
        if length > self.config.max_body_bytes:
            raise ApiError(413, "request entity too large", error="Payload Too Large")
        return handler.rfile.read(length) if length > 0 else b""

    def _record(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        trace_id: str,
        handler: BaseHTTPRequestHandler,
        started: float,
    ) -> None:
        duration = (time.monotonic() - started) * 1000
        record = RequestRecord(
            method, path, query, status, trace_id, handler.headers.get("Version"), round(duration, 1)
        )
        with self.state.lock:
            self.state.requests.append(record)
        outcome = str(status) if status else "closed without an answer (timeout fault)"
        logger.info("%s %s -> %s in %.0f ms traceId=%s", method, path, outcome, duration, trace_id)


def _parse_body(route: Route, content_type: str, body: bytes) -> dict[str, Any]:
    """The request body as an object. JSON is parsed when the request says it is JSON (a bad
    one is a 400, as from GHL's body parser); form bodies for the OAuth routes; else empty."""
    media_type = content_type.split(";")[0].strip().lower()
    if not body.strip():
        return {}
    if media_type == "application/json" or (media_type.endswith("+json")):
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            position = getattr(exc, "pos", 0)
            raise ApiError(400, f"Unexpected token in JSON at position {position}", error="Bad Request") from None
        if not isinstance(parsed, dict):
            raise ApiError(400, "The request body must be a JSON object", error="Bad Request")
        return parsed
    if media_type == "application/x-www-form-urlencoded" and (route.form or route.raw):
        return dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
    return {}


def _base_url(host_header: str | None, fallback: str) -> str:
    return f"http://{host_header}" if host_header else fallback


def _send(handler: BaseHTTPRequestHandler, reply: Reply, trace_id: str) -> None:
    content, content_type = reply.encode()
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(content)))
        handler.send_header("traceId", trace_id)
        for name, value in reply.headers.items():
            if name.lower() != "content-type":
                handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(content)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client gave up (e.g. its timeout) and went away


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the functions' containers call at once (http.server's default: 5)


def _handler_class(sandbox: Sandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections as with GHL
        server_version = "ghlsandbox"
        sys_version = ""
        timeout = 60  # an idle keep-alive connection is dropped after this
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            pass  # `Sandbox._record` logs, without query strings

        def do_any(self) -> None:
            sandbox._serve(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_any

    return Handler


__all__ = ["Sandbox"]
