"""GHL Calendars (`apps/calendars.json`, `Version: 2021-04-15` — not 2021-07-28 — with a
Sub-Account token).

Spec quirks this module follows on purpose:

- `GET /calendars/` keeps its trailing slash and takes camelCase `locationId`.
- Free slots: `startDate`/`endDate` are epoch MILLISECONDS (numbers), and "Date range cannot be more
  than 31 days", which is checked here before spending a call. The answer is an object keyed by
  `YYYY-MM-DD`, each `{slots: [ISO datetimes with offset]}`; other keys (GHL adds `traceId`, and an
  older spec showed a literal `_dates_`) are skipped. Pass `timezone` to get slots in that zone.
- Appointments: required `calendarId`, `locationId`, `contactId`, `startTime` (ISO 8601 with an
  offset). Some calendar types also need `assignedUserId` ("Either userId or assignedUserId must
  be set", issue #23). `toNotify=False` means GHL's automations will not run. The spec has no
  booking-URL field, only `slug`/`widgetSlug` on a calendar.
- Changing an appointment (GHL-NOTES §10.8): `PUT /calendars/events/appointments/{eventId}`
  (`AppointmentEditSchema`) requires NO field, so the body holds exactly the fields given; times
  are ISO 8601 with an offset, as on booking. It answers the appointment, flat
  (`AppointmentSchemaResponse`, whose `appointmentStatus` adds "active" and "completed"), without
  `dateAdded` (issue #246). Cancelling is this PUT with `appointmentStatus: "cancelled"`: the
  record stays. Moving into a slot that is not free presumably needs `ignoreFreeSlotValidation`
  (inferred from its description, not documented).
- Deleting, `DELETE /calendars/events/{eventId}`: the spec REQUIRES a request body, an empty object
  (`DeleteAppointmentSchema`), so `{}` is sent (whether GHL refuses a DELETE without one is not
  known). It answers 201 `{succeeded: true}` (spelt right here, unlike contacts and opportunities).
- `eventId` is an event id or a recurring instance's id ("<id>_<ms>_<minutes>"); the master id
  addresses the whole series.
- Resending (`ghlbridge.ghl.retry`, by method): booking is a POST, never resent after a timeout or
  a 5xx. The PUT sets values and the DELETE removes, so both are resent; a resent DELETE whose
  first try took effect may be answered as for an unknown event. Whether a PUT GHL receives twice
  runs the calendar's automations twice (`toNotify`) is not documented.

Thin on purpose: no business rules, one method per GHL operation.
"""

from __future__ import annotations

import builtins
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import httpx
from pydantic import TypeAdapter, ValidationError

from ghlbridge.ghl.client import VERSION_2021_04_15
from ghlbridge.ghl.models import (
    GHLModel,
    invalid_response,
    parse_response,
    path_segment,
    present,
    refuse_unsuccessful,
)
from ghlbridge.ghl.resource import GHLResource

AppointmentStatus = Literal["new", "confirmed", "cancelled", "showed", "noshow", "invalid"]
"""`appointmentStatus` a new appointment may be given."""
MeetingLocationType = Literal["custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"]
"""`meetingLocationType` of a new appointment (GHL defaults it to "custom" when `address` is given)."""

