"""The `TokenStore` contract, run against both stores: `SQLiteStore` on a file in tmp_path, and
`SupabaseStore` → the PostgREST double → a real PostgreSQL with the migration applied.

Each test asserts the state the store holds afterwards (read back through the store), not only
what the call returned. The races use a barrier so that every thread or process calls at once.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ghlbridge.store import Installation, InstallationKind, InstallationStatus, Membership, TokenStore
from ghlbridge.store.sqlite import SQLiteStore
from ghlbridge.store.supabase import SupabaseStore
from tests.postgrest_double import SERVICE_ROLE_KEY

StoreSpec = tuple[str, str]  # ("sqlite", file path) or ("supabase", base URL)

USER = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
OTHER_USER = "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
EXPIRES = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def open_store(spec: StoreSpec) -> TokenStore:
    kind, where = spec
    return SQLiteStore(where) if kind == "sqlite" else SupabaseStore(where, SERVICE_ROLE_KEY)


@pytest.fixture(params=["sqlite", pytest.param("supabase", marks=pytest.mark.postgres)])
def store_spec(request: pytest.FixtureRequest, tmp_path: Any) -> StoreSpec:
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "tokens.sqlite3"))
    return ("supabase", request.getfixturevalue("postgrest_url"))


@pytest.fixture
def store(store_spec: StoreSpec) -> Iterator[TokenStore]:
    opened = open_store(store_spec)
    yield opened
    if isinstance(opened, SupabaseStore):
        opened.close()


def installation(installation_id: str = "loc1", **fields: Any) -> Installation:
    values: dict[str, Any] = {
        "id": installation_id,
        "kind": InstallationKind.LOCATION,
        "user_type": "Location",
        "company_id": "comp1",
        "scopes": ["contacts.readonly", "opportunities.write"],
        "access_token_enc": f"enc:access:{installation_id}",
        "refresh_token_enc": f"enc:refresh:{installation_id}",
        "expires_at": EXPIRES,
    }
    return Installation(**(values | fields))


def race[T](n: int, call: Callable[[int], T]) -> list[T]:
    """`call(i)` for i in range(n), from n threads released together."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def current(store: TokenStore, installation_id: str = "loc1") -> Installation:
    inst = store.get_installation(installation_id)
    assert inst is not None
    return inst


# --- installations -------------------------------------------------------------------------------
def test_save_then_get_round_trips_the_installation(store: TokenStore) -> None:
    given = installation(name="Main Street", approved_locations=[], installed_by=USER)

    saved = store.save_installation(given)

    assert saved == store.get_installation("loc1")
    caller_fields = given.model_dump(exclude={"status", "generation", "created_at", "updated_at"})
    assert saved.model_dump(include=set(caller_fields)) == caller_fields
    assert (saved.generation, saved.status, saved.lease_holder) == (1, InstallationStatus.ACTIVE, None)
    assert saved.created_at is not None and saved.updated_at is not None
    assert saved.created_at.utcoffset() == timedelta(0) and saved.expires_at == EXPIRES
    assert store.get_installation("loc-unknown") is None


def test_saving_again_reactivates_and_moves_the_generation_on(store: TokenStore) -> None:
    first = store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)
    assert store.mark_needs_reauth("loc1", 1, "invalid_grant")

    again = store.save_installation(installation(access_token_enc="enc:access:2", generation=99))

    assert again == current(store)
    assert (again.generation, again.status, again.reauth_reason, again.reauth_at) == (
        2, InstallationStatus.ACTIVE, None, None,
    )  # fmt: skip
    assert (again.lease_holder, again.lease_expires_at) == (None, None)
    assert again.access_token_enc == "enc:access:2"
    assert again.created_at == first.created_at


def test_reinstalling_after_an_uninstall(store: TokenStore) -> None:
    store.save_installation(installation())
    store.uninstall("loc1")

    again = store.save_installation(installation())

    assert (again.status, again.uninstalled_at, again.generation) == (InstallationStatus.ACTIVE, None, 3)


