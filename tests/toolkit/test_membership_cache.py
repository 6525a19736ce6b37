"""Membership is remembered per container while it holds, so a warm request with a fresh token
makes no store round trip; a refusal is never remembered; a removal through this container is
forgotten at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ghlbridge.store import MemberRole
from tests.toolkit.kit import LOCATION, OTHER_USER, USER, Toolkit


def patch_store(monkeypatch: pytest.MonkeyPatch, counting: Counting) -> None:
    from ghlbridge import factories

    def get_store() -> Counting:
        return counting

    get_store.cache_clear = lambda: None  # type: ignore[attr-defined]  # factories.reset() calls it
    monkeypatch.setattr(factories, "get_store", get_store)


class Counting:
    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def get_membership(self, location_id: str, user_id: str) -> Any:
        self.calls += 1
        return self.inner.get_membership(location_id, user_id)


def test_a_membership_is_read_once_then_remembered(toolkit: Toolkit, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghlbridge import factories

    counting = Counting(factories.get_store())
    patch_store(monkeypatch, counting)

    assert all(factories.get_membership_cache().get(USER, LOCATION) for _ in range(5))
    assert counting.calls == 1


def test_a_refusal_is_not_remembered(toolkit: Toolkit, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghlbridge import factories

    stranger = str(uuid.uuid4())
    store = factories.get_store()
    assert factories.get_membership_cache().get(stranger, LOCATION) is None

    store.add_member(LOCATION, stranger, MemberRole.MEMBER)  # e.g. an owner just added them

    found = factories.get_membership_cache().get(stranger, LOCATION)
    assert found is not None and found.role is MemberRole.MEMBER


def test_the_cache_lasts_only_its_ttl(toolkit: Toolkit) -> None:
    from ghlbridge import factories
    from ghlbridge.toolkit.location_cache import MembershipCache

    counting = Counting(factories.get_store())
    clock = [1000.0]
    cache = MembershipCache(60, counting.get_membership, clock=lambda: clock[0])
    assert cache.get(USER, LOCATION)
    clock[0] += 59
    assert cache.get(USER, LOCATION) and counting.calls == 1
    clock[0] += 1

    assert cache.get(USER, LOCATION)
    assert counting.calls == 2


def test_a_member_removed_through_this_container_is_refused_at_once(toolkit: Toolkit) -> None:
    from ghlbridge.store import MemberRole

    toolkit.store.add_member(LOCATION, OTHER_USER, MemberRole.OWNER)
    path = f"/locations/{LOCATION}/members"
    assert toolkit.call("team", "GET", path).status == 200  # USER's membership is now cached

    removed = toolkit.call("team", "DELETE", f"{path}/{USER}", user=OTHER_USER)

    assert removed.status == 204
    refused = toolkit.call("team", "GET", path)
    assert refused.status == 403 and refused.code == "forbidden"
