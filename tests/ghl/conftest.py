"""Fixtures for the GHL client tests: a respx router that must see every request (`ghl_mock`), a
client whose sleep is recorded instead of slept, a fresh invocation deadline, and clean metrics.

The fake credentials of `ghl_testkit` are registered with `tests.leak_guard`, so the suite-wide
log check hunts for them too."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import respx

from ghlbridge import deadline
from ghlbridge.ghl.client import GHLClient
from ghlbridge.observability import logger, metrics
from tests import leak_guard
from tests.ghl.ghl_testkit import BASE_URL, SECRETS


@pytest.fixture(autouse=True)
def fresh_deadline() -> None:
    deadline.start(None, budget_seconds=30.0)


@pytest.fixture(autouse=True)
def guard_fake_credentials() -> None:
    leak_guard.register(*SECRETS)


@pytest.fixture(autouse=True)
def clean_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def ghl_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=True, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def sleeps() -> list[float]:
    """Every delay the client asked to sleep, in order (nothing really sleeps)."""
    return []


@pytest.fixture
def client(ghl_mock: respx.MockRouter, sleeps: list[float]) -> Iterator[GHLClient]:
    with GHLClient(base_url=BASE_URL, timeout=10.0, sleep=sleeps.append, rng=lambda: 0.5) as ghl_client:
        yield ghl_client


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=logger.name)
    return caplog
