"""The purge operations and the cap on live OAuth states of the `Store` contract, against both
stores (the fixtures of `test_contract.py`: `SQLiteStore` on a file, `SupabaseStore` → PostgREST
double → PostgreSQL).

Rows are written through the store; only a webhook receipt's `received_at` (always the store's
"now") is moved back in time directly in the database. Every test then reads the table itself, so
it asserts what is left, not only the count a purge returned. Boundaries sit well away from "now"
(minutes), so no test depends on timing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from ghlbridge.store import Installation, InstallationKind, Store
from ghlbridge.store.base import MAX_LIVE_OAUTH_STATES, MAX_PURGE_BATCH, IdempotencyRecord, IdempotencyStatus
from ghlbridge.store.sqlite import _ts
from tests.store import test_contract as contract

# The contract suite's fixtures: each test runs on both stores.
store_spec, store, race = contract.store_spec, contract.store, contract.race

USER, OTHER_USER = contract.USER, contract.OTHER_USER
KEYS = {"idempotency_records": "key", "oauth_states": "nonce", "install_tickets": "ticket_hash",
        "webhook_receipts": "webhook_id"}  # fmt: skip


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def ahead(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


@dataclass
class Tables:
    """The store's tables, read and (for received_at) written directly."""

    kind: str
    where: str | psycopg.Connection[Any]

    def _run(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if isinstance(self.where, str):
            with closing(sqlite3.connect(self.where)) as conn, conn:
                return conn.execute(query, params).fetchall()
        return self.where.execute(query.replace("?", "%s"), params).fetchall()

    def when(self, value: datetime) -> Any:
        """A time as this store keeps it (SQLite: fixed-width ISO text)."""
        return _ts(value) if self.kind == "sqlite" else value

    def keys(self, table: str, where: str = "1 = 1", params: tuple[Any, ...] = ()) -> list[str]:
        query = f"select {KEYS[table]} from {table} where {where}"
        return sorted(row[0] for row in self._run(query, params))

    def set_received_at(self, webhook_id: str, when: datetime) -> None:
        [_] = self._run("update webhook_receipts set received_at = ? where webhook_id = ? returning 1",
                        (self.when(when), webhook_id))  # fmt: skip


@pytest.fixture
def tables(store_spec: contract.StoreSpec, store: Store, request: pytest.FixtureRequest) -> Tables:
    kind, where = store_spec
    if kind == "sqlite":
        return Tables(kind, where)
    return Tables(kind, request.getfixturevalue("pg_conn"))


def record(key: str, expires_at: datetime, **fields: Any) -> IdempotencyRecord:
    values: dict[str, Any] = {"key": key, "status": IdempotencyStatus.COMPLETED, "expires_at": expires_at}
    return IdempotencyRecord(**(values | fields))


# --- idempotency records ---------------------------------------------------------------------------
def test_purge_deletes_expired_idempotency_records_only(store: Store, tables: Tables) -> None:
    for key, expires_at, extra in [
        ("expired-completed", ago(minutes=5), {}),
        ("expired-inprogress", ago(minutes=5), {"status": IdempotencyStatus.INPROGRESS}),
        ("live-completed", ahead(hours=24), {"status": IdempotencyStatus.INPROGRESS,
                                            "in_progress_expires_at": ahead(minutes=5)}),  # completed below
        # Its invocation died (in-progress expiry passed) but the record lives: its key still answers.
        ("stale-inprogress", ahead(hours=24), {"status": IdempotencyStatus.INPROGRESS,
                                               "in_progress_expires_at": ago(minutes=5)}),
        ("live-inprogress", ahead(hours=24), {"status": IdempotencyStatus.INPROGRESS,
                                              "in_progress_expires_at": ahead(minutes=5)}),
    ]:  # fmt: skip
        assert store.put_idempotency_record(record(key, expires_at, **extra)) is None
    # as its execution completes it (only an in-flight record can be completed)
    assert store.update_idempotency_record(
        "live-completed", IdempotencyStatus.COMPLETED, ahead(hours=24), '{"body": 1}'
    )

    assert store.purge_idempotency_records(1000) == 2

    assert tables.keys("idempotency_records") == ["live-completed", "live-inprogress", "stale-inprogress"]
    kept = store.get_idempotency_record("live-completed")
    assert kept is not None and kept.response_data == '{"body": 1}'  # a live answer is untouched
    assert store.purge_idempotency_records(1000) == 0


# --- OAuth states -----------------------------------------------------------------------------------
def test_purge_deletes_used_and_expired_oauth_states_only(store: Store, tables: Tables) -> None:
    store.create_oauth_state("expired", USER, ago(minutes=1))
    store.create_oauth_state("used", USER, ahead(minutes=10))
    store.create_oauth_state("live", USER, ahead(minutes=10))
    store.create_oauth_state("others-live", OTHER_USER, ahead(minutes=10))
    assert store.consume_oauth_state("used", USER) is True
    assert store.consume_oauth_state("others-live", USER) is False  # another user's try uses nothing up

    assert store.purge_oauth_states(1000) == 2

    assert tables.keys("oauth_states") == ["live", "others-live"]
    assert store.consume_oauth_state("live", USER) is True  # what stays still works
    assert store.consume_oauth_state("others-live", OTHER_USER) is True


def test_purge_respects_the_batch_limit_oldest_first(store: Store, tables: Tables) -> None:
    for i in range(5):
        store.create_oauth_state(f"expired-{i}", USER, ago(minutes=10 - i))  # expired-0 the oldest
    store.create_oauth_state("live", USER, ahead(minutes=10))

    assert store.purge_oauth_states(2) == 2
    assert tables.keys("oauth_states") == ["expired-2", "expired-3", "expired-4", "live"]
    assert store.purge_oauth_states(2) == 2
    assert tables.keys("oauth_states") == ["expired-4", "live"]
    assert store.purge_oauth_states(2) == 1
    assert store.purge_oauth_states(2) == 0
    assert tables.keys("oauth_states") == ["live"]


@pytest.mark.parametrize("limit", [0, -1, MAX_PURGE_BATCH + 1])
def test_a_purge_batch_is_1_to_10000_rows(store: Store, tables: Tables, limit: int) -> None:
    store.create_oauth_state("expired", USER, ago(minutes=1))
    store.record_webhook("wh-1", "INSTALL")
    tables.set_received_at("wh-1", ago(days=30))

    for purge in (store.purge_idempotency_records, store.purge_oauth_states, store.purge_install_tickets):
        with pytest.raises(ValueError, match="batch"):
            purge(limit)
    with pytest.raises(ValueError, match="batch"):
        store.purge_webhook_receipts(60, limit)
    with pytest.raises(ValueError, match="older_than"):
        store.purge_webhook_receipts(-1, 10)

    assert tables.keys("oauth_states") == ["expired"] and tables.keys("webhook_receipts") == ["wh-1"]


def test_concurrent_purges_delete_each_row_once(store: Store, tables: Tables) -> None:
    for i in range(30):
        store.create_oauth_state(f"expired-{i:02}", USER, ago(minutes=1))
    store.create_oauth_state("live", USER, ahead(minutes=10))

    deleted = race(6, lambda i: store.purge_oauth_states(7))

    assert sum(deleted) <= 30 and all(0 <= n <= 7 for n in deleted)
    while store.purge_oauth_states(7):
        pass
    assert tables.keys("oauth_states") == ["live"]


# --- install tickets ----------------------------------------------------------------------------------
def test_purge_deletes_used_and_expired_install_tickets_only(store: Store, tables: Tables) -> None:
    store.save_installation(
        Installation(id="loc1", kind=InstallationKind.LOCATION, user_type="Location", refresh_token_enc="enc:r")
    )
    assert store.create_install_ticket("expired", USER, "loc1", ago(minutes=1))
    assert store.create_install_ticket("used", USER, "loc1", ahead(minutes=10))
    assert store.create_install_ticket("live", USER, "loc1", ahead(minutes=10))
    assert store.create_install_ticket("others-live", OTHER_USER, "loc1", ahead(minutes=10))
    assert store.redeem_install_ticket("used", USER) == ["loc1"]

    assert store.purge_install_tickets(1000) == 2

    assert tables.keys("install_tickets") == ["live", "others-live"]
    assert store.redeem_install_ticket("others-live", OTHER_USER) == ["loc1"]  # what stays still works
    membership = store.get_membership("loc1", USER)
    assert membership is not None and membership.role.value == "owner"  # the purge took no access away


# --- webhook receipts -----------------------------------------------------------------------------------
def test_purge_deletes_webhook_receipts_older_than_the_retention(store: Store, tables: Tables) -> None:
    retention = timedelta(days=1, minutes=5)
    for webhook_id, age in [
        ("wh-month", timedelta(days=30)),
        ("wh-just-past", retention + timedelta(minutes=2)),
        ("wh-just-within", retention - timedelta(minutes=2)),
        ("wh-new", timedelta(0)),
    ]:
        assert store.record_webhook(webhook_id, "INSTALL") is True
        if age:
            tables.set_received_at(webhook_id, datetime.now(UTC) - age)

    assert store.purge_webhook_receipts(retention.total_seconds(), 1000) == 2

    assert tables.keys("webhook_receipts") == ["wh-just-within", "wh-new"]
    assert store.record_webhook("wh-just-within", "INSTALL") is False  # still recognized as a replay
    assert store.record_webhook("wh-month", "INSTALL") is True  # forgotten: seen as new


def test_purge_of_receipts_respects_the_batch_limit(store: Store, tables: Tables) -> None:
    for i in range(3):
        store.record_webhook(f"wh-{i}", "INSTALL")
        tables.set_received_at(f"wh-{i}", ago(days=3 - i))

    assert store.purge_webhook_receipts(86400, 2) == 2
    assert tables.keys("webhook_receipts") == ["wh-2"]
    assert store.purge_webhook_receipts(86400, 2) == 1
    assert tables.keys("webhook_receipts") == []


# --- at most 20 live OAuth states per user ----------------------------------------------------------------
def live_states(tables: Tables, user: str) -> list[str]:
    """The user's unused, unexpired states, read from the table."""
    now = tables.when(datetime.now(UTC))
    return tables.keys("oauth_states", "user_id = ? and used_at is null and expires_at > ?", (user, now))


def test_creating_a_21st_live_state_removes_the_user_s_oldest(store: Store, tables: Tables) -> None:
    assert MAX_LIVE_OAUTH_STATES == 20
    store.create_oauth_state("expired", USER, ago(minutes=1))
    store.create_oauth_state("used", USER, ahead(minutes=10))
    assert store.consume_oauth_state("used", USER) is True
    for i in range(5):
        store.create_oauth_state(f"others-{i}", OTHER_USER, ahead(minutes=10))
    for i in range(20):
        store.create_oauth_state(f"state-{i:02}", USER, ahead(minutes=10))
    assert live_states(tables, USER) == [f"state-{i:02}" for i in range(20)]

    store.create_oauth_state("state-20", USER, ahead(minutes=10))

    assert live_states(tables, USER) == [f"state-{i:02}" for i in range(1, 21)]  # state-00 is gone
    assert store.consume_oauth_state("state-00", USER) is False
    assert store.consume_oauth_state("state-20", USER) is True  # the newest works
    assert "expired" in tables.keys("oauth_states") and "used" in tables.keys("oauth_states")  # purge's job
    assert live_states(tables, OTHER_USER) == [f"others-{i}" for i in range(5)]  # other users untouched


def test_a_repeated_nonce_neither_rebinds_nor_evicts(store: Store, tables: Tables) -> None:
    for i in range(20):
        store.create_oauth_state(f"state-{i:02}", USER, ahead(minutes=10))

    store.create_oauth_state("state-05", USER, ahead(minutes=10))  # exists: nothing created
    store.create_oauth_state("state-06", OTHER_USER, ahead(minutes=10))  # exists: not rebound

    assert live_states(tables, USER) == [f"state-{i:02}" for i in range(20)]
    assert live_states(tables, OTHER_USER) == []


def test_concurrent_creates_by_one_user_keep_20_live_and_the_newest(store: Store, tables: Tables) -> None:
    race(24, lambda i: store.create_oauth_state(f"parallel-{i:02}", USER, ahead(minutes=10)))

    assert len(live_states(tables, USER)) == 20

    store.create_oauth_state("newest", USER, ahead(minutes=10))

    live = live_states(tables, USER)
    assert len(live) == 20 and "newest" in live
    assert len(tables.keys("oauth_states")) == 20  # the evicted ones are deleted, not kept
    assert store.consume_oauth_state("newest", USER) is True
