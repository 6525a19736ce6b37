"""Refresh races: many containers (threads in several processes) need a token for the same
expired installation at once. Exactly one refresh may reach GHL; everyone gets its token."""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta
from typing import Any

import pytest
from ghlsandbox import FaultRule

from tests import race_worker
from tests.conftest import AppEnv
from tests.seed import seed_installation, stored_tokens

PROCESSES = 2
THREADS = 16  # per process: 32 workers in all


def run_race(env: dict[str, str], *, with_schedule: bool) -> tuple[list[str], list[Any]]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # every worker starts at once, after the spawns settle
    procs = [
        ctx.Process(target=race_worker.request_path, args=(env, "loc1", THREADS, start_at, out))
        for _ in range(PROCESSES)
    ]
    if with_schedule:
        procs.append(ctx.Process(target=race_worker.scheduled, args=(env, start_at, out)))
    for p in procs:
        p.start()
    tokens: list[str] = []
    summaries: list[Any] = []
    for _ in procs:
        item = out.get(timeout=90)
        if item and item[0] == "summary":
            summaries.append(item[1])
        else:
            tokens.extend(item)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return tokens, summaries


def seed_expired(app_env: AppEnv) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    refresh = app_env.ghl.refresh_token_for("loc1")
    seed_installation(
        factories.get_store(),
        get_cipher(),
        "loc1",
        access="at-expired",
        refresh=refresh,
        expires_in=timedelta(minutes=-5),
    )
    app_env.ghl.add_fault(FaultRule("POST /oauth/token", "latency", value=0.5, after=True, count=1))  # a slow GHL
    # widens the race window


def assert_one_refresh_everyone_served(app_env: AppEnv, tokens: list[str]) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    assert len(tokens) == PROCESSES * THREADS
    assert app_env.ghl.token_posts("refresh_token") == 1
    newest_access, newest_refresh = app_env.ghl.last_issued()
    assert set(tokens) == {newest_access}
    assert stored_tokens(factories.get_store(), get_cipher(), "loc1") == (newest_access, newest_refresh)
    assert factories.get_store().get_installation("loc1").status.value == "active"


def test_race_32_workers_in_2_processes_one_refresh(app_env: AppEnv) -> None:
    seed_expired(app_env)

    tokens, _ = run_race(app_env.env, with_schedule=False)

    assert_one_refresh_everyone_served(app_env, tokens)


def test_race_with_the_scheduled_refresher_alongside(app_env: AppEnv) -> None:
    seed_expired(app_env)

    tokens, [summary] = run_race(app_env.env, with_schedule=True)

    assert_one_refresh_everyone_served(app_env, tokens)
    assert summary["failed"] == 0 and summary["needs_reauth"] == 0
    assert summary["refreshed"] + summary["already_refreshed"] == 1


@pytest.mark.postgres
def test_race_over_postgres_through_postgrest(app_env: AppEnv, supabase_env: dict[str, str]) -> None:
    """The same race with the Supabase store: PostgREST (double) in front of a real PostgreSQL."""
    env = {**app_env.env, **supabase_env}  # the fixture also set these for this process
    seed_expired(app_env)

    tokens, [summary] = run_race(env, with_schedule=True)

    assert_one_refresh_everyone_served(app_env, tokens)
    assert summary["failed"] == 0
