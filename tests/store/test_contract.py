"""The `Store` contract, run against both stores: `SQLiteStore` on a file in tmp_path, and
`SupabaseStore` → the PostgREST double → a real PostgreSQL with the migration applied.

Each test asserts the state the store holds afterwards (read back through the store), not only
what the call returned. The races use a barrier so that every thread or process calls at once.
"""

from __future__ import annotations

import functools
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ghlbridge.store import (
    Installation,
    InstallationKind,
    InstallationStatus,
    LocationAccess,
    MemberChange,
    MemberRole,
    Membership,
    Store,
)
from ghlbridge.store.base import MAX_LOCATION_NAME, location_name
from ghlbridge.store.sqlite import SQLiteStore
from ghlbridge.store.supabase import SupabaseStore
from tests.postgrest_double import SERVICE_ROLE_KEY

StoreSpec = tuple[str, str]  # ("sqlite", file path) or ("supabase", base URL)

USER = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
OTHER_USER = "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
THIRD_USER = "9a7b6c5d-4e3f-4a2b-8c1d-0e9f8a7b6c5d"
NOBODY = "not-a-user-id"
OWNER, MEMBER = MemberRole.OWNER, MemberRole.MEMBER
EXPIRES = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def open_store(spec: StoreSpec) -> Store:
    kind, where = spec
    return SQLiteStore(where) if kind == "sqlite" else SupabaseStore(where, SERVICE_ROLE_KEY)


@pytest.fixture(params=["sqlite", pytest.param("supabase", marks=pytest.mark.postgres)])
def store_spec(request: pytest.FixtureRequest, tmp_path: Any) -> StoreSpec:
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "tokens.sqlite3"))
    return ("supabase", request.getfixturevalue("postgrest_url"))


@pytest.fixture
def store(store_spec: StoreSpec) -> Iterator[Store]:
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


def company(installation_id: str = "comp1", approved: list[str] | None = None, **fields: Any) -> Installation:
    return installation(
        installation_id, kind=InstallationKind.COMPANY, user_type="Company", approved_locations=approved or [], **fields
    )


def current(store: Store, installation_id: str = "loc1") -> Installation:
    inst = store.get_installation(installation_id)
    assert inst is not None
    return inst


# --- installations -------------------------------------------------------------------------------
def test_save_then_get_round_trips_the_installation(store: Store) -> None:
    given = installation(name="Main Street", approved_locations=[], installed_by=USER)

    saved = store.save_installation(given)

    assert saved == store.get_installation("loc1")
    caller_fields = given.model_dump(exclude={"status", "generation", "installed_at", "created_at", "updated_at"})
    assert saved.model_dump(include=set(caller_fields)) == caller_fields
    assert (saved.generation, saved.status, saved.lease_holder) == (1, InstallationStatus.ACTIVE, None)
    assert saved.created_at is not None and saved.updated_at is not None
    assert saved.created_at.utcoffset() == timedelta(0) and saved.expires_at == EXPIRES
    assert store.get_installation("loc-unknown") is None


def test_saving_again_reactivates_and_moves_the_generation_on(store: Store) -> None:
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


def test_reinstalling_after_an_uninstall(store: Store) -> None:
    store.save_installation(installation())
    store.uninstall("loc1")

    again = store.save_installation(installation())

    assert (again.status, again.uninstalled_at, again.generation) == (InstallationStatus.ACTIVE, None, 3)


def test_generation_counts_token_changes_only(store: Store) -> None:
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
def test_the_lease_has_one_holder_at_a_time(store: Store) -> None:
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


def test_an_expired_lease_can_be_taken_over(store: Store) -> None:
    store.save_installation(installation())
    assert store.claim_refresh_lease("loc1", "holder-a", 0.3) is not None
    assert store.claim_refresh_lease("loc1", "holder-b", 30) is None

    time.sleep(0.5)

    taken = store.claim_refresh_lease("loc1", "holder-b", 30)
    assert taken is not None and current(store).lease_holder == "holder-b"
    assert store.claim_refresh_lease("loc1", "holder-a", 30) is None


def test_a_lease_needs_a_positive_ttl(store: Store) -> None:
    store.save_installation(installation())
    for ttl in (0, -1):
        with pytest.raises(ValueError, match="positive ttl"):
            store.claim_refresh_lease("loc1", "holder-a", ttl)
    assert current(store).lease_holder is None


def test_complete_refresh_is_a_compare_and_swap(store: Store) -> None:
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


def test_complete_refresh_keeps_the_refresh_token_and_scopes_it_is_not_given(store: Store) -> None:
    store.save_installation(installation())
    store.claim_refresh_lease("loc1", "holder-a", 30)

    done = store.complete_refresh("loc1", "holder-a", 1, "enc:a2", None, LATER)

    assert done is not None
    assert (done.access_token_enc, done.refresh_token_enc) == ("enc:a2", "enc:refresh:loc1")
    assert done.scopes == ["contacts.readonly", "opportunities.write"]


