"""Every route's success answer validates against the official spec (tests/specs/sbx-openapi).

Five answers differ from the spec on purpose, because live GHL differs from it and the sandbox
follows GHL there. Each deviation is spelled out here and checked on its own:

- `POST /oauth/locationToken` answers 201 (measured on GHL, GHL-NOTES §1.4); the spec only
  declares 200, so the body is validated against the 200 schema.
- `GET /opportunities/pipelines`: the spec types each stage as an array (a generator artifact of
  `any[]`); GHL, and the sandbox, send stage objects `{id, name, position, …}`.
- `GET /calendars/events/appointments/{eventId}`: the spec types the event's `startTime`, `endTime`,
  `dateAdded` and `dateUpdated` as objects (a generator artifact); GHL, and the sandbox, send ISO
  8601 strings with an offset, as the calendars API does everywhere else.
- `GET /calendars/{id}/free-slots`: GHL adds a `traceId` key next to the dates (GHL-NOTES §5),
  which the spec's `additionalProperties` schema cannot describe.
- `GET /conversations/{conversationId}/messages`: GHL nests the page one level deeper than the
  spec's `GetMessagesByConversationResponseDto`: `{"messages": {"lastMessageId", "nextPage",
  "messages": [...]}}` (GHL-NOTES §10.7, issue #54). The inner object is validated against the
  spec's schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from ghlsandbox import (
    DEMO_CALL_PROVIDER_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_COMPANY_ID,
    DEMO_LOCATION_ID,
    DEMO_USER_IDS,
    DISCOVERY_CALENDAR_ID,
    OTHER_LOCATION_ID,
    RESEARCH_OPPORTUNITY_ID,
    SALES_PIPELINE_ID,
)
from ghlsandbox.clock import utc

from tests import leak_guard
from tests.ghl_spec import assert_response_conforms
from tests.sandbox.kit import (
    Ghl,
    contact_field,
    contact_without_conversation,
    conversation_of,
    demo_contacts,
    free_slot,
    research_contact,
)


@dataclass(frozen=True)
class Case:
    method: str
    template: str  # the spec's path template, for the test id
    status: int
    send: Callable[[Ghl], httpx.Response]


def _first_opportunity(sbx: Ghl) -> str:
    return next(o.id for o in sbx.sandbox.state.data.opportunities.values() if o.location_id == DEMO_LOCATION_ID)


def _conversation_id(sbx: Ghl) -> str:
    return next(c.id for c in sbx.sandbox.state.data.conversations.values() if c.location_id == DEMO_LOCATION_ID)


def _token_by_code(sbx: Ghl) -> httpx.Response:
    code = sbx.sandbox.authorize()
    leak_guard.register(code)
    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "grant_type": "authorization_code"}
    return sbx.http.post("/oauth/token", data={**form, "code": code})


def _token_by_refresh(sbx: Ghl) -> httpx.Response:
    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "grant_type": "refresh_token"}
    return sbx.http.post("/oauth/token", data={**form, "refresh_token": sbx.tokens["refresh_token"]})


def _location_token(sbx: Ghl) -> httpx.Response:
    company = sbx.install(user_type="Company")
    return sbx.location_token_from(company["access_token"])


def _update_opportunity(sbx: Ghl) -> httpx.Response:
    pipeline = sbx.sandbox.state.data.pipelines[SALES_PIPELINE_ID]
    body = {
        "pipelineId": pipeline.id,
        "pipelineStageId": pipeline.stages[2].id,
        "status": "won",
        "monetaryValue": 1234.5,
        "assignedTo": DEMO_USER_IDS[1],
        "name": "Renamed deal",
    }
    return sbx.put(f"/opportunities/{_first_opportunity(sbx)}", json=body)


def _free_slots(sbx: Ghl) -> httpx.Response:
    start_ms = int((sbx.clock() + 86_400) * 1000)
    params = {"startDate": start_ms, "endDate": start_ms + 7 * 86_400_000, "timezone": "America/Chicago"}
    return sbx.get(f"/calendars/{DISCOVERY_CALENDAR_ID}/free-slots", params=params)


def _book(sbx: Ghl) -> httpx.Response:
    body = {
        "calendarId": DISCOVERY_CALENDAR_ID,
        "locationId": DEMO_LOCATION_ID,
        "contactId": demo_contacts(sbx)[0].id,
        "startTime": free_slot(sbx, DISCOVERY_CALENDAR_ID),
        "title": "Discovery call",
    }
    return sbx.post("/calendars/events/appointments", json=body)


def _search_users_as_company(sbx: Ghl) -> httpx.Response:
    company = sbx.install(user_type="Company")["access_token"]
    return sbx.get("/users/search", params={"companyId": DEMO_COMPANY_ID, "limit": "3"}, token=company)


def _location_as_company(sbx: Ghl) -> httpx.Response:
    company = sbx.install(user_type="Company")["access_token"]
    return sbx.get(f"/locations/{OTHER_LOCATION_ID}", token=company)


def _research_history(sbx: Ghl) -> httpx.Response:
    return sbx.get(f"/conversations/{conversation_of(sbx, research_contact(sbx)).id}/messages")


def _update_contact(sbx: Ghl) -> httpx.Response:
    contact = research_contact(sbx)
    industry = contact_field(sbx, "contact.industry")
    body = {
        "firstName": "Lena",
        "companyName": "Lakeview Logistics",
        "tags": ["toolkit", "renewal"],
        "customFields": [
            {"id": industry.id, "field_value": industry.picklist_options[0]},
            {"key": "contact.lead_score", "field_value": 91},
            {"key": "preferred_channels", "fieldValue": ["Email", "Phone"]},
        ],
    }
    return sbx.put(f"/contacts/{contact.id}", json=body)


def _a_task(sbx: Ghl) -> str:
    """The path of one of the research contact's tasks."""
    contact = research_contact(sbx)
    return f"/contacts/{contact.id}/tasks/{sbx.sandbox.state.data.tasks_of(contact.id)[0].id}"


