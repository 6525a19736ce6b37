"""CalendarsAPI against a respx-mocked GHL: requests checked against apps/calendars.json
(Version 2021-04-15) and field by field (epoch milliseconds, the 31-day limit, ISO times with
offsets), spec-shaped answers parsed into models, and the 401 refresh/replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from ghlbridge.ghl.calendars import Appointment, Calendar, CalendarsAPI
from ghlbridge.ghl.client import BearerAuth, GHLClient
from ghlbridge.ghl.errors import (
    GHLInvalidResponseError,
    GHLSlotUnavailableError,
    GHLTimeoutError,
    GHLUnprocessableError,
)
from ghlbridge.tokens.provider import GHLAuth, TokenProvider
from tests.ghl import ghl_testkit
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    CALENDAR_ID,
    CONTACT_ID,
    INVALID_TOKEN_BODY,
    LOCATION_ID,
    LOCATION_TOKEN,
    USER_ID,
    FakeTokenProvider,
    appointment_body,
    calendar_body,
    free_slots_body,
    json_of,
    spec_response,
)
from tests.ghl_spec import assert_request_conforms, assert_response_conforms

CALENDARS = "/calendars/"
FREE_SLOTS = f"/calendars/{CALENDAR_ID}/free-slots"
APPOINTMENTS = "/calendars/events/appointments"
CHICAGO = ZoneInfo("America/Chicago")
# A week across the end of US daylight saving time (2024-11-03): the offset changes from -05:00 to -06:00.
WEEK_START = datetime(2024, 10, 28, tzinfo=CHICAGO)  # 2024-10-28T05:00:00Z
WEEK_END = datetime(2024, 11, 3, 23, 59, 59, 999000, tzinfo=CHICAGO)  # 2024-11-04T05:59:59.999Z


@pytest.fixture
def api(client: GHLClient) -> CalendarsAPI:
    return CalendarsAPI(client, BearerAuth(ACCESS_TOKEN))


def assert_sent(request: httpx.Request, method: str, path: str) -> None:
    ghl_testkit.assert_sent(request, method, path, version="2021-04-15")  # this group is NOT on 2021-07-28


# --- list ---------------------------------------------------------------------------------------


def test_list(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    body = {"calendars": [calendar_body(), calendar_body(id="c2", name="Demo", isActive=False, timezone="UTC")]}
    route = ghl_mock.get(CALENDARS).mock(return_value=spec_response("GET", CALENDARS, 200, body))

    calendars = api.list(LOCATION_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", CALENDARS)  # with the trailing slash
    assert dict(request.url.params) == {"locationId": LOCATION_ID}
    assert all(isinstance(calendar, Calendar) for calendar in calendars)
    first, second = calendars
    assert (first.id, first.name, first.description, first.slug, first.widgetSlug) == (
        CALENDAR_ID,
        "Discovery call",
        "30 minutes to see whether we fit",
        "discovery-call",
        "discovery-call-widget",
    )
    assert (first.calendarType, first.isActive, first.timezone, first.slotDuration) == ("round_robin", True, None, 30)
    assert (second.id, second.isActive, second.timezone) == ("c2", False, "UTC")
    assert set(first.model_extra or {}) == {"eventColor", "teamMembers"}


# --- free slots ---------------------------------------------------------------------------------


def test_free_slots_sends_epoch_milliseconds(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.get(FREE_SLOTS).mock(return_value=spec_response("GET", FREE_SLOTS, 200, free_slots_body()))

    slots = api.free_slots(CALENDAR_ID, start=WEEK_START, end=WEEK_END, timezone="America/Chicago")

    request = route.calls.last.request
    assert_sent(request, "GET", FREE_SLOTS)
    assert dict(request.url.params) == {
        "startDate": "1730091600000",
        "endDate": "1730699999999",  # whole milliseconds, across the DST change (-06:00)
        "timezone": "America/Chicago",
    }
    assert slots == {
        "2024-10-28": ["2024-10-28T10:00:00-05:00", "2024-10-28T11:00:00-05:00"],
        "2024-10-29": ["2024-10-29T10:00:00-05:00", "2024-10-29T14:30:00-05:00"],
    }


def test_free_slots_for_one_user(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.get(FREE_SLOTS).mock(return_value=spec_response("GET", FREE_SLOTS, 200, free_slots_body()))

    api.free_slots(CALENDAR_ID, start=WEEK_START, end=WEEK_END, timezone="America/Chicago", user_id=USER_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", FREE_SLOTS)
    assert request.url.params["userId"] == USER_ID


def test_free_slots_skips_keys_that_are_not_dates(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    body = free_slots_body() | {"traceId": "6f2a0c1e-trace", "_dates_": {"slots": ["x"]}}
    with pytest.raises(AssertionError):  # the spec's schema has no room for traceId (GHL sends it anyway)
        assert_response_conforms("GET", FREE_SLOTS, 200, body)
    ghl_mock.get(FREE_SLOTS).respond(200, json=body)

    slots = api.free_slots(CALENDAR_ID, start=WEEK_START, end=WEEK_END, timezone="America/Chicago")

    assert list(slots) == ["2024-10-28", "2024-10-29"]


def test_free_slots_with_no_free_day(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    ghl_mock.get(FREE_SLOTS).mock(return_value=spec_response("GET", FREE_SLOTS, 200, {}))

    assert api.free_slots(CALENDAR_ID, start=WEEK_START, end=WEEK_END, timezone="UTC") == {}


@pytest.mark.parametrize(
    "body",
    [["2024-10-28T10:00:00-05:00"], {"2024-10-28": ["2024-10-28T10:00:00-05:00"]}, {"2024-10-28": {"slots": "x"}}],
    ids=["a-list", "day-without-slots", "slots-not-a-list"],
)
def test_free_slots_of_another_shape_are_an_invalid_response(
    ghl_mock: respx.MockRouter, api: CalendarsAPI, body: Any
) -> None:
    ghl_mock.get(FREE_SLOTS).respond(200, json=body)

    with pytest.raises(GHLInvalidResponseError) as caught:
        api.free_slots(CALENDAR_ID, start=WEEK_START, end=WEEK_END, timezone="UTC")

    assert caught.value.path == FREE_SLOTS


def test_free_slots_accepts_exactly_31_days(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.get(FREE_SLOTS).mock(return_value=spec_response("GET", FREE_SLOTS, 200, free_slots_body()))
    start = datetime(2024, 10, 1, tzinfo=UTC)

    api.free_slots(CALENDAR_ID, start=start, end=start + timedelta(days=31), timezone="UTC")

    params = route.calls.last.request.url.params
    assert int(params["endDate"]) - int(params["startDate"]) == 31 * 24 * 3600 * 1000


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2024, 10, 1, tzinfo=UTC), datetime(2024, 11, 1, 0, 0, 0, 1000, tzinfo=UTC), "31 days"),
        (datetime(2024, 10, 2, tzinfo=UTC), datetime(2024, 10, 1, tzinfo=UTC), "before"),
        (datetime(2024, 10, 1), datetime(2024, 10, 2, tzinfo=UTC), "timezone-aware"),  # naive on purpose
        (datetime(2024, 10, 1, tzinfo=UTC), datetime(2024, 10, 2), "timezone-aware"),  # naive on purpose
    ],
    ids=["31-days-and-1-ms", "end-before-start", "naive-start", "naive-end"],
)
def test_free_slots_refuses_before_calling(
    ghl_mock: respx.MockRouter, api: CalendarsAPI, start: datetime, end: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        api.free_slots(CALENDAR_ID, start=start, end=end, timezone="UTC")  # no route: a call would fail


def test_401_refreshes_and_replays_free_slots(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    provider = FakeTokenProvider(ACCESS_TOKEN, LOCATION_TOKEN)
    api = CalendarsAPI(client, GHLAuth(cast(TokenProvider, provider), LOCATION_ID))
    route = ghl_mock.get(FREE_SLOTS)
    route.side_effect = [
        spec_response("GET", FREE_SLOTS, 401, INVALID_TOKEN_BODY),
        spec_response("GET", FREE_SLOTS, 200, free_slots_body()),
    ]

    slots = api.free_slots(CALENDAR_ID, start=WEEK_START, end=WEEK_END, timezone="America/Chicago")

    first, replay = (call.request for call in route.calls)
    assert (first.headers["Authorization"], replay.headers["Authorization"]) == (
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {LOCATION_TOKEN}",
    )
    assert provider.rejected == [ACCESS_TOKEN]
    assert replay.url == first.url
    assert_request_conforms(replay)
    assert list(slots) == ["2024-10-28", "2024-10-29"]


# --- book an appointment ------------------------------------------------------------------------


def test_book_appointment_sends_the_required_fields(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.post(APPOINTMENTS).mock(return_value=spec_response("POST", APPOINTMENTS, 200, appointment_body()))

    appointment = api.book_appointment(
        location_id=LOCATION_ID,
        calendar_id=CALENDAR_ID,
        contact_id=CONTACT_ID,
        start_time=datetime(2024, 10, 28, 10, tzinfo=CHICAGO),
    )

    request = route.calls.last.request
    assert_sent(request, "POST", APPOINTMENTS)
    assert json_of(request) == {
        "calendarId": CALENDAR_ID,
        "locationId": LOCATION_ID,
        "contactId": CONTACT_ID,
        "startTime": "2024-10-28T10:00:00-05:00",
    }
    assert isinstance(appointment, Appointment)
    assert (appointment.id, appointment.calendarId, appointment.contactId, appointment.startTime) == (
        "0TkCdp9PfvLeWKYRRvIz",
        CALENDAR_ID,
        CONTACT_ID,
        "2024-10-28T10:00:00-05:00",
    )
    assert appointment.model_extra == {}
    assert (appointment.appointmentStatus, appointment.assignedUserId, appointment.isRecurring) == (
        "confirmed",
        USER_ID,
        False,
    )


def test_book_appointment_maps_every_option(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.post(APPOINTMENTS).mock(return_value=spec_response("POST", APPOINTMENTS, 200, appointment_body()))

    api.book_appointment(
        location_id=LOCATION_ID,
        calendar_id=CALENDAR_ID,
        contact_id=CONTACT_ID,
        start_time=datetime(2024, 10, 28, 15, tzinfo=UTC),
        end_time=datetime(2024, 10, 28, 15, 30, tzinfo=UTC),
        title="Discovery call with John",
        appointment_status="confirmed",
        assigned_user_id=USER_ID,
        description="Agenda: fleet size, timing",
        address="https://meet.example.com/abc",
        meeting_location_type="custom",
        meeting_location_id="default",
        override_location_config=True,
        ignore_date_range=False,
        ignore_free_slot_validation=False,
        to_notify=False,
    )

    request = route.calls.last.request
    assert_sent(request, "POST", APPOINTMENTS)
    assert json_of(request) == {
        "calendarId": CALENDAR_ID,
        "locationId": LOCATION_ID,
        "contactId": CONTACT_ID,
        "startTime": "2024-10-28T15:00:00+00:00",
        "endTime": "2024-10-28T15:30:00+00:00",
        "title": "Discovery call with John",
        "appointmentStatus": "confirmed",
        "assignedUserId": USER_ID,
        "description": "Agenda: fleet size, timing",
        "address": "https://meet.example.com/abc",
        "meetingLocationType": "custom",
        "meetingLocationId": "default",
        "overrideLocationConfig": True,
        "ignoreDateRange": False,  # False is sent: only None means "not given"
        "ignoreFreeSlotValidation": False,
        "toNotify": False,
    }


def test_book_appointment_refuses_a_naive_time(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        api.book_appointment(
            location_id=LOCATION_ID,
            calendar_id=CALENDAR_ID,
            contact_id=CONTACT_ID,
            start_time=datetime(2024, 10, 28, 15),  # naive on purpose
        )


# --- change or delete an appointment ------------------------------------------------------------

EVENT_ID = "0TkCdp9PfvLeWKYRRvIz"
EVENT_PATH = f"{APPOINTMENTS}/{EVENT_ID}"
DELETE_PATH = f"/calendars/events/{EVENT_ID}"
SLOT_TAKEN = {"statusCode": 400, "message": "The slot you have selected is no longer available."}


def test_update_appointment_reschedules_with_offsets(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    answer = appointment_body(
        startTime="2024-11-04T09:00:00-06:00", endTime="2024-11-04T09:30:00-06:00", appointmentStatus="active"
    )
    route = ghl_mock.put(EVENT_PATH).mock(return_value=spec_response("PUT", EVENT_PATH, 200, answer))

    appointment = api.update_appointment(
        EVENT_ID,
        start_time=datetime(2024, 11, 4, 9, tzinfo=CHICAGO),  # CST, after the DST change
        end_time=datetime(2024, 11, 4, 9, 30, tzinfo=CHICAGO),
    )

    request = route.calls.last.request
    assert_sent(request, "PUT", EVENT_PATH)
    assert json_of(request) == {"startTime": "2024-11-04T09:00:00-06:00", "endTime": "2024-11-04T09:30:00-06:00"}
    assert isinstance(appointment, Appointment)
    assert (appointment.id, appointment.startTime, appointment.endTime) == (
        EVENT_ID,
        "2024-11-04T09:00:00-06:00",
        "2024-11-04T09:30:00-06:00",
    )
    assert appointment.appointmentStatus == "active"  # the answer's enum is wider than the request's


def test_update_appointment_cancels_with_the_status_alone(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    answer = appointment_body(appointmentStatus="cancelled")
    route = ghl_mock.put(EVENT_PATH).mock(return_value=spec_response("PUT", EVENT_PATH, 200, answer))

    appointment = api.update_appointment(EVENT_ID, appointment_status="cancelled")

    request = route.calls.last.request
    assert_sent(request, "PUT", EVENT_PATH)
    assert json_of(request) == {"appointmentStatus": "cancelled"}
    assert appointment.appointmentStatus == "cancelled"


def test_update_appointment_maps_every_field(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.put(EVENT_PATH).mock(return_value=spec_response("PUT", EVENT_PATH, 200, appointment_body()))

    api.update_appointment(
        EVENT_ID,
        start_time=datetime(2024, 10, 28, 15, tzinfo=UTC),
        end_time=datetime(2024, 10, 28, 15, 30, tzinfo=UTC),
        appointment_status="confirmed",
        title="Discovery call (moved)",
        assigned_user_id=USER_ID,
        calendar_id=CALENDAR_ID,
        description="Moved at the client's request",
        ignore_free_slot_validation=True,
        to_notify=False,
    )

    request = route.calls.last.request
    assert_sent(request, "PUT", EVENT_PATH)
    assert json_of(request) == {
        "startTime": "2024-10-28T15:00:00+00:00",
        "endTime": "2024-10-28T15:30:00+00:00",
        "appointmentStatus": "confirmed",
        "title": "Discovery call (moved)",
        "assignedUserId": USER_ID,
        "calendarId": CALENDAR_ID,
        "description": "Moved at the client's request",
        "ignoreFreeSlotValidation": True,
        "toNotify": False,  # False is sent: only None means "not given"
    }


def test_a_recurring_instance_id_is_one_path_segment(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    instance = "ocQHyuzHvysMo5N5VsXc_1729821600000_1800"  # the spec's example of an instance id
    path = f"{APPOINTMENTS}/{instance}"
    route = ghl_mock.put(path).mock(return_value=spec_response("PUT", path, 200, appointment_body(id=instance)))

    api.update_appointment(instance, title="This one only")

    assert_sent(route.calls.last.request, "PUT", path)
    assert route.calls.last.request.url.raw_path == path.encode()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "nothing to update"),
        ({"start_time": datetime(2024, 10, 28, 15)}, "timezone-aware"),  # naive on purpose
        ({"end_time": datetime(2024, 10, 28, 15)}, "timezone-aware"),  # naive on purpose
    ],
    ids=["nothing", "naive-start", "naive-end"],
)
def test_update_appointment_refuses_before_calling(
    ghl_mock: respx.MockRouter, api: CalendarsAPI, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        api.update_appointment(EVENT_ID, **kwargs)  # no route: a call would fail


def test_a_reschedule_into_a_taken_slot(ghl_mock: respx.MockRouter, api: CalendarsAPI, sleeps: list[float]) -> None:
    route = ghl_mock.put(EVENT_PATH).mock(return_value=spec_response("PUT", EVENT_PATH, 400, SLOT_TAKEN))

    with pytest.raises(GHLSlotUnavailableError) as caught:
        api.update_appointment(EVENT_ID, start_time=datetime(2024, 10, 28, 15, tzinfo=UTC))

    assert route.call_count == 1 and sleeps == []
    assert (caught.value.status, caught.value.path) == (400, EVENT_PATH)


def test_update_appointment_422_keeps_every_message(
    ghl_mock: respx.MockRouter, api: CalendarsAPI, sleeps: list[float]
) -> None:
    """This operation's spec lists 400 and 401 only; GHL's validation answers 422 with `message` as an
    array elsewhere (`UnprocessableDTO`), so the body is not checked against this operation."""
    body = {
        "statusCode": 422,
        "message": ["endTime must be a valid ISO 8601 date string"],
        "error": "Unprocessable Entity",
    }
    route = ghl_mock.put(EVENT_PATH).respond(422, json=body)

    with pytest.raises(GHLUnprocessableError) as caught:
        api.update_appointment(EVENT_ID, title="x")

    assert route.call_count == 1 and sleeps == []
    assert caught.value.messages == ["endTime must be a valid ISO 8601 date string"]


def test_delete_event_sends_the_required_empty_body(ghl_mock: respx.MockRouter, api: CalendarsAPI) -> None:
    route = ghl_mock.delete(DELETE_PATH).mock(
        return_value=spec_response("DELETE", DELETE_PATH, 201, {"succeeded": True})
    )

    assert api.delete_event(EVENT_ID) is None

    request = route.calls.last.request
    assert_sent(request, "DELETE", DELETE_PATH)  # the spec check fails on a DELETE without a body
    assert json_of(request) == {}
    assert request.content == b"{}"


def test_a_delete_answering_succeeded_false_is_an_invalid_response(
    ghl_mock: respx.MockRouter, api: CalendarsAPI
) -> None:
    ghl_mock.delete(DELETE_PATH).mock(return_value=spec_response("DELETE", DELETE_PATH, 201, {"succeeded": False}))

    with pytest.raises(GHLInvalidResponseError, match="succeeded: false") as caught:
        api.delete_event(EVENT_ID)

    assert (caught.value.status, caught.value.method, caught.value.path) == (201, "DELETE", DELETE_PATH)


@pytest.mark.parametrize(
    ("method", "path", "call", "answer"),
    [
        (
            "PUT",
            EVENT_PATH,
            lambda api: api.update_appointment(EVENT_ID, appointment_status="cancelled"),
            (200, appointment_body()),
        ),
        ("DELETE", DELETE_PATH, lambda api: api.delete_event(EVENT_ID), (201, {"succeeded": True})),
    ],
    ids=["update_appointment", "delete_event"],
)
@pytest.mark.parametrize("failure", [httpx.Response(502), httpx.ReadTimeout("read")], ids=["502", "timeout"])
def test_changes_and_deletes_are_resent_after_a_timeout_or_5xx(
    ghl_mock: respx.MockRouter,
    api: CalendarsAPI,
    sleeps: list[float],
    method: str,
    path: str,
    call: Any,
    answer: tuple[int, dict[str, Any]],
    failure: httpx.Response | Exception,
) -> None:
    route = ghl_mock.route(method=method, path=path)
    route.side_effect = [failure, spec_response(method, path, *answer)]

    call(api)

    first, resent = (c.request for c in route.calls)
    assert resent.content == first.content
    assert_sent(resent, method, path)
    assert sleeps == [0.375]


def test_book_appointment_is_never_resent_after_a_timeout(
    ghl_mock: respx.MockRouter, api: CalendarsAPI, sleeps: list[float]
) -> None:
    route = ghl_mock.post(APPOINTMENTS).mock(side_effect=httpx.ReadTimeout("read"))

    with pytest.raises(GHLTimeoutError):
        api.book_appointment(
            location_id=LOCATION_ID, calendar_id=CALENDAR_ID, contact_id=CONTACT_ID, start_time=WEEK_START
        )

    assert route.call_count == 1 and sleeps == []
