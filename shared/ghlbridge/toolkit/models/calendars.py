"""Calendars, free slots and appointments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from ghlbridge.toolkit.models.base import APPOINTMENT_MAX, TITLE_MAX, GhlId, Input, Output, refuse_nulls


class Calendar(Output):
    id: str
    name: str | None = None
    description: str | None = None
    calendar_type: str | None = None
    is_active: bool | None = None
    slot_duration: float | None = None
    slot_duration_unit: str | None = None
    booking_url: str


class CalendarPage(Output):
    items: list[Calendar]
    next_cursor: str | None = None


class FreeSlots(Output):
    timezone: str
    slots: list[str] = Field(description="Slot start times, ISO 8601 with the offset of `timezone`")


class Appointment(Output):
    id: str
    calendar_id: str | None = None
    contact_id: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    title: str | None = None
    appointment_status: str | None = None
    assigned_user_id: str | None = None
    address: str | None = None
    meeting_location_type: str | None = None


class AppointmentCreate(Input):
    calendar_id: GhlId
    contact_id: GhlId
    start_time: AwareDatetime = Field(description="With a UTC offset")
    end_time: AwareDatetime | None = Field(
        default=None, description="With a UTC offset; after `startTime`, by at most 24 hours (default: the calendar's)"
    )
    title: Annotated[str, Field(max_length=TITLE_MAX)] | None = None
    assigned_user_id: GhlId | None = Field(
        default=None, description="The GHL user the meeting is with; default: the caller's linked GHL user"
    )

    @field_validator("end_time")
    @classmethod
    def _a_sane_length(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start_time")  # absent when startTime itself was refused
        if value is not None and start is not None and not start < value <= start + APPOINTMENT_MAX:
            raise ValueError("endTime must be after startTime, by at most 24 hours")
        return value


class AppointmentUpdate(Input):
    """Reschedule (`startTime`, `endTime`), cancel (`status: cancelled`) or confirm; only the fields sent change."""

    start_time: AwareDatetime | None = Field(default=None, description="With a UTC offset; the slot must be free")
    end_time: AwareDatetime | None = Field(default=None, description="With a UTC offset; default: the same length")
    status: Literal["confirmed", "cancelled", "showed", "noshow"] | None = None
    title: Annotated[str, Field(max_length=TITLE_MAX)] | None = None

    @model_validator(mode="after")
    def _something(self) -> AppointmentUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of startTime, endTime, status, title")
        refuse_nulls(self)
        if self.end_time is not None and self.start_time is None:
            raise ValueError("endTime goes with startTime")
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self
