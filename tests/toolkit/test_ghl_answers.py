"""What GHL's refusals become, through every toolkit route that names a GHL record (docs/ghl-errors.md).

A caller's wrong id is a 404 `not_found` with ONE body, whatever form GHL's "not found" took: a 400
"<What> not found" for an unknown id, or a 403 "The token does not have access to this location."
for another location's record (GHL-NOTES §9.4, §10.9; the sandbox's `Call.owned`). Nothing in the
answer tells the two apart. Other 400/422s are 422 `ghl_rejected` with GHL's messages; a taken slot
is 409 `slot_unavailable`; a 429 past the invocation's wait budget is answered at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from tests.ghl.ghl_testkit import CALENDAR_ID, CONTACT_ID, OPPORTUNITY_ID, STAGE_ID, spec_response
from tests.toolkit.kit import LOCATION, Toolkit, new_key

BASE = f"/locations/{LOCATION}"
APPOINTMENT = {
    "calendarId": CALENDAR_ID,
    "contactId": CONTACT_ID,
    "startTime": "2024-10-28T10:00:00-05:00",
    "endTime": "2024-10-28T10:30:00-05:00",
}
CALL = {"outcome": "answered", "summary": "Interested in 40 vans."}
LOCATION_ACCESS = {"statusCode": 403, "message": "The token does not have access to this location."}


@dataclass(frozen=True)
class Route:
    """One toolkit route and the GHL call that first names the caller's id."""

    fn: str
    method: str
    path: str
    ghl_method: str
    ghl_path: str
    what: str  # the record GHL's 400 names
    body: Any = None
    query: dict[str, str] | None = None

    def call(self, toolkit: Toolkit) -> Any:
        key = new_key() if self.method == "POST" else None
        return toolkit.call(self.fn, self.method, self.path, body=self.body, query=self.query, key=key)


ROUTES = [
    Route("opportunities", "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}",
          "GET", f"/opportunities/{OPPORTUNITY_ID}", "Opportunity"),
    Route("stage", "PUT", f"{BASE}/opportunities/{OPPORTUNITY_ID}/stage",
          "GET", f"/opportunities/{OPPORTUNITY_ID}", "Opportunity", body={"pipelineStageId": STAGE_ID}),
    Route("notes", "GET", f"{BASE}/contacts/{CONTACT_ID}/notes", "GET", f"/contacts/{CONTACT_ID}/notes", "Contact"),
    Route("notes", "POST", f"{BASE}/contacts/{CONTACT_ID}/notes",
          "POST", f"/contacts/{CONTACT_ID}/notes", "Contact", body={"body": "Booked a demo"}),
    Route("notes", "POST", f"{BASE}/contacts/{CONTACT_ID}/tags",
          "POST", f"/contacts/{CONTACT_ID}/tags", "Contact", body={"tags": ["hot"]}),
    Route("calls", "POST", f"{BASE}/contacts/{CONTACT_ID}/calls",
          "POST", f"/contacts/{CONTACT_ID}/notes", "Contact", body=CALL),
    Route("emails", "POST", f"{BASE}/contacts/{CONTACT_ID}/emails",
          "POST", "/conversations/messages", "Contact", body={"subject": "Hi", "html": "<p>Hi</p>"}),
    Route("calendars", "GET", f"{BASE}/calendars/{CALENDAR_ID}/free-slots",
          "GET", f"/calendars/{CALENDAR_ID}/free-slots", "Calendar",
          query={"start": "2024-10-28", "end": "2024-10-29", "timezone": "UTC"}),
    Route("calendars", "POST", f"{BASE}/appointments",
          "POST", "/calendars/events/appointments", "Calendar", body=APPOINTMENT),
]  # fmt: skip
IDS = [f"{r.method} {r.path.removeprefix(BASE)}" for r in ROUTES]


def without_request_id(body: Any) -> Any:
    error = dict(body["error"])
    assert error.pop("requestId")
    return error


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_an_unknown_id_and_another_locations_id_get_one_and_the_same_404(
    toolkit: Toolkit, ghl_api: respx.MockRouter, route: Route
) -> None:
    unknown = {"statusCode": 400, "message": f"{route.what} not found", "error": "Bad Request", "traceId": "t-400"}
    ghl = ghl_api.route(method=route.ghl_method, path=route.ghl_path).mock(
        side_effect=[
            spec_response(route.ghl_method, route.ghl_path, 400, unknown),
            httpx.Response(403, json=LOCATION_ACCESS | {"traceId": "t-403"}),
        ]
    )

    first, second = route.call(toolkit), route.call(toolkit)

    assert (first.status, first.code) == (second.status, second.code) == (404, "not_found")
    assert (
        without_request_id(first.body)
        == without_request_id(second.body)
        == {
            "code": "not_found",
            "message": "GHL has no such resource in this location",
        }
    )
    assert ghl.call_count == 2  # each asked GHL once: no retry of a 400 or a 403
    assert all(call.request.url.path == route.ghl_path for call in ghl.calls)


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_ghl_refusing_the_content_is_a_422_with_its_messages(
    toolkit: Toolkit, ghl_api: respx.MockRouter, route: Route
) -> None:
    refused = {"statusCode": 422, "message": ["something is not right"], "error": "Unprocessable Entity"}
    ghl_api.route(method=route.ghl_method, path=route.ghl_path).respond(422, json=refused | {"traceId": "t-422"})

    reply = route.call(toolkit)

    assert (reply.status, reply.code) == (422, "ghl_rejected")
    assert reply.error["details"] == {
        "ghlStatus": 422,
        "ghlMessages": ["something is not right"],
        "ghlTraceId": "t-422",
    }


