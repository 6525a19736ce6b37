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
  from the search filter; `update()` does not offer it. It has no `lostReasonId`.
- `PUT /opportunities/{id}/status` (`UpdateStatusDto`: `status` required, `lostReasonId`) is the
  one write that takes a lost reason; it answers `{succeded (sic): true}` and nothing else, so
  `update_status()` returns None (GHL-NOTES §10.8). Its enum lists "all" too; it is not offered
  either, and refused at run time by both writes ("all" is a search filter, not a state).
- Both PUTs set values: the client resends them after a timeout or a 5xx (`ghlbridge.ghl.retry`).
  GHL's automations and webhooks on a status change (OpportunityStatusUpdate) are not
  documented to fire again for a status set twice; that is unverified.

Spec artifacts the models deliberately do not follow (rules of every model: `ghlbridge.ghl.models`):

- Pipeline `stages`, opportunity `notes`/`tasks`/`calendarEvents`/`followers`: the spec says
  "array of arrays" (`items: {type: array}`), a generator artifact. Stages are objects
  `{id, name, position, ...}` (`PipelineStage`); the other lists stay untyped (`list[Any]`).
- Opportunity `indexVersion`: typed string, example the number 1, so both are accepted.
- Custom fields are written as `{id|key, field_value}` but read back as `{id, fieldValue}` here
  (`{id, value}` on contacts; GHL-NOTES gotcha 12).

Thin on purpose: no business rules; one method per GHL operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, get_args

from pydantic import Field

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import GHLModel, parse_response, path_segment, present, refuse_unsuccessful
from ghlbridge.ghl.resource import GHLResource

OpportunityStatus = Literal["open", "won", "lost", "abandoned"]
"""A status an opportunity can be set to (`PUT /opportunities/{id}` and `.../status`)."""
_SETTABLE_STATUSES: Final = frozenset(get_args(OpportunityStatus))
OpportunitySearchStatus = Literal["open", "won", "lost", "abandoned", "all"]
"""`status` filter of `GET /opportunities/search`. The update body's enum lists "all" too, which
can only be a copy of this filter's enum: "all" is not a state, so `update()` does not offer it."""

MAX_SEARCH_LIMIT = 100
"""The spec: "will allow maximum up to 100 and default will be 20"."""


# --- response models (apps/opportunities.json) -----------------------------------------------


class OpportunityContact(GHLModel):
    """The contact summary embedded in an opportunity."""

    id: str | None = None
    name: str | None = None
    companyName: str | None = None
    email: str | None = None
    phone: str | None = None
    tags: list[str] = Field(default_factory=list)


class OpportunityCustomField(GHLModel):
    """A custom field as an opportunity reads it back: `{id, fieldValue}` (string, object or array)."""

    id: str
    fieldValue: Any = None


class Opportunity(GHLModel):
    """One opportunity (the search items and the `opportunity` of get/update share this shape).

    `notes` are NOT filled by `GET /opportunities/{id}` although the spec lists them (issue #305).
    """

    id: str
    name: str | None = None
    monetaryValue: float | None = None
    pipelineId: str | None = None
    pipelineStageId: str | None = None
    assignedTo: str | None = None
    status: str | None = None  # open/won/lost/abandoned; a str, so a new GHL status cannot break a read
    source: str | None = None
    contactId: str | None = None
    locationId: str | None = None
    contact: OpportunityContact | None = None
    lostReasonId: str | None = None
    customFields: list[OpportunityCustomField] = Field(default_factory=list)
    lastStatusChangeAt: str | None = None
    lastStageChangeAt: str | None = None
    lastActionDate: str | None = None
    createdAt: str | None = None
    updatedAt: str | None = None
    indexVersion: int | str | None = None
    notes: list[Any] = Field(default_factory=list)
    tasks: list[Any] = Field(default_factory=list)
    calendarEvents: list[Any] = Field(default_factory=list)
    followers: list[Any] = Field(default_factory=list)
    externalObjectId: str | None = None


