"""Fixtures for the sandbox tests: a sandbox on a free port driven by a fake clock, an httpx
client, and a Location token obtained through the real OAuth endpoints.

Every token and code the tests receive is registered with `tests.leak_guard`, so the suite-wide
check (tests/conftest.py) fails if the sandbox ever logs one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from ghlsandbox import Sandbox, SandboxConfig

from tests.sandbox.kit import SHARED_TLS_CONTEXT, FakeClock, Ghl


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def start_sandbox(clock: FakeClock) -> Iterator[Callable[..., Ghl]]:
    """`start_sandbox(burst_limit=3, ...)`: a running sandbox with this config, installed once
    for the demo location (the Location token is `sbx.token`)."""
    running: list[tuple[Sandbox, httpx.Client]] = []

    def start(*, install: bool = True, **config: Any) -> Ghl:
        sandbox = Sandbox(SandboxConfig(**config), clock=clock).start()
        client = httpx.Client(base_url=sandbox.url, timeout=5, verify=SHARED_TLS_CONTEXT)
        running.append((sandbox, client))
        sbx = Ghl(sandbox, client, clock)
        if install:
            sbx.tokens = sbx.install()
        return sbx

    yield start
    for sandbox, client in running:
        client.close()
        sandbox.stop()


@pytest.fixture
def sbx(start_sandbox: Callable[..., Ghl]) -> Ghl:
    return start_sandbox()
