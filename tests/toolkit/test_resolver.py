"""The toolkit resolver's shortcut through Powertools' response validation changes nothing but the
time: a declared answer serialized by pydantic is the JSON Powertools would have produced. (The
remembered scalar checks, and the names every Powertools patch relies on, are checked by
`tests/test_powertools_patches.py`.)"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIResponseValidationMiddleware
from pydantic import BaseModel

TOOLKIT_FUNCTIONS = ["opportunities", "research", "stage", "notes", "writeback", "calls", "emails", "calendars"]


def routes(module: str) -> list[Any]:
    app = importlib.import_module(module).app
    return [*app._static_routes, *app._dynamic_routes]


TEXT = 'Zoë\'s Café — 50% "deal" \u2028 日本'
CUSTOM = [
    {"id": "f1", "value": TEXT},
    {"id": "f2", "value": 3},
    {"id": "f3", "value": ["a", 1.5, None]},
    {"id": "f4", "value": {"nested": True}},
]
OPPORTUNITY = {
    "id": "opp1",
    "name": TEXT,
    "monetaryValue": 1234.5,
    "status": "open",
    "pipelineId": "p1",
    "pipelineName": "Ventes",
    "pipelineStageId": "s-1",
    "stageName": "Qualifié",
    "contactId": "c1",
    "contact": {"id": "c1", "name": "Ünal", "companyName": None, "email": "u@x.io", "tags": ["vip", "日本"]},
    "customFields": CUSTOM,
    "createdAt": "2026-11-01T10:00:00.000Z",
}
NOTE = {"id": "n1", "body": TEXT, "userId": "u1", "dateAdded": "2026-11-01T10:00:00.000Z", "pinned": False}
NAMED = {"id": "f1", "key": "contact.x", "name": TEXT, "type": "TEXT"}
MESSAGE = {
    "id": "m1",
    "channel": "email",
    "messageType": "TYPE_EMAIL",
    "direction": "outbound",
    "date": "2026-12-01T10:00:00.000Z",
    "subject": TEXT,
    "preview": TEXT,
    "callDuration": None,
}
APPOINTMENT = {"id": "a1", "calendarId": "cal1", "calendarName": TEXT, "startTime": "2026-12-11 09:30:00"}
TASK = {"id": "t1", "title": TEXT, "dueAt": "2026-12-10T15:00:00Z", "completed": False, "assignedToName": TEXT}
# One full example of every answer model a toolkit route declares (the test below insists).
ANSWERS: dict[str, dict[str, Any]] = {
    "PipelinePage": {"items": [{"id": "p1", "name": TEXT, "stages": [{"id": "s-1", "name": "A", "position": 0}]}]},
    "OpportunityPage": {"items": [OPPORTUNITY, {"id": "opp2"}], "nextCursor": "abc.def"},
    "OpportunityDetail": {
        "opportunity": OPPORTUNITY,
        "contact": {"id": "c1", "name": TEXT, "tags": ["vip"], "customFields": CUSTOM, "dnd": True},
        "notes": [NOTE],
    },
    "Opportunity": OPPORTUNITY,
    "NotePage": {"items": [NOTE, {"id": "n2"}]},
    "CalendarPage": {"items": [{"id": "cal1", "name": TEXT, "slotDuration": 30.0, "bookingUrl": "https://x/y"}]},
    "FreeSlots": {"timezone": "Europe/Berlin", "slots": ["2026-12-01T09:00:00+01:00"]},
    "Appointment": {"id": "a1", "calendarId": "cal1", "startTime": "2026-12-01T09:00:00+01:00", "title": TEXT},
    "ResearchContext": {
        "opportunity": {**OPPORTUNITY, "assignedToName": TEXT},
        "contact": {"data": {"id": "c1", "name": TEXT, "customFields": [{**NAMED, "value": 3}]}, "error": None},
        "notes": {"items": [NOTE], "truncated": True},
        "messages": {"items": [MESSAGE], "truncated": False},
        "appointments": {"items": [APPOINTMENT]},
        "tasks": {"error": {"status": 502, "code": "ghl_error", "message": TEXT}},
        "location": {"data": {"id": "loc1", "name": TEXT, "timezone": "US/Central"}},
    },
    "MessagePage": {"items": [MESSAGE, {"id": "m2", "channel": "other"}], "nextCursor": "abc.def"},
    "ContactAppointmentPage": {"items": [APPOINTMENT]},
    "TaskPage": {"items": [TASK, {"id": "t2"}]},
    "Task": TASK,
    "CustomFieldDefinitionPage": {"items": [{"id": "f1", "key": "contact.x", "type": "RADIO", "options": ["a", TEXT]}]},
    "ContactFields": {"contactId": "c1", "customFields": [{**NAMED, "value": ["a", TEXT]}]},
}


def model_routes() -> list[Any]:
    found = [route for module in TOOLKIT_FUNCTIONS for route in routes(module)]
    return [r for r in found if isinstance(t := r.dependant.return_param.type_, type) and issubclass(t, BaseModel)]


@pytest.mark.parametrize("route", model_routes(), ids=lambda route: route.func.__name__)
def test_a_declared_answer_is_the_json_powertools_would_write(route: Any) -> None:
    """`_SerializeAnswer` dumps a route's answer model itself: the same JSON Powertools writes."""
    answer_type = route.dependant.return_param.type_
    answer = answer_type.model_validate(ANSWERS[answer_type.__name__])

    ours = answer.model_dump_json(by_alias=True)
    theirs = OpenAPIResponseValidationMiddleware()._serialize_response_with_validation(
        field=route.dependant.return_param, response_content=answer
    )

    assert json.loads(ours) == json.loads(json.dumps(theirs))
