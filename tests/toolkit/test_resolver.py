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

from ghlbridge.toolkit.models.opportunities import OpportunityPage

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


def rich_page() -> OpportunityPage:
    item = {
        "id": "opp1",
        "name": 'Zoë\'s Café — 50% "deal" \u2028',
        "monetaryValue": 1234.5,
        "status": "open",
        "pipelineId": "p1",
        "pipelineName": "Ventes",
        "pipelineStageId": "s-1",
        "stageName": "Qualifié",
        "contactId": "c1",
        "contact": {"id": "c1", "name": "Ünal", "companyName": None, "email": "u@x.io", "tags": ["vip", "日本"]},
        "customFields": [
            {"id": "f1", "value": "text"},
            {"id": "f2", "value": 3},
            {"id": "f3", "value": ["a", 1.5, None]},
            {"id": "f4", "value": {"nested": True}},
        ],
        "createdAt": "2026-11-01T10:00:00.000Z",
    }
    return OpportunityPage.model_validate({"items": [item, {"id": "opp2"}], "nextCursor": "abc.def"})


def test_a_declared_answer_is_the_json_powertools_would_write() -> None:
    (route,) = [r for r in routes("opportunities") if r.func.__name__ == "search_opportunities"]
    page = rich_page()

    ours = page.model_dump_json(by_alias=True)
    theirs = OpenAPIResponseValidationMiddleware()._serialize_response_with_validation(
        field=route.dependant.return_param, response_content=page
    )

    assert json.loads(ours) == json.loads(json.dumps(theirs))
    assert route.dependant.return_param.type_ is OpportunityPage  # so the shortcut applies to this route
