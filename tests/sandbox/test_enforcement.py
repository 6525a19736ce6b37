"""What GHL enforces on every call: the Version header per group, the bearer token (class,
expiry, scope, location), well-formed requests, rate limits, and a traceId on every answer.
A refused request changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from ghlsandbox import (
    ALL_SCOPES,
    DEMO_CALL_PROVIDER_ID,
    DEMO_LOCATION_ID,
    DISCOVERY_CALENDAR_ID,
    LONG_CONVERSATION_ID,
    OTHER_CALENDAR_ID,
    OTHER_LOCATION_ID,
    RESEARCH_OPPORTUNITY_ID,
    SALES_PIPELINE_ID,
    FaultRule,
)
from ghlsandbox.routing import Call, Reply, Route

from tests.sandbox.kit import (
    Ghl,
    contact_without_conversation,
    conversation_of,
    demo_contacts,
    research_contact,
    version_for,
)

AUTH_CLASS = (
    "This authClass type is not allowed to access this scope. "
    "Please verify your IAM configuration if this is not the case."
)
NO_ACCESS = "The token does not have access to this location."


def _without_trace(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "traceId"}


# --- Version ----------------------------------------------------------------------------------------

GROUP_PATHS = [
    ("/opportunities/pipelines", {"locationId": DEMO_LOCATION_ID}),
    ("/conversations/search", {"locationId": DEMO_LOCATION_ID}),
    ("/calendars/", {"locationId": DEMO_LOCATION_ID}),
]


@pytest.mark.parametrize(("path", "params"), GROUP_PATHS)
def test_a_missing_version_header_is_a_401(sbx: Ghl, path: str, params: dict[str, str]) -> None:
    response = sbx.http.get(path, params=params, headers={"Authorization": f"Bearer {sbx.token}"})

    assert response.status_code == 401
    assert _without_trace(response.json()) == {"statusCode": 401, "message": "version header was not found."}


@pytest.mark.parametrize(("path", "params"), GROUP_PATHS)
def test_the_other_groups_version_is_a_400(sbx: Ghl, path: str, params: dict[str, str]) -> None:
    wrong = "2021-07-28" if version_for(path) == "2021-04-15" else "2021-04-15"

    response = sbx.get(path, params=params, headers={"Version": wrong})

    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid API version segment")


def test_lenient_versions_accept_any_published_value(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(strict_versions=False)

    other_group = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}, headers={"Version": "2021-07-28"})
    unknown = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}, headers={"Version": "2099-01-01"})

    assert other_group.status_code == 200 and len(other_group.json()["calendars"]) == 3
    assert unknown.status_code == 400


def test_the_token_endpoint_needs_no_version(sbx: Ghl) -> None:
    """`POST /oauth/token` declares no Version in the v2 spec (the fixture's install sent none)."""
    assert sbx.tokens["access_token"].startswith("sbx_at_")
    versions = [r.version for r in sbx.sandbox.state.requests if r.path == "/oauth/token"]
    assert versions == [None]


# --- bearer token ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer sbx_at_unknown", "Basic dXNlcjpwYXNz", "bearer sbx_at_x"]
)
def test_missing_or_unknown_tokens_are_invalid_jwt(sbx: Ghl, authorization: str | None) -> None:
    headers = {"Version": "2021-07-28"} | ({"Authorization": authorization} if authorization is not None else {})

    response = sbx.http.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID}, headers=headers)

    assert response.status_code == 401
    assert _without_trace(response.json()) == {"statusCode": 401, "message": "Invalid JWT"}
    assert "X-RateLimit-Remaining" not in response.headers, "an unauthenticated call is not counted"


def test_a_company_token_on_a_sub_account_route_is_refused(sbx: Ghl) -> None:
    company = sbx.install(user_type="Company")["access_token"]

    response = sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID}, token=company)

    assert response.status_code == 401
    assert response.json()["message"] == AUTH_CLASS


def test_a_token_without_the_scope_is_refused(sbx: Ghl) -> None:
    narrow = sbx.install(scope="contacts.readonly")["access_token"]

    allowed = sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}", token=narrow)
    refused = sbx.post(f"/contacts/{demo_contacts(sbx)[0].id}/tags", json={"tags": ["x"]}, token=narrow)

    assert allowed.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["message"] == "The token is not authorized for this scope."


