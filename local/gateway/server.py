"""The local HTTP API: template.yaml's HttpApi routes on 127.0.0.1, each request turned into a
payload 2.0 event for the very handler the template names.

Why not `sam local start-api`: it needs Docker. This runs each function in containers of its own
that are plain processes (see `gateway.functions`: up to `max_workers` per function, 4 by default,
one invocation at a time each, then requests queue) and keeps API Gateway's edges that the
toolkit and the handlers can observe: 404 `{"message":"Not Found"}` for an unknown method+path,
413 over 10 MB before any function runs, CORS from the template's `CorsConfiguration`, 500
`{"message":"Internal Server Error"}` when a function fails, an `apigw-requestid` header.

Environment: each container gets its function's variables from the template (Globals merged as
SAM merges them; plain values, parameters, pseudo parameters, `!Sub`/`!If`/`!Join` resolved),
then this process's environment over them: local settings (TOKEN_STORE, SQLITE_PATH, GHL_BASE_URL,
the secrets of a local run...) win, as `sam local --env-vars` do. A value only CloudFormation
knows (`!Ref ParkingQueue`, a `!GetAtt`) is left out, with one warning per variable unless this
process provides it (the devstack does: PARKING_QUEUE_URL empty, PARKING_DIR in `.dev/`). The
environment is read when a container starts, so a change reaches the containers started after
it. This process's own environment is never changed.

The listen backlog is `REQUEST_QUEUE_SIZE` (128): a browser opening many connections at once is
queued by the kernel, not reset.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from gateway.cors import decorate, is_preflight, preflight
from gateway.events import IncomingRequest, http_api_event, new_request_id, scheduled_event
from gateway.functions import DEFAULT_MAX_WORKERS, LambdaFunction, container_environment
from gateway.responses import HttpResponse, MalformedResultError, from_lambda_result, gateway_message, internal_error
from gateway.template import DEFAULT_ACCOUNT_ID, DEFAULT_STACK_NAME, Cors, Route, Template, match_route

log = logging.getLogger("gateway")

MAX_BODY_BYTES = 10 * 1024 * 1024
"""HTTP API's payload limit: a larger request gets 413 and never reaches a function."""

LocalHandler = Callable[[dict[str, Any]], Any]
"""A local-only route: receives the payload 2.0 event, returns what a Lambda handler would."""

REFRESH_PATH = "/_local/refresh"

REQUEST_QUEUE_SIZE = 128
"""The listen backlog (http.server's default of 5 resets connections of a browser's burst)."""


