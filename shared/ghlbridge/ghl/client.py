"""The HTTP boundary to GHL: one sync httpx client with retries, deadline-aware timeouts,
rate-limit bookkeeping and typed errors. Resource modules (`oauth.py`, ...) call `request()`.

`request()` returns only 2xx responses. Everything else becomes a `GHLError` subclass
(`ghlbridge.ghl.errors`), after the retries that `retry_delay` (a pure function) allows. Sleep and
jitter are injected, so tests never wait. Sleeps on GHL 429s are counted against the invocation's
rate-limit wait budget (`deadline.rate_limit_wait_left()`): past it, the 429 is raised at once.

Requests are built once per attempt as `httpx.Request`s on the full URL (base + path + encoded
query, parsed once and remembered: `_url`) and sent with the client's `send`: the same wire
request as `httpx.Client.build_request` makes, at a fraction of its cost
(`tests/ghl/test_ghl_client.py` compares the two). No cookie rides along: these requests are not
built by the client, so its jar is never merged in (one container serves many locations, and a
cookie set on one location's answer must never reach another's), and the jar takes none anyway,
which spares parsing `Set-Cookie` on every answer.

Logging: one line per attempt (DEBUG when 2xx, INFO otherwise) with method, path (no query string),
status, attempt and GHL's traceId; never headers or bodies, which carry tokens and personal data.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self

import httpx

from ghlbridge import deadline
from ghlbridge.ghl.errors import (
    GHLConnectError,
    make_status_error,
    make_transport_error,
    trace_id_from_headers,
)
from ghlbridge.ghl.retry import (
    DEADLINE_RESERVE_SECONDS,
    MIN_ATTEMPT_SECONDS,
    RateLimit,
    RetryPolicy,
    TransportErrorKind,
    retry_delay,
)
from ghlbridge.observability import MetricUnit, count, logger, metrics

VERSION_2021_07_28: Final = "2021-07-28"
"""`Version` header for OAuth (locationToken, installedLocations), Opportunities and Contacts."""
VERSION_2021_04_15: Final = "2021-04-15"
"""`Version` header for Conversations and Calendars."""


type PrimitiveData = str | int | float | bool | None
type QueryParams = Mapping[str, PrimitiveData | Sequence[PrimitiveData]]


class BearerAuth(httpx.Auth):
    """A fixed bearer token, e.g. the company token for `/oauth/locationToken`. Its repr hides it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token='**********')"


@functools.lru_cache(maxsize=512)
def _url(base_url: str, path: str, query: tuple[tuple[str, Any], ...]) -> httpx.URL:
    """The parsed URL of a request. Parsing and normalizing a URL is the costliest step of building
    an httpx request, and a container asks for the same few URLs again and again (a location's
    search, pipelines, calendars): they are remembered. `httpx.URL` is immutable."""
    return httpx.URL(f"{base_url}{path}?{httpx.QueryParams(dict(query))}" if query else f"{base_url}{path}")