# --- location access ---------------------------------------------------------------------------------------


def _other_location_records(sbx: Ghl) -> dict[str, str]:
    data = sbx.sandbox.state.data
    task = next(t for t in data.tasks.values() if t.location_id == OTHER_LOCATION_ID)
    return {
        "contact": next(c.id for c in data.contacts.values() if c.location_id == OTHER_LOCATION_ID),
        "opportunity": next(o.id for o in data.opportunities.values() if o.location_id == OTHER_LOCATION_ID),
        "conversation": next(c.id for c in data.conversations.values() if c.location_id == OTHER_LOCATION_ID),
        "email": next(
            m.email_message_id for m in data.messages.values() if m.location_id == OTHER_LOCATION_ID and m.email
        ),
        "task": task.id,
        "task_contact": task.contact_id,
        "appointment": next(a.id for a in data.appointments.values() if a.location_id == OTHER_LOCATION_ID),
    }


def test_another_locations_id_in_query_or_body_is_a_403(sbx: Ghl) -> None:
    other = _other_location_records(sbx)
    calls = [
        sbx.get("/opportunities/search", params={"location_id": OTHER_LOCATION_ID}),
        sbx.get("/opportunities/pipelines", params={"locationId": OTHER_LOCATION_ID}),
        sbx.get("/conversations/search", params={"locationId": OTHER_LOCATION_ID}),
        sbx.get("/calendars/", params={"locationId": OTHER_LOCATION_ID}),
        sbx.post("/conversations/", json={"locationId": OTHER_LOCATION_ID, "contactId": other["contact"]}),
    ]

    for response in calls:
        assert response.status_code == 403, response.request.url
        assert _without_trace(response.json()) == {"statusCode": 403, "message": NO_ACCESS}


def test_another_locations_record_is_a_403(sbx: Ghl) -> None:
    other = _other_location_records(sbx)
    before = sbx.sandbox.state.snapshot()
    calls = [
        sbx.get(f"/contacts/{other['contact']}"),
        sbx.get(f"/contacts/{other['contact']}/notes"),
        sbx.post(f"/contacts/{other['contact']}/notes", json={"body": "not yours"}),
        sbx.post(f"/contacts/{other['contact']}/tags", json={"tags": ["not yours"]}),
        sbx.get(f"/opportunities/{other['opportunity']}"),
        sbx.put(f"/opportunities/{other['opportunity']}", json={"name": "not yours"}),
        sbx.post("/conversations/messages", json={"type": "Email", "contactId": other["contact"], "html": "x"}),
        sbx.post(
            "/conversations/messages/outbound",
            json={
                "type": "Call",
                "conversationId": other["conversation"],
                "conversationProviderId": DEMO_CALL_PROVIDER_ID,
            },
        ),
        sbx.get(f"/calendars/{OTHER_CALENDAR_ID}/free-slots", params={"startDate": 0, "endDate": 86_400_000}),
        sbx.get(f"/locations/{OTHER_LOCATION_ID}"),
        sbx.get(f"/locations/{OTHER_LOCATION_ID}/customFields", params={"model": "all"}),
        sbx.get(f"/locations/{OTHER_LOCATION_ID}/customFields/contact.industry"),
        sbx.get(f"/contacts/{other['contact']}/tasks"),
        sbx.get(f"/contacts/{other['contact']}/appointments"),
        sbx.get(f"/conversations/{other['conversation']}/messages"),
        sbx.get(f"/conversations/messages/email/{other['email']}"),
        sbx.put(f"/contacts/{other['contact']}", json={"firstName": "not yours"}),
        sbx.post(
            f"/contacts/{other['contact']}/tasks",
            json={"title": "not yours", "dueDate": "2030-01-01T00:00:00Z", "completed": False},
        ),
        sbx.put(f"/contacts/{other['task_contact']}/tasks/{other['task']}", json={"title": "not yours"}),
        sbx.put(f"/contacts/{other['task_contact']}/tasks/{other['task']}/completed", json={"completed": True}),
        sbx.delete(f"/contacts/{other['task_contact']}/tasks/{other['task']}"),
        sbx.put(f"/opportunities/{other['opportunity']}/status", json={"status": "won"}),
        sbx.put(f"/calendars/events/appointments/{other['appointment']}", json={"appointmentStatus": "cancelled"}),
        sbx.delete(f"/calendars/events/{other['appointment']}", json={}),
    ]

    assert [response.status_code for response in calls] == [403] * len(calls)
    assert {response.json()["message"] for response in calls} == {NO_ACCESS}
    assert sbx.sandbox.state.snapshot() == before


