"""Warm overhead of a toolkit request, and store round trips per warm request (`make bench`).

One process plays a warm Lambda container: the real handler of `GET /locations/{id}/opportunities`
(template.yaml's OpportunitiesFunction) is called with real-shaped HTTP API v2 events, GHL is
answered by an in-process httpx transport, the token store is SQLite. Measured in the same run:

- the time per request through the handler (JWT check, membership, validation, token, GHL call,
  response model) against a bare httpx call to the same transport (target: at most 2x);
- the token-store calls per warm request with a fresh token (target: 0).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared")]

LOCATION = "BenchLocation0000001"
USER = str(uuid.uuid4())
SUPABASE_URL = "https://bench.supabase.co"
JWT_SECRET = "bench-legacy-jwt-secret-with-at-least-32-bytes"  # noqa: S105 (a bench-only key)


def environment(tmp: Path) -> dict[str, str]:
    keys = {"current": "k1", "keys": {"k1": base64.b64encode(os.urandom(32)).decode()}}
    return {
        "TOKEN_STORE": "sqlite",
        "SQLITE_PATH": str(tmp / "tokens.sqlite3"),
        "PARKING_DIR": str(tmp / "parked"),
        "GHL_BASE_URL": "https://services.leadconnectorhq.com",
        "GHL_CLIENT_ID": "bench",
        "GHL_CLIENT_SECRET": "bench-secret",
        "STATE_SIGNING_KEY": "bench-state-key",
        "TOKEN_KEYS": json.dumps(keys),
        "SUPABASE_URL": SUPABASE_URL,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        # As deployed (template.yaml): INFO logs, metrics flushed as EMF on every invocation.
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_NAMESPACE": "GHLBridge",
        "POWERTOOLS_SERVICE_NAME": "bench",
    }


def ghl_transport() -> Any:
    import httpx

    pipelines = {
        "pipelines": [
            {
                "id": "pipe1",
                "name": "Sales",
                "stages": [{"id": f"stage{i}", "name": f"Stage {i}", "position": i} for i in range(5)],
            }
        ]
    }
    opportunities = {
        "opportunities": [
            {
                "id": f"opp{i:04d}",
                "name": f"Deal {i}",
                "pipelineId": "pipe1",
                "pipelineStageId": f"stage{i % 5}",
                "status": "open",
                "monetaryValue": 1000 + i,
                "contactId": f"contact{i}",
                "locationId": LOCATION,
                "createdAt": "2026-11-01T10:00:00.000Z",
                "updatedAt": "2026-11-02T10:00:00.000Z",
            }
            for i in range(20)
        ],
        "meta": {
            "total": 200,
            "currentPage": 1,
            "nextPage": 2,
            "startAfter": 1793000000000,
            "startAfterId": "opp0019",
            "nextPageUrl": "https://services.leadconnectorhq.com/opportunities/search",
        },
    }

    def answer(request: httpx.Request) -> httpx.Response:
        body = pipelines if request.url.path.endswith("/pipelines") else opportunities
        return httpx.Response(200, json=body, headers={"X-RateLimit-Remaining": "99", "X-RateLimit-Max": "100"})

    return httpx.MockTransport(answer)


class CountingStore:
    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return target(*args, **kwargs)

        return call


def load_handler(function_file: Path) -> Any:
    spec = importlib.util.spec_from_file_location("bench_handler", function_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def caller_token(user: str = USER) -> str:
    """A toolkit user's Supabase JWT (legacy HS256 secret), valid for an hour."""
    import jwt

    now = int(time.time())
    claims = {
        "sub": user,
        "aud": "authenticated",
        "iss": f"{SUPABASE_URL}/auth/v1",
        "iat": now,
        "exp": now + 3600,
        "role": "authenticated",
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def http_event(
    token: str,
    route_key: str,
    path: str,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API v2 (payload 2.0) event of `route_key` (e.g. `"GET /locations/{locationId}"`)."""
    method = route_key.split(" ", 1)[0]
    shaped: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "&".join(f"{name}={value}" for name, value in (query or {}).items()),
        "headers": {"authorization": f"Bearer {token}", "host": "bench.local"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
            "requestId": "bench",
            "domainName": "bench.local",
            "routeKey": route_key,
        },
        "isBase64Encoded": False,
    }
    if query:
        shaped["queryStringParameters"] = query
    if path_parameters:
        shaped["pathParameters"] = path_parameters
    return shaped


def event(token: str, search: str | None = None) -> dict[str, Any]:
    query = {"limit": "20"} | ({"q": search} if search else {})
    return http_event(
        token,
        "GET /locations/{locationId}/opportunities",
        f"/locations/{LOCATION}/opportunities",
        {"locationId": LOCATION},
        query,
    )


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)

    import warnings

    warnings.filterwarnings("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ.update(environment(tmp))

    import httpx

    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.ghl.client import GHLClient
    from ghlbridge.store import Installation, InstallationKind
    from ghlbridge.tokens.refresh import aad

    transport = ghl_transport()
    factories.reset()
    real_store = factories.get_store()
    cipher = get_cipher()
    real_store.save_installation(
        Installation(
            id=LOCATION,
            kind=InstallationKind.LOCATION,
            user_type="Location",
            access_token_enc=cipher.encrypt("bench-access-token", aad=aad(LOCATION, "access")),
            refresh_token_enc=cipher.encrypt("bench-refresh-token", aad=aad(LOCATION, "refresh")),
            expires_at=datetime.now(UTC) + timedelta(hours=20),
            scopes=["opportunities.readonly"],
        )
    )
    real_store.add_member(LOCATION, USER, "owner")
    counting = CountingStore(real_store)
    client = GHLClient(base_url="https://services.leadconnectorhq.com", timeout=10, transport=transport)
    factories.get_store = lambda: counting  # type: ignore[assignment]
    factories.get_ghl_client = lambda: client  # type: ignore[assignment]

    token = caller_token()
    handler = load_handler(ROOT / "functions" / "opportunities" / "opportunities.py")
    context = Context()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        warm = handler(event(token), context)
    if warm["statusCode"] != 200:
        print(f"warm-up request failed: {warm['statusCode']} {warm['body'][:300]}", file=sys.stderr)
        return 2

    # Two kinds of warm request, and the bare call, measured in interleaved rounds (the same
    # conditions for all three): the same list again (what a container has seen before, e.g. the
    # GHL URL, is reused) and a new search each time (`q` differs: nothing can be reused).
    bare_client = httpx.Client(transport=transport, base_url="https://services.leadconnectorhq.com")
    searches = [f"deal{i}" for i in range(args.requests)]
    same_events = [event(token) for _ in searches]  # built beforehand: Lambda hands over a parsed event
    new_events = [event(token, search) for search in searches]
    again: list[float] = []
    new: list[float] = []
    bare: list[float] = []
    counting.calls = 0
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # the EMF lines, as Lambda's stdout
        for same_event, new_event, search in zip(same_events, new_events, searches, strict=True):
            again.append(timed(lambda e=same_event: handler(e, context)))
            new.append(timed(lambda e=new_event: handler(e, context)))
            bare.append(
                timed(
                    lambda q=search: bare_client.get(
                        "/opportunities/search",
                        params={"location_id": LOCATION, "limit": 20, "q": q},
                        headers={"Authorization": "Bearer x", "Version": "2021-07-28"},
                    ).json()
                )
            )
    round_trips = counting.calls / (2 * args.requests)

    bare_us = statistics.median(bare) * 1e6
    rows = [
        ("the same list again", statistics.median(again) * 1e6),
        ("a new search each time", statistics.median(new) * 1e6),
    ]
    print(
        f"Warm requests, median of {args.requests} interleaved rounds, GHL answered in-process (httpx.MockTransport)\n"
    )
    print("| measure | value | target | verdict |")
    print("|---|---:|---|---|")
    print(f"| bare httpx call to the same transport | {bare_us:.0f} µs | | |")
    passed = round_trips == 0
    for name, handler_us in rows:
        ratio = handler_us / bare_us
        passed = passed and ratio <= 2
        print(f"| handler `GET /locations/{{id}}/opportunities`, {name} | {handler_us:.0f} µs | | |")
        print(f"| … / bare | {ratio:.2f}x | ≤ 2x | {'pass' if ratio <= 2 else 'FAIL'} |")
    print(f"| store round trips per warm request | {round_trips:.2f} | 0 | {'pass' if round_trips == 0 else 'FAIL'} |")
    return 0 if passed else 1


def timed(call: Any) -> float:
    """Seconds one call takes; a handler's answer must be a 200."""
    started = time.perf_counter()
    answer = call()
    seconds = time.perf_counter() - started
    assert not isinstance(answer, dict) or answer.get("statusCode", 200) == 200, answer
    return seconds


if __name__ == "__main__":
    raise SystemExit(main())
