"""The idempotency-record operations of the `Store` contract, against both stores (the fixtures
of `test_contract.py`: `SQLiteStore` on a file, `SupabaseStore` → PostgREST double → PostgreSQL),
then the migration's access rules for the new table and functions, checked in PostgreSQL itself.

Every test reads back what the store holds. "Now" is the store's clock: records are written with
expiries well in the past or future of it, so no test depends on timing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus, Store
from tests.store import test_contract as contract

# The contract suite's fixtures: each test runs on both stores.
store_spec, store, race = contract.store_spec, contract.store, contract.race

INPROGRESS, COMPLETED = IdempotencyStatus.INPROGRESS, IdempotencyStatus.COMPLETED
KEY = "create-note.6f1c2a4e#loc1#9b2f0c1d5e"  # namespaced by the caller; opaque to the store


def hours(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=n)


def record(key: str = KEY, **fields: Any) -> IdempotencyRecord:
    values: dict[str, Any] = {
        "key": key,
        "status": INPROGRESS,
        "expires_at": hours(24).replace(microsecond=0),  # Powertools keeps whole seconds
        "in_progress_expires_at": hours(0.25),
        "payload_hash": "hash-a",
    }
    return IdempotencyRecord(**(values | fields))


def stored(store: Store, key: str = KEY) -> IdempotencyRecord:
    found = store.get_idempotency_record(key)
    assert found is not None
    return found


def caller_fields(rec: IdempotencyRecord) -> dict[str, Any]:
    return rec.model_dump(exclude={"created_at", "updated_at"})


# --- put -----------------------------------------------------------------------------------------
def test_a_key_is_inserted_once(store: Store) -> None:
    first = record()

    assert store.put_idempotency_record(first) is None  # stored: the caller owns the key

    held = stored(store)
    assert caller_fields(held) == caller_fields(first)
    assert held.created_at is not None and held.updated_at is not None
    assert held.created_at.utcoffset() == timedelta(0)

    again = store.put_idempotency_record(record(payload_hash="hash-b", expires_at=hours(48)))

    assert again == held  # the live record in the way, as stored
    assert stored(store) == held  # and nothing was written


def test_16_threads_putting_one_key_insert_once(store: Store) -> None:
    results = race(16, lambda i: store.put_idempotency_record(record(payload_hash=f"hash-{i}")))

    winners = [i for i, existing in enumerate(results) if existing is None]
    assert len(winners) == 1
    held = stored(store)
    assert held.payload_hash == f"hash-{winners[0]}"
    assert all(existing == held for existing in results if existing is not None)  # every loser sees the winner


@pytest.mark.parametrize("status", [INPROGRESS, COMPLETED])
def test_an_expired_record_is_taken_over(store: Store, status: IdempotencyStatus) -> None:
    store.put_idempotency_record(record(in_progress_expires_at=hours(1)))
    assert store.update_idempotency_record(KEY, status, hours(-1), '{"id": "old"}')
    old = stored(store)
    fresh = record(payload_hash="hash-b", in_progress_expires_at=None)
    time.sleep(0.01)  # so a fresh created_at is a later one on any clock

    assert store.put_idempotency_record(fresh) is None

    held = stored(store)
    assert caller_fields(held) == caller_fields(fresh)  # a new record: no response, no old deadline
    assert held.response_data is None
    assert held.created_at is not None and old.created_at is not None and held.created_at > old.created_at


def test_an_in_progress_record_whose_invocation_died_is_not_taken_over(store: Store) -> None:
    """Its invocation may have sent before it died: the record comes back flagged, untouched."""
    store.put_idempotency_record(record(in_progress_expires_at=hours(-0.01)))
    held = stored(store)

    existing = store.put_idempotency_record(record(payload_hash="hash-b"))

    assert existing is not None and existing.in_progress_expired
    assert existing == held  # get reports the flag too
    assert caller_fields(existing) == caller_fields(held) and stored(store) == held


def test_an_in_progress_record_past_its_time_to_live_is_taken_over(store: Store) -> None:
    store.put_idempotency_record(record(expires_at=hours(-1), in_progress_expires_at=hours(-1.01)))
    fresh = record(payload_hash="hash-b")

    assert store.put_idempotency_record(fresh) is None

    held = stored(store)
    assert caller_fields(held) == caller_fields(fresh) and not held.in_progress_expired


@pytest.mark.parametrize(
    ("status", "in_progress_expires_at"),
    [
        (INPROGRESS, hours(1)),  # its invocation still has time
        (INPROGRESS, None),  # no deadline known (not run by Lambda): live until it expires
        (COMPLETED, hours(-1)),  # the in-progress deadline does not matter once completed
    ],
)
def test_a_live_record_is_not_taken_over(
    store: Store,
    status: IdempotencyStatus,
    in_progress_expires_at: datetime | None,
) -> None:
    store.put_idempotency_record(record(in_progress_expires_at=in_progress_expires_at))
    if status is COMPLETED:
        store.update_idempotency_record(KEY, COMPLETED, hours(24), '{"id": "note-1"}')
    held = stored(store)

    assert store.put_idempotency_record(record(payload_hash="hash-b")) == held
    assert not held.in_progress_expired
    assert stored(store) == held


def test_16_threads_taking_over_one_dead_record_take_it_once(store: Store) -> None:
    store.put_idempotency_record(record(expires_at=hours(-1)))

    results = race(16, lambda i: store.put_idempotency_record(record(payload_hash=f"hash-{i}")))

    winners = [i for i, existing in enumerate(results) if existing is None]
    assert len(winners) == 1
    assert stored(store).payload_hash == f"hash-{winners[0]}"


# --- settle: the answer for a record whose invocation died in flight -----------------------------
ANSWER = '{"body": {"error": {"code": "outcome_unknown"}}, "status": 504}'


def abandoned(store: Store) -> IdempotencyRecord:
    store.put_idempotency_record(record(in_progress_expires_at=hours(-0.01)))
    return stored(store)


def test_settle_completes_the_abandoned_record_it_names(store: Store) -> None:
    held = abandoned(store)
    assert held.created_at is not None
    expires_at = hours(24).replace(microsecond=0)

    settled = store.settle_idempotency_record(KEY, held.created_at, expires_at, ANSWER)

    assert settled == stored(store)
    assert (settled.status, settled.response_data, settled.expires_at) == (COMPLETED, ANSWER, expires_at)
    assert not settled.in_progress_expired
    assert (settled.created_at, settled.payload_hash) == (held.created_at, held.payload_hash)
    assert store.put_idempotency_record(record(payload_hash="hash-b")) == settled  # every retry: this answer


@pytest.mark.parametrize("case", ["live", "completed", "another-record"])
def test_settle_writes_nothing_unless_the_record_is_the_abandoned_one(store: Store, case: str) -> None:
    store.put_idempotency_record(record(in_progress_expires_at=hours(1 if case == "live" else -0.01)))
    if case == "completed":
        store.update_idempotency_record(KEY, COMPLETED, hours(24), '{"id": "note-1"}')
    held = stored(store)
    assert held.created_at is not None
    created_at = held.created_at - timedelta(seconds=1) if case == "another-record" else held.created_at

    assert store.settle_idempotency_record(KEY, created_at, hours(24), ANSWER) == held  # as it stands

    assert stored(store) == held


def test_settle_of_a_missing_key_is_none(store: Store) -> None:
    assert store.settle_idempotency_record(KEY, hours(-1), hours(24), ANSWER) is None
    assert store.get_idempotency_record(KEY) is None


def test_16_threads_settling_one_record_give_one_answer(store: Store) -> None:
    held = abandoned(store)
    assert held.created_at is not None
    created_at = held.created_at

    results = race(16, lambda i: store.settle_idempotency_record(KEY, created_at, hours(24), f'{{"n": {i}}}'))

    final = stored(store)
    assert final.status is COMPLETED and all(result == final for result in results)  # every one reads the winner's


def test_a_completion_after_a_settle_changes_nothing(store: Store) -> None:
    held = abandoned(store)
    assert held.created_at is not None
    settled = store.settle_idempotency_record(KEY, held.created_at, hours(24), ANSWER)

    assert store.update_idempotency_record(KEY, COMPLETED, hours(30), '{"id": "note-1"}') is False

    assert stored(store) == settled


# --- get, update, delete -------------------------------------------------------------------------
def test_get_of_a_missing_key_is_none(store: Store) -> None:
    assert store.get_idempotency_record("no-such-key") is None


def test_get_returns_an_expired_record_as_stored(store: Store) -> None:
    gone = record(expires_at=hours(-1).replace(microsecond=0))
    store.put_idempotency_record(gone)

    assert caller_fields(stored(store)) == caller_fields(gone)  # the caller judges expiry


def test_update_sets_status_response_and_expiry_only(store: Store) -> None:
    store.put_idempotency_record(record())
    before = stored(store)
    response = '{"note": {"id": "n1", "body": "Hallo, Jürgen"}, "a":  [2, 1]}'  # kept byte for byte
    expires_at = hours(30).replace(microsecond=0)

    assert store.update_idempotency_record(KEY, COMPLETED, expires_at, response) is True

    after = stored(store)
    assert (after.status, after.response_data, after.expires_at) == (COMPLETED, response, expires_at)
    assert after.model_dump(include={"key", "in_progress_expires_at", "payload_hash", "created_at"}) == (
        before.model_dump(include={"key", "in_progress_expires_at", "payload_hash", "created_at"})
    )
    assert after.updated_at is not None and before.updated_at is not None and after.updated_at >= before.updated_at


def test_update_of_a_missing_key_creates_nothing(store: Store) -> None:
    assert store.update_idempotency_record(KEY, COMPLETED, hours(24), "{}") is False
    assert store.get_idempotency_record(KEY) is None


def test_delete_frees_the_key(store: Store) -> None:
    store.put_idempotency_record(record())
    store.put_idempotency_record(record("other-key"))

    assert store.delete_idempotency_record(KEY) is True

    assert store.get_idempotency_record(KEY) is None
    assert store.get_idempotency_record("other-key") is not None  # only that key
    assert store.delete_idempotency_record(KEY) is False
    assert store.put_idempotency_record(record(payload_hash="hash-b")) is None  # a retry may run again


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 12, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.put_idempotency_record(record(expires_at=naive))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.put_idempotency_record(record(in_progress_expires_at=naive))
    assert store.get_idempotency_record(KEY) is None
    store.put_idempotency_record(record())
    with pytest.raises(ValueError, match="timezone-aware"):
        store.update_idempotency_record(KEY, COMPLETED, naive, "{}")
    assert stored(store).status is INPROGRESS


def test_the_response_is_kept_out_of_the_repr() -> None:
    secret = '{"email": "rep@example.com"}'
    rec = record(response_data=secret)

    assert secret not in repr(rec) and "rep@example.com" not in str(rec)
    assert KEY in repr(rec)


# --- PostgreSQL only: one RPC each, and the access rules -----------------------------------------
Conn = psycopg.Connection[Any]
TABLE = "idempotency_records"
API_ROLES = ["anon", "authenticated"]


@pytest.mark.postgres
def test_an_expiry_index_exists_for_a_purge(pg_conn: Conn) -> None:
    """RLS, policies, grants, search_path and SECURITY INVOKER of every table and function: test_sql.py."""
    indexes = [row[0] for row in pg_conn.execute("select indexdef from pg_indexes where tablename = %s", [TABLE])]
    assert any(index.endswith("USING btree (expires_at)") for index in indexes), indexes


@pytest.mark.postgres
@pytest.mark.parametrize("role", API_ROLES)
def test_api_roles_can_touch_neither_the_table_nor_the_functions(pg_conn: Conn, role: str) -> None:
    pg_conn.execute(
        "insert into public.idempotency_records (key, status, expires_at)"
        " values (%s, 'COMPLETED', now() + interval '1 day')",
        [KEY],
    )
    statements = [
        sql.SQL("select * from public.idempotency_records"),
        sql.SQL("delete from public.idempotency_records"),
        sql.SQL("select public.get_idempotency_record({})").format(KEY),
        sql.SQL("select public.delete_idempotency_record({})").format(KEY),
        sql.SQL("select public.put_idempotency_record('k2', 'INPROGRESS', now() + interval '1 day')"),
        sql.SQL("select public.update_idempotency_record({}, 'COMPLETED', now(), '{{}}')").format(KEY),
        sql.SQL("select public.settle_idempotency_record({}, now(), now(), '{{}}')").format(KEY),
    ]
    for statement in statements:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), pg_conn.transaction(force_rollback=True):
            pg_conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            pg_conn.execute(statement)
    assert pg_conn.execute("select key, status from public.idempotency_records").fetchall() == [(KEY, "COMPLETED")]


@pytest.mark.postgres
def test_the_service_role_runs_the_functions(pg_conn: Conn) -> None:
    with pg_conn.transaction():
        pg_conn.execute("set local role service_role")
        assert pg_conn.execute(
            "select public.put_idempotency_record(%s, 'INPROGRESS', now() + interval '1 day')", [KEY]
        ).fetchone() == ({"inserted": True},)
        assert pg_conn.execute("select public.delete_idempotency_record(%s)", [KEY]).fetchone() == (True,)
