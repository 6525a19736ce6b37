"""Worker processes for the refresh race tests (spawned: nothing shared but the store and GHL).

Every thread plays a separate Lambda container: its own TokenProvider and Refresher (own memory
cache), sharing only the store and the GHL sandbox, as containers do.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from multiprocessing.queues import Queue
from typing import Any


def _container() -> Any:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.tokens.provider import TokenProvider
    from ghlbridge.tokens.refresh import Refresher

    refresher = Refresher(
        factories.get_store(), factories.get_oauth_api(), get_cipher(), factories.get_parking(), lease_seconds=10.0
    )
    return TokenProvider(refresher, factories.get_oauth_api())


def request_path(env: dict[str, str], installation_id: str, threads: int, start_at: float, out: Queue[Any]) -> None:
    os.environ.update(env)
    from ghlbridge import deadline

    containers = [_container() for _ in range(threads)]
    results: list[str] = []
    lock = threading.Lock()

    def one(provider: Any) -> None:
        deadline.start(None, budget_seconds=30)
        time.sleep(max(0.0, start_at - time.time()))
        try:
            token = provider.access_token(installation_id)
        except Exception as exc:
            token = f"error: {type(exc).__name__}: {exc}"
        with lock:
            results.append(token)

    workers = [threading.Thread(target=one, args=(c,)) for c in containers]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(results)


def scheduled(env: dict[str, str], start_at: float, out: Queue[Any]) -> None:
    os.environ.update(env)
    from ghlbridge import deadline
    from ghlbridge.tokens.refresh import run_scheduled_refresh

    deadline.start(None, budget_seconds=60)
    refresher = _container()._refresher
    time.sleep(max(0.0, start_at - time.time()))
    out.put(["summary", run_scheduled_refresh(refresher, window=timedelta(hours=6), concurrency=4, per_item_seconds=5)])