def _create_task(sbx: Ghl) -> httpx.Response:
    body = {
        "title": "Send the revised proposal",
        "body": "With the multi-site discount.",
        "dueDate": "2030-01-15T15:00:00Z",
        "completed": False,
        "assignedTo": DEMO_USER_IDS[0],
    }
    return sbx.post(f"/contacts/{research_contact(sbx).id}/tasks", json=body)


def _upcoming_appointment(sbx: Ghl) -> str:
    """The id of a booked appointment of the demo location that is still ahead."""
    now = utc(sbx.clock())
    return next(
        a.id
        for a in sbx.sandbox.state.data.appointments.values()
        if a.location_id == DEMO_LOCATION_ID and a.start > now and a.blocks
    )


def _reschedule(sbx: Ghl) -> httpx.Response:
    event_id = _upcoming_appointment(sbx)
    calendar_id = sbx.sandbox.state.data.appointments[event_id].calendar_id
    body = {"startTime": free_slot(sbx, calendar_id), "title": "Moved call", "toNotify": False}
    return sbx.put(f"/calendars/events/appointments/{event_id}", json=body)


def _an_email(sbx: Ghl) -> httpx.Response:
    conversation = conversation_of(sbx, research_contact(sbx))
    messages = sbx.get(f"/conversations/{conversation.id}/messages", params={"type": "TYPE_EMAIL"}).json()
    email_id = messages["messages"]["messages"][0]["meta"]["email"]["messageIds"][0]
    return sbx.get(f"/conversations/messages/email/{email_id}")


