"""Calendar availability: the slots a calendar's open hours offer, minus bookings and the past.

Open hours are wall-clock times in the location's time zone (weekdays 9:00-17:00 for the demo),
so slots follow daylight-saving changes as GHL's do. A slot is free when it starts in the
future and no blocking appointment of the same calendar overlaps it (one booking per slot,
`appoinmentPerSlot: 1`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ghlsandbox.records import Appointment, Calendar


def ghl_weekday(day: datetime) -> int:
    """GHL numbers days 0 = Sunday … 6 = Saturday; Python's weekday() is 0 = Monday."""
    return (day.weekday() + 1) % 7


def offered_slots(calendar: Calendar, zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """Slot start times (UTC) from the open hours, with start <= slot <= end."""
    interval = timedelta(minutes=calendar.slot_interval_minutes)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for hours in calendar.open_hours:
            if ghl_weekday(midnight) not in hours.days:
                continue
            slot = midnight.replace(hour=hours.open_hour, minute=hours.open_minute)
            close = midnight.replace(hour=hours.close_hour, minute=hours.close_minute)
            while slot + calendar.slot_duration <= close:
                moment = slot.astimezone(UTC)
                if start <= moment <= end:
                    yield moment
                slot += interval
        day += timedelta(days=1)


def free_slots(
    calendar: Calendar,
    zone: ZoneInfo,
    appointments: Iterable[Appointment],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[datetime]:
    booked = [(a.start, a.end) for a in appointments if a.calendar_id == calendar.id and a.blocks]
    duration = calendar.slot_duration
    return [
        slot
        for slot in offered_slots(calendar, zone, start, end)
        if slot >= now
        and not any(slot < booked_end and booked_start < slot + duration for booked_start, booked_end in booked)
    ]


def is_free(
    calendar: Calendar, zone: ZoneInfo, appointments: Iterable[Appointment], slot: datetime, *, now: datetime
) -> bool:
    """Whether `slot` is exactly one of the calendar's free slots."""
    return slot in free_slots(calendar, zone, appointments, start=slot, end=slot, now=now)
