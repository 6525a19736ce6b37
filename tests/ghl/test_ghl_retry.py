"""The retry policy as a table: method x outcome x headers x time left → delay (or None: give up).

rng() is fixed at 0.5, so backoff with equal jitter is 0.75 x min(8, 0.5 x 2^(attempt-1)):
0.375 s after try 1, 0.75 s after try 2, 1.5 s after try 3; there is no try 5 (4 in all).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from email.utils import formatdate

import httpx
import pytest

from ghlbridge.ghl.retry import (
    RateLimit,
    RetryPolicy,
    TransportErrorKind,
    parse_retry_after,
    rate_limit_wait,
    retry_delay,
)

NOW = 1_767_000_000.0  # the wall clock a Retry-After HTTP date is compared with
WINDOW = {"X-RateLimit-Interval-Milliseconds": "10000"}


def delay(
    method: str,
    status: int | None = None,
    error: TransportErrorKind | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    attempt: int = 1,
    time_left: float = 30.0,
    rng: float = 0.5,
    policy: RetryPolicy | None = None,
    wait_left: float = math.inf,
) -> float | None:
    return retry_delay(
        attempt=attempt,
        method=method,
        status=status,
        transport_error=error,
        headers=headers or {},
        time_left=time_left,
        rng=lambda: rng,
        policy=policy or RetryPolicy(),
        now=lambda: NOW,
        rate_limit_wait_left=wait_left,
    )


@pytest.mark.parametrize(
    ("method", "status", "error", "expected"),
    [
        # idempotent methods: connect errors, timeouts, 429 and 5xx are retried
        ("GET", None, "connect", 0.375),
        ("GET", None, "timeout", 0.375),
        ("GET", 429, None, 0.375),
        ("GET", 500, None, 0.375),
        ("GET", 502, None, 0.375),
        ("GET", 503, None, 0.375),
        ("GET", 504, None, 0.375),
        ("PUT", None, "connect", 0.375),
        ("PUT", None, "timeout", 0.375),
        ("PUT", 429, None, 0.375),
        ("PUT", 500, None, 0.375),
        ("DELETE", None, "connect", 0.375),
        ("DELETE", None, "timeout", 0.375),
        ("DELETE", 429, None, 0.375),
        ("DELETE", 503, None, 0.375),
        ("HEAD", 503, None, 0.375),
        ("get", 500, None, 0.375),  # method case does not matter
        # POST and PATCH: only when GHL provably did not act (never sent, or refused with 429)
        ("POST", None, "connect", 0.375),
        ("POST", 429, None, 0.375),
        ("POST", None, "timeout", None),
        ("POST", 500, None, None),
        ("POST", 502, None, None),
        ("POST", 503, None, None),
        ("PATCH", None, "connect", 0.375),
        ("PATCH", 429, None, 0.375),
        ("PATCH", None, "timeout", None),
        ("PATCH", 500, None, None),
        # client errors are never retried, whatever the method
        ("GET", 400, None, None),
        ("GET", 401, None, None),
        ("GET", 403, None, None),
        ("GET", 404, None, None),
        ("PUT", 409, None, None),
        ("PUT", 422, None, None),
        ("POST", 400, None, None),
        ("POST", 401, None, None),
        # nothing happened that could be retried
        ("GET", None, None, None),
    ],
)
def test_what_is_retried(method: str, status: int | None, error: TransportErrorKind | None, expected: float) -> None:
    assert delay(method, status, error) == expected


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(1, 0.375), (2, 0.75), (3, 1.5), (4, None), (5, None)],
)
def test_backoff_doubles_until_the_fourth_try(attempt: int, expected: float | None) -> None:
    assert delay("GET", 503, attempt=attempt) == expected


@pytest.mark.parametrize(
    ("policy", "attempt", "expected"),
    [
        (RetryPolicy(max_attempts=2), 2, None),
        (RetryPolicy(max_attempts=10), 6, 6.0),  # 0.5 x 2^5 = 16, capped at 8, x 0.75
        (RetryPolicy(max_attempts=10, max_delay=2.0), 9, 1.5),
        (RetryPolicy(base_delay=1.0), 2, 1.5),
        (RetryPolicy(max_attempts=1), 1, None),  # one try only: never retry
    ],
)
def test_policy_knobs(policy: RetryPolicy, attempt: int, expected: float | None) -> None:
    assert delay("GET", 500, attempt=attempt, policy=policy) == expected


@pytest.mark.parametrize(("rng", "expected"), [(0.0, 0.5), (0.5, 0.75), (0.999, 0.9995)])
def test_equal_jitter_stays_between_half_and_full_ceiling(rng: float, expected: float) -> None:
    assert delay("GET", 500, attempt=2, rng=rng) == pytest.approx(expected)  # ceiling 1 s


@pytest.mark.parametrize(
    ("method", "status", "headers", "expected"),
    [
        # Retry-After in seconds (any case of header name), used as is: no jitter
        ("GET", 429, {"Retry-After": "3"}, 3.0),
        ("POST", 429, {"retry-after": "3"}, 3.0),
        ("GET", 429, {"RETRY-AFTER": "2.5"}, 2.5),
        ("GET", 429, {"Retry-After": "0"}, 0.0),
        ("GET", 503, {"Retry-After": "4"}, 4.0),
        ("POST", 503, {"Retry-After": "4"}, None),  # the hint never makes a POST 5xx retryable
        # Retry-After as an HTTP date
        ("GET", 429, {"Retry-After": formatdate(NOW + 5, usegmt=True)}, 5.0),
        ("POST", 429, {"Retry-After": formatdate(NOW - 60, usegmt=True)}, 0.0),  # already past
        # an unreadable Retry-After falls back to backoff
        ("GET", 429, {"Retry-After": "soon"}, 0.375),
        ("GET", 429, {"Retry-After": ""}, 0.375),
        # GHL's burst window on a 429 (no Retry-After)
        ("GET", 429, {**WINDOW, "X-RateLimit-Remaining": "0"}, 10.0),
        ("POST", 429, {**WINDOW, "X-RateLimit-Remaining": "0"}, 10.0),
        ("GET", 429, WINDOW, 10.0),  # remaining unknown: assume the window is spent
        ("GET", 429, {"x-ratelimit-interval-milliseconds": "2500"}, 2.5),
        ("GET", 429, {**WINDOW, "X-RateLimit-Remaining": "40"}, 0.375),  # burst not spent: backoff
        ("GET", 429, {**WINDOW, "Retry-After": "1"}, 1.0),  # Retry-After wins
        ("GET", 503, {**WINDOW, "X-RateLimit-Remaining": "0"}, 0.375),  # the window is for 429 only
        # daily quota spent: no wait within one invocation helps
        ("GET", 429, {"X-RateLimit-Daily-Remaining": "0", **WINDOW}, None),
        ("POST", 429, {"X-RateLimit-Daily-Remaining": "0"}, None),
        ("GET", 429, {"X-RateLimit-Daily-Remaining": "120", **WINDOW}, 10.0),
    ],
)
def test_waits_for_what_ghl_says(method: str, status: int, headers: dict[str, str], expected: float | None) -> None:
    assert delay(method, status, headers=headers) == expected


@pytest.mark.parametrize(
    ("status", "headers", "time_left", "expected"),
    [
        (500, {}, 1.375, 0.375),  # ends exactly at time_left - margin: allowed
        (500, {}, 1.374, None),
        (500, {}, 0.5, None),
        (500, {}, -1.0, None),
        (429, {"Retry-After": "10"}, 11.0, 10.0),
        (429, {"Retry-After": "10"}, 10.5, None),
        (429, {"Retry-After": "120"}, 30.0, None),
        (429, {**WINDOW, "X-RateLimit-Remaining": "0"}, 10.99, None),
        (429, {**WINDOW, "X-RateLimit-Remaining": "0"}, 11.0, 10.0),
    ],
)
def test_never_waits_past_the_deadline(
    status: int, headers: dict[str, str], time_left: float, expected: float | None
) -> None:
    assert delay("GET", status, headers=headers, time_left=time_left) == expected


@pytest.mark.parametrize(
    ("method", "status", "headers", "wait_left", "expected"),
    [
        ("GET", 429, {**WINDOW, "X-RateLimit-Remaining": "0"}, 2.0, None),  # 10 s window, 2 s budget: answer now
        ("GET", 429, {**WINDOW, "X-RateLimit-Remaining": "0"}, 10.0, 10.0),  # the refresh's budget: wait
        ("POST", 429, {"Retry-After": "2"}, 2.0, 2.0),  # exactly the budget: allowed
        ("POST", 429, {"Retry-After": "2"}, 1.99, None),
        ("GET", 429, {}, 0.375, 0.375),  # backoff without a hint counts too
        ("GET", 429, {}, 0.374, None),
        ("GET", 429, {"Retry-After": "1"}, 0.0, None),  # budget spent
        ("GET", 500, {}, 0.0, 0.375),  # only 429 waits are budgeted: a 5xx backoff is not GHL's rate limit
        ("GET", None, {}, 0.0, None),  # (no status, no transport error: nothing to retry)
    ],
)
def test_rate_limit_waits_stay_within_the_invocations_budget(
    method: str, status: int | None, headers: dict[str, str], wait_left: float, expected: float | None
) -> None:
    assert delay(method, status, headers=headers, wait_left=wait_left) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "Mon, 29 Dec 2025 09:20:10 GMT"}, 10.0),
        ({**WINDOW, "X-RateLimit-Remaining": "0"}, 10.0),
        (WINDOW, 10.0),
        ({**WINDOW, "X-RateLimit-Remaining": "3"}, None),  # requests are left: not a burst-window wait
        ({**WINDOW, "X-RateLimit-Daily-Remaining": "0"}, None),  # the day's quota: no wait of ours helps
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_the_wait_ghl_asks_for(headers: dict[str, str], expected: float | None) -> None:
    assert rate_limit_wait(headers, now=NOW) == expected


def test_deadline_margin_is_configurable() -> None:
    assert delay("GET", 500, time_left=0.5, policy=RetryPolicy(deadline_margin=0.0)) == 0.375
    assert delay("GET", 500, time_left=5.0, policy=RetryPolicy(deadline_margin=4.7)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 7 ", 7.0),
        ("-3", 0.0),
        (formatdate(NOW + 90, usegmt=True), 90.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_rate_limit_reads_all_five_headers() -> None:
    headers = httpx.Headers(
        {
            "X-RateLimit-Limit-Daily": "200000",
            "X-RateLimit-Daily-Remaining": "199876",
            "X-RateLimit-Interval-Milliseconds": "10000",
            "X-RateLimit-Max": "100",
            "X-RateLimit-Remaining": "97",
        }
    )
    assert RateLimit.from_headers(headers) == RateLimit(
        daily_limit=200000, daily_remaining=199876, interval_ms=10000, burst_limit=100, burst_remaining=97
    )


def test_rate_limit_keeps_what_is_readable() -> None:
    limit = RateLimit.from_headers({"x-ratelimit-remaining": "5", "X-RateLimit-Max": "lots"})
    assert limit == RateLimit(None, None, None, None, 5)


def test_rate_limit_is_none_without_headers() -> None:
    assert RateLimit.from_headers({"Content-Type": "application/json"}) is None
