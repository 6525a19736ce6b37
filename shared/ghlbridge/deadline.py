"""The time left in this invocation, so nothing sleeps or waits past the Lambda deadline.

Handlers call `deadline.start(context)`; code that waits asks `deadline.remaining()`. Outside a
Lambda invocation (tests, scripts, threads of their own) the budget is `DEFAULT_BUDGET_SECONDS`
from the first call to `remaining()` in that context.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Protocol

DEFAULT_BUDGET_SECONDS = 30.0

_deadline: ContextVar[float | None] = ContextVar("ghlbridge_deadline", default=None)


class LambdaContextLike(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def start(context: LambdaContextLike | None, *, budget_seconds: float | None = None) -> None:
    """Set this invocation's deadline from the Lambda context (or an explicit budget)."""
    if context is not None:
        seconds = context.get_remaining_time_in_millis() / 1000.0
    else:
        seconds = budget_seconds if budget_seconds is not None else DEFAULT_BUDGET_SECONDS
    _deadline.set(time.monotonic() + seconds)


def remaining() -> float:
    """Seconds left before the deadline (may be negative)."""
    value = _deadline.get()
    if value is None:
        value = time.monotonic() + DEFAULT_BUDGET_SECONDS
        _deadline.set(value)
    return value - time.monotonic()
