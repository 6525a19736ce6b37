"""The toolkit resolver's two shortcuts through Powertools' validation change nothing but the time:
the remembered scalar checks answer as Powertools' own, and a declared answer serialized by pydantic
is the JSON Powertools' response validation would have produced."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.middlewares import openapi_validation
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIResponseValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.compat import is_scalar_field as powertools_is_scalar_field
from pydantic import BaseModel

TOOLKIT_FUNCTIONS = ["opportunities", "stage", "notes", "calls", "emails", "calendars"]


def routes(module: str) -> list[Any]:
    app = importlib.import_module(module).app
    return [*app._static_routes, *app._dynamic_routes]


@pytest.mark.parametrize("module", TOOLKIT_FUNCTIONS)
def test_remembered_scalar_checks_answer_as_powertools(module: str) -> None:
    params = [
        param
        for route in routes(module)  # imports the function, and so the resolver
        for param in (*route.dependant.path_params, *route.dependant.query_params, *route.dependant.header_params)
    ]
    patched = openapi_validation.is_scalar_field  # type: ignore[attr-defined]
    assert getattr(patched, "remembered", False), "the Powertools name the resolver patches has moved"
    assert params
    for _ in range(2):  # the first answer is computed, the second remembered
        assert [patched(p) for p in params] == [powertools_is_scalar_field(p) for p in params]


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