CASES = [
    Case("POST", "/oauth/token (authorization_code)", 200, _token_by_code),
    Case("POST", "/oauth/token (refresh_token)", 200, _token_by_refresh),
    Case("POST", "/oauth/locationToken", 201, _location_token),
    Case(
        "GET",
        "/opportunities/search",
        200,
        lambda sbx: sbx.get("/opportunities/search", params={"location_id": DEMO_LOCATION_ID, "limit": 5}),
    ),
    Case(
        "GET",
        "/opportunities/pipelines",
        200,
        lambda sbx: sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID}),
    ),
    Case("GET", "/opportunities/{id}", 200, lambda sbx: sbx.get(f"/opportunities/{_first_opportunity(sbx)}")),
    Case("PUT", "/opportunities/{id}", 200, _update_opportunity),
    Case("GET", "/contacts/{contactId}", 200, lambda sbx: sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}")),
    Case("GET", "/contacts/{contactId}/notes", 200, lambda sbx: sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}/notes")),
    Case(
        "POST",
        "/contacts/{contactId}/notes",
        201,
        lambda sbx: sbx.post(
            f"/contacts/{demo_contacts(sbx)[0].id}/notes",
            json={"body": "Called, left a voicemail.", "userId": DEMO_USER_IDS[0]},
        ),
    ),
    Case(
        "POST",
        "/contacts/{contactId}/tags",
        201,
        lambda sbx: sbx.post(f"/contacts/{demo_contacts(sbx)[0].id}/tags", json={"tags": ["Toolkit"]}),
    ),
    Case(
        "GET",
        "/conversations/search",
        200,
        lambda sbx: sbx.get("/conversations/search", params={"locationId": DEMO_LOCATION_ID}),
    ),
    Case(
        "POST",
        "/conversations/",
        201,
        lambda sbx: sbx.post(
            "/conversations/", json={"locationId": DEMO_LOCATION_ID, "contactId": contact_without_conversation(sbx).id}
        ),
    ),
    Case(
        "POST",
        "/conversations/messages",
        200,
        lambda sbx: sbx.post(
            "/conversations/messages",
            json={
                "type": "Email",
                "contactId": demo_contacts(sbx)[0].id,
                "subject": "Hello",
                "html": "<p>Hi!</p>",
                "emailCc": ["boss@example.com"],
            },
        ),
    ),
    Case(
        "POST",
        "/conversations/messages (emailFrom)",
        200,
        lambda sbx: sbx.post(
            "/conversations/messages",
            json={
                "type": "Email",
                "contactId": demo_contacts(sbx)[0].id,
                "subject": "Hello",
                "html": "<p>Hi!</p>",
                "emailFrom": "marcus@sandbox-agency.example",
            },
        ),
    ),
    Case(
        "POST",
        "/conversations/messages/outbound",
        200,
        lambda sbx: sbx.post(
            "/conversations/messages/outbound",
            json={
                "type": "Call",
                "conversationId": _conversation_id(sbx),
                "conversationProviderId": DEMO_CALL_PROVIDER_ID,
                "call": {"to": "+15125550100", "from": "+15125550199", "status": "completed"},
            },
        ),
    ),
    Case("GET", "/calendars/", 200, lambda sbx: sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID})),
    Case("GET", "/calendars/{calendarId}/free-slots", 200, _free_slots),
    Case("POST", "/calendars/events/appointments", 200, _book),
    Case("GET", "/users/search", 200, lambda sbx: sbx.get("/users/search", params={"companyId": DEMO_COMPANY_ID})),
    Case("GET", "/users/search (Company token)", 200, _search_users_as_company),
    Case("GET", "/users/", 200, lambda sbx: sbx.get("/users/", params={"locationId": DEMO_LOCATION_ID})),
    Case("GET", "/users/{userId}", 200, lambda sbx: sbx.get(f"/users/{DEMO_USER_IDS[0]}")),
    Case("GET", "/locations/{locationId}", 200, lambda sbx: sbx.get(f"/locations/{DEMO_LOCATION_ID}")),
    Case("GET", "/locations/{locationId} (Company token)", 200, _location_as_company),
    Case(
        "GET",
        "/locations/{locationId}/customFields",
        200,
        lambda sbx: sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields", params={"model": "all"}),
    ),
    Case(
        "GET",
        "/locations/{locationId}/customFields/{id}",
        200,
        lambda sbx: sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields/contact.products_of_interest"),
    ),
    Case("GET", "/contacts/{contactId}/tasks", 200, lambda sbx: sbx.get(f"/contacts/{research_contact(sbx).id}/tasks")),
    Case(
        "GET",
        "/contacts/{contactId}/appointments",
        200,
        lambda sbx: sbx.get(f"/contacts/{research_contact(sbx).id}/appointments"),
    ),
    Case("GET", "/conversations/{conversationId}/messages", 200, _research_history),
    Case("GET", "/conversations/messages/email/{id}", 200, _an_email),
    Case("PUT", "/contacts/{contactId}", 200, _update_contact),
    Case("POST", "/contacts/{contactId}/tasks", 201, _create_task),
    Case("GET", "/contacts/{contactId}/tasks/{taskId}", 200, lambda sbx: sbx.get(_a_task(sbx))),
    Case(
        "PUT",
        "/contacts/{contactId}/tasks/{taskId}",
        200,
        lambda sbx: sbx.put(_a_task(sbx), json={"title": "Call back", "dueDate": "2030-02-01T09:00:00Z"}),
    ),
    Case(
        "PUT",
        "/contacts/{contactId}/tasks/{taskId}/completed",
        200,
        lambda sbx: sbx.put(f"{_a_task(sbx)}/completed", json={"completed": True}),
    ),
    Case("DELETE", "/contacts/{contactId}/tasks/{taskId}", 200, lambda sbx: sbx.delete(_a_task(sbx))),
    Case(
        "PUT",
        "/opportunities/{id}/status",
        200,
        lambda sbx: sbx.put(f"/opportunities/{RESEARCH_OPPORTUNITY_ID}/status", json={"status": "won"}),
    ),
    Case(
        "GET",
        "/calendars/events/appointments/{eventId}",
        200,
        lambda sbx: sbx.get(f"/calendars/events/appointments/{_upcoming_appointment(sbx)}"),
    ),
    Case("PUT", "/calendars/events/appointments/{eventId}", 200, _reschedule),
    Case(
        "PUT",
        "/calendars/events/appointments/{eventId} (cancel)",
        200,
        lambda sbx: sbx.put(
            f"/calendars/events/appointments/{_upcoming_appointment(sbx)}", json={"appointmentStatus": "cancelled"}
        ),
    ),
    Case(
        "DELETE",
        "/calendars/events/{eventId}",
        201,
        lambda sbx: sbx.delete(f"/calendars/events/{_upcoming_appointment(sbx)}", json={}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{case.method} {case.template}" for case in CASES])
def test_success_answer_conforms_to_the_spec(sbx: Ghl, case: Case) -> None:
    response = case.send(sbx)

    assert response.status_code == case.status, response.text
    assert response.headers["traceId"], "every answer carries a traceId header"
    body: Any = response.json()
    assert body, "a success answer has a body"
    path = response.request.url.path
    if path == "/oauth/locationToken":
        _check_location_token(body)
        assert_response_conforms("POST", path, 200, body)
    elif path == "/opportunities/pipelines":
        _check_pipeline_stages(body)
        assert_response_conforms("GET", path, 200, {"pipelines": [{**p, "stages": []} for p in body["pipelines"]]})
    elif path.endswith("/free-slots"):
        assert body.pop("traceId") == response.headers["traceId"]
        assert body, "the next week of weekdays has free slots"
        assert_response_conforms("GET", path, 200, body)
    elif case.template == "/calendars/events/appointments/{eventId}" and case.method == "GET":
        _check_write_back(sbx, case, body)
        times = ("startTime", "endTime", "dateAdded", "dateUpdated")
        assert all(datetime.fromisoformat(body["event"][name]).utcoffset() is not None for name in times)
        assert_response_conforms("GET", path, 200, {"event": {**body["event"], **{key: {} for key in times}}})
    elif case.template == "/conversations/{conversationId}/messages":
        assert list(body) == ["messages"], "live GHL's nested shape"
        _check_history(body["messages"])
        assert_response_conforms("GET", path, 200, body["messages"])
    else:
        if path.startswith("/users/"):
            _check_users(body)
        if case.method == "GET":
            _check_research_bodies(case.template.split(" (")[0], body)
        _check_write_back(sbx, case, body)
        assert_response_conforms(case.method, path, case.status, body)


def _check_location_token(body: dict[str, Any]) -> None:
    assert body["locationId"] == DEMO_LOCATION_ID
    assert "refresh_token" not in body


def _check_pipeline_stages(body: dict[str, Any]) -> None:
    for pipeline in body["pipelines"]:
        assert 4 <= len(pipeline["stages"]) <= 7
        for position, stage in enumerate(pipeline["stages"]):
            assert set(stage) >= {"id", "name", "position"}
            assert stage["position"] == position


def _check_users(body: dict[str, Any]) -> None:
    """A users answer is not vacuous: it carries users with their identity and role."""
    users = body.get("users", [body])
    assert users
    for user in users:
        assert user["id"] and user["email"] and user["name"] == f"{user['firstName']} {user['lastName']}"
        assert user["roles"]["role"] in ("admin", "user") and user["roles"]["locationIds"]
    if "count" in body:
        assert body["count"] >= len(users)


def _check_history(page: dict[str, Any]) -> None:
    """A history page is not vacuous: calls, SMS and e-mails, e-mails without a body."""
    messages = page["messages"]
    assert messages and page["lastMessageId"] == messages[-1]["id"]
    assert {message["messageType"] for message in messages} == {"TYPE_CALL", "TYPE_SMS", "TYPE_EMAIL"}
    for message in messages:
        assert message["type"] == {"TYPE_CALL": 1, "TYPE_SMS": 2, "TYPE_EMAIL": 3}[message["messageType"]]
        if message["messageType"] == "TYPE_EMAIL":
            assert "body" not in message and message["meta"]["email"]["messageIds"]
        elif message["messageType"] == "TYPE_SMS":
            assert message["body"]
        else:
            assert message["meta"]["callStatus"]


def _check_research_bodies(template: str, body: dict[str, Any]) -> None:
    """The research routes' answers carry what a brief needs (their schemas require almost
    nothing, so conformance alone would pass an empty object)."""
    match template:
        case "/locations/{locationId}":
            location = body["location"]
            assert location["name"] and location["timezone"] == location["business"]["timezone"]
            assert location["timezone"] in ("America/Chicago", "America/New_York")
        case "/locations/{locationId}/customFields":
            assert {field["model"] for field in body["customFields"]} == {"contact", "opportunity"}
        case "/locations/{locationId}/customFields/{id}":
            assert body["customField"]["picklistOptions"] and body["customField"]["dataType"] == "MULTIPLE_OPTIONS"
        case "/contacts/{contactId}/tasks":
            assert {task["completed"] for task in body["tasks"]} == {True, False}
        case "/contacts/{contactId}/appointments":
            assert len(body["events"]) >= 2 and all(event["startTime"] for event in body["events"])
        case "/conversations/messages/email/{id}":
            assert body["subject"] and body["body"].startswith("<p>") and body["to"]


def _check_write_back(sbx: Ghl, case: Case, body: dict[str, Any]) -> None:
    """The write-back answers carry what was written (their schemas require almost nothing), and
    the spec's spellings of `succeded` / `succeeded`."""
    match case.method, case.template:
        case "PUT", "/contacts/{contactId}":
            assert body["succeded"] is True and body["contact"]["companyName"] == "Lakeview Logistics"
            assert {"id": contact_field(sbx, "contact.lead_score").id, "value": "91"} in body["contact"]["customFields"]
            assert body["contact"]["tags"] == ["toolkit", "renewal"]
        case "POST", "/contacts/{contactId}/tasks":
            assert body["task"]["id"] in sbx.sandbox.state.data.tasks
            assert body["task"]["dueDate"] == "2030-01-15T15:00:00.000Z" and body["task"]["completed"] is False
        case ("GET" | "PUT", "/contacts/{contactId}/tasks/{taskId}") | (
            "PUT",
            "/contacts/{contactId}/tasks/{taskId}/completed",
        ):
            assert set(body["task"]) >= {"id", "title", "body", "dueDate", "completed", "contactId"}
        case "DELETE", "/contacts/{contactId}/tasks/{taskId}":
            assert body == {"succeded": True}
        case "PUT", "/opportunities/{id}/status":
            assert body == {"succeded": True}
            assert sbx.sandbox.state.data.opportunities[RESEARCH_OPPORTUNITY_ID].status == "won"
        case "GET", "/calendars/events/appointments/{eventId}":
            found = sbx.sandbox.state.data.appointments[body["event"]["id"]]
            assert (body["event"]["calendarId"], body["event"]["locationId"]) == (found.calendar_id, found.location_id)
        case "PUT", "/calendars/events/appointments/{eventId}":
            assert body["title"] == "Moved call" and body["appointmentStatus"] in ("new", "confirmed")
        case "PUT", "/calendars/events/appointments/{eventId} (cancel)":
            assert body["appointmentStatus"] == "cancelled" and body["id"] in sbx.sandbox.state.data.appointments
        case "DELETE", "/calendars/events/{eventId}":
            assert body == {"succeeded": True}


def test_error_answers_conform_to_the_common_error_schemas(sbx: Ghl) -> None:
    """400, 401 and 422 bodies have the shapes of common-schemas.json (with `traceId` added), the
    users API's "The user does not exist." 401 too."""
    bad_request = sbx.get(f"/contacts/{'x' * 20}")
    unauthorized = sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}", token="not-a-token")
    unprocessable = sbx.get("/opportunities/search", params={"limit": 500})

    no_user = sbx.get("/users/doesNotExist00000000")

    for response, status in ((bad_request, 400), (unauthorized, 401), (unprocessable, 422), (no_user, 401)):
        assert response.status_code == status
        body = response.json()
        assert body["traceId"] == response.headers["traceId"]
        path = response.request.url.path
        assert_response_conforms("GET", path, status, body)
    assert unprocessable.json()["message"] == ["location_id should not be empty", "limit must not be greater than 100"]
