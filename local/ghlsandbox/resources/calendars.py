"""Calendars (`apps/calendars.json`, Version 2021-04-15, Sub-Account token): list calendars,
free slots, book, edit (reschedule, cancel) and delete an appointment.

Free slots: `startDate`/`endDate` are epoch MILLISECONDS and may span at most 31 days (the
spec's words; a longer range is a 400, the only error status the spec declares for it). The
answer maps `YYYY-MM-DD` (in `timezone`, default the location's) to `{slots: [ISO with offset]}`,
plus a `traceId` key as live GHL sends (GHL-NOTES §5: clients must skip non-date keys; the spec's
schema has no room for it). A booked slot disappears from the free slots; booking a slot that is
not free is refused unless `ignoreFreeSlotValidation` is set.

Edit (`PUT /calendars/events/appointments/{eventId}`, `calendars/events.write`, AppointmentEditSchema,
nothing required) → 200 AppointmentSchemaResponse, the same shape booking answers. Only what is sent
changes:

- `startTime` / `endTime` reschedule (ISO 8601 with an offset, else 422). `startTime` alone keeps the
  appointment's length; `endTime` alone keeps its start. The new time must be one of the calendar's
  free slots, not counting the appointment's own booking (so moving it by half an hour into its own
  slot works), else 400 "The slot you have selected is no longer available." (GHL's booking
  message, GHL-NOTES §10.8 infers the same check for a reschedule); `ignoreFreeSlotValidation: true`
  skips the check, as on booking.
- `appointmentStatus` ∈ new, confirmed, cancelled, showed, noshow, invalid. `cancelled` (and
  `invalid`) frees the slot: free slots offer it again, and the appointment stays, with its status,
  in `GET /contacts/{contactId}/appointments`. Giving a freed appointment a holding status again
  needs its slot to be untaken by another booking (400 as above, unless `ignoreFreeSlotValidation`);
  open hours and "not in the past" are not checked then, so a past appointment can still be marked
  `showed` or `noshow`.
- `calendarId` moves it to another calendar of the location (its slot is checked there);
  `assignedUserId` must be a team member of the (new) calendar, else 400 "assignedUserId is not a team
  member of this calendar". Moved without one, it keeps its user if a member of the new calendar,
  else goes to that calendar's first member (as booking without one does).
- `title`, `description`, `address` (which also makes `meetingLocationType` `custom` unless that is
  sent, as the spec describes), `meetingLocationType`. `meetingLocationId`, `overrideLocationConfig`,
  `ignoreDateRange`, `toNotify` (the sandbox runs no automations) and `rrule` (no recurring events)
  are accepted and not kept, as on booking.

An unknown event id is a 400 "Appointment not found"; another location's is a 403 (GHL-NOTES §10.9,
the sandbox's convention). The edit time is the event's `dateUpdated` in the contact's list.

Delete (`DELETE /calendars/events/{eventId}`, `calendars/events.write`) → **201** `{succeeded: true}`
(spelt correctly here, unlike the other write answers): the appointment is gone from every list and
its slot is free. The spec requires a body, `DeleteAppointmentSchema`, an empty object: send `{}`;
any property in it is a 422. A DELETE without a body is accepted too (whether GHL refuses one is not
known, GHL-NOTES §10.8).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghlsandbox.clock import parse_iso, utc
from ghlsandbox.records import Appointment, Calendar, Location
from ghlsandbox.routing import VERSION_2021_04_15, Call, Reply, Route, bad_request, unprocessable
from ghlsandbox.slots import free_slots, is_free
from ghlsandbox.validation import Field

MAX_RANGE = timedelta(days=31)
SLOT_TAKEN = "The slot you have selected is no longer available."
NOT_A_MEMBER = "assignedUserId is not a team member of this calendar"
BAD_TIME = "{} must be a valid ISO 8601 date string with a time zone offset"
APPOINTMENT_STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")


def list_calendars(call: Call) -> Reply:
    location = call.location(call.query["locationId"])
    group_id = call.query.get("groupId")
    found = [
        calendar.api()
        for calendar in call.data.calendars.values()
        if calendar.location_id == location.id and group_id is None  # the demo calendars are in no group
    ]
    return Reply(200, {"calendars": found})


def _calendar(call: Call, calendar_id: str) -> Calendar:
    found = call.data.calendars.get(calendar_id)
    return call.owned(found, found.location_id if found else None, "Calendar")


def free_slots_route(call: Call) -> Reply:
    calendar = _calendar(call, call.path_params["calendarId"])
    query = call.query
    location = call.data.locations[calendar.location_id]
    try:
        display = ZoneInfo(query["timezone"]) if "timezone" in query else location.zone
    except (ZoneInfoNotFoundError, ValueError):
        raise unprocessable(["timezone must be a valid IANA time zone"]) from None
    start, end = utc(query["startDate"] / 1000), utc(query["endDate"] / 1000)
    if end < start:
        raise bad_request("endDate must not be before startDate")
    if end - start > MAX_RANGE:
        raise bad_request("Date range cannot be more than 31 days")
    users = set(query.get("userIds", [])) | ({query["userId"]} if "userId" in query else set())
    answer: dict[str, Any] = {}
    if not users or users & set(calendar.team_member_ids):
        slots = free_slots(
            calendar, location.zone, call.data.appointments.values(), start=start, end=end, now=utc(call.now)
        )
        for slot in slots:
            local = slot.astimezone(display)
            answer.setdefault(local.date().isoformat(), {"slots": []})["slots"].append(
                local.isoformat(timespec="seconds")
            )
    answer["traceId"] = call.trace_id
    return Reply(200, answer)


def book(call: Call) -> Reply:
    """`POST /calendars/events/appointments`: validate everything, then book (200, per the spec)."""
    body = call.body
    location = call.location(body["locationId"])
    calendar = _calendar(call, body["calendarId"])
    found = call.data.contacts.get(body["contactId"])
    contact = call.owned(found, found.location_id if found else None, "Contact")
    problems: list[str] = []
    start = parse_iso(body["startTime"])
    if start is None:
        problems.append(BAD_TIME.format("startTime"))
    end = parse_iso(body["endTime"]) if "endTime" in body else None
    if "endTime" in body and end is None:
        problems.append(BAD_TIME.format("endTime"))
    if problems:
        raise unprocessable(problems)
    assert start is not None
    end = end or start + calendar.slot_duration
    if end <= start:
        raise bad_request("endTime must be after startTime")
    assigned = body.get("assignedUserId") or calendar.team_member_ids[0]
    if assigned not in calendar.team_member_ids:
        raise bad_request(NOT_A_MEMBER)
    now = utc(call.now)
    if not body.get("ignoreFreeSlotValidation"):
        _check_slot(call, calendar, location, start, end)

    appointment = Appointment(
        id=call.data.new_id(),
        calendar_id=calendar.id,
        location_id=location.id,
        contact_id=contact.id,
        start=start,
        end=end,
        title=body.get("title") or f"{calendar.name} with {contact.name}",
        status=body.get("appointmentStatus") or ("confirmed" if calendar.auto_confirm else "new"),
        assigned_user_id=assigned,
        zone=location.timezone,
        address=body.get("address", ""),
        meeting_location_type=body.get("meetingLocationType", "default"),
        description=body.get("description", ""),
        date_added=now,
    )
    call.data.appointments[appointment.id] = appointment
    return Reply(200, appointment.api())


def _check_slot(
    call: Call,
    calendar: Calendar,
    location: Location,
    start: datetime,
    end: datetime,
    *,
    moving: Appointment | None = None,
    overlap_only: bool = False,
) -> None:
    """400 `SLOT_TAKEN` unless [start, end) overlaps no other holding appointment of the calendar
    and (unless `overlap_only`) `start` is one of its free slots. `moving`'s own booking does not count."""
    others = [a for a in call.data.appointments.values() if a is not moving]
    overlapping = any(
        other.calendar_id == calendar.id and other.blocks and other.start < end and start < other.end
        for other in others
    )
    if overlapping or (not overlap_only and not is_free(calendar, location.zone, others, start, now=utc(call.now))):
        raise bad_request(SLOT_TAKEN)


