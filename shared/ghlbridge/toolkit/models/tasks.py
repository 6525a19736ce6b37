"""A contact's tasks: the answers, and the bodies that add and change one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Final

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from ghlbridge.toolkit.models.base import NOT_BLANK, TITLE_MAX, GhlId, Input, Output, not_blank, refuse_nulls

if TYPE_CHECKING:
    from ghlbridge import ghl

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
TASK_BODY_MAX = 5_000

Title = Annotated[
    str, Field(min_length=1, max_length=TITLE_MAX, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)
]


class Task(Output):
    id: str
    title: str | None = None
    body: str | None = None
    due_at: str | None = Field(default=None, description="GHL's `dueDate`")
    completed: bool = False
    assigned_to: str | None = None
    assigned_to_name: str | None = None
    contact_id: str | None = None

    @classmethod
    def from_ghl(cls, item: ghl.Task, user_names: dict[str, str | None]) -> Task:
        return cls(
            id=item.id,
            title=item.title,
            body=item.body,
            due_at=item.dueDate.isoformat().replace("+00:00", "Z") if item.dueDate else None,
            completed=bool(item.completed),
            assigned_to=item.assignedTo,
            assigned_to_name=user_names.get(item.assignedTo or ""),
            contact_id=item.contactId,
        )

    @classmethod
    def ordered(cls, items: list[ghl.Task], user_names: dict[str, str | None]) -> list[Task]:
        """Open tasks first, each group soonest due first (no due date last)."""
        ranked = sorted(items, key=lambda t: (bool(t.completed), t.dueDate is None, t.dueDate or _EPOCH))
        return [cls.from_ghl(t, user_names) for t in ranked]


class TaskPage(Output):
    items: list[Task] = Field(description="Open ones first, each group by due date")
    next_cursor: str | None = Field(default=None, description="Always null: GHL lists them all at once")


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