def test_unknown_ids_are_a_400_not_found(sbx: Ghl) -> None:
    unknown = "x" * 20

    contact = sbx.get(f"/contacts/{unknown}")
    opportunity = sbx.get(f"/opportunities/{unknown}")
    calendar = sbx.get(f"/calendars/{unknown}/free-slots", params={"startDate": 0, "endDate": 1})

    assert (contact.status_code, contact.json()["message"]) == (400, "Contact not found")
    assert (opportunity.status_code, opportunity.json()["message"]) == (400, "Opportunity not found")
    assert (calendar.status_code, calendar.json()["message"]) == (400, "Calendar not found")
    for path, message in (
        (f"/contacts/{unknown}/tasks", "Contact not found"),
        (f"/contacts/{unknown}/appointments", "Contact not found"),
        (f"/conversations/{unknown}/messages", "Conversation not found"),
        (f"/conversations/messages/email/{unknown}", "Email not found"),
        (f"/locations/{DEMO_LOCATION_ID}/customFields/{unknown}", "Custom field not found"),
        (f"/contacts/{research_contact(sbx).id}/tasks/{unknown}", "Task not found"),
    ):
        response = sbx.get(path)
        assert (response.status_code, response.json()["message"]) == (400, message), path
    before = sbx.sandbox.state.snapshot()
    for response, message in (
        (sbx.put(f"/contacts/{unknown}", json={"firstName": "x"}), "Contact not found"),
        (
            sbx.put(f"/contacts/{research_contact(sbx).id}/tasks/{unknown}/completed", json={"completed": True}),
            "Task not found",
        ),
        (sbx.delete(f"/contacts/{research_contact(sbx).id}/tasks/{unknown}"), "Task not found"),
        (sbx.put(f"/opportunities/{unknown}/status", json={"status": "won"}), "Opportunity not found"),
        (sbx.put(f"/calendars/events/appointments/{unknown}", json={"title": "x"}), "Appointment not found"),
        (sbx.delete(f"/calendars/events/{unknown}", json={}), "Appointment not found"),
    ):
        assert (response.status_code, response.json()["message"]) == (400, message), response.request.url
    assert sbx.sandbox.state.snapshot() == before


# --- the research context's read routes ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadRoute:
    name: str
    version: str
    scope: str
    company: bool  # the spec lets an Agency (Company) token call it too
    path: Callable[[Ghl], str]


def _an_email_id(sbx: Ghl) -> str:
    conversation = conversation_of(sbx, research_contact(sbx))
    return next(m.email_message_id for m in sbx.sandbox.state.data.history(conversation.id) if m.email)


def _a_task_id(sbx: Ghl) -> str:
    return sbx.sandbox.state.data.tasks_of(research_contact(sbx).id)[0].id


READ_ROUTES = [
    ReadRoute("location", "2021-07-28", "locations.readonly", True, lambda sbx: f"/locations/{DEMO_LOCATION_ID}"),
    ReadRoute(
        "custom fields",
        "2021-07-28",
        "locations/customFields.readonly",
        False,
        lambda sbx: f"/locations/{DEMO_LOCATION_ID}/customFields",
    ),
    ReadRoute(
        "custom field",
        "2021-07-28",
        "locations/customFields.readonly",
        False,
        lambda sbx: f"/locations/{DEMO_LOCATION_ID}/customFields/contact.industry",
    ),
    ReadRoute(
        "tasks", "2021-07-28", "contacts.readonly", False, lambda sbx: f"/contacts/{research_contact(sbx).id}/tasks"
    ),
    ReadRoute(
        "task",
        "2021-07-28",
        "contacts.readonly",
        False,
        lambda sbx: f"/contacts/{research_contact(sbx).id}/tasks/{_a_task_id(sbx)}",
    ),
    ReadRoute(
        "appointments",
        "2021-07-28",
        "contacts.readonly",
        False,
        lambda sbx: f"/contacts/{research_contact(sbx).id}/appointments",
    ),
    ReadRoute(
        "history",
        "2021-04-15",
        "conversations/message.readonly",
        False,
        lambda sbx: f"/conversations/{LONG_CONVERSATION_ID}/messages",
    ),
    ReadRoute(
        "email",
        "2021-04-15",
        "conversations/message.readonly",
        False,
        lambda sbx: f"/conversations/messages/email/{_an_email_id(sbx)}",
    ),
]


