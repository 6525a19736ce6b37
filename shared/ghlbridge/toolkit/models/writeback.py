"""Write-back: insights into contact custom fields, tasks and the outreach plan. The bodies
(`<Noun>Create`, `<Noun>Update`, ...) and their answers (status and value changes are with the
opportunities' models, appointment changes with the calendars')."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from ghlbridge.toolkit.models.base import (
    NOT_BLANK,
    NOTE_BODY_MAX,
    TITLE_MAX,
    GhlId,
    Input,
    Output,
    not_blank,
)
from ghlbridge.toolkit.models.contacts import Note
from ghlbridge.toolkit.models.research import NamedCustomField, SectionError, Task

FIELDS_MAX = 50
"""Custom fields one write may set."""
FIELD_REF_PATTERN = r"^(contact\.)?[A-Za-z0-9_.-]{1,100}$"
"""A custom field's id or key (`contact.budget` or `budget`)."""
FIELD_TEXT_MAX = 10_000
FIELD_OPTIONS_MAX = 50
TASK_BODY_MAX = 5_000
PLAN_STEPS_MAX = 20

Title = Annotated[
    str, Field(min_length=1, max_length=TITLE_MAX, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)
]
FieldRef = Annotated[str, Field(pattern=FIELD_REF_PATTERN)]
FieldValue = (
    Annotated[str, Field(max_length=FIELD_TEXT_MAX)]
    | int
    | float
    | bool
    | Annotated[list[Annotated[str, Field(max_length=FIELD_TEXT_MAX)]], Field(max_length=FIELD_OPTIONS_MAX)]
)
"""Text, a number, a yes/no, or the choices of a multi-option field; checked against the field's type."""


class CustomFieldsUpdate(Input):
    """Insights into the contact's custom fields: `{<key or id>: value}`. Only these fields change."""

    values: Annotated[dict[FieldRef, FieldValue], Field(min_length=1, max_length=FIELDS_MAX)]


class ContactFields(Output):
    contact_id: str
    custom_fields: list[NamedCustomField] = Field(description="The contact's custom fields after the write")


class TaskCreate(Input):
    title: Title
    body: Annotated[str, Field(max_length=TASK_BODY_MAX)] | None = None
    due_at: AwareDatetime = Field(description="With a UTC offset")
    assigned_to: GhlId | None = Field(
        default=None, description="A GHL user of the location (default: the caller's linked GHL user)"
    )


class TaskUpdate(Input):
    """Edit, complete (`completed: true`) or reopen (`false`) a task; only the fields sent change."""

    title: Title | None = None
    body: Annotated[str, Field(max_length=TASK_BODY_MAX)] | None = None
    due_at: AwareDatetime | None = None
    assigned_to: GhlId | None = None
    completed: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> TaskUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of title, body, dueAt, assignedTo, completed")
        refuse_nulls(self)
        return self


def refuse_nulls(body: Input) -> None:
    """An update names what changes: a field sent as null changes nothing and is a mistake (400)."""
    nulls = sorted(name for name in body.model_fields_set if getattr(body, name) is None)
    if nulls:
        raise ValueError(f"{', '.join(nulls)} must not be null: leave a field out to keep it")


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
