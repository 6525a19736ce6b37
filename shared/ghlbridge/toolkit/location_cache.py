"""Per-container caches: one kind of location data (pipelines, users) for a few minutes
(`LocationCache`), and the memberships that hold (`MembershipCache`).

Why: every GHL call counts against the location's rate limit (100 per 10 s), and these lists change
rarely. Why per container and short: nothing to invalidate. A lookup that misses in a cached copy
may ask again with `refresh=True` (the second value of `get` says whether the copy was just fetched).

The membership check always comes first (`access.open_location`): a cached copy is never a way
around the 403.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ghlbridge.store import Membership

MAX_LOCATIONS = 256
"""Locations one container keeps entries for (least recently fetched dropped first)."""


class LocationCache[T]:
    """location id → (fetched at, value), for `ttl_seconds` (0: no caching)."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, location_id: str, fetch: Callable[[], T], *, refresh: bool = False) -> tuple[T, bool]:
        """The value and whether it was fetched now (False: from the cache)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(location_id)
        if entry is not None and not refresh and now - entry[0] < self._ttl:
            return entry[1], False  # the same object while it lasts
        value = fetch()
        if self._ttl > 0:
            with self._lock:
                self._entries[location_id] = (now, value)
                self._entries.move_to_end(location_id)
                while len(self._entries) > MAX_LOCATIONS:
                    self._entries.popitem(last=False)
        return value, True


class MembershipCache:
    """(user, location) -> (until, membership), per container; only memberships that hold.

    `read(location_id, user_id)` is the store's `get_membership`. A refusal is never remembered (a
    new member can work at once); `forget` drops an entry at once (a removal through this container).
    """

    def __init__(
        self,
        ttl_seconds: float,
        read: Callable[[str, str], Membership | None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._read = read
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[float, Membership]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str, location_id: str, *, fresh: bool = False) -> Membership | None:
        """The membership, from the cache unless `fresh` (then from the store, and remembered)."""
        key = (user_id, location_id)
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and not fresh and hit[0] > self._clock():
            return hit[1]
        found = self._read(location_id, user_id)
        with self._lock:
            if found is None:
                self._entries.pop(key, None)
            else:
                self._entries[key] = (self._clock() + self._ttl, found)
        return found

    def forget(self, user_id: str, location_id: str) -> None:
        with self._lock:
            self._entries.pop((user_id, location_id), None)