def test_generation_counts_token_changes_only(store: TokenStore) -> None:
    assert store.save_installation(installation()).generation == 1
    assert current(store).generation == 1
    for generation in (1, 2):
        assert store.claim_refresh_lease("loc1", "holder-a", 30) is not None
        assert current(store).generation == generation  # a lease is not a token change
        done = store.complete_refresh("loc1", "holder-a", generation, f"a{generation}", f"r{generation}", LATER)
        assert done is not None and done.generation == generation + 1
    assert store.mark_needs_reauth("loc1", 3, "invalid_grant")
    assert current(store).generation == 3  # nor is a status change
    assert store.uninstall("loc1")
    assert current(store).generation == 4  # dropping the tokens is


# --- the refresh lease ---------------------------------------------------------------------------
def test_the_lease_has_one_holder_at_a_time(store: TokenStore) -> None:
    store.save_installation(installation())
    started = datetime.now(UTC)

    claimed = store.claim_refresh_lease("loc1", "holder-a", 30)

    assert claimed is not None and claimed.lease_holder == "holder-a"
    assert claimed.lease_expires_at is not None
    assert started + timedelta(seconds=25) < claimed.lease_expires_at < started + timedelta(seconds=35)
    assert claimed == current(store)
    assert store.claim_refresh_lease("loc1", "holder-b", 30) is None
    assert current(store).lease_holder == "holder-a"
    again = store.claim_refresh_lease("loc1", "holder-a", 60)  # the holder may extend its lease
    assert again is not None and again.lease_expires_at is not None
    assert again.lease_expires_at > claimed.lease_expires_at
    assert store.claim_refresh_lease("loc-unknown", "holder-a", 30) is None


def test_an_expired_lease_can_be_taken_over(store: TokenStore) -> None:
    store.save_installation(installation())
    assert store.claim_refresh_lease("loc1", "holder-a", 0.3) is not None
    assert store.claim_refresh_lease("loc1", "holder-b", 30) is None

    time.sleep(0.5)

    taken = store.claim_refresh_lease("loc1", "holder-b", 30)
    assert taken is not None and current(store).lease_holder == "holder-b"
    assert store.claim_refresh_lease("loc1", "holder-a", 30) is None


def test_a_lease_needs_a_positive_ttl(store: TokenStore) -> None:
    store.save_installation(installation())
    for ttl in (0, -1):
        with pytest.raises(ValueError, match="positive ttl"):
            store.claim_refresh_lease("loc1", "holder-a", ttl)
    assert current(store).lease_holder is None


def test_complete_refresh_is_a_compare_and_swap(store: TokenStore) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)
    before = current(store)

    assert store.complete_refresh("loc1", "holder-a", 0, "enc:a2", "enc:r2", LATER) is None  # stale generation
    assert store.complete_refresh("loc1", "holder-b", 1, "enc:a2", "enc:r2", LATER) is None  # not the holder
    assert store.complete_refresh("loc-unknown", "holder-a", 1, "enc:a2", "enc:r2", LATER) is None
    assert current(store) == before  # nothing written, not even updated_at

    done = store.complete_refresh("loc1", "holder-a", 1, "enc:a2", "enc:r2", LATER, scopes=["contacts.write"])

    assert done is not None and done == current(store)
    assert (done.access_token_enc, done.refresh_token_enc, done.expires_at) == ("enc:a2", "enc:r2", LATER)
    assert (done.generation, done.scopes, done.status) == (2, ["contacts.write"], InstallationStatus.ACTIVE)
    assert (done.lease_holder, done.lease_expires_at) == (None, None)
    assert store.complete_refresh("loc1", "holder-a", 1, "enc:a3", "enc:r3", LATER) is None  # a replay loses


