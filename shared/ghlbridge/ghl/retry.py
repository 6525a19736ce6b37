"""When to retry a GHL call and how long to wait first: a pure function of what just happened.

Why these rules:

- GET, HEAD, OPTIONS, PUT and DELETE are idempotent, so sending one twice is harmless. They are
  retried after a connect error, a timeout, a 429 or a 5xx.
- POST and PATCH may already have taken effect when the answer is a timeout or a 5xx (a note
  created twice, a refresh token spent). They are retried only when GHL provably did not act on
  them: a connect error (never sent) or a 429 (refused before processing).
- The wait is GHL's own hint when it gives one (`Retry-After`, else on a 429 the burst window
  `X-RateLimit-Interval-Milliseconds`), otherwise capped exponential backoff with equal jitter.
- A wait that would end too close to the Lambda deadline is not worth starting: give up instead.

`RateLimit` (GHL's rate-limit headers) lives here too, because the policy reads them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final, Literal

TransportErrorKind = Literal["connect", "timeout"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


DEADLINE_RESERVE_SECONDS: Final = 0.5
"""Kept free after a request's timeout, so the caller can still answer before the deadline."""
MIN_ATTEMPT_SECONDS: Final = 0.5
"""Below this timeout an attempt is hopeless (and a POST's outcome would be unknown): don't send."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many tries and how long between them.

    `deadline_margin` is the time a retry must leave before the deadline: what the client keeps
    free after an attempt plus the shortest attempt it will send, so a retry it waits for is sent.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    deadline_margin: float = DEADLINE_RESERVE_SECONDS + MIN_ATTEMPT_SECONDS


@dataclass(frozen=True, slots=True)
class RateLimit:
    """GHL's rate-limit headers on one response; a field is None when its header is absent.

    GHL counts per app *and* per resource (location or company): 100 requests per 10 s burst
    window, 200,000 per day (GHL-NOTES §6).
    """

    daily_limit: int | None  # X-RateLimit-Limit-Daily
    daily_remaining: int | None  # X-RateLimit-Daily-Remaining
    interval_ms: int | None  # X-RateLimit-Interval-Milliseconds (the burst window)
    burst_limit: int | None  # X-RateLimit-Max
    burst_remaining: int | None  # X-RateLimit-Remaining

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        """Parse the five headers; None when the response carries none of them."""
        lower = _lowercase(headers)
        limit = cls(
            daily_limit=_int_header(lower, "x-ratelimit-limit-daily"),
            daily_remaining=_int_header(lower, "x-ratelimit-daily-remaining"),
            interval_ms=_int_header(lower, "x-ratelimit-interval-milliseconds"),
            burst_limit=_int_header(lower, "x-ratelimit-max"),
            burst_remaining=_int_header(lower, "x-ratelimit-remaining"),
        )
        return None if limit == _NO_RATE_LIMIT else limit


_NO_RATE_LIMIT = RateLimit(None, None, None, None, None)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or an HTTP date); None if unusable."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT; the parser leaves "-0000" naive
        return None
    return max(0.0, when.timestamp() - now)


def rate_limit_wait(headers: Mapping[str, str], *, now: float) -> float | None:
    """The wait GHL asks for on a 429, in seconds: `Retry-After` if usable, else the burst window
    (`X-RateLimit-Interval-Milliseconds`) when no request of it is left; None without a hint (or
    when the daily quota is spent, which no wait of one invocation cures)."""
    lower = _lowercase(headers)
    retry_after = parse_retry_after(lower.get("retry-after"), now=now)
    if retry_after is not None:
        return retry_after
    limit = RateLimit.from_headers(lower) or _NO_RATE_LIMIT
    if limit.daily_remaining == 0:
        return None
    if limit.interval_ms is not None and limit.burst_remaining in (None, 0):
        return limit.interval_ms / 1000.0
    return None


def retry_delay(
    *,
    attempt: int,
    method: str,
    status: int | None,
    transport_error: TransportErrorKind | None,
    headers: Mapping[str, str],
    time_left: float,
    rng: Callable[[], float],
    policy: RetryPolicy = RetryPolicy(),  # frozen: a safe shared default
    now: Callable[[], float] = time.time,
    rate_limit_wait_left: float = math.inf,
) -> float | None:
    """Seconds to sleep before the next try, or None to give up now.

    `attempt` is the number (from 1) of the try that just failed; `status` is its HTTP status,
    or None when `transport_error` says it got no response. `time_left` is the seconds until the
    deadline (`ghlbridge.deadline.remaining()`). `rate_limit_wait_left` is what is left of the
    invocation's budget for waiting on GHL's rate limit (`ghlbridge.deadline.rate_limit_wait_left()`):
    a 429 whose wait exceeds it is given up at once, so an interactive request answers 429 rather
    than sleep. `now` (wall-clock seconds) only serves to read a `Retry-After` HTTP date.
    """
    if attempt >= policy.max_attempts or not _may_retry(method, status, transport_error):
        return None
    delay = _wait(attempt=attempt, status=status, headers=_lowercase(headers), rng=rng, policy=policy, now=now)
    if delay is None or delay > time_left - policy.deadline_margin:
        return None
    if status == 429 and delay > rate_limit_wait_left:
        return None
    return delay


def _may_retry(method: str, status: int | None, transport_error: TransportErrorKind | None) -> bool:
    if status == 429 or transport_error == "connect":
        return True  # GHL did not act on the request: safe for every method
    if method.upper() not in IDEMPOTENT_METHODS:
        return False
    return transport_error == "timeout" or (status is not None and status >= 500)


def _wait(
    *,
    attempt: int,
    status: int | None,
    headers: Mapping[str, str],
    rng: Callable[[], float],
    policy: RetryPolicy,
    now: Callable[[], float],
) -> float | None:
    if status == 429:
        hint = rate_limit_wait(headers, now=now())  # GHL's own: Retry-After, else its burst window
        if hint is not None:
            return hint
        if (RateLimit.from_headers(headers) or _NO_RATE_LIMIT).daily_remaining == 0:
            return None  # the daily quota is spent: no wait inside one invocation helps
    else:
        retry_after = parse_retry_after(headers.get("retry-after"), now=now())
        if retry_after is not None:
            return retry_after
    ceiling = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
    return ceiling / 2 + rng() * ceiling / 2  # "equal jitter": never hammer, never wait > ceiling


def _lowercase(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        return None