def _appointment(call: Call) -> Appointment:
    found = call.data.appointments.get(call.path_params["eventId"])
    return call.owned(found, found.location_id if found else None, "Appointment")


def get_event(call: Call) -> Reply:
    """`GET /calendars/events/appointments/{eventId}` → `{event}` (another location's: 403)."""
    return Reply(200, {"event": _appointment(call).api_calendar_event()})


def edit(call: Call) -> Reply:
    """`PUT /calendars/events/appointments/{eventId}`: check everything, then change what was sent."""
    appointment = _appointment(call)
    body = {name: value for name, value in call.body.items() if value is not None}
    problems: list[str] = []
    times: dict[str, datetime] = {}
    for name in ("startTime", "endTime"):
        if name in body:
            moment = parse_iso(body[name])
            if moment is None:
                problems.append(BAD_TIME.format(name))
            else:
                times[name] = moment
    if problems:
        raise unprocessable(problems)
    calendar = _calendar(call, body.get("calendarId", appointment.calendar_id))
    location = call.data.locations[calendar.location_id]
    length = appointment.end - appointment.start
    start = times.get("startTime", appointment.start)
    end = times.get("endTime", start + length if "startTime" in times else appointment.end)
    if end <= start:
        raise bad_request("endTime must be after startTime")
    assigned = body.get("assignedUserId") or appointment.assigned_user_id
    if assigned not in calendar.team_member_ids:
        if "assignedUserId" in body:
            raise bad_request(NOT_A_MEMBER)
        assigned = calendar.team_member_ids[0]
    status = body.get("appointmentStatus", appointment.status)
    holds = status not in ("cancelled", "invalid")
    moved = (start, end, calendar.id) != (appointment.start, appointment.end, appointment.calendar_id)
    if holds and not body.get("ignoreFreeSlotValidation") and (moved or not appointment.blocks):
        _check_slot(call, calendar, location, start, end, moving=appointment, overlap_only=not moved)

    appointment.calendar_id, appointment.start, appointment.end = calendar.id, start, end
    appointment.assigned_user_id, appointment.status = assigned, status
    for name, attribute in (("title", "title"), ("description", "description"), ("address", "address")):
        if name in body:
            setattr(appointment, attribute, body[name])
    if "meetingLocationType" in body:
        appointment.meeting_location_type = body["meetingLocationType"]
    elif "address" in body:
        appointment.meeting_location_type = "custom"
    appointment.date_updated = utc(call.now)
    return Reply(200, appointment.api())


