"""A PostgREST stand-in over real HTTP, backed by the real PostgreSQL of `tests.pg` (pytest plugin).

It serves what `SupabaseStore` uses: `POST /rest/v1/rpc/<function>` with the service-role key in
`apikey` and `Authorization: Bearer`. Like PostgREST it runs `select public.<function>(<arg> =>
<value>, ...)` in one transaction as `service_role`, the JSON body's keys naming the arguments,
and answers the function's JSON with 200, or a PostgREST-shaped error (`code`, `message`,
`details`, `hint`) with PostgREST's status for the SQLSTATE. So the store's real client code runs
end to end against the real SQL functions; no SQL is tested against a mock.

It is a real threaded server on 127.0.0.1: other processes can use its URL too.

Fixtures (register with `pytest_plugins = ["tests.pg", "tests.postgrest_double"]`):
* `postgrest_double` (session): the running `PostgrestDouble`.
* `postgrest_url` (function): its base URL, the SUPABASE_URL to give `SupabaseStore`, with every
  table truncated first (through `tests.pg`'s `pg_conn`).
* `supabase_store`: a `SupabaseStore` pointed at it with `SERVICE_ROLE_KEY`.
* `supabase_env`: the app's TOKEN_STORE/SUPABASE_URL/SUPABASE_SERVICE_ROLE_KEY for it, set in this
  process (factories reset) and returned for child processes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from ghlbridge.store.supabase import SupabaseStore

SERVICE_ROLE_KEY = "test-service-role-key.not-a-real-jwt"

_RPC_PATH = re.compile(r"/rest/v1/rpc/([a-z_]+)")
_NAME = re.compile(r"[a-z_]+")

# PostgREST's SQLSTATE → HTTP status table (docs: "Errors"); anything else is 400.
_STATUS_EXACT = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
    "42501": 403,
}
_STATUS_CLASS = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500,
    "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500,
    "P0": 500, "XX": 500,
}  # fmt: skip


def _error(
    status: int, code: str, message: str, details: str | None = None, hint: str | None = None
) -> tuple[int, bytes]:
    return status, json.dumps({"code": code, "message": message, "details": details, "hint": hint}).encode()


def _sql_error(exc: psycopg.Error) -> tuple[int, bytes]:
    state = exc.sqlstate
    if state is None:  # no answer from the database at all
        return _error(503, "PGRST000", "Could not connect with the database")
    status = _STATUS_EXACT.get(state) or _STATUS_CLASS.get(state[:2], 400)
    diag = exc.diag
    return _error(status, state, diag.message_primary or str(exc), diag.message_detail, diag.message_hint)


def _argument(value: Any) -> Any:
    """JSON value → query parameter: objects (and arrays of non-strings) go as jsonb, arrays of
    strings as text[], scalars as themselves (strings untyped, so PostgreSQL casts them to the
    parameter's type, as PostgREST's JSON-to-record conversion does)."""
    if isinstance(value, dict) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
        return Jsonb(value)
    return value


class PostgrestDouble:
    """`with PostgrestDouble(dsn, key) as double:` serves on `double.url` until the block ends."""

    def __init__(self, dsn: str, service_key: str = SERVICE_ROLE_KEY) -> None:
        self._dsn = dsn
        self._key = service_key
        self._lock = threading.Lock()
        self.calls: list[str] = []  # the functions called, in order
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.double = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="postgrest-double", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> PostgrestDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def answer(self, path: str, apikey: str | None, authorization: str | None, body: bytes) -> tuple[int, bytes]:
        """One request → (status, JSON body)."""
        match = _RPC_PATH.fullmatch(urlsplit(path).path)
        if match is None:
            return _error(404, "PGRST125", "Invalid path specified in request URL")
        if apikey != self._key or authorization != f"Bearer {self._key}":
            return _error(401, "PGRST301", "No suitable key or wrong key type")
        try:
            args = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "PGRST102", "Empty or invalid json")
        if not isinstance(args, dict) or not all(_NAME.fullmatch(k) for k in args):
            return _error(400, "PGRST102", "The body must be an object of argument names")
        function = match.group(1)
        with self._lock:
            self.calls.append(function)
        query = sql.SQL("select public.{}({})::text").format(
            sql.Identifier(function),
            sql.SQL(", ").join(sql.SQL("{} => {}").format(sql.Identifier(k), sql.Placeholder()) for k in args),
        )
        try:
            with psycopg.connect(self._dsn) as conn:  # one transaction: committed on success
                conn.execute("set local role service_role")
                row = conn.execute(query, [_argument(v) for v in args.values()]).fetchone()
        except psycopg.Error as exc:
            return _sql_error(exc)
        result = row[0] if row is not None else None
        return 200, (result if result is not None else "null").encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # concurrency tests open dozens of connections at once
    double: PostgrestDouble


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.server.double.answer(
            self.path, self.headers.get("apikey"), self.headers.get("Authorization"), body
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
        pass


@pytest.fixture(scope="session")
def postgrest_double(pg_dsn: str) -> Iterator[PostgrestDouble]:
    with PostgrestDouble(pg_dsn) as double:
        yield double


@pytest.fixture
def postgrest_url(postgrest_double: PostgrestDouble, pg_conn: psycopg.Connection[Any]) -> str:
    postgrest_double.reset()
    return postgrest_double.url


@pytest.fixture
def supabase_store(postgrest_url: str) -> Iterator[SupabaseStore]:
    store = SupabaseStore(postgrest_url, SERVICE_ROLE_KEY)
    yield store
    store.close()


@pytest.fixture
def supabase_env(postgrest_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The app's settings for the Supabase store, pointed at the double: set in this process (the
    cached factories reset) and returned for child processes. Request it after any fixture that
    sets TOKEN_STORE=sqlite (`app_env`), so that it wins."""
    from ghlbridge import factories

    env = {
        "TOKEN_STORE": "supabase",
        "SUPABASE_URL": postgrest_url,
        "SUPABASE_SERVICE_ROLE_KEY": SERVICE_ROLE_KEY,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    factories.reset()
    yield env
    factories.reset()
