"""Pipelines and opportunities: answers, and the stage, status and value changes."""

from __future__ import annotations

from typing import Annotated, Final, Literal, get_args

from pydantic import Field, model_validator

from ghlbridge.toolkit.models.base import GhlId, Input, Output, StageId
from ghlbridge.toolkit.models.contacts import Contact, ContactSummary, CustomFieldValue, Note

OpportunityStatus = Literal["open", "won", "lost", "abandoned"]
OPPORTUNITY_STATUSES: Final[frozenset[str]] = frozenset(get_args(OpportunityStatus))
MONETARY_MAX: Final = 1e12
"""The statuses GHL documents; any other value GHL might send is answered as `null`."""


class Stage(Output):
    id: str
    name: str | None = None
    position: int | None = None


class Pipeline(Output):
    id: str
    name: str | None = None
    stages: list[Stage]


class PipelinePage(Output):
    items: list[Pipeline]
    next_cursor: str | None = None


class Opportunity(Output):
    id: str
    name: str | None = None
    monetary_value: float | None = None
    status: OpportunityStatus | None = Field(
        default=None, description="GHL's status; `null` when GHL sends none, or a value it does not document"
    )
    source: str | None = None
    pipeline_id: str | None = None
    pipeline_name: str | None = Field(default=None, description="From the location's pipelines (cached 5 min)")
    pipeline_stage_id: str | None = None
    stage_name: str | None = Field(default=None, description="From the location's pipelines (cached 5 min)")
    assigned_to: str | None = None
    contact_id: str | None = None
    contact: ContactSummary | None = None
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)
    lost_reason_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_stage_change_at: str | None = None
    last_status_change_at: str | None = None


class OpportunityPage(Output):
    items: list[Opportunity]
    next_cursor: str | None = Field(description="Pass as `cursor` (with the same filters) for the next page")


class OpportunityDetail(Output):
    """Everything research and outreach planning need, in one answer."""

    opportunity: Opportunity
    contact: Contact | None
    notes: list[Note] = Field(description="The contact's latest notes, newest first")


class StageChange(Input):
    """Move an opportunity to `pipelineStageId`, a stage of `pipelineId` (default: its own pipeline)."""

    pipeline_stage_id: StageId
    pipeline_id: GhlId | None = None


class StatusChange(Input):
    status: OpportunityStatus
    lost_reason_id: GhlId | None = Field(default=None, description="Only with `lost`")

    @model_validator(mode="after")
    def _reason_only_when_lost(self) -> StatusChange:
        if self.lost_reason_id is not None and self.status != "lost":
            raise ValueError("lostReasonId goes with status lost only")
        return self


class ValueChange(Input):
    monetary_value: Annotated[float, Field(ge=0, le=MONETARY_MAX, allow_inf_nan=False)]
