"""A request's GHL calls side by side: at most `limit` at once, each in a copy of the request's
context (so the invocation's deadline and rate-limit budget, `ghlbridge.deadline`, hold in every
worker, and the total wait stays one budget).

Only the request's own thread waits on the calls it submitted; a call never waits on another
call of the same fan-out (with a bounded pool that could deadlock), so dependent calls are
submitted by the request thread once what they need has arrived.

Why a bound: GHL's burst limit (100 requests per 10 s) is shared by everyone working on the
location, so one research brief must not take it all at once (`GHL_FANOUT_LIMIT`).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ghlbridge import error_table

if TYPE_CHECKING:
    from ghlbridge.toolkit.models.base import SectionError


class Fanout:
    """`with Fanout(limit) as run: future = run.submit(fn, *args)`; leaving the block waits for
    every call still running and cancels those not started (after an error in the request)."""

    def __init__(self, limit: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, limit), thread_name_prefix="ghl-fanout")

    def submit[**P, T](self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        ctx = contextvars.copy_context()
        return self._pool.submit(ctx.run, functools.partial(fn, *args, **kwargs))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)


def failure_of(exc: Exception) -> SectionError:
    """What one part of an answer says when its call failed (a research section, a plan's step):
    the status, code and message its own route would have answered, logged like any error."""
    from ghlbridge.toolkit.models.base import SectionError

    reply = error_table.describe(exc)
    error_table.log_error(exc, reply)
    return SectionError(status=reply.status, code=reply.code, message=reply.message)