def test_complete_refresh_keeps_the_refresh_token_and_scopes_it_is_not_given(store: TokenStore) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)

    done = store.complete_refresh("loc1", "holder-a", 1, "enc:a2", None, LATER)

    assert done is not None
    assert (done.access_token_enc, done.refresh_token_enc) == ("enc:a2", "enc:refresh:loc1")
    assert done.scopes == ["contacts.readonly", "opportunities.write"]


def test_release_lease_only_by_its_holder(store: TokenStore) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)
    before = current(store)

    store.release_lease("loc1", "holder-b")
    assert current(store) == before

    store.release_lease("loc1", "holder-a")
    released = current(store)
    assert (released.lease_holder, released.lease_expires_at) == (None, None)
    assert released.access_token_enc == before.access_token_enc and released.generation == 1
    assert store.claim_refresh_lease("loc1", "holder-b", 30) is not None
    store.release_lease("loc-unknown", "holder-a")  # nothing to release: no error


def test_mark_needs_reauth_only_at_the_expected_generation_and_never_deletes(store: TokenStore) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)

    assert store.mark_needs_reauth("loc1", 0, "invalid_grant") is False
    assert (current(store).status, current(store).lease_holder) == (InstallationStatus.ACTIVE, "holder-a")

    assert store.mark_needs_reauth("loc1", 1, "invalid_grant: token revoked") is True

    parked = current(store)
    assert (parked.status, parked.reauth_reason) == (
        InstallationStatus.NEEDS_REAUTH,
        "invalid_grant: token revoked",
    )
    assert parked.reauth_at is not None and parked.reauth_at.utcoffset() == timedelta(0)
    assert (parked.lease_holder, parked.generation) == (None, 1)
    assert (parked.access_token_enc, parked.refresh_token_enc) == ("enc:access:loc1", "enc:refresh:loc1")
    assert store.mark_needs_reauth("loc-unknown", 1, "invalid_grant") is False


def test_mark_needs_reauth_leaves_an_uninstalled_installation_alone(store: TokenStore) -> None:
    store.save_installation(installation())
    store.uninstall("loc1")

    assert store.mark_needs_reauth("loc1", current(store).generation, "invalid_grant") is False
    assert current(store).status is InstallationStatus.UNINSTALLED


def test_restore_parked_is_a_compare_and_swap_on_the_parked_generation(store: TokenStore) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)
    store.mark_needs_reauth("loc1", 1, "invalid_grant")  # a racer's refresh hit the rotated token
    before = current(store)

    assert store.restore_parked("loc1", 0, "enc:parked-a", "enc:parked-r", LATER) is False
    assert store.restore_parked("loc-unknown", 1, "enc:parked-a", "enc:parked-r", LATER) is False
    assert current(store) == before

    assert store.restore_parked("loc1", 1, "enc:parked-a", "enc:parked-r", LATER) is True

    restored = current(store)
    assert (restored.access_token_enc, restored.refresh_token_enc) == ("enc:parked-a", "enc:parked-r")
    assert (restored.expires_at, restored.generation) == (LATER, 2)
    assert (restored.status, restored.reauth_reason, restored.lease_holder) == (
        InstallationStatus.ACTIVE,
        None,
        None,
    )
    assert store.restore_parked("loc1", 1, "enc:other-a", "enc:other-r", LATER) is False  # superseded
    assert current(store).access_token_enc == "enc:parked-a"


def test_restore_parked_keeps_the_refresh_token_it_is_not_given(store: TokenStore) -> None:
    store.save_installation(installation())

    assert store.restore_parked("loc1", 1, "enc:parked-a", None, LATER) is True
    assert current(store).refresh_token_enc == "enc:refresh:loc1"