MAX_FREE_SLOTS_RANGE: Final = timedelta(days=31)
"""The spec: "Date range cannot be more than 31 days"."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_KEY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_JSON_OBJECT: Final = TypeAdapter(dict[str, Any])


# --- response models (apps/calendars.json) --------------------------------------------------------


class Calendar(GHLModel):
    """An item of `GET /calendars/` (CalendarDTO). The spec declares no `timezone` on a calendar;
    it is read when GHL sends one. There is no booking URL either: only `slug` and `widgetSlug`."""

    id: str
    name: str | None = None
    description: str | None = None
    slug: str | None = None
    widgetSlug: str | None = None
    widgetType: str | None = None
    calendarType: str | None = None
    isActive: bool | None = None
    locationId: str | None = None
    groupId: str | None = None
    timezone: str | None = None
    slotDuration: float | None = None
    slotDurationUnit: str | None = None


class CalendarsEnvelope(GHLModel):
    calendars: list[Calendar]


class DaySlots(GHLModel):
    """The value under each `YYYY-MM-DD` key of the free-slots answer."""

    slots: list[str]


class Appointment(GHLModel):
    """`POST /calendars/events/appointments` 200 and `PUT .../appointments/{eventId}` 200
    (`AppointmentSchemaResponse`). The answers lack `dateAdded` (issue #246)."""

    id: str
    calendarId: str | None = None
    locationId: str | None = None
    contactId: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    title: str | None = None
    appointmentStatus: str | None = None
    assignedUserId: str | None = None
    address: str | None = None
    meetingLocationType: str | None = None
    isRecurring: bool | None = None
    rrule: str | None = None


class EventEnvelope(GHLModel):
    """`GET /calendars/events/appointments/{eventId}` 200 (`GetCalendarEventSuccessfulResponseDTO`):
    `{event: CalendarEventDTO}`, read as an `Appointment` (the same fields, and more it ignores)."""

    event: Appointment


class DeletedEventAnswer(GHLModel):
    """`DELETE /calendars/events/{eventId}` 201 (`DeleteEventSuccessfulResponseDto`)."""

    succeeded: bool | None = None


# --- the resource ---------------------------------------------------------------------------------


class CalendarsAPI(GHLResource):
    """Calendar calls for one location (`GHLResource`)."""

    version = VERSION_2021_04_15

    def list(self, location_id: str) -> builtins.list[Calendar]:
        """`GET /calendars/` for the location (drafts included: GHL's default `showDrafted=true`;
        `isActive` tells them apart)."""
        response = self._request("GET", "/calendars/", params={"locationId": location_id})
        return parse_response(response, CalendarsEnvelope).calendars

    def free_slots(
        self,
        calendar_id: str,
        *,
        start: datetime,
        end: datetime,
        timezone: str,
        user_id: str | None = None,
    ) -> dict[str, builtins.list[str]]:
        """`GET /calendars/{calendarId}/free-slots`: `{"YYYY-MM-DD": [slot start, ...]}` in GHL's order.

        `start`/`end` must be timezone-aware and at most 31 days apart; `timezone` is an IANA name
        (e.g. "America/Chihuahua") in which GHL renders the slots. `user_id` narrows to one member.
        """
        if start.utcoffset() is None or end.utcoffset() is None:
            raise ValueError("start and end must be timezone-aware")
        if end < start:
            raise ValueError("end must not be before start")
        if end - start > MAX_FREE_SLOTS_RANGE:
            raise ValueError(f"GHL refuses free-slot ranges over 31 days (asked for {end - start})")
        query: dict[str, str | int | None] = {
            "startDate": _epoch_ms(start),
            "endDate": _epoch_ms(end),
            "timezone": timezone,
            "userId": user_id,
        }
        response = self._request("GET", f"/calendars/{path_segment(calendar_id)}/free-slots", params=present(query))
        return _slots_by_date(response)

    def book_appointment(
        self,
        *,
        location_id: str,
        calendar_id: str,
        contact_id: str,
        start_time: datetime,
        end_time: datetime | None = None,
        title: str | None = None,
        appointment_status: AppointmentStatus | None = None,
        assigned_user_id: str | None = None,
        description: str | None = None,
        address: str | None = None,
        meeting_location_type: MeetingLocationType | None = None,
        meeting_location_id: str | None = None,
        override_location_config: bool | None = None,
        ignore_date_range: bool | None = None,
        ignore_free_slot_validation: bool | None = None,
        to_notify: bool | None = None,
    ) -> Appointment:
        """`POST /calendars/events/appointments`; times are sent as ISO 8601 with their offset.

        Only `end_time` and the keyword fields after it are optional in the spec; unset ones are not
        sent. A POST: the client does not resend it after a timeout or a 5xx (the slot may be booked).
        """
        if start_time.utcoffset() is None or (end_time is not None and end_time.utcoffset() is None):
            raise ValueError("start_time and end_time must be timezone-aware")
        fields: dict[str, Any] = {
            "calendarId": calendar_id,
            "locationId": location_id,
            "contactId": contact_id,
            "startTime": start_time.isoformat(),
            "endTime": end_time.isoformat() if end_time is not None else None,
            "title": title,
            "appointmentStatus": appointment_status,
            "assignedUserId": assigned_user_id,
            "description": description,
            "address": address,
            "meetingLocationType": meeting_location_type,
            "meetingLocationId": meeting_location_id,
            "overrideLocationConfig": override_location_config,
            "ignoreDateRange": ignore_date_range,
            "ignoreFreeSlotValidation": ignore_free_slot_validation,
            "toNotify": to_notify,
        }
        response = self._request("POST", "/calendars/events/appointments", json=present(fields))
        return parse_response(response, Appointment)

    def get_appointment(self, event_id: str) -> Appointment:
        """`GET /calendars/events/appointments/{eventId}` (scope `calendars/events.readonly`): one
        appointment, with its `locationId` and `calendarId`."""
        response = self._request("GET", f"/calendars/events/appointments/{path_segment(event_id)}")
        return parse_response(response, EventEnvelope).event

    def update_appointment(
        self,
        event_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        appointment_status: AppointmentStatus | None = None,
        title: str | None = None,
        assigned_user_id: str | None = None,
        calendar_id: str | None = None,
        description: str | None = None,
        ignore_free_slot_validation: bool | None = None,
        to_notify: bool | None = None,
    ) -> Appointment:
        """`PUT /calendars/events/appointments/{eventId}` with only the given fields (the spec requires
        none; at least one must be given); answers the appointment. Times must be timezone-aware
        and are sent as ISO 8601 with their offset. `appointment_status="cancelled"` cancels it (the
        record stays; `delete_event` removes it). `to_notify=False`: GHL's automations do not run.

        It sets values: the client resends it after a timeout or a 5xx.
        """
        if any(moment is not None and moment.utcoffset() is None for moment in (start_time, end_time)):
            raise ValueError("start_time and end_time must be timezone-aware")
        fields: dict[str, Any] = {
            "startTime": start_time.isoformat() if start_time is not None else None,
            "endTime": end_time.isoformat() if end_time is not None else None,
            "appointmentStatus": appointment_status,
            "title": title,
            "assignedUserId": assigned_user_id,
            "calendarId": calendar_id,
            "description": description,
            "ignoreFreeSlotValidation": ignore_free_slot_validation,
            "toNotify": to_notify,
        }
        body = present(fields)
        if not body:
            raise ValueError("nothing to update: give at least one field")
        response = self._request("PUT", f"/calendars/events/appointments/{path_segment(event_id)}", json=body)
        return parse_response(response, Appointment)

    def delete_event(self, event_id: str) -> None:
        """`DELETE /calendars/events/{eventId}` with the empty JSON object the spec requires as its
        body. A 2xx answering `succeeded: false` raises `GHLInvalidResponseError`.

        The client resends a DELETE after a timeout or a 5xx; if the first one took effect, the
        resend may be answered as for an unknown event (a `GHLNotFoundError`, GHL-NOTES §10.9).
        """
        response = self._request("DELETE", f"/calendars/events/{path_segment(event_id)}", json={})
        refuse_unsuccessful(response, "succeeded", parse_response(response, DeletedEventAnswer).succeeded)


def _epoch_ms(moment: datetime) -> int:
    """Whole epoch milliseconds (floored), in integer arithmetic: no float in between."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _slots_by_date(response: httpx.Response) -> dict[str, builtins.list[str]]:
    """The date-keyed slots of a free-slots answer; any other key is skipped."""
    try:
        body = _JSON_OBJECT.validate_json(response.content)
        return {day: DaySlots.model_validate(value).slots for day, value in body.items() if _DATE_KEY.fullmatch(day)}
    except ValidationError:
        message = "unexpected free-slots body (check: an object of YYYY-MM-DD -> {slots: [...]})"
        raise invalid_response(response, message) from None
