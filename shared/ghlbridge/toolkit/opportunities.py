"""Opportunities for the toolkit: the pipelines, a filtered and paged search, one opportunity with
everything research needs, and moving it to another stage.

GHL quirks handled here: an opportunity id is global, so `GET /opportunities/{id}` with this
location's token is checked against the location (another location's opportunity is a 404); GHL's
opportunity carries no notes (issue #305), so they are fetched from the contact; a stage move is
checked against the pipeline BEFORE the PUT (GHL documents no such rule, and a stage of another
pipeline would leave the opportunity in limbo).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import pydantic_core

from ghlbridge import factories, ghl
from ghlbridge.errors import RequestInvalidError, field_problem
from ghlbridge.toolkit import cursor, pipelines
from ghlbridge.toolkit.access import open_location, opportunity_in_location
from ghlbridge.toolkit.context import RequestContext
from ghlbridge.toolkit.models.base import DEFAULT_LIMIT
from ghlbridge.toolkit.models.contacts import Contact, Note
from ghlbridge.toolkit.models.opportunities import (
    OPPORTUNITY_STATUSES,
    Opportunity,
    OpportunityDetail,
    PipelinePage,
    StageChange,
    StatusChange,
    ValueChange,
)

if TYPE_CHECKING:  # the GHL models and the secrets (cryptography) load with the first request, not at import
    from ghlbridge.ghl.opportunities import OpportunitySearchStatus

NOTES_IN_DETAIL: Final = 10


@dataclass(frozen=True, slots=True)
class OpportunityQuery:
    """The filters and page of `GET /locations/{locationId}/opportunities` (validated by the route)."""

    pipeline_id: str | None = None
    stage_id: str | None = None
    status: OpportunitySearchStatus | None = None
    q: str | None = None
    assigned_to: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def filters(self) -> dict[str, str | None]:
        """What a cursor is bound to (everything but the page)."""
        return {
            "pipeline_id": self.pipeline_id,
            "stage_id": self.stage_id,
            "status": self.status,
            "q": self.q,
            "assigned_to": self.assigned_to,
        }


def list_pipelines(ctx: RequestContext, location_id: str) -> PipelinePage:
    return pipelines.page(open_location(ctx.caller, location_id))


def search(ctx: RequestContext, location_id: str, query: OpportunityQuery) -> str:
    """One page of the location's opportunities, each with its pipeline and stage names: the JSON
    of an `OpportunityPage`, written without validating the page again.

    Why not build the model: every item comes from a GHL answer `parse_response` just validated,
    through `opportunity_fields`, whose output is exactly the validated model's JSON
    (`tests/toolkit/test_opportunity_fields.py`, over the sandbox's 210 seeded opportunities).
    Validating 20 such items again and serializing the model was a third of the route's own time.
    """
    clients = open_location(ctx.caller, location_id)
    if query.assigned_to == "me":
        if clients.ghl_user_id is None:
            message = "assignedTo=me needs your membership to be linked to a GHL user"
            raise RequestInvalidError(message, details=[field_problem("query", "assignedTo", "not_linked", message)])
        query = replace(query, assigned_to=clients.ghl_user_id)
    key = cursor.cursor_key(factories.get_secrets().state_signing_key.get_secret_value().encode())
    bound_to = cursor.binding(location_id, query.filters())
    position = cursor.decode(key, query.cursor, bound_to) if query.cursor else None
    page = clients.opportunities.search(
        location_id,
        pipeline_id=query.pipeline_id,
        pipeline_stage_id=query.stage_id,
        status=query.status,
        q=query.q,
        assigned_to=query.assigned_to,
        limit=query.limit,
        after=position,
    )
    names = pipelines.load(clients) if page.opportunities else None
    next_position = page.next_cursor
    answer = {
        "items": [opportunity_fields(item, names) for item in page.opportunities],
        "nextCursor": cursor.encode(key, next_position, bound_to) if next_position else None,
    }
    return pydantic_core.to_json(answer).decode()


def detail(ctx: RequestContext, location_id: str, opportunity_id: str) -> OpportunityDetail:
    """The opportunity, its contact in full and the contact's latest notes (newest first)."""
    clients = open_location(ctx.caller, location_id)
    found = opportunity_in_location(clients, opportunity_id)
    contact: Contact | None = None
    notes: list[Note] = []
    if found.contactId:
        try:
            contact = Contact.from_ghl(clients.contacts.get(found.contactId))
        except ghl.GHLNotFoundError:  # the contact was deleted: the opportunity is still worth showing
            pass
        else:
            notes = Note.newest_first(clients.contacts.notes(found.contactId))[:NOTES_IN_DETAIL]
    return OpportunityDetail(opportunity=opportunity(found, pipelines.load(clients)), contact=contact, notes=notes)


def change_stage(ctx: RequestContext, location_id: str, opportunity_id: str, change: StageChange) -> Opportunity:
    """Move the opportunity to a stage of `change.pipeline_id` (default: its own pipeline)."""
    clients = open_location(ctx.caller, location_id)
    found = opportunity_in_location(clients, opportunity_id)
    pipeline_id = change.pipeline_id or found.pipelineId
    if not pipeline_id:
        raise RequestInvalidError(
            "The opportunity has no pipeline: give pipelineId",
            details=[field_problem("body", "pipelineId", "missing", "Field required")],
        )
    known = pipelines.load(clients)
    if known.stage(pipeline_id, change.pipeline_stage_id) is None and not known.fresh:
        known = pipelines.load(clients, refresh=True)  # the cached copy may predate the stage
    if known.pipeline(pipeline_id) is None:
        problem = field_problem("body", "pipelineId", "unknown_pipeline", "No such pipeline in this location")
        raise RequestInvalidError("No such pipeline in this location", details=[problem])
    if known.stage(pipeline_id, change.pipeline_stage_id) is None:
        message = f"pipelineStageId is not a stage of pipeline {pipeline_id}"
        raise RequestInvalidError(
            message, details=[field_problem("body", "pipelineStageId", "stage_not_in_pipeline", message)]
        )
    updated = clients.opportunities.update(
        opportunity_id, pipeline_id=pipeline_id, pipeline_stage_id=change.pipeline_stage_id
    )
    return opportunity(updated, known)


def change_status(ctx: RequestContext, location_id: str, opportunity_id: str, change: StatusChange) -> Opportunity:
    """`PUT /locations/{locationId}/opportunities/{opportunityId}/status`: open, won, lost, abandoned."""
    clients = open_location(ctx.caller, location_id)
    opportunity_in_location(clients, opportunity_id)  # another location's: 404, nothing sent
    clients.opportunities.update_status(opportunity_id, change.status, lost_reason_id=change.lost_reason_id)
    return opportunity(clients.opportunities.get(opportunity_id), pipelines.load(clients))


def change_value(ctx: RequestContext, location_id: str, opportunity_id: str, change: ValueChange) -> Opportunity:
    """`PUT /locations/{locationId}/opportunities/{opportunityId}/value`: the monetary value."""
    clients = open_location(ctx.caller, location_id)
    opportunity_in_location(clients, opportunity_id)
    updated = clients.opportunities.update(opportunity_id, monetary_value=change.monetary_value)
    return opportunity(updated, pipelines.load(clients))


# --- GHL → toolkit -----------------------------------------------------------------------------


def opportunity(item: ghl.Opportunity, names: pipelines.Pipelines | None) -> Opportunity:
    return Opportunity.model_validate(opportunity_fields(item, names))


def opportunity_fields(item: ghl.Opportunity, names: pipelines.Pipelines | None) -> dict[str, Any]:
    """The toolkit's `Opportunity` of a GHL one, as the fields to validate (camelCase). A page
    validates all of its items in one call: a third cheaper than building them one by one."""
    pipeline_name, stage_name = names.names(item.pipelineId, item.pipelineStageId) if names else (None, None)
    summary = item.contact
    return {
        "id": item.id,
        "name": item.name,
        "monetaryValue": item.monetaryValue,
        "status": item.status if item.status in OPPORTUNITY_STATUSES else None,
        "source": item.source,
        "pipelineId": item.pipelineId,
        "pipelineName": pipeline_name,
        "pipelineStageId": item.pipelineStageId,
        "stageName": stage_name,
        "assignedTo": item.assignedTo,
        "contactId": item.contactId,
        "contact": {
            "id": summary.id,
            "name": summary.name,
            "companyName": summary.companyName,
            "email": summary.email,
            "phone": summary.phone,
            "tags": summary.tags,
        }
        if summary
        else None,
        "customFields": [{"id": f.id, "value": f.fieldValue} for f in item.customFields],
        "lostReasonId": item.lostReasonId,
        "createdAt": item.createdAt,
        "updatedAt": item.updatedAt,
        "lastStageChangeAt": item.lastStageChangeAt,
        "lastStatusChangeAt": item.lastStatusChangeAt,
    }
