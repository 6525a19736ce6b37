"""GHL's rate limits: a burst limit (100 requests per 10 seconds by default) and a daily limit
(200,000), both per Marketplace app per Location or Company (GHL-NOTES §6).

Every authenticated answer carries the five `X-RateLimit-*` headers. Past either limit GHL
answers `429 {"statusCode":429,"message":"Too many requests"}` without `Retry-After`, so a client
has to work out its wait from `X-RateLimit-Interval-Milliseconds`. A refused request does not
count against the limits. The burst window slides; the daily count resets at 00:00 UTC.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ghlsandbox.clock import Clock

type LimitKey = tuple[str, str]  # (client id, location or company id)


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    headers: dict[str, str]


@dataclass
class _Bucket:
    recent: deque[float] = field(default_factory=deque)
    day: str = ""
    used_today: int = 0


class RateLimiter:
    """Thread-safe counters per (client, resource)."""

    def __init__(self, *, burst: int, window_seconds: float, daily: int, clock: Clock) -> None:
        self.burst = burst
        self.window = window_seconds
        self.daily = daily
        self._clock = clock
        self._buckets: dict[LimitKey, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, key: LimitKey) -> RateLimitResult:
        """Count one request for `key` unless a limit is reached; the headers describe the result."""
        now = self._clock()
        with self._lock:
            bucket = self._bucket(key, now)
            allowed = len(bucket.recent) < self.burst and bucket.used_today < self.daily
            if allowed:
                bucket.recent.append(now)
                bucket.used_today += 1
            return RateLimitResult(allowed, self._headers(bucket))

    def exhausted_headers(self) -> dict[str, str]:
        """The headers of a 429 from a `rate_limit` fault: nothing left in the window."""
        return {
            "X-RateLimit-Limit-Daily": str(self.daily),
            "X-RateLimit-Daily-Remaining": str(self.daily),
            "X-RateLimit-Interval-Milliseconds": str(int(self.window * 1000)),
            "X-RateLimit-Max": str(self.burst),
            "X-RateLimit-Remaining": "0",
        }

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def summary(self) -> list[dict[str, object]]:
        now = self._clock()
        with self._lock:
            return [
                {
                    "clientId": client_id,
                    "resourceId": resource_id,
                    "inWindow": len(self._bucket((client_id, resource_id), now).recent),
                    "usedToday": bucket.used_today,
                }
                for (client_id, resource_id), bucket in self._buckets.items()
            ]

    def _bucket(self, key: LimitKey, now: float) -> _Bucket:
        bucket = self._buckets.setdefault(key, _Bucket())
        while bucket.recent and bucket.recent[0] <= now - self.window:
            bucket.recent.popleft()
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        if bucket.day != day:
            bucket.day, bucket.used_today = day, 0
        return bucket

    def _headers(self, bucket: _Bucket) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Daily": str(self.daily),
            "X-RateLimit-Daily-Remaining": str(max(0, self.daily - bucket.used_today)),
            "X-RateLimit-Interval-Milliseconds": str(int(self.window * 1000)),
            "X-RateLimit-Max": str(self.burst),
            "X-RateLimit-Remaining": str(max(0, self.burst - len(bucket.recent))),
        }