class Gateway:
    """`with Gateway(Path("template.yaml"), port=0) as gw: httpx.get(gw.url + "/oauth/authorize")`

    `parameters` are template parameter values (e.g. `{"ToolkitOrigin": "http://localhost:5173"}`);
    parameters without one use their `Default`. Port 0 picks a free port (see `url`).
    `max_workers`: containers per function at most (see `gateway.functions`).
    """

    def __init__(
        self,
        template_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        parameters: dict[str, str] | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.account_id = DEFAULT_ACCOUNT_ID
        self.template = Template.read(template_path, parameters, region=self.region, account_id=self.account_id)
        self.host = host
        self.port = port
        self.functions = {
            name: LambdaFunction(
                spec,
                environment=self._environment_of(name),
                region=self.region,
                account_id=self.account_id,
                max_workers=max_workers,
            )
            for name, spec in self.template.functions.items()
        }
        self._warned: set[str] = set()
        self._local: list[tuple[Route, LocalHandler]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for warning in self.template.warnings:
            log.warning("template: %s", warning)
        self.add_local_route("POST", REFRESH_PATH, self._refresh_route)

    # --- routes ----------------------------------------------------------------------------------
    @property
    def routes(self) -> list[tuple[str, str, str]]:
        """The template's HttpApi routes as (method, path, function name)."""
        return [(r.method, r.path, r.function) for r in self.template.routes]

    @property
    def local_routes(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r, _ in self._local]

    def add_local_route(self, method: str, path: str, handler: LocalHandler) -> None:
        """Serve `method path` (`{param}` segments allowed) with `handler`, a local-only extra that
        is never part of template.yaml. Local routes are matched before the template's."""
        route = Route(method.upper(), path, f"local:{getattr(handler, '__name__', 'handler')}")
        for existing in self.template.routes:
            if existing.path == route.path and (existing.accepts(route.method) or route.accepts(existing.method)):
                raise ValueError(f"{route.route_key} is a route of template.yaml ({existing.function})")
        if any(r.path == route.path and r.method == route.method for r, _ in self._local):
            raise ValueError(f"{route.route_key} is already a local route")
        self._local.append((route, handler))

    # --- requests --------------------------------------------------------------------------------
    def handle(self, request: IncomingRequest) -> HttpResponse:
        """The response API Gateway (and the function behind it) would give to `request`."""
        request_id = new_request_id()
        started = time.monotonic()
        cors = self._cors_for(request.path)
        if cors is not None and is_preflight(request):
            response, route_key = preflight(cors, request), "preflight"
        else:
            response, route_key = self._dispatch(request, request_id)
            if cors is not None:
                decorate(cors, request, response)
        return self._finish(request, response, request_id, route_key, started)

    def refuse(self, request: IncomingRequest, status: int, message: str) -> HttpResponse:
        """An answer given before routing (413: the body is never read)."""
        response = gateway_message(status, message)
        cors = self._cors_for(request.path)
        if cors is not None:
            decorate(cors, request, response)
        return self._finish(request, response, new_request_id(), "-", time.monotonic())

    def _dispatch(self, request: IncomingRequest, request_id: str) -> tuple[HttpResponse, str]:
        target: Callable[[dict[str, Any]], Any]
        found = match_route([r for r, _ in self._local], request.method, request.path)
        if found is not None:
            route, params = found
            target = next(h for r, h in self._local if r is route)
        else:
            found = match_route(self.template.routes, request.method, request.path)
            if found is None:
                return gateway_message(404, "Not Found"), "-"
            route, params = found
            target = self.functions[route.function].invoke
        event = http_api_event(
            request,
            route_key=route.route_key,
            path_parameters=params,
            request_id=request_id,
            account_id=self.account_id,
        )
        try:
            return from_lambda_result(target(event)), route.route_key
        except MalformedResultError as exc:
            log.error("%s returned a result API Gateway cannot use: %s", route.function, exc)
        except (Exception, SystemExit):
            log.exception("%s failed on %s (request %s)", route.function, route.route_key, request_id)
        return internal_error(), route.route_key

    def _finish(
        self, request: IncomingRequest, response: HttpResponse, request_id: str, route_key: str, started: float
    ) -> HttpResponse:
        response.headers.append(("apigw-requestid", request_id))
        # Like the template's access log: no query string (the OAuth callback carries a code in it).
        log.info(
            "%s %s %s %d %.0fms %s",
            request_id,
            request.method,
            request.path,
            response.status,
            (time.monotonic() - started) * 1000,
            route_key,
        )
        return response

    def _cors_for(self, path: str) -> Cors | None:
        """The CORS of the API that owns `path` (the only API for a path without routes)."""
        if not self.template.cors:
            return None
        for route in self.template.routes:
            if route.path != "$default" and route.match_path(path) is not None:
                return self.template.cors.get(route.api)
        apis = {r.api for r in self.template.routes}
        return self.template.cors.get(apis.pop()) if len(apis) == 1 else None

    # --- the schedule ----------------------------------------------------------------------------
    def fire_schedule(self, function: str | None = None) -> Any:
        """Invoke the function with a `Schedule` event (the only one, or `function`) with the event
        EventBridge would send, and return its result. Raises `LookupError` when there is no such
        function, or several and none was named."""
        scheduled = self.template.scheduled_functions()
        if function is None:
            if len(scheduled) != 1:
                raise LookupError(f"name one of the scheduled functions: {', '.join(scheduled) or 'none'}")
            function = scheduled[0]
        elif function not in scheduled:
            raise LookupError(f"{function} is not a function with a Schedule event")
        schedule = self.template.functions[function].schedules[0]
        event = scheduled_event(
            f"{DEFAULT_STACK_NAME}-{function}{schedule.name}",
            region=self.region,
            account_id=self.account_id,
            constant_input=schedule.input,
        )
        return self.functions[function].invoke(event)

    def _refresh_route(self, event: dict[str, Any]) -> dict[str, Any]:
        """`POST /_local/refresh[?function=Name]`: the scheduled refresh, now."""
        name = (event.get("queryStringParameters") or {}).get("function")
        try:
            result = self.fire_schedule(name)
        except LookupError as exc:
            status, body = 404, {"message": str(exc)}
        else:
            status, body = 200, result
        return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}

    # --- environment -----------------------------------------------------------------------------
    def _environment_of(self, function: str) -> Callable[[], dict[str, str]]:
        """What a new container of `function` gets (see the module)."""
        values, unknown = self.template.function_environment(function)

        def environment() -> dict[str, str]:
            process = dict(os.environ)
            for key, why in unknown.items():
                if key not in process and f"{function}.{key}" not in self._warned:
                    self._warned.add(f"{function}.{key}")
                    log.warning("%s: %s is left out of its environment (%s)", function, key, why)
            return container_environment(values, process, region=self.region)

        return environment

    # --- serving ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """`http://host:port`, with the port actually bound once serving (port 0 → a free one)."""
        port = self._server.server_address[1] if self._server is not None else self.port
        return f"http://{self.host}:{port}"

    def start(self) -> Gateway:
        """Serve on a background thread; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("the gateway is already serving")
        server = self._server = _Server((self.host, self.port), self)
        for function in self.functions.values():
            function.reopen()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="gateway", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the port, and end every function's containers."""
        server, thread = self._server, self._thread
        if server is not None:
            if thread is not None:
                server.shutdown()  # returns once serve_forever has left its loop
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None
        for function in self.functions.values():
            function.stop()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --- HTTP ----------------------------------------------------------------------------------------
class _BadRequestError(Exception):
    pass


class _TooLargeError(Exception):
    def __init__(self, unread: int | None) -> None:
        super().__init__("request body too large")
        self.unread = unread  # bytes the client still means to send (None: unknown, chunked)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = REQUEST_QUEUE_SIZE
    block_on_close = False  # idle keep-alive connections must not hold up stop()

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _RequestHandler)


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads a request (refusing bodies over `MAX_BODY_BYTES` before reading them) and writes the
    gateway's response. One instance per connection; keep-alive as HTTP/1.1 clients expect."""

    protocol_version = "HTTP/1.1"
    server_version = "local-gateway"
    timeout = 120  # seconds an idle keep-alive connection is kept
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default line has the full request target, query string (OAuth code)
        included. The gateway logs its own access line."""

    def handle_expect_100(self) -> bool:
        """`Expect: 100-continue` with a too large Content-Length: 413 before the body is sent."""
        try:
            length = self._content_length()
        except _BadRequestError:
            length = None
        if length is not None and length > MAX_BODY_BYTES:
            self._send(self.server.gateway.refuse(self._request(b""), 413, "Request Entity Too Large"), close=True)
            return False
        return super().handle_expect_100()

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _TooLargeError as exc:
            self._send(self.server.gateway.refuse(self._request(b""), 413, "Request Entity Too Large"), close=True)
            self._drain(exc.unread)
            return
        except _BadRequestError:
            self._send(self.server.gateway.refuse(self._request(b""), 400, "Bad Request"), close=True)
            return
        self._send(self.server.gateway.handle(self._request(body)))

    def __getattr__(self, name: str) -> Any:
        """`do_<METHOD>` for every method: an `ANY` route takes methods http.server has no name for."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _request(self, body: bytes) -> IncomingRequest:
        return IncomingRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )

    def _content_length(self) -> int | None:
        values = self.headers.get_all("content-length") or []
        if not values:
            return None
        if len(set(values)) != 1 or not values[0].strip().isdigit():
            raise _BadRequestError
        return int(values[0])

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked()
        length = self._content_length()
        if length is None or length == 0:
            return b""
        if length > MAX_BODY_BYTES:
            raise _TooLargeError(length)  # checked before reading a byte of it
        body = self.rfile.read(length)
        if len(body) < length:
            raise _BadRequestError
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequestError from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _TooLargeError(None)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _BadRequestError
            chunks.append(chunk)
            self.rfile.readline(1024)  # the chunk's CRLF

    def _drain(self, unread: int | None, *, seconds: float = 2.0) -> None:
        """Read and discard what the client is still sending before the connection closes: closing
        with unread data makes the kernel reset the connection, and the client may lose the 413."""
        deadline = time.monotonic() + seconds
        left = unread if unread is not None else 4 * MAX_BODY_BYTES
        try:
            self.connection.settimeout(0.2)
            while left > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(65536, left))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def _send(self, response: HttpResponse, *, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status not in (204, 304) and not 100 <= response.status < 200:
            self.send_header("content-length", str(len(response.body)))
        if close:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)