def test_release_lease_only_by_its_holder(store: Store) -> None:
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


def test_mark_needs_reauth_only_at_the_expected_generation_and_never_deletes(store: Store) -> None:
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


def test_mark_needs_reauth_leaves_an_uninstalled_installation_alone(store: Store) -> None:
    store.save_installation(installation())
    store.uninstall("loc1")

    assert store.mark_needs_reauth("loc1", current(store).generation, "invalid_grant") is False
    assert current(store).status is InstallationStatus.UNINSTALLED


def test_restore_parked_is_a_compare_and_swap_on_the_parked_generation(store: Store) -> None:
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


def test_restore_parked_keeps_the_refresh_token_it_is_not_given(store: Store) -> None:
    store.save_installation(installation())

    assert store.restore_parked("loc1", 1, "enc:parked-a", None, LATER) is True
    assert current(store).refresh_token_enc == "enc:refresh:loc1"


def test_list_expiring_lists_active_installations_holding_a_refresh_token(store: Store) -> None:
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
def test_uninstall_drops_the_tokens_and_keeps_the_row(store: Store) -> None:
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


# --- installed_at and the token source -------------------------------------------------------------
def test_save_installation_sets_installed_at_and_a_reinstall_moves_it(store: Store) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)

    first = store.save_installation(installation(installed_by=USER, installed_at=LATER))  # not the caller's

    assert first.installed_at is not None and started < first.installed_at <= datetime.now(UTC)
    assert first.installed_at.utcoffset() == timedelta(0) and current(store).installed_at == first.installed_at
    assert store.list_locations(USER) == [] and store.list_members("loc1") == []  # an install grants nothing
    store.claim_refresh_lease("loc1", "holder-a", 30)
    store.complete_refresh("loc1", "holder-a", 1, "enc:a2", "enc:r2", LATER)
    assert current(store).installed_at == first.installed_at  # a refresh is no install

    again = store.save_installation(installation())

    assert again.installed_at is not None and again.installed_at > first.installed_at
    assert current(store).installed_at == again.installed_at


def test_get_token_source_prefers_the_location_s_own_installation_unless_uninstalled(store: Store) -> None:
    store.save_installation(company("comp1", ["loc1", "loc2"]))
    store.save_installation(installation("loc1"))

    assert (source := store.get_token_source("loc1")) is not None and source == current(store, "loc1")
    store.mark_needs_reauth("loc1", 1, "invalid_grant")
    assert (source := store.get_token_source("loc1")) is not None and source.id == "loc1"  # whatever its status
    assert source.status is InstallationStatus.NEEDS_REAUTH
    store.uninstall("loc1")
    assert store.get_token_source("loc1") == current(store, "comp1")  # falls to the company
    store.save_installation(installation("loc1"))
    assert (source := store.get_token_source("loc1")) is not None and source.id == "loc1"  # reinstalled


def test_get_token_source_for_a_location_only_a_company_approved(store: Store) -> None:
    store.save_installation(company("comp1", ["loc1", "loc2"]))
    store.save_installation(company("comp2", ["loc2"]))  # the newer approval of loc2

    assert store.get_token_source("loc1") == current(store, "comp1")
    assert store.get_token_source("loc2") == current(store, "comp2")
    store.mark_needs_reauth("comp2", 1, "invalid_grant")
    assert store.get_token_source("loc2") == current(store, "comp1")  # active companies only
    store.mark_needs_reauth("comp1", 1, "invalid_grant")
    assert store.get_token_source("loc1") is None


def test_get_token_source_is_none_for_a_company_id_and_for_nothing(store: Store) -> None:
    store.save_installation(company("comp1", ["loc1"]))

    assert store.get_token_source("comp1") is None  # a company id names no location
    assert store.get_token_source("loc-unknown") is None
    store.save_installation(company("agency", ["comp1"]))  # unless a company approved a location of that id
    assert store.get_token_source("comp1") == current(store, "agency")


