"""GHL Opportunities (`apps/opportunities.json`, `Version: 2021-07-28`, Sub-Account token).

Spec quirks this module follows on purpose:

- `GET /opportunities/search` takes SNAKE_CASE filters (`location_id`, `pipeline_id`,
  `pipeline_stage_id`, `assigned_to`, `contact_id`) next to camelCase cursor fields (`startAfter`,
  `startAfterId`); `GET /opportunities/pipelines` takes camelCase `locationId`. `locationId` on
  search is the v3 spelling (GHL-NOTES gotcha 2/3): a v2 call must not use it.
- Paging is by cursor: send back `meta.startAfter` (epoch ms) and `meta.startAfterId` of the last
  page. `page` is never sent (GHL's own `nextPageUrl` carries `page=1` next to the cursor).
- `PUT /opportunities/{id}` requires no field: the body holds exactly the fields the caller gave
  (a stage move is `{"pipelineStageId": ...}` alone). Its `status` enum also lists "all", copied
  from the search filter; `update()` does not offer it.

Thin on purpose: no business rules; one method per GHL operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import parse_response
from ghlbridge.ghl.resource import GHLResource
from ghlbridge.ghl.resources_models import (
    Opportunity,
    OpportunityCursor,
    OpportunityEnvelope,
    OpportunityPage,
    OpportunitySearchStatus,
    OpportunityStatus,
    Pipeline,
    PipelinesEnvelope,
    path_segment,
    present,
)

MAX_SEARCH_LIMIT = 100
"""The spec: "will allow maximum up to 100 and default will be 20"."""


class OpportunitiesAPI(GHLResource):
    """Opportunity calls for one location (`GHLResource`)."""

    version = VERSION_2021_07_28

    def search(
        self,
        location_id: str,
        *,
        pipeline_id: str | None = None,
        pipeline_stage_id: str | None = None,
        status: OpportunitySearchStatus | None = None,
        q: str | None = None,
        assigned_to: str | None = None,
        contact_id: str | None = None,
        limit: int = 20,
        after: OpportunityCursor | None = None,
    ) -> OpportunityPage:
        """One page of `GET /opportunities/search`; `after` is the previous page's `next_cursor`."""
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_SEARCH_LIMIT}, got {limit}")
        query: dict[str, str | int | None] = {
            "location_id": location_id,
            "pipeline_id": pipeline_id,
            "pipeline_stage_id": pipeline_stage_id,
            "status": status,
            "q": q,
            "assigned_to": assigned_to,
            "contact_id": contact_id,
            "limit": limit,
            "startAfter": after.startAfter if after else None,
            "startAfterId": after.startAfterId if after else None,
        }
        response = self._request("GET", "/opportunities/search", params=present(query))
        return parse_response(response, OpportunityPage)

    def pipelines(self, location_id: str) -> list[Pipeline]:
        """`GET /opportunities/pipelines` (camelCase `locationId`, unlike search)."""
        response = self._request("GET", "/opportunities/pipelines", params={"locationId": location_id})
        return parse_response(response, PipelinesEnvelope).pipelines

    def get(self, opportunity_id: str) -> Opportunity:
        """`GET /opportunities/{id}`. Raises `GHLNotFoundError` for an unknown id."""
        response = self._request("GET", f"/opportunities/{path_segment(opportunity_id)}")
        return parse_response(response, OpportunityEnvelope).opportunity

    def update(
        self,
        opportunity_id: str,
        *,
        pipeline_id: str | None = None,
        pipeline_stage_id: str | None = None,
        status: OpportunityStatus | None = None,
        name: str | None = None,
        monetary_value: float | None = None,
        assigned_to: str | None = None,
        custom_fields: Sequence[Mapping[str, Any]] | None = None,
    ) -> Opportunity:
        """`PUT /opportunities/{id}` with only the given fields; answers the updated opportunity.

        `custom_fields` items are in GHL's WRITE shape, `{"id" or "key": ..., "field_value": ...}`
        (reads come back as `{id, fieldValue}`). A stage move needs `pipeline_stage_id`; GHL
        documents no rule tying it to `pipeline_id`, so neither is implied.
        """
        body = present(
            {
                "pipelineId": pipeline_id,
                "pipelineStageId": pipeline_stage_id,
                "status": status,
                "name": name,
                "monetaryValue": monetary_value,
                "assignedTo": assigned_to,
                "customFields": [dict(field) for field in custom_fields] if custom_fields is not None else None,
            }
        )
        if not body:
            raise ValueError("nothing to update: give at least one field")
        response = self._request("PUT", f"/opportunities/{path_segment(opportunity_id)}", json=body)
        return parse_response(response, OpportunityEnvelope).opportunity
