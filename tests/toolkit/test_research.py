"""The research context through its handler, GHL answered by respx with spec-shaped bodies: the
cases the sandbox does not seed (the sandbox-backed journey is `tests/e2e/test_research.py`)."""

from __future__ import annotations

from typing import Any

import respx

from tests.ghl.ghl_testkit import (
    OPPORTUNITY_ID,
    calendar_body,
    custom_field_body,
    location_body,
    opportunity_body,
    pipelines_body,
    spec_response,
)
from tests.toolkit.kit import LOCATION, Toolkit
from tests.toolkit.test_team import ANN, user_body

FN = "research"
CONTEXT = f"/locations/{LOCATION}/opportunities/{OPPORTUNITY_ID}/context"


def location_routes(ghl_api: respx.MockRouter) -> dict[str, respx.Route]:
    """What a context asks whatever the opportunity: the location's lists and its own details."""
    fields_path = f"/locations/{LOCATION}/customFields"
    return {
        "pipelines": ghl_api.get("/opportunities/pipelines").respond(200, json=pipelines_body()),
        "users": ghl_api.get("/users/search").mock(
            return_value=spec_response("GET", "/users/search", 200, {"users": [user_body(ANN)], "count": 1})
        ),
        "fields": ghl_api.get(fields_path).mock(
            return_value=spec_response("GET", fields_path, 200, {"customFields": [custom_field_body()]})
        ),
        "calendars": ghl_api.get("/calendars/").mock(
            return_value=spec_response("GET", "/calendars/", 200, {"calendars": [calendar_body()]})
        ),
        "location": ghl_api.get(f"/locations/{LOCATION}").mock(
            return_value=spec_response("GET", f"/locations/{LOCATION}", 200, {"location": location_body()})
        ),
    }


def test_an_opportunity_without_a_contact_answers_its_own_sections_and_asks_nothing_of_a_contact(
    toolkit: Toolkit, ghl_api: respx.MockRouter
) -> None:
    path = f"/opportunities/{OPPORTUNITY_ID}"
    opportunity = opportunity_body(contactId="", assignedTo=ANN["id"])
    del opportunity["contact"]
    body: dict[str, Any] = {"opportunity": opportunity}
    ghl_api.get(path).mock(return_value=spec_response("GET", path, 200, body))
    routes = location_routes(ghl_api)

    reply = toolkit.call(FN, "GET", CONTEXT)

    assert reply.status == 200, reply.body
    context = reply.body
    assert context["opportunity"]["id"] == OPPORTUNITY_ID
    assert context["opportunity"]["assignedToName"] == ANN["name"]
    assert context["contact"] == {"data": None, "error": None}
    assert context["messages"] == {"items": [], "truncated": False, "error": None}
    assert context["location"]["data"]["name"] == "dentist"
    assert all(route.called for route in routes.values())
    assert not any("/contacts/" in str(call.request.url) for call in ghl_api.calls)  # never `GET /contacts/`
