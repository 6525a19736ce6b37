"""A logged call: the body, and the answer (the note and the Call message)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, field_validator

from ghlbridge.toolkit.models.base import (
    CALL_DURATION_MAX,
    CALL_FUTURE_SKEW,
    CALL_NEXT_STEPS_MAX,
    CALL_SUMMARY_MAX,
    NOT_BLANK,
    CallOutcome,
    Input,
    Output,
    not_blank,
)
from ghlbridge.toolkit.models.contacts import Note


class CallLogCreate(Input):
    outcome: CallOutcome
    direction: Literal["outbound", "inbound"] = "outbound"
    duration_seconds: Annotated[int, Field(ge=0, le=CALL_DURATION_MAX)] | None = None
    summary: Annotated[
        str, Field(min_length=1, max_length=CALL_SUMMARY_MAX, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)
    ]
    next_steps: Annotated[str, Field(max_length=CALL_NEXT_STEPS_MAX)] | None = None
    called_at: AwareDatetime | None = Field(
        default=None,
        description="When the call happened, with a UTC offset; not in the future (5 minutes of clock skew allowed)",
    )

    @field_validator("called_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC) + CALL_FUTURE_SKEW:
            raise ValueError("calledAt must not be in the future")
        return value


class CallMessage(Output):
    """The Call message in the contact's conversation, when a Call conversation provider is configured."""

    status: Literal["logged", "skipped", "failed", "unknown"]
    conversation_id: str | None = None
    message_id: str | None = None
    reason: str | None = Field(default=None, description="Why it was skipped, failed or is unknown")
    error: dict[str, Any] | None = Field(default=None, description="The error envelope's `error`, when it failed")


class LoggedCall(Output):
    note: Note
    call_message: CallMessage