class OpportunityCursor(GHLModel):
    """Where the next search page starts: `startAfter` (epoch ms) and `startAfterId`, passed back as
    the query parameters of the same names."""

    startAfter: int
    startAfterId: str


class OpportunityPageMeta(GHLModel):
    """`meta` of `GET /opportunities/search`: a count and GHL's cursor for the next page."""

    total: int | None = None
    startAfter: int | None = None  # epoch ms; a number here, a string in the query
    startAfterId: str | None = None
    nextPageUrl: str | None = None
    currentPage: int | None = None
    nextPage: int | None = None
    prevPage: int | None = None


class OpportunityPage(GHLModel):
    """One page of `GET /opportunities/search`."""

    opportunities: list[Opportunity]
    meta: OpportunityPageMeta = Field(default_factory=OpportunityPageMeta)
    aggregations: dict[str, Any] | None = None

    @property
    def next_cursor(self) -> OpportunityCursor | None:
        """The cursor of the next page, or None on the last one.

        The spec does not say what ends the list. We stop when `meta.nextPage` is null or absent
        (GHL-NOTES §2), when either cursor half is missing, and on an empty page, so a cursor that
        does not move cannot loop forever.
        """
        meta = self.meta
        if meta.nextPage is None or meta.startAfter is None or not meta.startAfterId or not self.opportunities:
            return None
        return OpportunityCursor(startAfter=meta.startAfter, startAfterId=meta.startAfterId)


class PipelineStage(GHLModel):
    """A pipeline stage (the spec leaves its shape out: "array of arrays")."""

    id: str
    name: str | None = None
    position: int | None = None


class Pipeline(GHLModel):
    """An item of `GET /opportunities/pipelines`; `stages` in GHL's order (`position` says it too)."""

    id: str
    name: str | None = None
    stages: list[PipelineStage] = Field(default_factory=list)
    locationId: str | None = None
    showInFunnel: bool | None = None
    showInPieChart: bool | None = None
    colorRenderMode: str | None = None


class OpportunityEnvelope(GHLModel):
    """`{opportunity: {...}}`: the body of `GET` and `PUT /opportunities/{id}`."""

    opportunity: Opportunity


class PipelinesEnvelope(GHLModel):
    pipelines: list[Pipeline]


class StatusUpdateAnswer(GHLModel):
    """`PUT /opportunities/{id}/status` 200 (`DeleteUpdateOpportunitySuccessfulResponseDto`), sic."""

    succeded: bool | None = None


# --- the resource ---------------------------------------------------------------------------------


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
        documents no rule tying it to `pipeline_id`, so neither is implied. A lost reason cannot be
        set here: `update_status`. It sets values: the client resends it after a timeout or a 5xx.
        """
        if status is not None:
            _check_status(status)
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

    def update_status(
        self, opportunity_id: str, status: OpportunityStatus, *, lost_reason_id: str | None = None
    ) -> None:
        """`PUT /opportunities/{id}/status` with `status` and, when given, `lostReasonId` (an id of
        `GET /opportunities/lost-reason`; GHL documents no rule tying it to "lost", so none is
        enforced). GHL answers `{succeded: true}` only: fetch the opportunity to see it; a 2xx
        answering `succeded: false` raises `GHLInvalidResponseError`.

        It sets a value: the client resends it after a timeout or a 5xx.
        """
        _check_status(status)
        body = present({"status": status, "lostReasonId": lost_reason_id})
        response = self._request("PUT", f"/opportunities/{path_segment(opportunity_id)}/status", json=body)
        refuse_unsuccessful(response, "succeded", parse_response(response, StatusUpdateAnswer).succeded)


def _check_status(status: str) -> None:
    """Refuse what the write enums allow but no opportunity can be: "all" (a search filter)."""
    if status not in _SETTABLE_STATUSES:
        raise ValueError(f"an opportunity's status is one of {sorted(_SETTABLE_STATUSES)}, not {status!r}")