@pytest.mark.parametrize("route", READ_ROUTES, ids=[route.name for route in READ_ROUTES])
def test_research_routes_take_their_groups_version_only(sbx: Ghl, route: ReadRoute) -> None:
    path = route.path(sbx)
    other = "2021-04-15" if route.version == "2021-07-28" else "2021-07-28"

    missing = sbx.http.get(path, headers={"Authorization": f"Bearer {sbx.token}"})
    wrong = sbx.get(path, headers={"Version": other})
    right = sbx.get(path, headers={"Version": route.version})

    assert version_for(path) == route.version
    assert (missing.status_code, missing.json()["message"]) == (401, "version header was not found.")
    assert wrong.status_code == 400 and wrong.json()["message"].startswith("Invalid API version segment")
    assert right.status_code == 200


@pytest.mark.parametrize("route", READ_ROUTES, ids=[route.name for route in READ_ROUTES])
def test_research_routes_need_their_scope(sbx: Ghl, route: ReadRoute) -> None:
    others = " ".join(scope for scope in ALL_SCOPES.split() if scope != route.scope)
    without = sbx.install(scope=others)["access_token"]
    only = sbx.install(scope=route.scope)["access_token"]
    path = route.path(sbx)

    refused = sbx.get(path, token=without)
    allowed = sbx.get(path, token=only)

    assert route.scope in ALL_SCOPES.split(), "the demo app can be granted it at install"
    assert (refused.status_code, refused.json()["message"]) == (401, "The token is not authorized for this scope.")
    assert allowed.status_code == 200


@pytest.mark.parametrize("route", READ_ROUTES, ids=[route.name for route in READ_ROUTES])
def test_research_routes_take_the_specs_token_class(sbx: Ghl, route: ReadRoute) -> None:
    company = sbx.install(user_type="Company")["access_token"]

    response = sbx.get(route.path(sbx), token=company)

    if route.company:
        assert response.status_code == 200
    else:
        assert (response.status_code, response.json()["message"]) == (401, AUTH_CLASS)


def test_research_routes_are_faulted_counted_and_logged_like_the_others(sbx: Ghl) -> None:
    path = f"/conversations/{LONG_CONVERSATION_ID}/messages"
    sbx.sandbox.add_fault(FaultRule("GET /conversations/*/messages", "status", value=503, count=1))

    faulted = sbx.get(path)
    answered = sbx.get(path)

    assert faulted.status_code == 503 and answered.status_code == 200
    assert answered.headers["X-RateLimit-Remaining"] == "99", "the faulted call never reached the limiter"
    logged = [(r.status, r.version) for r in sbx.sandbox.state.requests if r.path == path]
    assert logged == [(503, "2021-04-15"), (200, "2021-04-15")]


# --- the write-back routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteRoute:
    name: str
    method: str
    version: str
    scope: str
    path: Callable[[Ghl], str]
    body: dict[str, Any]
    status: int = 200


def _future_appointment(sbx: Ghl) -> str:
    return next(
        a.id
        for a in sbx.sandbox.state.data.appointments.values()
        if a.location_id == DEMO_LOCATION_ID
        and a.blocks
        and a.calendar_id == DISCOVERY_CALENDAR_ID
        and a.start.timestamp() > sbx.clock()
    )


def _research_task(sbx: Ghl) -> str:
    return f"/contacts/{research_contact(sbx).id}/tasks/{_a_task_id(sbx)}"


