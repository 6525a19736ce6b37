"""Calendars: the location's calendars with a booking link, free slots, booking an appointment
(an idempotent write: one Idempotency-Key, at most one appointment), and rescheduling, confirming
or cancelling one (a PUT of values: no key).

Rescheduling checks the new start against the calendar's free slots of that day first (409
`slot_unavailable`, nothing sent), keeps the appointment's length unless `endTime` says otherwise,
and GHL checks again when it moves it. Cancelling keeps the appointment in GHL with its status
(`cancelled`) and frees its slot.

Booking links: GHL's calendar has no booking URL, only slugs; the widely used form is
`{BOOKING_URL_BASE}/{calendarId}` (GHL-NOTES §5, not in the official docs), hence the setting.

Free slots: `start` and `end` are dates (both included) in `timezone`, at most 31 days apart. GHL
refuses ranges over 31 days (in epoch milliseconds), and 31 days apart with both ends included
(or a daylight-saving change) is slightly more; such a range is asked in two windows and merged,
so the caller never has to know.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ghlbridge import ghl
from ghlbridge.errors import (
    NOT_FOUND_MESSAGE,
    RequestInvalidError,
    ResourceNotFoundError,
    SlotUnavailableError,
    field_problem,
)
from ghlbridge.idempotency.writes import IdempotentWrite
from ghlbridge.settings import get_settings
from ghlbridge.toolkit.access import LocationClients, open_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.models.calendars import (
    Appointment,
    AppointmentCreate,
    AppointmentUpdate,
    Calendar,
    CalendarPage,
    FreeSlots,
)

MAX_DAYS_APART: Final = 31
_DEFAULT_LENGTH: Final = timedelta(minutes=30)
_MS: Final = timedelta(milliseconds=1)
_BOOK = IdempotentWrite("appointments.book")


def list_calendars(ctx: RequestContext, location_id: str) -> CalendarPage:
    clients = open_location(ctx.caller, location_id)
    base = get_settings().booking_url_base.rstrip("/")
    return CalendarPage(items=[_calendar(item, base) for item in clients.calendars.list(location_id)])


def free_slots(
    ctx: RequestContext, location_id: str, calendar_id: str, *, start: date, end: date, timezone: str
) -> FreeSlots:
    """Every free slot start from `start` to `end` (both included), in `timezone`, in time order."""
    if end < start:
        raise RequestInvalidError(
            "end must not be before start",
            details=[field_problem("query", "end", "value_error", "end is before start")],
        )
    if (end - start).days > MAX_DAYS_APART:
        message = f"start and end must be at most {MAX_DAYS_APART} days apart"
        raise RequestInvalidError(message, details=[field_problem("query", "end", "value_error", message)])
    clients = open_location(ctx.caller, location_id)
    zone = ZoneInfo(timezone)
    first = datetime.combine(start, time.min, zone).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC) - _MS
    by_day: dict[str, list[str]] = {}
    for window_start, window_end in _windows(first, last):
        found = clients.calendars.free_slots(calendar_id, start=window_start, end=window_end, timezone=timezone)
        for day, slots in found.items():
            by_day.setdefault(day, []).extend(slots)
    wanted = {(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)}
    slots = [slot for day in sorted(by_day) if day in wanted for slot in by_day[day]]
    return FreeSlots(timezone=timezone, slots=list(dict.fromkeys(slots)))


def book(ctx: RequestContext, location_id: str, appointment: AppointmentCreate) -> WriteAnswer:
    clients = open_location(ctx.caller, location_id)

    def send() -> WriteAnswer:
        created = clients.calendars.book_appointment(
            location_id=location_id,
            calendar_id=appointment.calendar_id,
            contact_id=appointment.contact_id,
            start_time=appointment.start_time,
            end_time=appointment.end_time,
            title=appointment.title,
            assigned_user_id=appointment.assigned_user_id or clients.ghl_user_id,
        )
        return WriteAnswer(ctx.success_status, _appointment(created).model_dump(mode="json"))

    request = {"body": appointment.model_dump(mode="json", by_alias=True)}
    return _BOOK.run(ctx, location_id=location_id, request=request, send=send)


def update_appointment(
    ctx: RequestContext, location_id: str, appointment_id: str, change: AppointmentUpdate
) -> Appointment:
    """`PUT /locations/{locationId}/appointments/{appointmentId}`."""
    clients = open_location(ctx.caller, location_id)
    current = clients.calendars.get_appointment(appointment_id)
    if current.locationId is not None and current.locationId != location_id:
        raise ResourceNotFoundError(NOT_FOUND_MESSAGE)  # another location's: as GHL's 400 and 403 are answered
    start, end = change.start_time, change.end_time
    if start is not None:
        was_start, was_end = _instant(current.startTime), _instant(current.endTime)
        if end is None:
            end = start + (was_end - was_start if was_start and was_end else _DEFAULT_LENGTH)
        if was_start is None or start != was_start:
            _check_free(clients, current.calendarId or "", start)
    updated = clients.calendars.update_appointment(
        appointment_id, start_time=start, end_time=end, appointment_status=change.status, title=change.title
    )
    return _appointment(updated)


def _check_free(clients: LocationClients, calendar_id: str, start: datetime) -> None:
    """409 `slot_unavailable` unless `start` is one of the calendar's free slot starts."""
    day_start = start.astimezone(UTC) - timedelta(hours=14)  # the slot's day in any time zone
    found = clients.calendars.free_slots(
        calendar_id, start=day_start, end=day_start + timedelta(hours=38), timezone="UTC"
    )
    if not any(_instant(slot) == start for slots in found.values() for slot in slots):
        raise SlotUnavailableError("The new time is not a free slot of the calendar; pick one of its free slots")


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _windows(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    """[first, last] in pieces GHL accepts (each at most 31 days)."""
    from ghlbridge.ghl.calendars import MAX_FREE_SLOTS_RANGE  # the GHL models load with the first request

    windows = []
    while first <= last:
        window_end = min(first + MAX_FREE_SLOTS_RANGE, last)
        windows.append((first, window_end))
        first = window_end + _MS
    return windows


def _calendar(item: ghl.Calendar, base: str) -> Calendar:
    return Calendar(
        id=item.id,
        name=item.name,
        description=item.description,
        calendar_type=item.calendarType,
        is_active=item.isActive,
        slot_duration=item.slotDuration,
        slot_duration_unit=item.slotDurationUnit,
        booking_url=f"{base}/{quote(item.id, safe='')}",
    )


def _appointment(item: ghl.Appointment) -> Appointment:
    return Appointment(
        id=item.id,
        calendar_id=item.calendarId,
        contact_id=item.contactId,
        start_time=item.startTime,
        end_time=item.endTime,
        title=item.title,
        appointment_status=item.appointmentStatus,
        assigned_user_id=item.assignedUserId,
        address=item.address,
        meeting_location_type=item.meetingLocationType,
    )