def test_list_expiring_lists_active_installations_holding_a_refresh_token(store: TokenStore) -> None:
    now = datetime.now(UTC)
    store.save_installation(installation("later", expires_at=now + timedelta(minutes=30)))
    store.save_installation(installation("sooner", expires_at=now + timedelta(minutes=5)))
    store.save_installation(installation("not-yet", expires_at=now + timedelta(hours=3)))
    store.save_installation(installation("no-refresh", refresh_token_enc=None, expires_at=now))
    store.save_installation(installation("parked", expires_at=now))
    store.mark_needs_reauth("parked", 1, "invalid_grant")
    store.save_installation(installation("gone", expires_at=now))
    store.uninstall("gone")

    assert store.list_expiring(now + timedelta(hours=1)) == ["sooner", "later"]  # soonest first
    assert store.list_expiring(now) == []


# --- uninstall -----------------------------------------------------------------------------------
def test_uninstall_drops_the_tokens_and_keeps_the_row(store: TokenStore) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)
    started = datetime.now(UTC) - timedelta(seconds=1)

    assert store.uninstall("loc1") is True

    gone = current(store)
    assert (gone.status, gone.id, gone.kind) == (
        InstallationStatus.UNINSTALLED,
        "loc1",
        InstallationKind.LOCATION,
    )
    assert (gone.access_token_enc, gone.refresh_token_enc, gone.expires_at) == (None, None, None)
    assert gone.uninstalled_at is not None and gone.uninstalled_at > started
    assert (gone.lease_holder, gone.generation) == (None, 2)
    # An in-flight refresh or a parked pair cannot bring the tokens back.
    assert store.complete_refresh("loc1", "holder-a", 1, "enc:a2", "enc:r2", LATER) is None
    assert store.restore_parked("loc1", 1, "enc:a2", "enc:r2", LATER) is False
    assert store.restore_parked("loc1", 2, "enc:a2", "enc:r2", LATER) is False
    assert current(store).access_token_enc is None
    assert store.uninstall("loc-unknown") is False


# --- companies and members ---------------------------------------------------------------------
def test_find_company_for_location(store: TokenStore) -> None:
    store.save_installation(
        installation("comp1", kind=InstallationKind.COMPANY, user_type="Company", approved_locations=["loc1", "loc2"])
    )
    store.save_installation(installation("loc1"))

    found = store.find_company_for_location("loc2")

    assert found is not None and found.id == "comp1" and found.approved_locations == ["loc1", "loc2"]
    assert store.find_company_for_location("loc1") == found  # the company, not the location's own row
    assert store.find_company_for_location("loc3") is None
    store.mark_needs_reauth("comp1", 1, "invalid_grant")
    assert store.find_company_for_location("loc2") is None  # active ones only


def test_members_are_idempotent_per_location_and_user(store: TokenStore) -> None:
    store.add_member("loc2", USER, "member")
    store.add_member("loc1", USER, "owner")
    store.add_member("loc1", OTHER_USER, "member")
    store.add_member("loc1", USER, "owner")

    assert store.get_membership("loc1", USER) == Membership(location_id="loc1", user_id=USER, role="owner")
    store.add_member("loc1", USER, "admin")  # the role is updated, not duplicated
    assert store.list_memberships(USER) == [
        Membership(location_id="loc1", user_id=USER, role="admin"),
        Membership(location_id="loc2", user_id=USER, role="member"),
    ]
    assert store.list_memberships(OTHER_USER) == [Membership(location_id="loc1", user_id=OTHER_USER, role="member")]
    assert store.get_membership("loc3", USER) is None
    assert store.list_memberships("1d4d5f1e-0000-4000-8000-000000000000") == []


def test_user_ids_are_supabase_auth_uuids(store: TokenStore) -> None:
    store.add_member("loc1", USER.upper(), "owner")  # stored in canonical form

    assert store.get_membership("loc1", USER) == Membership(location_id="loc1", user_id=USER, role="owner")
    assert store.get_membership("loc1", "someone-else") is None  # names nobody
    assert store.list_memberships("someone-else") == []
    assert store.consume_oauth_state("nonce", "someone-else") is False
    with pytest.raises(ValueError, match="UUID"):
        store.add_member("loc1", "someone-else", "owner")
    with pytest.raises(ValueError, match="UUID"):
        store.create_oauth_state("nonce", "someone-else", LATER)