WRITE_ROUTES = [
    WriteRoute(
        "update contact",
        "PUT",
        "2021-07-28",
        "contacts.write",
        lambda sbx: f"/contacts/{research_contact(sbx).id}",
        {"firstName": "Changed", "customFields": [{"key": "contact.lead_score", "field_value": 99}]},
    ),
    WriteRoute(
        "create task",
        "POST",
        "2021-07-28",
        "contacts.write",
        lambda sbx: f"/contacts/{research_contact(sbx).id}/tasks",
        {"title": "Call back", "dueDate": "2030-01-15T15:00:00Z", "completed": False},
        201,
    ),
    WriteRoute("update task", "PUT", "2021-07-28", "contacts.write", _research_task, {"title": "Renamed"}),
    WriteRoute(
        "complete task",
        "PUT",
        "2021-07-28",
        "contacts.write",
        lambda sbx: f"{_research_task(sbx)}/completed",
        {"completed": True},
    ),
    WriteRoute("delete task", "DELETE", "2021-07-28", "contacts.write", _research_task, {}),
    WriteRoute(
        "opportunity status",
        "PUT",
        "2021-07-28",
        "opportunities.write",
        lambda sbx: f"/opportunities/{RESEARCH_OPPORTUNITY_ID}/status",
        {"status": "lost"},
    ),
    WriteRoute(
        "edit appointment",
        "PUT",
        "2021-04-15",
        "calendars/events.write",
        lambda sbx: f"/calendars/events/appointments/{_future_appointment(sbx)}",
        {"appointmentStatus": "cancelled"},
    ),
    WriteRoute(
        "delete event",
        "DELETE",
        "2021-04-15",
        "calendars/events.write",
        lambda sbx: f"/calendars/events/{_future_appointment(sbx)}",
        {},
        201,
    ),
]


def _write(sbx: Ghl, route: WriteRoute, path: str, **kwargs: Any) -> httpx.Response:
    return sbx.request(route.method, path, json=route.body, **kwargs)


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=[route.name for route in WRITE_ROUTES])
def test_write_routes_take_their_groups_version_only(sbx: Ghl, route: WriteRoute) -> None:
    path = route.path(sbx)
    other = "2021-04-15" if route.version == "2021-07-28" else "2021-07-28"
    before = sbx.sandbox.state.snapshot()

    missing = sbx.http.request(route.method, path, json=route.body, headers={"Authorization": f"Bearer {sbx.token}"})
    wrong = _write(sbx, route, path, headers={"Version": other})
    unchanged = sbx.sandbox.state.snapshot() == before
    right = _write(sbx, route, path, headers={"Version": route.version})

    assert version_for(path) == route.version
    assert (missing.status_code, missing.json()["message"]) == (401, "version header was not found.")
    assert wrong.status_code == 400 and wrong.json()["message"].startswith("Invalid API version segment")
    assert unchanged, "a refused write changes nothing"
    assert right.status_code == route.status, right.text
    assert sbx.sandbox.state.snapshot() != before, "the accepted write changed something"


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=[route.name for route in WRITE_ROUTES])
def test_write_routes_need_their_scope(sbx: Ghl, route: WriteRoute) -> None:
    others = " ".join(scope for scope in ALL_SCOPES.split() if scope != route.scope)
    without = sbx.install(scope=others)["access_token"]
    only = sbx.install(scope=route.scope)["access_token"]
    path = route.path(sbx)
    before = sbx.sandbox.state.snapshot()

    refused = _write(sbx, route, path, token=without)
    unchanged = sbx.sandbox.state.snapshot() == before
    allowed = _write(sbx, route, path, token=only)

    assert route.scope in ALL_SCOPES.split(), "the demo app can be granted it at install"
    assert (refused.status_code, refused.json()["message"]) == (401, "The token is not authorized for this scope.")
    assert unchanged
    assert allowed.status_code == route.status, allowed.text


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=[route.name for route in WRITE_ROUTES])
def test_write_routes_refuse_an_agency_token(sbx: Ghl, route: WriteRoute) -> None:
    company = sbx.install(user_type="Company")["access_token"]
    path = route.path(sbx)
    before = sbx.sandbox.state.snapshot()

    response = _write(sbx, route, path, token=company)

    assert (response.status_code, response.json()["message"]) == (401, AUTH_CLASS)
    assert sbx.sandbox.state.snapshot() == before


