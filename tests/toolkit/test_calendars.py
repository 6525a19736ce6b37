"""Calendars, free slots and appointments through the CalendarsFunction handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from tests.ghl.ghl_testkit import (
    CALENDAR_ID,
    CONTACT_ID,
    appointment_body,
    calendar_body,
    free_slots_body,
    json_of,
    spec_response,
)
from tests.toolkit.kit import LOCATION, Toolkit, new_key, sent

FN = "calendars"
BASE = f"/locations/{LOCATION}"
SLOTS = f"{BASE}/calendars/{CALENDAR_ID}/free-slots"
GHL_SLOTS = f"/calendars/{CALENDAR_ID}/free-slots"
GHL_BOOK = "/calendars/events/appointments"
APPOINTMENT = {
    "calendarId": CALENDAR_ID,
    "contactId": CONTACT_ID,
    "startTime": "2024-10-28T10:00:00-05:00",
    "endTime": "2024-10-28T10:30:00-05:00",
    "title": "Discovery call with John",
}


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_lists_calendars_with_their_booking_link(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    body = {"calendars": [calendar_body(), calendar_body(id="sEcOnDcAlEnDaR00001", name="Demo", isActive=False)]}
    route = ghl_api.get("/calendars/").mock(return_value=spec_response("GET", "/calendars/", 200, body))

    reply = toolkit.call(FN, "GET", f"{BASE}/calendars")

    assert reply.status == 200 and reply.body["nextCursor"] is None
    first, second = reply.body["items"]
    assert first == {
        "id": CALENDAR_ID,
        "name": "Discovery call",
        "description": "30 minutes to see whether we fit",
        "calendarType": "round_robin",
        "isActive": True,
        "slotDuration": 30,
        "slotDurationUnit": "mins",
        "bookingUrl": f"https://api.leadconnectorhq.com/widget/booking/{CALENDAR_ID}",
    }
    assert (second["isActive"], second["bookingUrl"]) == (
        False,
        "https://api.leadconnectorhq.com/widget/booking/sEcOnDcAlEnDaR00001",
    )
    request = sent(route)
    assert (request.url.params["locationId"], request.headers["Version"]) == (LOCATION, "2021-04-15")


def test_the_booking_link_base_is_a_setting(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge.settings import reset_settings

    monkeypatch.setenv("BOOKING_URL_BASE", "https://book.example.com/widget/")
    reset_settings()
    ghl_api.get("/calendars/").respond(200, json={"calendars": [calendar_body()]})

    [item] = toolkit.call(FN, "GET", f"{BASE}/calendars").body["items"]

    assert item["bookingUrl"] == f"https://book.example.com/widget/{CALENDAR_ID}"


# --- free slots -----------------------------------------------------------------------------------


def test_free_slots_between_two_dates_in_a_time_zone(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.get(GHL_SLOTS).mock(return_value=spec_response("GET", GHL_SLOTS, 200, free_slots_body()))
    query = {"start": "2024-10-28", "end": "2024-10-29", "timezone": "America/Chicago"}

    reply = toolkit.call(FN, "GET", SLOTS, query=query)

    assert reply.status == 200
    assert reply.body == {
        "timezone": "America/Chicago",
        "slots": [
            "2024-10-28T10:00:00-05:00",
            "2024-10-28T11:00:00-05:00",
            "2024-10-29T10:00:00-05:00",
            "2024-10-29T14:30:00-05:00",
        ],
    }
    chicago = ZoneInfo("America/Chicago")
    params = sent(route).url.params
    assert params["startDate"] == str(epoch_ms(datetime(2024, 10, 28, tzinfo=chicago)))
    assert params["endDate"] == str(epoch_ms(datetime(2024, 10, 30, tzinfo=chicago)) - 1)  # the end day included
    assert params["timezone"] == "America/Chicago"


def test_days_ghl_adds_outside_the_range_are_left_out(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    body = free_slots_body() | {"2024-10-30": {"slots": ["2024-10-30T09:00:00-05:00"]}}
    ghl_api.get(GHL_SLOTS).mock(return_value=spec_response("GET", GHL_SLOTS, 200, body))

    reply = toolkit.call(FN, "GET", SLOTS, query={"start": "2024-10-29", "end": "2024-10-29", "timezone": "UTC"})

    assert reply.body["slots"] == ["2024-10-29T10:00:00-05:00", "2024-10-29T14:30:00-05:00"]


def test_a_range_ghl_would_refuse_is_asked_in_two_windows(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """31 days apart, both ends included, across the end of daylight saving time: 32 days."""
    first = {"2024-10-20": {"slots": ["2024-10-20T09:00:00-05:00"]}}
    second = {"2024-11-20": {"slots": ["2024-11-20T09:00:00-06:00"]}}
    route = ghl_api.get(GHL_SLOTS).mock(side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second)])

    reply = toolkit.call(
        FN, "GET", SLOTS, query={"start": "2024-10-20", "end": "2024-11-20", "timezone": "America/Chicago"}
    )

    assert reply.status == 200
    assert reply.body["slots"] == ["2024-10-20T09:00:00-05:00", "2024-11-20T09:00:00-06:00"]
    windows = [(int(c.request.url.params["startDate"]), int(c.request.url.params["endDate"])) for c in route.calls]
    chicago = ZoneInfo("America/Chicago")
    assert windows[0][0] == epoch_ms(datetime(2024, 10, 20, tzinfo=chicago))
    assert windows[1][1] == epoch_ms(datetime(2024, 11, 21, tzinfo=chicago)) - 1
    assert windows[1][0] == windows[0][1] + 1  # contiguous, no gap, no overlap
    assert all(end - start <= 31 * 86_400_000 for start, end in windows)  # each one GHL accepts
    for index in range(2):
        sent(route, index)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"start": "2024-10-29", "end": "2024-10-28", "timezone": "UTC"}, ["end"]),
        ({"start": "2024-10-01", "end": "2024-11-02", "timezone": "UTC"}, ["end"]),
        ({"start": "2024-10-28", "end": "2024-10-29", "timezone": "Mars/Olympus"}, ["timezone"]),
        ({"start": "2024-10-28", "end": "2024-10-29", "timezone": "../../etc/passwd"}, ["timezone"]),
        ({"start": "2024-13-01", "end": "2024-10-29", "timezone": "UTC"}, ["start"]),
        ({"start": "yesterday", "end": "soon", "timezone": "UTC"}, ["end", "start"]),
        ({"end": "2024-10-29"}, ["start", "timezone"]),
        # Zone names ZoneInfo fails on with an OSError, not "not found" (once a 500 internal_error):
        # a directory of the zone database, and a name over the file system's 255 bytes.
        ({"start": "nope", "end": "2024-10-29", "timezone": "America"}, ["start", "timezone"]),
        ({"start": "nope", "end": "2024-10-29", "timezone": "\U0001f600" * 64}, ["start", "timezone"]),
        ({"start": "nope", "end": "2024-10-29", "timezone": "Etc"}, ["start", "timezone"]),
        ({"start": "2024-10-28", "end": "2024-10-29", "timezone": "\x7f\u00e9\x00/\u00fc"}, ["timezone"]),
    ],
)
def test_free_slot_rules(toolkit: Toolkit, ghl_api: respx.MockRouter, query: dict[str, str], fields: list[str]) -> None:
    reply = toolkit.call(FN, "GET", SLOTS, query=query)

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert [(d["in"], d["field"]) for d in sorted(reply.error["details"], key=lambda d: d["field"])] == [
        ("query", f) for f in fields
    ]
    assert not ghl_api.calls


def test_exactly_31_days_apart_is_accepted(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    ghl_api.get(GHL_SLOTS).respond(200, json={})

    reply = toolkit.call(FN, "GET", SLOTS, query={"start": "2024-01-01", "end": "2024-02-01", "timezone": "UTC"})

    assert reply.body == {"timezone": "UTC", "slots": []}


# --- appointments ---------------------------------------------------------------------------------


def test_books_an_appointment(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_BOOK).mock(return_value=spec_response("POST", GHL_BOOK, 200, appointment_body()))

    reply = toolkit.call(FN, "POST", f"{BASE}/appointments", body=APPOINTMENT, key=new_key())

    assert reply.status == 201
    assert reply.body == {
        "id": "0TkCdp9PfvLeWKYRRvIz",
        "calendarId": CALENDAR_ID,
        "contactId": CONTACT_ID,
        "startTime": "2024-10-28T10:00:00-05:00",
        "endTime": "2024-10-28T10:30:00-05:00",
        "title": "Discovery call with John",
        "appointmentStatus": "confirmed",
        "assignedUserId": "zT46WSCPbudrq4zhWMk6",
        "address": "https://meet.example.com/abc",
        "meetingLocationType": "default",
    }
    request = sent(route)
    assert request.headers["Version"] == "2021-04-15"
    assert json_of(request) == {
        "calendarId": CALENDAR_ID,
        "locationId": LOCATION,
        "contactId": CONTACT_ID,
        "startTime": "2024-10-28T10:00:00-05:00",
        "endTime": "2024-10-28T10:30:00-05:00",
        "title": "Discovery call with John",
    }


def test_a_booking_is_sent_once_per_key(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_BOOK).mock(return_value=spec_response("POST", GHL_BOOK, 200, appointment_body()))
    key = new_key()

    replies = [toolkit.call(FN, "POST", f"{BASE}/appointments", body=APPOINTMENT, key=key) for _ in range(3)]

    assert {r.status for r in replies} == {201} and route.call_count == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"startTime": "2024-10-28T10:00:00"}, ["startTime"]),
        ({"startTime": "tomorrow at ten"}, ["startTime"]),
        ({"endTime": "2024-10-28T09:00:00-05:00"}, ["endTime"]),
        ({"endTime": "2024-10-29T10:30:00-05:00"}, ["endTime"]),
        ({"calendarId": "a/b"}, ["calendarId"]),
        ({"contactId": None}, ["contactId"]),
        ({"title": "t" * 201}, ["title"]),
        ({"assignedUserId": "not/an-id"}, ["assignedUserId"]),
    ],
)
def test_appointment_rules(
    toolkit: Toolkit, ghl_api: respx.MockRouter, change: dict[str, Any], fields: list[str]
) -> None:
    body = {k: v for k, v in (APPOINTMENT | change).items() if v is not None}

    reply = toolkit.call(FN, "POST", f"{BASE}/appointments", body=body, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert sorted(d["field"] for d in reply.error["details"]) == fields
    assert not ghl_api.calls


def test_times_in_the_past_are_ghls_to_judge(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """We check shape and length; whether a slot is free (or past) is GHL's answer."""
    ghl_api.post(GHL_BOOK).respond(
        400, json={"statusCode": 400, "message": "The slot you have selected is no longer available"}
    )
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()

    reply = toolkit.call(
        FN, "POST", f"{BASE}/appointments", body=APPOINTMENT | {"startTime": start, "endTime": None}, key=new_key()
    )

    assert (reply.status, reply.code) == (409, "slot_unavailable")
    assert reply.error["details"]["ghlMessages"] == ["The slot you have selected is no longer available"]


def test_a_linked_member_books_as_their_ghl_user_unless_the_body_names_one(
    toolkit: Toolkit, ghl_api: respx.MockRouter
) -> None:
    from tests.toolkit.kit import USER

    toolkit.store.link_member(LOCATION, USER, USER, "LinkedRep00000000001")
    route = ghl_api.post(GHL_BOOK).mock(return_value=spec_response("POST", GHL_BOOK, 200, appointment_body()))

    toolkit.call(FN, "POST", f"{BASE}/appointments", body=APPOINTMENT, key=new_key())
    toolkit.call(FN, "POST", f"{BASE}/appointments", body=APPOINTMENT | {"assignedUserId": "Other0000000000001"},
                 key=new_key())  # fmt: skip

    assert json_of(sent(route, 0))["assignedUserId"] == "LinkedRep00000000001"
    assert json_of(sent(route, 1))["assignedUserId"] == "Other0000000000001"
