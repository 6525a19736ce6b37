"""Calendars: the list, free slots (epoch ms, ≤ 31 days, keyed by date in a time zone) and
booking, which takes the slot out of the free slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from ghlsandbox import DEMO_LOCATION_ID, DEMO_USER_IDS, DISCOVERY_CALENDAR_ID, PRODUCT_DEMO_CALENDAR_ID

from tests.sandbox.kit import Ghl, demo_contacts, free_slot

DAY_MS = 86_400_000


def _slots(sbx: Ghl, calendar_id: str, *, days: int = 7, **params: Any) -> httpx.Response:
    start = int((sbx.clock() + 86_400) * 1000)
    return sbx.get(
        f"/calendars/{calendar_id}/free-slots", params={"startDate": start, "endDate": start + days * DAY_MS, **params}
    )


def _all_slots(body: dict[str, Any]) -> list[str]:
    return [slot for key, day in body.items() if key != "traceId" for slot in day["slots"]]


def _book(sbx: Ghl, start_time: str, **extra: Any) -> httpx.Response:
    body = {
        "calendarId": DISCOVERY_CALENDAR_ID,
        "locationId": DEMO_LOCATION_ID,
        "contactId": demo_contacts(sbx)[0].id,
        "startTime": start_time,
        **extra,
    }
    return sbx.post("/calendars/events/appointments", json=body)


def test_the_demo_calendars_are_open_weekdays_nine_to_five(sbx: Ghl) -> None:
    calendars = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}).json()["calendars"]

    assert [c["name"] for c in calendars] == ["Discovery Call", "Product Demo", "Onboarding Session"]
    for calendar in calendars:
        assert calendar["openHours"] == [
            {
                "daysOfTheWeek": [1, 2, 3, 4, 5],
                "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 17, "closeMinute": 0}],
            }
        ]
        assert (calendar["slotDuration"], calendar["slotInterval"]) == (30, 30)


def test_free_slots_are_30_minute_weekday_slots_in_the_location_time_zone(sbx: Ghl) -> None:
    body = _slots(sbx, PRODUCT_DEMO_CALENDAR_ID).json()

    days = {key: value for key, value in body.items() if key != "traceId"}
    assert len(days) == 5, "one week ahead: five weekdays"
    for day, value in days.items():
        slots = [datetime.fromisoformat(slot) for slot in value["slots"]]
        assert all(slot.date().isoformat() == day and slot.weekday() < 5 for slot in slots)
        assert all(slot.minute in (0, 30) and 9 <= slot.hour < 17 for slot in slots)
        assert {slot.utcoffset() for slot in slots} <= {timedelta(hours=-6), timedelta(hours=-5)}, "Chicago"
        assert len(slots) <= 16


def test_existing_appointments_are_not_free(sbx: Ghl) -> None:
    booked = [a for a in sbx.sandbox.state.data.appointments.values() if a.calendar_id == DISCOVERY_CALENDAR_ID]

    free = {datetime.fromisoformat(slot) for slot in _all_slots(_slots(sbx, DISCOVERY_CALENDAR_ID, days=14).json())}

    assert booked, "the demo data has appointments in the next two weeks"
    assert not {appointment.start for appointment in booked} & free


def test_slots_can_be_rendered_in_another_time_zone(sbx: Ghl) -> None:
    chicago = _all_slots(_slots(sbx, DISCOVERY_CALENDAR_ID).json())
    tokyo = _slots(sbx, DISCOVERY_CALENDAR_ID, timezone="Asia/Tokyo").json()

    assert all(slot.endswith("+09:00") for slot in _all_slots(tokyo))
    assert {datetime.fromisoformat(s) for s in _all_slots(tokyo)} == {datetime.fromisoformat(s) for s in chicago}
    assert all(day == slots["slots"][0][:10] for day, slots in tokyo.items() if day != "traceId")


def test_the_range_is_at_most_31_days(sbx: Ghl) -> None:
    start = int(sbx.clock() * 1000)

    fine = sbx.get(
        f"/calendars/{DISCOVERY_CALENDAR_ID}/free-slots", params={"startDate": start, "endDate": start + 31 * DAY_MS}
    )
    too_long = sbx.get(
        f"/calendars/{DISCOVERY_CALENDAR_ID}/free-slots",
        params={"startDate": start, "endDate": start + 31 * DAY_MS + 1},
    )
    backwards = sbx.get(
        f"/calendars/{DISCOVERY_CALENDAR_ID}/free-slots", params={"startDate": start, "endDate": start - 1}
    )
    bad_zone = _slots(sbx, DISCOVERY_CALENDAR_ID, timezone="Mars/Olympus_Mons")

    assert fine.status_code == 200 and len(_all_slots(fine.json())) > 300
    assert (too_long.status_code, too_long.json()["message"]) == (400, "Date range cannot be more than 31 days")
    assert backwards.status_code == 400
    assert bad_zone.status_code == 422


def test_booking_takes_the_slot_out_of_the_free_slots_of_that_calendar_only(sbx: Ghl) -> None:
    demo_free = set(_all_slots(_slots(sbx, PRODUCT_DEMO_CALENDAR_ID, days=14).json()))
    slot = next(s for s in _all_slots(_slots(sbx, DISCOVERY_CALENDAR_ID, days=14).json()) if s in demo_free)

    booked = _book(sbx, slot, title="Intro", assignedUserId=DEMO_USER_IDS[1])
    again = _book(sbx, slot)

    assert booked.status_code == 200
    appointment = booked.json()
    assert (appointment["startTime"], appointment["assignedUserId"], appointment["title"]) == (
        slot,
        DEMO_USER_IDS[1],
        "Intro",
    )
    assert datetime.fromisoformat(appointment["endTime"]) - datetime.fromisoformat(slot) == timedelta(minutes=30)
    assert appointment["appointmentStatus"] == "confirmed"
    assert appointment["id"] in sbx.sandbox.state.data.appointments
    assert slot not in _all_slots(_slots(sbx, DISCOVERY_CALENDAR_ID, days=14).json())
    assert (again.status_code, again.json()["message"]) == (400, "The slot you have selected is no longer available.")
    assert slot in _all_slots(_slots(sbx, PRODUCT_DEMO_CALENDAR_ID, days=14).json()), "calendars are independent"


def test_a_slot_in_utc_notation_books_the_same_moment(sbx: Ghl) -> None:
    slot = datetime.fromisoformat(free_slot(sbx, DISCOVERY_CALENDAR_ID))

    booked = _book(sbx, slot.astimezone(UTC).isoformat().replace("+00:00", "Z"))

    assert booked.status_code == 200
    assert datetime.fromisoformat(booked.json()["startTime"]) == slot


def test_times_off_the_grid_or_without_an_offset_are_refused(sbx: Ghl) -> None:
    slot = datetime.fromisoformat(free_slot(sbx, DISCOVERY_CALENDAR_ID))

    off_grid = _book(sbx, slot.replace(minute=10).isoformat())
    no_offset = _book(sbx, slot.replace(tzinfo=None).isoformat())
    not_a_member = _book(sbx, slot.isoformat(), assignedUserId=DEMO_USER_IDS[3])
    forced = _book(sbx, slot.replace(minute=10).isoformat(), ignoreFreeSlotValidation=True)

    assert off_grid.status_code == 400
    assert no_offset.status_code == 422
    assert no_offset.json()["message"] == ["startTime must be a valid ISO 8601 date string with a time zone offset"]
    assert not_a_member.status_code == 400
    assert forced.status_code == 200, "ignoreFreeSlotValidation books anyway, as on GHL"
    assert datetime.fromisoformat(forced.json()["startTime"]).minute == 10
    assert forced.json()["id"] in sbx.sandbox.state.data.appointments