# --- malformed requests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing/here"), ("DELETE", "/opportunities/search"), ("PATCH", "/contacts/abc"), ("GET", "/")],
)
def test_unknown_routes_and_methods_are_a_404(sbx: Ghl, method: str, path: str) -> None:
    response = sbx.request(method, path)

    assert response.status_code == 404
    assert _without_trace(response.json()) == {
        "statusCode": 404,
        "message": f"Cannot {method} {path}",
        "error": "Not Found",
    }


def test_bad_json_is_a_400_and_stores_nothing(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[0]
    before = sbx.sandbox.state.snapshot()

    broken = sbx.post(
        f"/contacts/{contact.id}/notes", content=b'{"body": "half', headers={"Content-Type": "application/json"}
    )
    not_an_object = sbx.post(f"/contacts/{contact.id}/notes", json=["body"])

    assert broken.status_code == 400
    assert broken.json()["message"].startswith("Unexpected token in JSON at position")
    assert not_an_object.status_code == 400
    assert sbx.sandbox.state.snapshot() == before


def test_missing_and_unknown_fields_are_a_422_with_a_message_array(sbx: Ghl) -> None:
    search = sbx.get("/opportunities/search", params={"locationId": DEMO_LOCATION_ID, "status": "closed"})
    note = sbx.post(f"/contacts/{demo_contacts(sbx)[0].id}/notes", json={"text": "hi", "pinned": "yes"})
    slots = sbx.get(f"/calendars/{DISCOVERY_CALENDAR_ID}/free-slots", params={"startDate": "soon"})

    assert search.status_code == note.status_code == slots.status_code == 422
    assert search.json()["message"] == [
        "property locationId should not exist",
        "location_id should not be empty",
        "status must be one of the following values: open, won, lost, abandoned, all",
    ]
    assert note.json()["message"] == [
        "property text should not exist",
        "body should not be empty",
        "pinned must be a boolean value",
    ]
    assert slots.json()["message"] == [
        "startDate must be a number conforming to the specified constraints",
        "endDate should not be empty",
    ]
    assert search.json()["error"] == "Unprocessable Entity"


def test_rejected_writes_store_nothing(sbx: Ghl) -> None:
    """Each write route, refused for a different reason, leaves every record and the outbox as they were."""
    contact = demo_contacts(sbx)[0]
    opportunity = next(o for o in sbx.sandbox.state.data.opportunities.values() if o.location_id == DEMO_LOCATION_ID)
    other_pipeline_stage = sbx.sandbox.state.data.pipelines[SALES_PIPELINE_ID].stages[0].id
    before = sbx.sandbox.state.snapshot()

    responses = [
        sbx.post(f"/contacts/{contact.id}/notes", json={"body": "   "}),
        sbx.post(f"/contacts/{contact.id}/tags", json={"tags": []}),
        sbx.post(f"/contacts/{contact.id}/tags", json={"tags": "vip"}),
        sbx.put(
            f"/opportunities/{opportunity.id}",
            json={"name": "New name", "pipelineStageId": "not-a-stage", "monetaryValue": 10},
        ),
        sbx.put(f"/opportunities/{opportunity.id}", json={"status": "all"}),
        sbx.put(
            f"/opportunities/{opportunity.id}",
            json={"pipelineId": "unknownPipeline00000", "pipelineStageId": other_pipeline_stage},
        ),
        sbx.post("/conversations/", json={"locationId": DEMO_LOCATION_ID}),
        sbx.post("/conversations/messages", json={"type": "Email", "contactId": contact.id, "subject": "no html"}),
        sbx.post(
            "/conversations/messages", json={"type": "Email", "contactId": contact.id, "html": "x", "emailTo": "no"}
        ),
        sbx.post("/conversations/messages", json={"type": "WhatsApp", "contactId": contact.id, "message": "x"}),
        sbx.post(
            "/conversations/messages/outbound",
            json={"type": "Call", "conversationId": "nope", "conversationProviderId": DEMO_CALL_PROVIDER_ID},
        ),
        sbx.post("/calendars/events/appointments", json={"calendarId": DISCOVERY_CALENDAR_ID}),
        sbx.post(
            "/calendars/events/appointments",
            json={
                "calendarId": DISCOVERY_CALENDAR_ID,
                "locationId": DEMO_LOCATION_ID,
                "contactId": contact.id,
                "startTime": "2020-01-06T09:00:00-06:00",  # in the past
            },
        ),
        sbx.put(
            f"/contacts/{contact.id}",
            json={"firstName": "X", "customFields": [{"key": "contact.industry", "field_value": "Mining"}]},
        ),
        sbx.put(f"/contacts/{contact.id}", json={"firstName": "X", "gender": "female"}),
        sbx.post(f"/contacts/{contact.id}/tasks", json={"title": "X", "dueDate": "tomorrow", "completed": False}),
        sbx.put(f"/opportunities/{opportunity.id}/status", json={"status": "all"}),
        sbx.put(
            f"/calendars/events/appointments/{_future_appointment(sbx)}",
            json={"startTime": "2020-01-06T09:00:00-06:00"},
        ),
        sbx.delete(f"/calendars/events/{_future_appointment(sbx)}", json={"notify": True}),
    ]

    assert all(400 <= response.status_code < 500 for response in responses), [r.status_code for r in responses]
    assert sbx.sandbox.state.snapshot() == before
    assert sbx.sandbox.outbox == []
    assert contact_without_conversation(sbx)


# --- rate limits ---------------------------------------------------------------------------------------------


def test_every_resource_answer_has_the_rate_limit_headers(sbx: Ghl) -> None:
    first = sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID})
    refused = sbx.get("/opportunities/search", params={})  # a 422 still counts

    assert first.headers["X-RateLimit-Max"] == "100"
    assert first.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert first.headers["X-RateLimit-Limit-Daily"] == "200000"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    assert first.headers["X-RateLimit-Daily-Remaining"] == "199999"
    assert refused.status_code == 422
    assert refused.headers["X-RateLimit-Remaining"] == "98"


