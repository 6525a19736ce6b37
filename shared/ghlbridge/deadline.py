"""The time left in this invocation, so nothing sleeps or waits past the Lambda deadline, and what
is left of its budget for waiting on GHL's rate limit.

Handlers call `deadline.start(context)`; code that waits asks `deadline.remaining()`. Outside a
Lambda invocation (tests, scripts, threads of their own) the budget is `DEFAULT_BUDGET_SECONDS`
from the first call to `remaining()` in that context.

Rate-limit waits: `start` also resets the invocation's budget for sleeping on GHL 429s
(`GHL_RATE_LIMIT_WAIT_SECONDS`, 2 s by default: an interactive request answers 429 `rate_limited`
with `Retry-After` rather than wait out GHL's 10-second burst window; the scheduled refresh gets
more in `template.yaml`). The budget is one object per invocation, shared by the worker threads
that copy the invocation's context (`contextvars.copy_context()`), so it is a total.
"""

from __future__ import annotations

import threading
import time
from contextvars import ContextVar
from typing import Protocol

DEFAULT_BUDGET_SECONDS = 30.0

_deadline: ContextVar[float | None] = ContextVar("ghlbridge_deadline", default=None)


class _WaitBudget:
    """Seconds of rate-limit waiting left; spent by several threads of one invocation. Without an
    explicit amount, the setting is read on first use (never when a handler merely starts)."""

    def __init__(self, seconds: float | None) -> None:
        self._left = seconds
        self._lock = threading.Lock()

    def left(self) -> float:
        if self._left is None:
            with self._lock:
                if self._left is None:
                    self._left = _setting()
        return self._left

    def spend(self, seconds: float) -> None:
        left = self.left()
        with self._lock:
            self._left = max(0.0, (self._left if self._left is not None else left) - seconds)


_rate_limit_wait: ContextVar[_WaitBudget | None] = ContextVar("ghlbridge_rate_limit_wait", default=None)


class LambdaContextLike(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def start(
    context: LambdaContextLike | None,
    *,
    budget_seconds: float | None = None,
    rate_limit_wait_seconds: float | None = None,
) -> None:
    """Set this invocation's deadline from the Lambda context (or an explicit budget), and reset its
    rate-limit wait budget (`rate_limit_wait_seconds`, default the `GHL_RATE_LIMIT_WAIT_SECONDS` setting)."""
    if context is not None:
        seconds = context.get_remaining_time_in_millis() / 1000.0
    else:
        seconds = budget_seconds if budget_seconds is not None else DEFAULT_BUDGET_SECONDS
    _deadline.set(time.monotonic() + seconds)
    _rate_limit_wait.set(_WaitBudget(rate_limit_wait_seconds))


def remaining() -> float:
    """Seconds left before the deadline (may be negative)."""
    value = _deadline.get()
    if value is None:
        value = time.monotonic() + DEFAULT_BUDGET_SECONDS
        _deadline.set(value)
    return value - time.monotonic()


def rate_limit_wait_left() -> float:
    """Seconds this invocation may still sleep on GHL 429s (outside one: the setting, from the first call)."""
    return _wait_budget().left()


def spend_rate_limit_wait(seconds: float) -> None:
    """Count a sleep on a GHL 429 against this invocation's budget."""
    _wait_budget().spend(seconds)


def _wait_budget() -> _WaitBudget:
    budget = _rate_limit_wait.get()
    if budget is None:
        budget = _WaitBudget(None)
        _rate_limit_wait.set(budget)
    return budget


def _setting() -> float:
    from ghlbridge.settings import get_settings  # built in the handler path, cached per container

    return get_settings().ghl_rate_limit_wait_seconds