def test_a_taken_slot_is_a_409(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    taken = {"statusCode": 400, "message": "The slot you have selected is no longer available.", "traceId": "t-slot"}
    route = ghl_api.post("/calendars/events/appointments").respond(400, json=taken)
    key = new_key()

    reply = toolkit.call("calendars", "POST", f"{BASE}/appointments", body=APPOINTMENT, key=key)

    assert (reply.status, reply.code) == (409, "slot_unavailable")
    assert reply.error["details"] == {
        "ghlStatus": 400,
        "ghlMessages": ["The slot you have selected is no longer available."],
        "ghlTraceId": "t-slot",
    }
    assert route.call_count == 1


def test_a_ghl_5xx_is_still_a_502(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    ghl_api.get(f"/contacts/{CONTACT_ID}/notes").respond(500, json={"statusCode": 500, "message": "boom"})

    reply = toolkit.call("notes", "GET", f"{BASE}/contacts/{CONTACT_ID}/notes")

    assert (reply.status, reply.code) == (502, "ghl_error")
    assert toolkit.sleeps  # a GET is retried after a 5xx before giving up


# --- GHL's rate limit ---------------------------------------------------------------------------

BURST_SPENT = {
    "X-RateLimit-Interval-Milliseconds": "10000",
    "X-RateLimit-Max": "100",
    "X-RateLimit-Remaining": "0",
}


def test_a_429_past_the_wait_budget_is_answered_at_once(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """The burst window is 10 s: far past the 2 s an interactive request may wait."""
    path = f"/opportunities/{OPPORTUNITY_ID}"
    route = ghl_api.get(path).respond(
        429, json={"statusCode": 429, "message": "Too many requests"}, headers=BURST_SPENT
    )

    reply = toolkit.call("opportunities", "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}")

    assert (reply.status, reply.code) == (429, "rate_limited")
    assert reply.headers["Retry-After"] == "10"
    assert route.call_count == 1
    assert toolkit.sleeps == []


def test_short_429_waits_add_up_to_the_budget_then_the_429_is_answered(
    toolkit: Toolkit, ghl_api: respx.MockRouter
) -> None:
    path = f"/contacts/{CONTACT_ID}/notes"
    route = ghl_api.get(path).respond(429, json={"message": "Too many requests"}, headers={"Retry-After": "0.8"})

    reply = toolkit.call("notes", "GET", f"{BASE}/contacts/{CONTACT_ID}/notes")

    assert (reply.status, reply.code, reply.headers["Retry-After"]) == (429, "rate_limited", "1")  # 0.8 rounded up
    assert toolkit.sleeps == [0.8, 0.8]  # a third 0.8 s would pass the 2 s budget
    assert route.call_count == 3


def test_the_budget_is_a_setting_and_resets_per_invocation(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge.settings import reset_settings

    monkeypatch.setenv("GHL_RATE_LIMIT_WAIT_SECONDS", "1.0")
    reset_settings()
    path = f"/contacts/{CONTACT_ID}/notes"
    limited = httpx.Response(429, json={"message": "Too many requests"}, headers={"Retry-After": "1"})
    ghl_api.get(path).mock(side_effect=[limited, httpx.Response(200, json={"notes": []})] * 2)

    for _ in range(2):  # the second invocation waits again: its budget is its own
        assert toolkit.call("notes", "GET", f"{BASE}/contacts/{CONTACT_ID}/notes").status == 200

    assert toolkit.sleeps == [1.0, 1.0]


def test_a_read_ghl_answers_slowly_ends_before_the_function_does(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each attempt's timeout is cut to the invocation's time left (less a reserve), and no retry is
    started that could not finish: the caller gets 504 ghl_timeout, not Lambda's own timeout.
    A fake clock advances by each attempt's full timeout (GHL never answers) and by each sleep."""
    from ghlbridge import deadline, factories
    from tests.lambda_events import lambda_context

    clock = [1000.0]
    monkeypatch.setattr(deadline.time, "monotonic", lambda: clock[0])
    client = factories.get_ghl_client()

    def sleep(seconds: float) -> None:
        toolkit.sleeps.append(seconds)
        clock[0] += seconds

    def never_answers(request: httpx.Request) -> httpx.Response:
        clock[0] += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("GHL is slow", request=request)

    monkeypatch.setattr(client, "_sleep", sleep)
    route = ghl_api.get(f"/opportunities/{OPPORTUNITY_ID}").mock(side_effect=never_answers)

    reply = toolkit.call(
        "opportunities", "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}", context=lambda_context(remaining_ms=6_000)
    )

    assert (reply.status, reply.code) == (504, "ghl_timeout")
    assert route.call_count >= 2  # it did retry while there was time
    assert clock[0] - 1000.0 <= 6.0 - 0.5  # every attempt and wait ended before the deadline, with the reserve