def test_list_locations_pairs_each_membership_with_its_token_source(store: Store) -> None:
    store.save_installation(company("comp1", ["locB", "Zeta", "locA"]))
    store.save_installation(installation("locA"))
    for location_id in ("locC", "locB", "locA", "Zeta"):
        store.add_member(location_id, USER, MEMBER)
    store.add_member("locD", OTHER_USER, OWNER)  # another user's
    store.uninstall("locA")  # ends locA's memberships: the company serves it, but USER is no member now
    store.add_member("locA", USER, OWNER, added_by=OTHER_USER)

    listed = store.list_locations(USER)

    assert [access.membership.location_id for access in listed] == ["Zeta", "locA", "locB", "locC"]  # bytewise
    for access in listed:
        assert access.membership == store.get_membership(access.membership.location_id, USER)
        assert access.installation == store.get_token_source(access.membership.location_id)
    assert [a.installation.id if a.installation else None for a in listed] == ["comp1", "comp1", "comp1", None]
    assert listed[1] == LocationAccess(
        membership=Membership(
            location_id="locA", user_id=USER, role=OWNER, added_by=OTHER_USER, added_at=listed[1].membership.added_at
        ),
        installation=current(store, "comp1"),
    )
    assert store.list_locations(OTHER_USER)[0].installation is None
    assert store.list_locations(THIRD_USER) == [] and store.list_locations(NOBODY) == []


# --- members -------------------------------------------------------------------------------------
def test_add_member_inserts_or_updates_the_role(store: Store) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)

    added = store.add_member("loc1", USER.upper(), OWNER, added_by=OTHER_USER.upper())  # stored canonical

    assert added == store.get_membership("loc1", USER)
    assert (added.location_id, added.user_id, added.role, added.added_by) == ("loc1", USER, OWNER, OTHER_USER)
    assert added.ghl_user_id is None and added.added_at is not None and added.added_at > started
    updated = store.add_member("loc1", USER, MEMBER)
    assert updated == store.get_membership("loc1", USER)
    assert (updated.role, updated.added_by, updated.added_at) == (MEMBER, OTHER_USER, added.added_at)
    assert store.list_members("loc1") == [updated]  # not duplicated
    assert store.get_membership("loc2", USER) is None and store.get_membership("loc1", NOBODY) is None


def test_add_member_refuses_what_is_no_role_or_no_user(store: Store) -> None:
    with pytest.raises(ValueError):
        store.add_member("loc1", USER, "rep")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UUID"):
        store.add_member("loc1", NOBODY, OWNER)
    with pytest.raises(ValueError, match="UUID"):
        store.add_member("loc1", USER, OWNER, added_by=NOBODY)
    assert store.list_members("loc1") == []


def test_list_members_oldest_first(store: Store) -> None:
    for user in (OTHER_USER, THIRD_USER, USER):
        store.add_member("loc1", user, MEMBER)
    store.add_member("loc2", USER, OWNER)
    store.add_member("loc1", OTHER_USER, OWNER)  # a role change is no new membership

    listed = store.list_members("loc1")

    assert [(m.user_id, m.role) for m in listed] == [(OTHER_USER, OWNER), (THIRD_USER, MEMBER), (USER, MEMBER)]
    assert listed == [store.get_membership("loc1", m.user_id) for m in listed]
    assert store.list_members("loc-unknown") == []


def test_put_member_by_an_owner(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)

    created = store.put_member("loc1", USER, THIRD_USER, MEMBER)

    assert created.outcome == "created" and created.member == store.get_membership("loc1", THIRD_USER)
    assert (created.member.role, created.member.added_by) == (MEMBER, USER)
    assert store.put_member("loc1", USER, THIRD_USER, MEMBER) == MemberChange(outcome="exists", member=created.member)
    assert store.put_member("loc1", USER, THIRD_USER, OWNER) == MemberChange(
        outcome="role_differs", member=created.member
    )
    assert store.get_membership("loc1", THIRD_USER) == created.member  # nothing changed
    assert store.put_member("loc1", USER, NOBODY, MEMBER) == MemberChange(outcome="not_found")


