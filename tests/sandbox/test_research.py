"""The research context of an opportunity: the seeded research deal, a contact's tasks and
appointments (seeded, and booked through the calendars API)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ghlsandbox import (
    DEMO_LOCATION_ID,
    DEMO_USER_IDS,
    DEV_USER_ID,
    DISCOVERY_CALENDAR_ID,
    LONG_CONVERSATION_ID,
    OTHER_LOCATION_ID,
    PRODUCT_DEMO_CALENDAR_ID,
    RESEARCH_OPPORTUNITY_ID,
    Sandbox,
    SandboxConfig,
)

from tests.sandbox.kit import Ghl, conversation_of, demo_contacts, free_slot, research_contact, whole_history

UTC_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
WALL_CLOCK = "%Y-%m-%d %H:%M:%S"
CHICAGO = ZoneInfo("America/Chicago")
NO_ACCESS = "The token does not have access to this location."


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _chicago(text: str) -> datetime:
    return datetime.strptime(text, WALL_CLOCK).replace(tzinfo=CHICAGO)


def _events(sbx: Ghl, contact_id: str) -> list[dict[str, Any]]:
    response = sbx.get(f"/contacts/{contact_id}/appointments")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_the_research_deal_has_everything_a_brief_reads(sbx: Ghl) -> None:
    now = datetime.fromtimestamp(sbx.clock(), UTC)

    opportunity = sbx.get(f"/opportunities/{RESEARCH_OPPORTUNITY_ID}").json()["opportunity"]
    contact_id = opportunity["contactId"]
    messages = [m for page in whole_history(sbx, conversation_of(sbx, research_contact(sbx)).id) for m in page]
    tasks = sbx.get(f"/contacts/{contact_id}/tasks").json()["tasks"]
    events = _events(sbx, contact_id)
    values = sbx.get(f"/contacts/{contact_id}").json()["contact"]["customFields"]
    fields = sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields").json()["customFields"]

    assert opportunity["status"] == "open" and opportunity["locationId"] == DEMO_LOCATION_ID
    kinds = {(m["messageType"], m["direction"]) for m in messages}
    assert {("TYPE_EMAIL", "inbound"), ("TYPE_EMAIL", "outbound"), ("TYPE_SMS", "inbound")} <= kinds
    assert {("TYPE_SMS", "outbound"), ("TYPE_CALL", "inbound"), ("TYPE_CALL", "outbound")} <= kinds
    assert any(m["meta"].get("callStatus") == "completed" for m in messages if m["messageType"] == "TYPE_CALL")
    assert any(_chicago(e["startTime"]) > now and e["status"] == "booked" for e in events), "an upcoming meeting"
    assert any(_chicago(e["startTime"]) < now and e["appointmentStatus"] == "showed" for e in events)
    open_tasks = [t for t in tasks if not t["completed"]]
    assert len(open_tasks) == 2 and any(_utc(t["dueDate"]) < now for t in open_tasks), "one is overdue"
    assert len([t for t in tasks if t["completed"]]) == 2
    types = {f["id"]: f["dataType"] for f in fields}
    assert len({types[value["id"]] for value in values}) == 9


def test_tasks_come_by_due_date_in_utc_with_their_owner(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    now = datetime.fromtimestamp(sbx.clock(), UTC)

    tasks = sbx.get(f"/contacts/{contact.id}/tasks").json()["tasks"]

    industry = next(iter(contact.custom_fields.values()))
    assert [t["title"] for t in tasks] == [
        f"Share {industry} case study",
        "Schedule product demo",
        "Confirm decision timeline",
        "Send revised proposal",
    ]
    dues = [t["dueDate"] for t in tasks]
    assert all(UTC_MILLIS.match(due) for due in dues) and dues == sorted(dues)
    assert {t["contactId"] for t in tasks} == {contact.id}
    assert {t["assignedTo"] for t in tasks} == {contact.assigned_to} <= {*DEMO_USER_IDS, DEV_USER_ID}
    assert [(_utc(t["dueDate"]) > now, t["completed"]) for t in tasks] == [
        (False, True),
        (False, True),
        (False, False),
        (True, False),
    ]
    assert set(tasks[-1]) == {"id", "title", "body", "assignedTo", "dueDate", "completed", "contactId"}


def test_tasks_are_records_spread_over_many_contacts(sbx: Ghl) -> None:
    data = sbx.sandbox.state.data
    without = next(c for c in demo_contacts(sbx) if not data.tasks_of(c.id))
    with_tasks = {task.contact_id for task in data.tasks.values()}

    answer = sbx.get(f"/contacts/{without.id}/tasks")

    assert answer.status_code == 200 and answer.json() == {"tasks": []}
    assert len(with_tasks) >= 40
    assert {task.completed for task in data.tasks.values()} == {True, False}
    assert any(task.location_id == OTHER_LOCATION_ID for task in data.tasks.values())


def test_appointments_list_past_and_upcoming_in_the_locations_wall_clock(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    stored = sbx.sandbox.state.data.appointments_of(contact.id)

    events = _events(sbx, contact.id)

    assert [e["id"] for e in events] == [a.id for a in stored] and len(events) == 2
    for event, appointment in zip(events, stored, strict=True):
        assert _chicago(event["startTime"]) == appointment.start
        assert _chicago(event["endTime"]) == appointment.end
        assert event["calendarId"] in (DISCOVERY_CALENDAR_ID, PRODUCT_DEMO_CALENDAR_ID)
        assert event["assignedUserId"] in DEMO_USER_IDS and event["users"] == [event["assignedUserId"]]
        assert (event["contactId"], event["locationId"]) == (contact.id, DEMO_LOCATION_ID)
        assert event["title"] == f"{'Discovery Call' if event is events[0] else 'Product Demo'} with {contact.name}"
    assert [e["appointmentStatus"] for e in events] == ["showed", "confirmed"]


def test_a_booked_appointment_is_listed_with_the_contacts_others(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    slot = free_slot(sbx, DISCOVERY_CALENDAR_ID, days_ahead=10)

    booked = sbx.post(
        "/calendars/events/appointments",
        json={
            "calendarId": DISCOVERY_CALENDAR_ID,
            "locationId": DEMO_LOCATION_ID,
            "contactId": contact.id,
            "startTime": slot,
            "title": "Pricing call",
            "description": "Bring the revised quote.",
        },
    ).json()
    events = _events(sbx, contact.id)

    assert [e["id"] for e in events][-1] == booked["id"], "sorted by start: the new one is the latest"
    event = events[-1]
    assert _chicago(event["startTime"]) == datetime.fromisoformat(slot)
    assert (event["title"], event["notes"], event["status"]) == ("Pricing call", "Bring the revised quote.", "booked")
    assert event["appointmentStatus"] == "confirmed"
    assert event["dateAdded"] == datetime.fromtimestamp(sbx.clock(), CHICAGO).strftime(WALL_CLOCK)


def test_seeded_appointments_hold_their_slots(sbx: Ghl) -> None:
    now = datetime.fromtimestamp(sbx.clock(), UTC)
    upcoming = next(
        a for a in sbx.sandbox.state.data.appointments_of(research_contact(sbx).id) if a.start > now and a.blocks
    )
    day_ms = 86_400_000
    start_ms = int(upcoming.start.timestamp() * 1000) - day_ms

    slots = sbx.get(
        f"/calendars/{upcoming.calendar_id}/free-slots",
        params={"startDate": start_ms, "endDate": start_ms + 2 * day_ms},
    ).json()
    again = sbx.post(
        "/calendars/events/appointments",
        json={
            "calendarId": upcoming.calendar_id,
            "locationId": DEMO_LOCATION_ID,
            "contactId": demo_contacts(sbx)[3].id,
            "startTime": upcoming.start.isoformat(),
        },
    )

    offered = {datetime.fromisoformat(s) for key, day in slots.items() if key != "traceId" for s in day["slots"]}
    assert offered, "the calendar has other free slots around it"
    assert upcoming.start not in offered
    assert (again.status_code, again.json()["message"]) == (400, "The slot you have selected is no longer available.")


def test_past_appointments_are_in_the_last_two_months(sbx: Ghl) -> None:
    now = datetime.fromtimestamp(sbx.clock(), UTC)
    past = [a for a in sbx.sandbox.state.data.appointments.values() if a.start < now]

    assert len(past) >= 10
    assert {a.status for a in past} >= {"showed"} and all((now - a.start).days <= 61 for a in past)
    assert any(a.location_id == OTHER_LOCATION_ID for a in past)


def test_unknown_and_foreign_contacts(sbx: Ghl) -> None:
    foreign = next(c.id for c in sbx.sandbox.state.data.contacts.values() if c.location_id == OTHER_LOCATION_ID)

    for route in ("tasks", "appointments"):
        unknown = sbx.get(f"/contacts/{'x' * 20}/{route}")
        other = sbx.get(f"/contacts/{foreign}/{route}")

        assert (unknown.status_code, unknown.json()["message"]) == (400, "Contact not found")
        assert (other.status_code, other.json()["message"]) == (403, NO_ACCESS)


def test_the_research_data_is_the_same_for_the_same_seed_and_day(sbx: Ghl) -> None:
    again = Sandbox(SandboxConfig(), clock=sbx.clock).state.data
    other_seed = Sandbox(SandboxConfig(seed=7), clock=sbx.clock).state.data
    data = sbx.sandbox.state.data

    for name in ("custom_fields", "messages", "tasks", "appointments"):
        assert list(getattr(again, name)) == list(getattr(data, name)), name
        assert set(getattr(other_seed, name)).isdisjoint(getattr(data, name)), name
    assert [m.body for m in again.messages.values()] == [m.body for m in data.messages.values()]
    for seeded in (data, other_seed):
        assert seeded.opportunities[RESEARCH_OPPORTUNITY_ID].status == "open"
        assert len(seeded.history(LONG_CONVERSATION_ID)) > 60