class _NoCookies(httpx.Cookies):
    """A cookie jar that never takes a cookie (and spares parsing `Set-Cookie` on every answer)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _StatelessClient(httpx.Client):
    """`httpx.Client` whose cookie jar stays empty (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._jar = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise AttributeError("the GHL client keeps no cookies")


class GHLClient:
    """Sync client for GHL API v2. Thread-safe: build one per container
    (`ghlbridge.factories.get_ghl_client()`).

    `last_rate_limit` holds the rate-limit headers of the latest response that had them. GHL
    counts per location/company, so with several locations it describes whichever answered last.
    """

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        retry_policy: RetryPolicy = RetryPolicy(),  # noqa: B008  (frozen dataclass: a safe shared default)
    ) -> None:
        self._timeout = timeout
        self._sleep = sleep
        self._rng = rng
        self._policy = retry_policy
        self._http = _StatelessClient(timeout=timeout, transport=transport, headers={"Accept": "application/json"})
        self._base_url = str(httpx.URL(base_url)).rstrip("/")
        self.last_rate_limit: RateLimit | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """Send one logical request (retrying per `retry_delay`); return the 2xx response.

        `version` is GHL's `Version` header (`VERSION_2021_07_28` / `VERSION_2021_04_15`), or None
        for the one endpoint without it (`POST /oauth/token`). `json` and `data` (form fields) are
        the body, whatever the method: `json={}` on a DELETE sends `{}` (which
        `DELETE /calendars/events/{eventId}` requires); `json=None` sends no body. Raises
        `GHLStatusError` subclasses for non-2xx answers and `GHLTransportError` subclasses when no
        answer came.
        """
        method = method.upper()
        attempt = 0
        while True:
            attempt += 1
            response_status: int | None = None
            timeout = self._attempt_timeout()
            request = self._build(method, path, version=version, params=params, json=json, data=data, timeout=timeout)
            url_path = request.url.path
            if timeout < MIN_ATTEMPT_SECONDS:
                raise GHLConnectError("not sent: too close to the invocation deadline", method=method, path=url_path)
            try:
                response = self._http.send(request, auth=auth)
            except httpx.TransportError as exc:
                error = make_transport_error(exc, method=method, path=url_path)
                delay = self._retry_delay(attempt, method, None, error.kind, {})
                self._log(method, url_path, attempt, error=type(exc).__name__, retry_in=delay)
                if delay is None:
                    raise error from exc
            else:
                self._record_rate_limit(response)
                if response.is_success:
                    self._log(method, url_path, attempt, response=response)
                    return response
                status_error = make_status_error(response)
                response_status = response.status_code
                delay = self._retry_delay(attempt, method, response_status, None, response.headers)
                trace_id = status_error.trace_id
                self._log(method, url_path, attempt, response=response, trace_id=trace_id, retry_in=delay)
                if delay is None:
                    raise status_error
            count("GHLRetry")
            if response_status == 429:
                deadline.spend_rate_limit_wait(delay)
            self._sleep(delay)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _build(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: QueryParams | None,
        json: Any,
        data: Mapping[str, str] | None,
        timeout: float,
    ) -> httpx.Request:
        """What `self._http.build_request(method, path, params=..., headers={"Version": ...}, ...)` builds."""
        if not path.startswith("/"):
            raise ValueError(f"a GHL path starts with '/', got {path!r}")
        query = tuple((name, tuple(v) if isinstance(v, list | tuple) else v) for name, v in (params or {}).items())
        url = _url(self._base_url, path, query)
        headers = self._http.headers.copy()
        if version is not None:
            headers["Version"] = version
        extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
        return httpx.Request(method, url, headers=headers, json=json, data=data, extensions=extensions)

    def _attempt_timeout(self) -> float:
        """The configured timeout, shortened so the attempt ends before the invocation deadline.

        httpx applies it to each phase (connect, write, each read), so it bounds a stalled call,
        not a slow trickle of bytes; that is enough for GHL's small JSON answers.
        """
        return min(self._timeout, deadline.remaining() - DEADLINE_RESERVE_SECONDS)

    def _retry_delay(
        self,
        attempt: int,
        method: str,
        status: int | None,
        transport_error: TransportErrorKind | None,
        headers: Mapping[str, str],
    ) -> float | None:
        return retry_delay(
            attempt=attempt,
            method=method,
            status=status,
            transport_error=transport_error,
            headers=headers,
            time_left=deadline.remaining(),
            rng=self._rng,
            policy=self._policy,
            rate_limit_wait_left=deadline.rate_limit_wait_left(),
        )

    def _record_rate_limit(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            count("GHLRateLimited")
        limit = RateLimit.from_headers(response.headers)
        if limit is None:
            return
        self.last_rate_limit = limit
        if limit.burst_remaining is not None:
            metrics.add_metric(name="GHLRateLimitRemaining", unit=MetricUnit.Count, value=limit.burst_remaining)
        if limit.daily_remaining is not None:
            metrics.add_metric(name="GHLDailyRemaining", unit=MetricUnit.Count, value=limit.daily_remaining)

    @staticmethod
    def _log(
        method: str,
        path: str,
        attempt: int,
        *,
        response: httpx.Response | None = None,
        trace_id: str | None = None,
        error: str | None = None,
        retry_in: float | None = None,
    ) -> None:
        success = response is not None and response.is_success
        if success and logger.log_level > logging.DEBUG:
            return  # the usual case: nothing to build
        if success and response is not None:
            trace_id = trace_id_from_headers(response.headers)
        status = response.status_code if response is not None else None
        fields: dict[str, Any] = {"method": method, "path": path, "status": status, "attempt": attempt}
        fields |= {"trace_id": trace_id, "error": error, "retry_in": retry_in}
        if response is not None and hasattr(response, "_elapsed"):  # not set by every transport (MockTransport)
            fields["elapsed_ms"] = round(response.elapsed.total_seconds() * 1000)
        level = logger.debug if success else logger.info
        level(f"GHL {method} {path} -> {status or error}", extra=fields)
