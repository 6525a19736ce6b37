"""A location's pipelines and stages, cached per container for `PIPELINES_CACHE_SECONDS` (5 min,
`ghlbridge.toolkit.location_cache`): every opportunity answer names its pipeline and stage
(`pipelineName`, `stageName`). A stage created a minute ago may be missing from a cached copy, so a
lookup that misses asks GHL again once (`Pipelines.fresh` tells whether the copy was just fetched).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from ghlbridge import factories, ghl
from ghlbridge.toolkit.access import LocationClients
from ghlbridge.toolkit.models.opportunities import Pipeline, PipelinePage, Stage


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


def load(clients: LocationClients, *, refresh: bool = False) -> Pipelines:
    """The location's pipelines: from the cache (the same object while it lasts, so its name index
    is built once), or from GHL (`refresh`: from GHL in any case)."""
    location_id = clients.location_id

    def fetch() -> Pipelines:
        return Pipelines(tuple(clients.opportunities.pipelines(location_id)), fresh=False)

    found, fresh = factories.get_pipeline_cache().get(location_id, fetch, refresh=refresh)
    return replace(found, fresh=True) if fresh else found


def page(clients: LocationClients) -> PipelinePage:
    """`GET /locations/{locationId}/pipelines`."""
    return PipelinePage(items=[_pipeline(p) for p in load(clients).items])


def _pipeline(pipeline: ghl.Pipeline) -> Pipeline:
    stages = [Stage(id=s.id, name=s.name, position=s.position) for s in pipeline.stages]
    return Pipeline(id=pipeline.id, name=pipeline.name, stages=stages)
