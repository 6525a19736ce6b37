"""Calendars (`apps/calendars.json`, Version 2021-04-15, Sub-Account token): list calendars,
free slots, book an appointment.

Free slots: `startDate`/`endDate` are epoch MILLISECONDS and may span at most 31 days (the
spec's words; a longer range is a 400, the only error status the spec declares for it). The
answer maps `YYYY-MM-DD` (in `timezone`, default the location's) to `{slots: [ISO with offset]}`,
plus a `traceId` key as live GHL sends (GHL-NOTES §5: clients must skip non-date keys; the spec's
schema has no room for it). A booked slot disappears from the free slots; booking a slot that is
not free is refused unless `ignoreFreeSlotValidation` is set.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghlsandbox.clock import parse_iso, utc
from ghlsandbox.records import Appointment, Calendar
from ghlsandbox.routing import VERSION_2021_04_15, Call, Reply, Route, bad_request, unprocessable
from ghlsandbox.slots import free_slots, is_free
from ghlsandbox.validation import Field

MAX_RANGE = timedelta(days=31)
SLOT_TAKEN = "The slot you have selected is no longer available."
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
        problems.append("startTime must be a valid ISO 8601 date string with a time zone offset")
    end = parse_iso(body["endTime"]) if "endTime" in body else None
    if "endTime" in body and end is None:
        problems.append("endTime must be a valid ISO 8601 date string with a time zone offset")
    if problems:
        raise unprocessable(problems)
    assert start is not None
    end = end or start + calendar.slot_duration
    if end <= start:
        raise bad_request("endTime must be after startTime")
    assigned = body.get("assignedUserId") or calendar.team_member_ids[0]
    if assigned not in calendar.team_member_ids:
        raise bad_request("assignedUserId is not a team member of this calendar")
    now = utc(call.now)
    if not body.get("ignoreFreeSlotValidation"):
        overlapping = any(
            other.calendar_id == calendar.id and other.blocks and other.start < end and start < other.end
            for other in call.data.appointments.values()
        )
        if overlapping or not is_free(calendar, location.zone, call.data.appointments.values(), start, now=now):
            raise bad_request(SLOT_TAKEN)

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
            Field("calendarId", required=True),
            Field("locationId", required=True),
            Field("contactId", required=True),
            Field("startTime", required=True),
            Field("endTime"),
        ),
    ),
)