# --- OAuth states and webhooks -----------------------------------------------------------------
def test_an_oauth_state_is_consumed_once_by_its_user(store: TokenStore) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) + timedelta(minutes=10))

    assert store.consume_oauth_state("nonce-1", OTHER_USER) is False  # another user's state
    assert store.consume_oauth_state("nonce-1", USER) is True
    assert store.consume_oauth_state("nonce-1", USER) is False  # a replay
    assert store.consume_oauth_state("nonce-unknown", USER) is False


def test_an_expired_oauth_state_is_refused(store: TokenStore) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) - timedelta(seconds=1))

    assert store.consume_oauth_state("nonce-1", USER) is False


def test_an_oauth_state_cannot_be_rebound_to_another_user(store: TokenStore) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) + timedelta(minutes=10))
    store.create_oauth_state("nonce-1", OTHER_USER, datetime.now(UTC) + timedelta(minutes=10))

    assert store.consume_oauth_state("nonce-1", OTHER_USER) is False
    assert store.consume_oauth_state("nonce-1", USER) is True


def test_a_webhook_is_recorded_once(store: TokenStore) -> None:
    assert store.record_webhook("wh-1", "INSTALL") is True
    assert store.record_webhook("wh-1", "INSTALL") is False
    assert store.record_webhook("wh-2", "UNINSTALL") is True


def test_naive_datetimes_are_refused(store: TokenStore) -> None:
    naive = datetime(2026, 12, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.list_expiring(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.create_oauth_state("nonce-1", USER, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_installation(installation(expires_at=naive))
    assert store.get_installation("loc1") is None


# --- races ---------------------------------------------------------------------------------------
def test_32_threads_claiming_one_lease_elect_one_holder(store: TokenStore) -> None:
    store.save_installation(installation())

    claims = race(32, lambda i: store.claim_refresh_lease("loc1", f"holder-{i}", 30))

    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    assert current(store).lease_holder == winners[0].lease_holder


def test_16_threads_restoring_one_generation_write_once(store: TokenStore) -> None:
    store.save_installation(installation())

    written = race(16, lambda i: store.restore_parked("loc1", 1, f"enc:a{i}", f"enc:r{i}", LATER))

    assert written.count(True) == 1
    assert current(store).access_token_enc == f"enc:a{written.index(True)}"
    assert current(store).generation == 2


def test_16_threads_consuming_one_oauth_state_succeed_once(store: TokenStore) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) + timedelta(minutes=10))

    assert race(16, lambda i: store.consume_oauth_state("nonce-1", USER)).count(True) == 1


def test_16_threads_recording_one_webhook_succeed_once(store: TokenStore) -> None:
    assert race(16, lambda i: store.record_webhook("wh-1", "INSTALL")).count(True) == 1


def _claim_in_child(spec: StoreSpec, holder: str, barrier: Any, results: Any) -> None:
    child_store = open_store(spec)
    barrier.wait(timeout=60)
    results.put((holder, child_store.claim_refresh_lease("loc1", holder, 30) is not None))


def test_processes_sharing_the_store_elect_one_lease_holder(store_spec: StoreSpec, store: TokenStore) -> None:
    """Separate processes (local `sam` containers, a dev server): each opens its own store."""
    store.save_installation(installation())
    ctx = multiprocessing.get_context("spawn")  # a fork of a threaded pytest could deadlock
    barrier, results = ctx.Barrier(4), ctx.Queue()
    children = [
        ctx.Process(target=_claim_in_child, args=(store_spec, f"process-{i}", barrier, results)) for i in range(4)
    ]
    for child in children:
        child.start()
    try:
        outcomes = dict(results.get(timeout=90) for _ in children)
    finally:
        for child in children:
            child.join(timeout=30)

    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    winners = [holder for holder, won in outcomes.items() if won]
    assert len(winners) == 1
    assert current(store).lease_holder == winners[0]
