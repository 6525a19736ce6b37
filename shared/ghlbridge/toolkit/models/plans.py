"""The outreach plan written back: the generator's plan, and the answer part by part."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from ghlbridge.toolkit.models.base import NOT_BLANK, NOTE_BODY_MAX, Input, Output, SectionError, not_blank
from ghlbridge.toolkit.models.contacts import Note
from ghlbridge.toolkit.models.custom_fields import FIELDS_MAX, FieldRef, FieldValue, NamedCustomField
from ghlbridge.toolkit.models.tasks import TASK_BODY_MAX, Task, Title

PLAN_STEPS_MAX = 20

PlanChannel = Literal["email", "sms", "call", "meeting", "linkedin", "other"]


class PlanStep(Input):
    title: Title
    body: Annotated[str, Field(max_length=TASK_BODY_MAX)] | None = None
    due_at: AwareDatetime = Field(description="With a UTC offset")
    channel: PlanChannel | None = None


class OutreachPlanCreate(Input):
    """The generator's plan: one note (summary and steps), one task per step, insights into fields."""

    summary: Annotated[
        str, Field(min_length=1, max_length=NOTE_BODY_MAX // 2, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)
    ]
    steps: Annotated[list[PlanStep], Field(min_length=1, max_length=PLAN_STEPS_MAX)]
    insights: Annotated[dict[FieldRef, FieldValue], Field(max_length=FIELDS_MAX)] | None = None


PartStatus = Literal["done", "failed"]


class PlanNote(Output):
    status: PartStatus
    note: Note | None = None
    error: SectionError | None = None


class PlanTask(Output):
    step: int = Field(description="The step's index in `steps`, from 0")
    status: PartStatus
    task: Task | None = None
    error: SectionError | None = None


class PlanInsights(Output):
    status: PartStatus | Literal["none"] = Field(description="`none`: the plan had no insights")
    custom_fields: list[NamedCustomField] = Field(default_factory=list)
    error: SectionError | None = None


class OutreachPlanResult(Output):
    """201 when every part is in GHL; 207 when a part failed (each part says which and why): send the
    same request with the same Idempotency-Key again to finish what is missing, never twice."""

    complete: bool
    plan_ref: str = Field(description="Marks the plan's note and tasks in GHL (`Outreach plan <ref>`)")
    note: PlanNote
    tasks: list[PlanTask]
    insights: PlanInsights
