"""Appointment write-back: reschedule (into a free slot only, unless told to ignore free slots),
cancel (the slot is free again, the appointment stays with its status), other edits, delete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from ghlsandbox import (
    DEMO_LOCATION_ID,
    DEMO_USER_IDS,
    DISCOVERY_CALENDAR_ID,
    OTHER_LOCATION_ID,
    PRODUCT_DEMO_CALENDAR_ID,
)
from ghlsandbox.clock import utc

from tests.sandbox.kit import Ghl, demo_contacts

SLOT_TAKEN = "The slot you have selected is no longer available."
DAY_MS = 86_400_000


def _free(sbx: Ghl, calendar_id: str = DISCOVERY_CALENDAR_ID) -> list[str]:
    """The calendar's free slots over the next two weeks (ISO with the location's offset)."""
    start = int((sbx.clock() + 86_400) * 1000)
    response = sbx.get(
        f"/calendars/{calendar_id}/free-slots", params={"startDate": start, "endDate": start + 14 * DAY_MS}
    )
    assert response.status_code == 200, response.text
    return [slot for key, day in response.json().items() if key != "traceId" for slot in day["slots"]]


def _book(sbx: Ghl, slot: str, calendar_id: str = DISCOVERY_CALENDAR_ID, contact: int = 0) -> dict[str, Any]:
    response = sbx.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": DEMO_LOCATION_ID,
            "contactId": demo_contacts(sbx)[contact].id,
            "startTime": slot,
        },
    )
    assert response.status_code == 200, response.text
    booked: dict[str, Any] = response.json()
    return booked


def _edit(sbx: Ghl, event_id: str, **body: Any) -> httpx.Response:
    return sbx.put(f"/calendars/events/appointments/{event_id}", json=body)


def _event(sbx: Ghl, contact_id: str, event_id: str) -> dict[str, Any]:
    events = sbx.get(f"/contacts/{contact_id}/appointments").json()["events"]
    return next(event for event in events if event["id"] == event_id)


def _later(slot: str, minutes: int) -> str:
    return (datetime.fromisoformat(slot) + timedelta(minutes=minutes)).isoformat()


def test_rescheduling_into_a_free_slot_moves_it_and_frees_the_old_one(sbx: Ghl) -> None:
    old, new = _free(sbx)[0], _free(sbx)[5]
    booked = _book(sbx, old)
    sbx.clock.advance(120)

    response = _edit(sbx, booked["id"], startTime=new)

    assert response.status_code == 200, response.text
    assert response.json() == {**booked, "startTime": new, "endTime": _later(new, 30)}
    free = _free(sbx)
    assert old in free and new not in free
    event = _event(sbx, booked["contactId"], booked["id"])
    assert (event["startTime"], event["status"]) == (
        datetime.fromisoformat(new).strftime("%Y-%m-%d %H:%M:%S"),
        "booked",
    )
    assert event["dateUpdated"] > event["dateAdded"], "the edit is the event's last update"


def test_rescheduling_into_a_taken_slot_is_refused_unless_free_slots_are_ignored(sbx: Ghl) -> None:
    first, second = _free(sbx)[0], _free(sbx)[1]
    mine, theirs = _book(sbx, first), _book(sbx, second, contact=1)
    before = sbx.sandbox.state.snapshot()

    taken = _edit(sbx, mine["id"], startTime=second)
    overlapping = _edit(sbx, mine["id"], endTime=_later(first, 60))
    off_grid = _edit(sbx, mine["id"], startTime=_later(first, 10))
    past = _edit(sbx, mine["id"], startTime="2020-01-06T09:00:00-06:00")
    backwards = _edit(sbx, mine["id"], endTime=_later(first, -30))
    no_offset = _edit(sbx, mine["id"], startTime=first[:19])

    for refused in (taken, overlapping, off_grid, past):
        assert (refused.status_code, refused.json()["message"]) == (400, SLOT_TAKEN)
    assert (backwards.status_code, backwards.json()["message"]) == (400, "endTime must be after startTime")
    assert (no_offset.status_code, no_offset.json()["message"]) == (
        422,
        ["startTime must be a valid ISO 8601 date string with a time zone offset"],
    )
    assert sbx.sandbox.state.snapshot() == before
    forced = _edit(sbx, mine["id"], startTime=second, ignoreFreeSlotValidation=True)
    assert forced.status_code == 200 and forced.json()["startTime"] == theirs["startTime"]


def test_its_own_slot_does_not_stand_in_its_way(sbx: Ghl) -> None:
    first = _free(sbx)[0]
    booked = _book(sbx, first)

    longer = _edit(sbx, booked["id"], endTime=_later(first, 60))
    shifted = _edit(sbx, booked["id"], startTime=_later(first, 30))

    assert longer.status_code == 200 and longer.json()["endTime"] == _later(first, 60)
    assert shifted.status_code == 200, "the new slot overlaps only the appointment itself"
    assert (shifted.json()["startTime"], shifted.json()["endTime"]) == (_later(first, 30), _later(first, 90))
    assert first in _free(sbx) and _later(first, 30) not in _free(sbx)


def test_cancelling_frees_the_slot_and_keeps_the_appointment_with_its_status(sbx: Ghl) -> None:
    slot = _free(sbx)[2]
    booked = _book(sbx, slot)
    count = len(sbx.sandbox.state.data.appointments)

    cancelled = _edit(sbx, booked["id"], appointmentStatus="cancelled")

    assert cancelled.status_code == 200 and cancelled.json() == {**booked, "appointmentStatus": "cancelled"}
    assert slot in _free(sbx)
    event = _event(sbx, booked["contactId"], booked["id"])
    assert (event["appointmentStatus"], event["status"]) == ("cancelled", "cancelled")
    assert len(sbx.sandbox.state.data.appointments) == count
    state = sbx.http.get("/_sandbox/state").json()
    assert state["statuses"]["appointments"]["cancelled"] >= 1
    retaken = _book(sbx, slot, contact=1)
    reconfirmed = _edit(sbx, booked["id"], appointmentStatus="confirmed")
    assert retaken["startTime"] == slot
    assert (reconfirmed.status_code, reconfirmed.json()["message"]) == (400, SLOT_TAKEN)


def test_a_cancelled_appointment_can_be_confirmed_again_while_its_slot_is_free(sbx: Ghl) -> None:
    slot = _free(sbx)[3]
    booked = _book(sbx, slot)
    _edit(sbx, booked["id"], appointmentStatus="cancelled")

    confirmed = _edit(sbx, booked["id"], appointmentStatus="confirmed")

    assert confirmed.status_code == 200 and confirmed.json()["appointmentStatus"] == "confirmed"
    assert slot not in _free(sbx)


def test_a_past_appointment_can_be_marked_without_a_slot_check(sbx: Ghl) -> None:
    now = utc(sbx.clock())
    past = next(
        a
        for a in sbx.sandbox.state.data.appointments.values()
        if a.location_id == DEMO_LOCATION_ID and a.end < now and a.status == "showed"
    )

    noshow = _edit(sbx, past.id, appointmentStatus="noshow")
    cancelled = _edit(sbx, past.id, appointmentStatus="cancelled")
    showed = _edit(sbx, past.id, appointmentStatus="showed")

    assert noshow.status_code == 200 and noshow.json()["appointmentStatus"] == "noshow"
    assert cancelled.status_code == 200
    assert showed.status_code == 200, "holding its (past) slot again: only other bookings are checked"
    assert _event(sbx, past.contact_id, past.id)["appointmentStatus"] == "showed"


def test_other_edits_change_only_what_is_sent(sbx: Ghl) -> None:
    demo_free = set(_free(sbx, PRODUCT_DEMO_CALENDAR_ID))
    slot, second = [s for s in _free(sbx) if s in demo_free][:2]
    booked, unmoved = _book(sbx, slot), _book(sbx, second, contact=1)
    assert booked["assignedUserId"] == DEMO_USER_IDS[0], "the Discovery calendar's first member"

    titled = _edit(sbx, booked["id"], title="Pricing call", description="Bring the quote", address="Zoom")
    not_member = _edit(sbx, booked["id"], assignedUserId=DEMO_USER_IDS[3])
    member = _edit(sbx, booked["id"], assignedUserId=DEMO_USER_IDS[1], toNotify=False)
    moved = _edit(sbx, booked["id"], calendarId=PRODUCT_DEMO_CALENDAR_ID)
    reassigned = _edit(sbx, unmoved["id"], calendarId=PRODUCT_DEMO_CALENDAR_ID)

    assert titled.json() == {**booked, "title": "Pricing call", "address": "Zoom", "meetingLocationType": "custom"}
    assert (not_member.status_code, not_member.json()["message"]) == (
        400,
        "assignedUserId is not a team member of this calendar",
    )
    assert member.json()["assignedUserId"] == DEMO_USER_IDS[1]
    assert (moved.json()["calendarId"], moved.json()["assignedUserId"]) == (PRODUCT_DEMO_CALENDAR_ID, DEMO_USER_IDS[1])
    assert reassigned.json()["assignedUserId"] == DEMO_USER_IDS[1], "Dana is not on the Product Demo team"
    assert slot in _free(sbx) and slot not in _free(sbx, PRODUCT_DEMO_CALENDAR_ID)
    assert _event(sbx, booked["contactId"], booked["id"])["notes"] == "Bring the quote"


def test_deleting_removes_the_appointment_and_frees_its_slot(sbx: Ghl) -> None:
    slot = _free(sbx)[4]
    booked = _book(sbx, slot)
    other = _book(sbx, _free(sbx)[4])
    count = len(sbx.sandbox.state.data.appointments)
    path = f"/calendars/events/{booked['id']}"

    with_property = sbx.delete(path, json={"reason": "no longer needed"})
    deleted = sbx.delete(path, json={})
    again = sbx.delete(path, json={})
    without_body = sbx.delete(f"/calendars/events/{other['id']}")

    assert (with_property.status_code, with_property.json()["message"]) == (
        422,
        ["property reason should not exist"],
    )
    assert (deleted.status_code, deleted.json()) == (201, {"succeeded": True})
    assert (again.status_code, again.json()["message"]) == (400, "Appointment not found")
    assert (without_body.status_code, without_body.json()) == (201, {"succeeded": True})
    assert len(sbx.sandbox.state.data.appointments) == count - 2
    assert slot in _free(sbx)
    events = sbx.get(f"/contacts/{booked['contactId']}/appointments").json()["events"]
    assert booked["id"] not in {event["id"] for event in events}


def test_unknown_and_foreign_appointments_change_nothing(sbx: Ghl) -> None:
    foreign = next(a for a in sbx.sandbox.state.data.appointments.values() if a.location_id == OTHER_LOCATION_ID)
    booked = _book(sbx, _free(sbx)[0])
    before = sbx.sandbox.state.snapshot()

    answers = [
        _edit(sbx, foreign.id, appointmentStatus="cancelled"),
        sbx.delete(f"/calendars/events/{foreign.id}", json={}),
        _edit(sbx, "x" * 20, title="Nobody's"),
        sbx.delete(f"/calendars/events/{'x' * 20}", json={}),
        _edit(
            sbx,
            booked["id"],
            calendarId=next(
                iter(c for c in sbx.sandbox.state.data.calendars.values() if c.location_id == OTHER_LOCATION_ID)
            ).id,
        ),
        _edit(sbx, booked["id"], appointmentStatus="done", meetingLocationType="teams"),
    ]

    no_access = "The token does not have access to this location."
    assert [(r.status_code, r.json()["message"]) for r in answers] == [
        (403, no_access),
        (403, no_access),
        (400, "Appointment not found"),
        (400, "Appointment not found"),
        (403, no_access),
        (
            422,
            [
                "meetingLocationType must be one of the following values: "
                "custom, zoom, gmeet, phone, address, ms_teams, google",
                "appointmentStatus must be one of the following values: "
                "new, confirmed, cancelled, showed, noshow, invalid",
            ],
        ),
    ]
    assert sbx.sandbox.state.snapshot() == before