def delete_event(call: Call) -> Reply:
    """`DELETE /calendars/events/{eventId}` → 201 `{succeeded: true}`; the slot is free again."""
    appointment = _appointment(call)
    del call.data.appointments[appointment.id]
    return Reply(201, {"succeeded": True})


_COMMON_APPOINTMENT_FIELDS = (
    Field("title"),
    Field("meetingLocationType", enum=("custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google")),
    Field("meetingLocationId"),
    Field("overrideLocationConfig", "boolean"),
    Field("appointmentStatus", enum=APPOINTMENT_STATUSES),
    Field("assignedUserId"),
    Field("description"),
    Field("address"),
    Field("ignoreDateRange", "boolean"),
    Field("toNotify", "boolean"),
    Field("ignoreFreeSlotValidation", "boolean"),
    Field("rrule"),
)
"""What booking (AppointmentCreateSchema) and editing (AppointmentEditSchema) both take."""

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/calendars",
        list_calendars,
        VERSION_2021_04_15,
        "Location",
        "calendars.readonly",
        (Field("locationId", required=True), Field("groupId"), Field("showDrafted", "boolean")),
    ),
    Route(
        "GET",
        "/calendars/{calendarId}/free-slots",
        free_slots_route,
        VERSION_2021_04_15,
        "Location",
        "calendars.readonly",
        (
            Field("startDate", "number", required=True),
            Field("endDate", "number", required=True),
            Field("timezone"),
            Field("userId"),
            Field("userIds", "string[]"),
        ),
    ),
    Route(
        "POST",
        "/calendars/events/appointments",
        book,
        VERSION_2021_04_15,
        "Location",
        "calendars/events.write",
        body=(
            *_COMMON_APPOINTMENT_FIELDS,
            Field("calendarId", required=True),
            Field("locationId", required=True),
            Field("contactId", required=True),
            Field("startTime", required=True),
            Field("endTime"),
        ),
    ),
    Route(
        "GET",
        "/calendars/events/appointments/{eventId}",
        get_event,
        VERSION_2021_04_15,
        "Location",
        "calendars/events.readonly",
    ),
    Route(
        "PUT",
        "/calendars/events/appointments/{eventId}",
        edit,
        VERSION_2021_04_15,
        "Location",
        "calendars/events.write",
        body=(
            *_COMMON_APPOINTMENT_FIELDS,
            Field("calendarId"),
            Field("startTime"),
            Field("endTime"),
        ),
    ),
    Route(
        "DELETE",
        "/calendars/events/{eventId}",
        delete_event,
        VERSION_2021_04_15,
        "Location",
        "calendars/events.write",
        body=(),
    ),
)