def test_past_the_burst_limit_ghl_answers_429_without_retry_after(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(burst_limit=3, burst_window_seconds=10)

    def call() -> httpx.Response:
        return sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID})

    allowed = [call() for _ in range(3)]
    refused = call()

    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert _without_trace(refused.json()) == {"statusCode": 429, "message": "Too many requests"}
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in refused.headers
    assert refused.headers["X-RateLimit-Daily-Remaining"] == str(200_000 - 3), "a refused call is not counted"

    sbx.clock.advance(10)
    assert call().status_code == 200, "the window slid past the first calls"


def test_limits_are_per_client_and_location(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(burst_limit=2)
    company = sbx.install(user_type="Company")["access_token"]
    other = sbx.location_token_from(company, OTHER_LOCATION_ID).json()["access_token"]  # 1st call for the company

    for _ in range(2):
        sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID})
    demo_refused = sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID})
    other_fine = sbx.get("/opportunities/pipelines", params={"locationId": OTHER_LOCATION_ID}, token=other)

    assert demo_refused.status_code == 429
    assert other_fine.status_code == 200
    assert other_fine.headers["X-RateLimit-Remaining"] == "1"


def test_the_daily_limit(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(daily_limit=2, access_token_ttl_seconds=3 * 86_400)  # outlives the day

    answers = [sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["X-RateLimit-Daily-Remaining"] == "0"
    sbx.clock.advance(86_400)
    assert sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}).status_code == 200


def test_every_answer_has_a_unique_trace_id(sbx: Ghl) -> None:
    answers = [
        sbx.http.get("/v2/oauth/chooselocation"),
        sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}),
        sbx.get("/nowhere"),
        sbx.http.get("/_sandbox/state"),
    ]

    ids = [answer.headers["traceId"] for answer in answers]
    assert all(len(trace) == 36 for trace in ids) and len(set(ids)) == len(ids)
    assert answers[2].json()["traceId"] == ids[2]


def test_a_sandbox_bug_answers_500_instead_of_dropping_the_connection(
    sbx: Ghl, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(call: Call) -> Reply:
        raise KeyError("bug")

    sbx.sandbox.routes = (Route("GET", "/broken", broken), *sbx.sandbox.routes)

    response = sbx.http.get("/broken")

    assert response.status_code == 500
    assert response.json() == {
        "statusCode": 500,
        "message": "Internal server error",
        "traceId": response.headers["traceId"],
    }
    assert any(r.name == "ghlsandbox" and r.exc_info for r in caplog.records), "the stack is logged"