def test_put_member_by_anyone_else_is_forbidden(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    store.add_member("loc2", THIRD_USER, OWNER)  # an owner elsewhere
    before = store.list_members("loc1")

    for actor in (OTHER_USER, THIRD_USER, NOBODY):
        assert store.put_member("loc1", actor, THIRD_USER, OWNER) == MemberChange(outcome="forbidden")
    assert store.put_member("loc1", OTHER_USER, OTHER_USER, OWNER) == MemberChange(outcome="forbidden")
    assert store.put_member("loc-unknown", USER, THIRD_USER, MEMBER) == MemberChange(outcome="forbidden")
    assert store.list_members("loc1") == before and store.list_members("loc-unknown") == []


def test_set_member_role(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)

    promoted = store.set_member_role("loc1", USER, OTHER_USER, OWNER)

    assert promoted.outcome == "updated" and promoted.member == store.get_membership("loc1", OTHER_USER)
    assert promoted.member.role is OWNER
    assert store.set_member_role("loc1", USER, OTHER_USER, OWNER) == promoted  # already so: still updated
    demoted = store.set_member_role("loc1", OTHER_USER, USER, MEMBER)  # two owners: one may go
    assert demoted.outcome == "updated" and demoted.member == store.get_membership("loc1", USER)
    assert demoted.member.role is MEMBER
    assert store.set_member_role("loc1", OTHER_USER, THIRD_USER, MEMBER) == MemberChange(outcome="not_found")
    assert store.set_member_role("loc1", OTHER_USER, NOBODY, MEMBER) == MemberChange(outcome="not_found")


def test_set_member_role_forbidden_and_last_owner_change_nothing(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    before = store.list_members("loc1")

    for actor in (OTHER_USER, THIRD_USER, NOBODY):
        assert store.set_member_role("loc1", actor, OTHER_USER, OWNER) == MemberChange(outcome="forbidden")
    last = store.set_member_role("loc1", USER, USER, MEMBER)

    assert last == MemberChange(outcome="last_owner", member=before[0])
    assert store.list_members("loc1") == before


def test_remove_member(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, OWNER)
    store.add_member("loc1", THIRD_USER, MEMBER)
    third = store.get_membership("loc1", THIRD_USER)

    assert store.remove_member("loc1", THIRD_USER, THIRD_USER) == MemberChange(outcome="removed", member=third)
    assert store.get_membership("loc1", THIRD_USER) is None  # a member may leave
    store.add_member("loc1", THIRD_USER, MEMBER)
    assert store.remove_member("loc1", USER, THIRD_USER).outcome == "removed"  # an owner may remove
    assert store.get_membership("loc1", THIRD_USER) is None
    other = store.get_membership("loc1", OTHER_USER)
    assert store.remove_member("loc1", USER, OTHER_USER) == MemberChange(outcome="removed", member=other)
    assert [m.user_id for m in store.list_members("loc1")] == [USER]
    assert store.remove_member("loc1", USER, OTHER_USER) == MemberChange(outcome="not_found")
    assert store.remove_member("loc1", USER, NOBODY) == MemberChange(outcome="not_found")


def test_remove_member_forbidden_and_last_owner_change_nothing(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    store.add_member("loc1", THIRD_USER, MEMBER)
    before = store.list_members("loc1")

    assert store.remove_member("loc1", OTHER_USER, THIRD_USER) == MemberChange(outcome="forbidden")
    assert store.remove_member("loc1", OTHER_USER, USER) == MemberChange(outcome="forbidden")
    assert store.remove_member("loc1", NOBODY, NOBODY) == MemberChange(outcome="forbidden")
    assert store.remove_member("loc1", THIRD_USER, NOBODY) == MemberChange(outcome="forbidden")
    assert store.remove_member("loc1", USER, USER) == MemberChange(outcome="last_owner", member=before[0])
    assert store.list_members("loc1") == before


def test_link_member(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    store.add_member("loc2", THIRD_USER, OWNER)
    store.link_member("loc2", THIRD_USER, THIRD_USER, "ghl-1")  # another location may use the same GHL user

    mine = store.link_member("loc1", OTHER_USER, OTHER_USER, "ghl-1")  # a member links themself

    assert mine.outcome == "updated" and mine.member == store.get_membership("loc1", OTHER_USER)
    assert (mine.member.ghl_user_id, mine.member.role) == ("ghl-1", MEMBER)
    assert store.link_member("loc1", OTHER_USER, OTHER_USER, "ghl-1") == mine  # the same link again
    by_owner = store.link_member("loc1", USER, OTHER_USER, "ghl-2")  # an owner links a member
    assert by_owner.outcome == "updated" and store.get_membership("loc1", OTHER_USER) == by_owner.member
    assert by_owner.member is not None and by_owner.member.ghl_user_id == "ghl-2"
    unlinked = store.link_member("loc1", OTHER_USER, OTHER_USER, None)
    assert unlinked.outcome == "updated" and unlinked.member is not None and unlinked.member.ghl_user_id is None
    assert store.get_membership("loc1", OTHER_USER) == unlinked.member
    assert store.link_member("loc1", USER, THIRD_USER, "ghl-3") == MemberChange(outcome="not_found")
    assert store.link_member("loc1", USER, NOBODY, "ghl-3") == MemberChange(outcome="not_found")


def test_link_member_forbidden_and_taken_change_nothing(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    store.add_member("loc1", THIRD_USER, MEMBER)
    store.link_member("loc1", USER, USER, "ghl-1")
    before = store.list_members("loc1")

    assert store.link_member("loc1", OTHER_USER, THIRD_USER, "ghl-9") == MemberChange(outcome="forbidden")
    assert store.link_member("loc1", NOBODY, NOBODY, "ghl-9") == MemberChange(outcome="forbidden")
    taken = store.link_member("loc1", OTHER_USER, OTHER_USER, "ghl-1")
    assert taken == MemberChange(outcome="ghl_user_taken", member=before[1])
    assert store.link_member("loc1", USER, THIRD_USER, "ghl-1").outcome == "ghl_user_taken"
    assert store.list_members("loc1") == before


# --- install tickets ----------------------------------------------------------------------------
def ticket_expiry() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=10)


def test_a_location_ticket_makes_its_user_an_owner_once(store: Store) -> None:
    store.save_installation(installation("loc1"))
    assert store.create_install_ticket("hash-1", USER, "loc1", ticket_expiry()) is True

    assert store.redeem_install_ticket("hash-1", USER) == ["loc1"]

    owner = store.get_membership("loc1", USER)
    assert owner is not None and (owner.role, owner.added_by, owner.ghl_user_id) == (OWNER, USER, None)
    assert store.redeem_install_ticket("hash-1", USER) is None  # used up
    assert store.list_members("loc1") == [owner]


def test_a_company_ticket_makes_its_user_an_owner_of_every_approved_location(store: Store) -> None:
    store.save_installation(company("comp1", ["locB", "locA", "Zeta"]))
    store.add_member("locA", OTHER_USER, OWNER)
    store.add_member("locA", USER, MEMBER, added_by=OTHER_USER)
    store.link_member("locA", USER, USER, "ghl-1")
    linked = store.get_membership("locA", USER)
    store.create_install_ticket("hash-1", USER, "comp1", ticket_expiry())

    assert store.redeem_install_ticket("hash-1", USER) == ["Zeta", "locA", "locB"]  # sorted

    promoted = store.get_membership("locA", USER)  # promoted, keeping the link and who added them
    assert linked is not None and promoted == linked.model_copy(update={"role": OWNER})
    for location_id in ("locB", "Zeta"):
        member = store.get_membership(location_id, USER)
        assert member is not None and (member.role, member.added_by) == (OWNER, USER)
    assert store.get_membership("comp1", USER) is None  # a company id is no location
    assert [a.membership.location_id for a in store.list_locations(USER)] == ["Zeta", "locA", "locB"]


def test_another_user_s_redeem_does_not_use_the_ticket_up(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.create_install_ticket("hash-1", USER, "loc1", ticket_expiry())

    assert store.redeem_install_ticket("hash-1", OTHER_USER) is None
    assert store.redeem_install_ticket("hash-1", NOBODY) is None
    assert store.redeem_install_ticket("hash-unknown", USER) is None
    assert store.list_members("loc1") == []

    assert store.redeem_install_ticket("hash-1", USER) == ["loc1"]
    assert [m.user_id for m in store.list_members("loc1")] == [USER]


def test_an_expired_ticket_is_refused(store: Store) -> None:
    store.save_installation(installation("loc1"))
    assert store.create_install_ticket("hash-1", USER, "loc1", datetime.now(UTC) - timedelta(seconds=1))

    assert store.redeem_install_ticket("hash-1", USER) is None
    assert store.list_members("loc1") == []


def test_an_uninstall_voids_the_ticket_and_so_does_the_reinstall_after_it(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.create_install_ticket("hash-1", USER, "loc1", ticket_expiry())
    store.uninstall("loc1")

    assert store.redeem_install_ticket("hash-1", USER) is None
    store.save_installation(installation("loc1"))
    assert store.redeem_install_ticket("hash-1", USER) is None  # active again, but another install
    assert store.list_members("loc1") == []


def test_a_reinstall_voids_the_ticket(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.create_install_ticket("hash-1", USER, "loc1", ticket_expiry())
    store.save_installation(installation("loc1"))
    store.create_install_ticket("hash-2", USER, "loc1", ticket_expiry())

    assert store.redeem_install_ticket("hash-1", USER) is None
    assert store.list_members("loc1") == []
    assert store.redeem_install_ticket("hash-2", USER) == ["loc1"]  # the ticket of this install works


def test_create_install_ticket_needs_the_installation_and_a_free_hash(store: Store) -> None:
    store.save_installation(installation("loc1"))

    assert store.create_install_ticket("hash-1", USER, "loc-unknown", ticket_expiry()) is False
    assert store.redeem_install_ticket("hash-1", USER) is None  # nothing was stored
    assert store.create_install_ticket("hash-1", USER, "loc1", ticket_expiry()) is True
    assert store.create_install_ticket("hash-1", OTHER_USER, "loc1", ticket_expiry()) is False  # not rebound
    assert store.redeem_install_ticket("hash-1", OTHER_USER) is None
    assert store.redeem_install_ticket("hash-1", USER) == ["loc1"]
    with pytest.raises(ValueError, match="UUID"):
        store.create_install_ticket("hash-2", NOBODY, "loc1", ticket_expiry())
    with pytest.raises(ValueError, match="timezone-aware"):
        store.create_install_ticket("hash-2", USER, "loc1", datetime(2026, 12, 1, 12, 0))


# --- uninstall ends memberships -----------------------------------------------------------------
def test_uninstalling_a_location_ends_its_memberships(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.save_installation(installation("loc2"))
    store.save_installation(company("comp1", ["loc1"]))  # even though a company still approves it
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    store.add_member("loc2", USER, OWNER)

    assert store.uninstall("loc1") is True

    assert store.list_members("loc1") == []
    assert [m.user_id for m in store.list_members("loc2")] == [USER]


def test_uninstalling_a_company_ends_the_memberships_nothing_else_serves(store: Store) -> None:
    store.save_installation(company("comp1", ["only", "own", "parked", "gone", "other"]))
    store.save_installation(installation("own"))  # its own active installation
    store.save_installation(installation("parked"))
    store.mark_needs_reauth("parked", 1, "invalid_grant")  # its own, needs_reauth: still serves
    store.save_installation(installation("gone"))
    store.uninstall("gone")  # its own, uninstalled: does not
    store.save_installation(company("comp2", ["other"]))  # another active company approves it
    for location_id in ("only", "own", "parked", "gone", "other", "elsewhere"):
        store.add_member(location_id, USER, OWNER)

    assert store.uninstall("comp1") is True

    assert [a.membership.location_id for a in store.list_locations(USER)] == ["elsewhere", "other", "own", "parked"]
    assert store.uninstall("comp2") is True
    assert [a.membership.location_id for a in store.list_locations(USER)] == ["elsewhere", "own", "parked"]


# --- location names ------------------------------------------------------------------------------
def names(store: Store, user_id: str = USER) -> dict[str, str | None]:
    """location id → name, as `list_locations` shows them to the user."""
    return {access.membership.location_id: access.name for access in store.list_locations(user_id)}


def test_location_name_is_what_both_stores_keep() -> None:
    assert location_name("  Main Street\n") == "Main Street"
    assert location_name("é" * 201) == "é" * MAX_LOCATION_NAME == "é" * 200
    for bad in ("", " \t\n", "Main\x00Street", "Main \ud800"):  # a NUL or a lone surrogate: no store takes it
        with pytest.raises(ValueError):
            location_name(bad)


def test_a_location_name_is_stored_and_listed_to_every_member(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.save_installation(installation("loc2"))
    for user in (USER, OTHER_USER):
        store.add_member("loc1", user, OWNER if user == USER else MEMBER)
    store.add_member("loc2", USER, OWNER)
    assert names(store) == {"loc1": None, "loc2": None}  # the ones still to ask GHL for

    assert store.set_location_name("loc1", "Main Street") is True

    assert names(store) == {"loc1": "Main Street", "loc2": None}
    assert names(store, OTHER_USER) == {"loc1": "Main Street"}  # the location's name, not the user's
    listed = store.list_locations(USER)[0]
    assert listed.installation == current(store, "loc1") and listed.membership == store.get_membership("loc1", USER)


def test_a_name_for_a_location_the_store_does_not_know_is_not_stored(store: Store) -> None:
    store.save_installation(company("comp1", ["locA"]))
    store.save_installation(installation("gone"))
    store.uninstall("gone")
    for location_id in ("loc-unknown", "comp1", "gone"):
        store.add_member(location_id, USER, OWNER)  # a membership alone is no installation

    assert store.set_location_name("loc-unknown", "Nowhere") is False
    assert store.set_location_name("comp1", "The agency") is False  # a company id names no location
    assert store.set_location_name("gone", "Uninstalled") is False

    assert names(store) == {"comp1": None, "gone": None, "loc-unknown": None}


def test_a_name_is_replaced(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.add_member("loc1", USER, OWNER)
    store.set_location_name("loc1", "Main Street")

    assert store.set_location_name("loc1", "Main Street Dental") is True
    assert names(store) == {"loc1": "Main Street Dental"}
    assert store.set_location_name("loc1", "Main Street Dental") is True  # the same name again
    assert names(store) == {"loc1": "Main Street Dental"}


def test_a_name_is_trimmed_cut_to_200_characters_and_never_empty(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.add_member("loc1", USER, OWNER)

    assert store.set_location_name("loc1", " \t Main  Street\n") is True
    assert names(store) == {"loc1": "Main  Street"}  # the ends only
    assert store.set_location_name("loc1", "Ü" * 250) is True
    assert names(store) == {"loc1": "Ü" * 200}  # characters, not bytes
    assert store.set_location_name("loc1", "x" * 199 + " " + "y" * 10) is True
    assert names(store) == {"loc1": "x" * 199}  # no blank left at the cut
    for bad in ("", "   \n", "Main\x00Street", "Main \ud800"):
        with pytest.raises(ValueError):
            store.set_location_name("loc1", bad)
    with pytest.raises(ValueError):
        store.set_location_name("loc-unknown", "")  # refused before the location is looked up
    assert names(store) == {"loc1": "x" * 199}  # nothing written


def test_a_reinstall_keeps_the_name(store: Store) -> None:
    store.save_installation(installation("loc1"))
    store.save_installation(company("comp1", ["locA", "locB"]))
    for location_id in ("loc1", "locA"):
        store.add_member(location_id, USER, OWNER)
        assert store.set_location_name(location_id, f"{location_id} name")
    store.mark_needs_reauth("loc1", 1, "invalid_grant")
    store.mark_needs_reauth("comp1", 1, "invalid_grant")

    store.save_installation(installation("loc1"))
    store.save_installation(company("comp1", ["locA", "locB"]))

    assert names(store) == {"loc1": "loc1 name", "locA": "locA name"}


def test_the_approved_locations_of_a_company_install_get_names(store: Store) -> None:
    store.save_installation(company("comp1", ["locA", "locB"]))
    store.mark_needs_reauth("comp1", 1, "invalid_grant")  # parked, but installed: it still covers them
    for location_id in ("locA", "locB", "locC"):
        store.add_member(location_id, USER, OWNER)

    assert store.set_location_name("locA", "Alpha") is True
    assert store.set_location_name("locB", "Beta") is True
    assert store.set_location_name("locC", "Gamma") is False  # not approved

    assert names(store) == {"locA": "Alpha", "locB": "Beta", "locC": None}


def test_one_location_has_one_name_whichever_installation_serves_it(store: Store) -> None:
    store.save_installation(company("comp1", ["loc1"]))
    store.save_installation(installation("loc1"))
    store.add_member("loc1", USER, OWNER)
    store.set_location_name("loc1", "Main Street")
    assert [(a.installation.id if a.installation else None, a.name) for a in store.list_locations(USER)] == [
        ("loc1", "Main Street")
    ]

    store.uninstall("loc1")  # the company still covers it: the name stays
    store.add_member("loc1", USER, OWNER)

    assert [(a.installation.id if a.installation else None, a.name) for a in store.list_locations(USER)] == [
        ("comp1", "Main Street")
    ]


def test_uninstalling_deletes_the_names_nothing_else_covers(store: Store) -> None:
    store.save_installation(company("comp1", ["only", "own", "parked", "other"]))
    store.save_installation(installation("own"))
    store.save_installation(company("comp2", ["other"]))
    store.mark_needs_reauth("comp2", 1, "invalid_grant")  # parked, but installed: still covers "other"
    store.save_installation(installation("loc1"))
    store.save_installation(installation("parked"))
    store.mark_needs_reauth("parked", 1, "invalid_grant")
    for location_id in ("only", "own", "parked", "other", "loc1"):
        assert store.set_location_name(location_id, f"{location_id} name")

    assert store.uninstall("comp1") is True
    assert store.uninstall("loc1") is True

    # Asked as members again (the uninstalls ended the memberships): what the store still holds.
    for location_id in ("only", "own", "parked", "other", "loc1"):
        store.add_member(location_id, USER, OWNER)
    assert names(store) == {"loc1": None, "only": None, "other": "other name", "own": "own name",
                            "parked": "parked name"}  # fmt: skip
    store.save_installation(installation("loc1"))  # a reinstall after an uninstall asks GHL again
    assert names(store)["loc1"] is None


def test_a_name_set_while_its_installation_is_uninstalled_is_not_left_behind(store: Store) -> None:
    for round_ in range(16):  # a few rounds: the threads interleave differently
        location_id = f"loc{round_}"
        store.save_installation(installation(location_id))

        def act(i: int, location_id: str = location_id) -> bool:
            return store.set_location_name(location_id, "Main Street") if i == 0 else store.uninstall(location_id)

        stored, uninstalled = race(2, act)

        assert uninstalled is True

        store.add_member(location_id, USER, OWNER)
        assert names(store)[location_id] is None, (round_, stored)
        assert store.set_location_name(location_id, "Main Street") is False


def test_uninstalling_both_installations_of_a_location_at_once_deletes_its_name(store: Store) -> None:
    for round_ in range(16):
        location_id, company_id = f"loc{round_}", f"comp{round_}"
        store.save_installation(installation(location_id))
        store.save_installation(company(company_id, [location_id]))
        assert store.set_location_name(location_id, "Main Street")

        assert race(2, lambda i, ids=(location_id, company_id): store.uninstall(ids[i])) == [True, True]

        store.add_member(location_id, USER, OWNER)
        assert names(store)[location_id] is None, round_


# --- member races --------------------------------------------------------------------------------
@pytest.mark.parametrize("write", ["demote", "remove", "leave"])
def test_two_owners_acting_on_each_other_at_once_leave_one_owner(store: Store, write: str) -> None:
    owners = [USER, OTHER_USER]
    done = "updated" if write == "demote" else "removed"
    refused = "last_owner" if write == "leave" else "forbidden"

    def act(location_id: str, i: int) -> MemberChange:
        me, other = owners[i], owners[1 - i]
        if write == "demote":
            return store.set_member_role(location_id, me, other, MEMBER)
        return store.remove_member(location_id, me, me if write == "leave" else other)

    for location_id in ("loc1", "loc2", "loc3", "loc4"):  # a few rounds: the threads interleave differently
        for owner in owners:
            store.add_member(location_id, owner, OWNER)

        outcomes = [change.outcome for change in race(2, functools.partial(act, location_id))]

        assert sorted(outcomes) == sorted([done, refused])
        assert [m.role for m in store.list_members(location_id)].count(OWNER) == 1


def test_two_members_linking_one_ghl_user_at_once_link_one(store: Store) -> None:
    store.add_member("loc1", USER, OWNER)
    store.add_member("loc1", OTHER_USER, MEMBER)
    users = [USER, OTHER_USER]

    outcomes = race(2, lambda i: store.link_member("loc1", users[i], users[i], "ghl-1").outcome)

    assert sorted(outcomes) == ["ghl_user_taken", "updated"]
    assert [m.user_id for m in store.list_members("loc1") if m.ghl_user_id == "ghl-1"] == [
        users[outcomes.index("updated")]
    ]


def test_16_threads_redeeming_one_ticket_redeem_once(store: Store) -> None:
    store.save_installation(company("comp1", ["locA", "locB"]))
    store.create_install_ticket("hash-1", USER, "comp1", ticket_expiry())

    redeemed = race(16, lambda i: store.redeem_install_ticket("hash-1", USER))

    assert [r for r in redeemed if r is not None] == [["locA", "locB"]]
    assert [a.membership.role for a in store.list_locations(USER)] == [OWNER, OWNER]


# --- OAuth states and webhooks -----------------------------------------------------------------
def test_an_oauth_state_is_consumed_once_by_its_user(store: Store) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) + timedelta(minutes=10))

    assert store.consume_oauth_state("nonce-1", OTHER_USER) is False  # another user's state
    assert store.consume_oauth_state("nonce-1", USER) is True
    assert store.consume_oauth_state("nonce-1", USER) is False  # a replay
    assert store.consume_oauth_state("nonce-unknown", USER) is False


def test_an_expired_oauth_state_is_refused(store: Store) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) - timedelta(seconds=1))

    assert store.consume_oauth_state("nonce-1", USER) is False


def test_an_oauth_state_cannot_be_rebound_to_another_user(store: Store) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) + timedelta(minutes=10))
    store.create_oauth_state("nonce-1", OTHER_USER, datetime.now(UTC) + timedelta(minutes=10))

    assert store.consume_oauth_state("nonce-1", OTHER_USER) is False
    assert store.consume_oauth_state("nonce-1", USER) is True


def test_a_webhook_is_recorded_once(store: Store) -> None:
    assert store.record_webhook("wh-1", "INSTALL") is True
    assert store.record_webhook("wh-1", "INSTALL") is False
    assert store.record_webhook("wh-2", "UNINSTALL") is True


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 12, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.list_expiring(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.create_oauth_state("nonce-1", USER, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_installation(installation(expires_at=naive))
    assert store.get_installation("loc1") is None


# --- races ---------------------------------------------------------------------------------------
def test_32_threads_claiming_one_lease_elect_one_holder(store: Store) -> None:
    store.save_installation(installation())

    claims = race(32, lambda i: store.claim_refresh_lease("loc1", f"holder-{i}", 30))

    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    assert current(store).lease_holder == winners[0].lease_holder


def test_16_threads_restoring_one_generation_write_once(store: Store) -> None:
    store.save_installation(installation())

    written = race(16, lambda i: store.restore_parked("loc1", 1, f"enc:a{i}", f"enc:r{i}", LATER))

    assert written.count(True) == 1
    assert current(store).access_token_enc == f"enc:a{written.index(True)}"
    assert current(store).generation == 2


def test_16_threads_consuming_one_oauth_state_succeed_once(store: Store) -> None:
    store.create_oauth_state("nonce-1", USER, datetime.now(UTC) + timedelta(minutes=10))

    assert race(16, lambda i: store.consume_oauth_state("nonce-1", USER)).count(True) == 1


def test_16_threads_recording_one_webhook_succeed_once(store: Store) -> None:
    assert race(16, lambda i: store.record_webhook("wh-1", "INSTALL")).count(True) == 1


def _claim_in_child(spec: StoreSpec, holder: str, barrier: Any, results: Any) -> None:
    child_store = open_store(spec)
    barrier.wait(timeout=60)
    results.put((holder, child_store.claim_refresh_lease("loc1", holder, 30) is not None))


def test_processes_sharing_the_store_elect_one_lease_holder(store_spec: StoreSpec, store: Store) -> None:
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
