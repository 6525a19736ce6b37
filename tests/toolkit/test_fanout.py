"""The research fan-out: bounded, in the request's context, waiting for its calls on exit."""

from __future__ import annotations

import threading
import time
from contextvars import ContextVar

import pytest

from ghlbridge.toolkit.fanout import Fanout

marker: ContextVar[str] = ContextVar("marker", default="unset")


def test_calls_run_side_by_side_but_never_more_than_the_limit() -> None:
    running = peak = 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    with Fanout(3) as run:
        futures = [run.submit(call) for _ in range(9)]
    assert all(f.done() for f in futures)
    assert peak == 3  # side by side (more than one at once), never more than the limit


def test_each_call_sees_the_request_context() -> None:
    marker.set("request-1")
    with Fanout(2) as run:
        seen = run.submit(marker.get)
    assert seen.result() == "request-1"


def test_an_error_in_the_request_cancels_what_has_not_started() -> None:
    gate = threading.Event()
    opener = threading.Timer(0.1, gate.set)  # the first call is still running when the request fails
    with pytest.raises(RuntimeError), Fanout(1) as run:
        first = run.submit(gate.wait, 5)
        second = run.submit(lambda: "never")
        opener.start()
        raise RuntimeError("the opportunity was not found")
    assert first.done() and first.result() is True  # waited for, not abandoned
    assert second.cancelled()
