"""A per-container cache of one kind of location data (pipelines, users), for a few minutes.

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
