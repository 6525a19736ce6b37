"""A location's pipelines and stages, cached per container for `PIPELINES_CACHE_SECONDS` (5 min).

Why a cache: every opportunity answer names its pipeline and stage (`pipelineName`, `stageName`),
and pipelines change rarely, while each GHL call counts against the location's rate limit (100 per
10 s). Why per container and short: nothing to invalidate. A stage created a minute ago may be
missing from a cached copy, so a lookup that misses asks GHL again once (`Pipelines.fresh` tells
whether the copy was just fetched).

The membership check always comes first (`access.open_location`): a cached copy is never a way
around the 403.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from ghlbridge import ghl
from ghlbridge.settings import Settings, get_settings
from ghlbridge.toolkit.access import LocationClients
from ghlbridge.toolkit.models.opportunities import Pipeline, PipelinePage, Stage

MAX_LOCATIONS = 256
"""Locations one container keeps pipelines for (least recently fetched dropped first)."""


@dataclass(frozen=True)
class Pipelines:
    """A location's pipelines, with name lookups."""

    items: tuple[ghl.Pipeline, ...]
    fresh: bool  # fetched from GHL for this request (not from the cache)

    def pipeline(self, pipeline_id: str | None) -> ghl.Pipeline | None:
        return next((p for p in self.items if p.id == pipeline_id), None)

    def stage(self, pipeline_id: str | None, stage_id: str | None) -> ghl.PipelineStage | None:
        pipeline = self.pipeline(pipeline_id)
        return next((s for s in pipeline.stages if s.id == stage_id), None) if pipeline else None

    def names(self, pipeline_id: str | None, stage_id: str | None) -> tuple[str | None, str | None]:
        """The pipeline's and the stage's names (None for what is unknown); a page asks once per item."""
        found = self._names.get((pipeline_id, stage_id))
        if found is not None:
            return found
        pipeline = self.pipeline(pipeline_id)
        return (pipeline.name if pipeline else None, None)

    @cached_property
    def _names(self) -> dict[tuple[str | None, str | None], tuple[str | None, str | None]]:
        return {(p.id, s.id): (p.name, s.name) for p in self.items for s in p.stages}


class PipelineCache:
    """location id → (fetched at, pipelines), for `ttl_seconds` (0: no caching)."""

    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Pipelines]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, location_id: str, fetch: Callable[[], list[ghl.Pipeline]], *, refresh: bool = False) -> Pipelines:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(location_id)
        if entry is not None and not refresh and now - entry[0] < self._ttl:
            return entry[1]  # the same object while it lasts, so its name index is built once
        items = tuple(fetch())
        if self._ttl > 0:
            with self._lock:
                self._entries[location_id] = (now, Pipelines(items, fresh=False))
                self._entries.move_to_end(location_id)
                while len(self._entries) > MAX_LOCATIONS:
                    self._entries.popitem(last=False)
        return Pipelines(items, fresh=True)


_lock = threading.Lock()
_cache: tuple[Settings, PipelineCache] | None = None


def pipeline_cache() -> PipelineCache:
    """The container's cache, rebuilt when the settings are (tests reset them with `factories.reset()`)."""
    global _cache
    settings = get_settings()
    with _lock:
        if _cache is None or _cache[0] is not settings:
            _cache = (settings, PipelineCache(settings.pipelines_cache_seconds))
        return _cache[1]


def load(clients: LocationClients, *, refresh: bool = False) -> Pipelines:
    """The location's pipelines: from the cache, or from GHL (`refresh`: from GHL in any case)."""
    location_id = clients.location_id
    return pipeline_cache().get(location_id, lambda: clients.opportunities.pipelines(location_id), refresh=refresh)


def page(clients: LocationClients) -> PipelinePage:
    """`GET /locations/{locationId}/pipelines`."""
    return PipelinePage(items=[_pipeline(p) for p in load(clients).items])


def _pipeline(pipeline: ghl.Pipeline) -> Pipeline:
    stages = [Stage(id=s.id, name=s.name, position=s.position) for s in pipeline.stages]
    return Pipeline(id=pipeline.id, name=pipeline.name, stages=stages)
