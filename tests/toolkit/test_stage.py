"""PUT .../opportunities/{id}/stage through the StageFunction handler: the stage is checked against
the pipeline BEFORE GHL's PUT, and only the PUT that passes is sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tests.ghl.ghl_testkit import (
    OPPORTUNITY_ID,
    PIPELINE_ID,
    STAGE_ID,
    UNPROCESSABLE_BODY,
    json_of,
    opportunity_body,
    pipelines_body,
    spec_response,
)
from tests.toolkit.kit import LOCATION, Toolkit, sent

FN = "stage"
PATH = f"/locations/{LOCATION}/opportunities/{OPPORTUNITY_ID}/stage"
GHL_OPP = f"/opportunities/{OPPORTUNITY_ID}"
NEW_LEAD = "5f1c6e2a-0c1e-4a8e-9d1b-2b3c4d5e6f70"
OTHER_PIPELINE = "pArTnErShIpS0000001X"
OTHER_STAGE = "0a0b0c0d-1111-4222-8333-944455566677"


def two_pipelines() -> dict[str, Any]:
    body = pipelines_body()
    body["pipelines"].append(
        {"id": OTHER_PIPELINE, "name": "Partnerships", "stages": [{"id": OTHER_STAGE, "name": "Intro", "position": 0}]}
    )
    return body


def mock_get(ghl_api: respx.MockRouter, **overrides: Any) -> respx.Route:
    body = {"opportunity": opportunity_body(**overrides)}
    return ghl_api.get(GHL_OPP).mock(return_value=spec_response("GET", GHL_OPP, 200, body))


def mock_put(ghl_api: respx.MockRouter, **overrides: Any) -> respx.Route:
    body = {"opportunity": opportunity_body(**overrides)}
    return ghl_api.put(GHL_OPP).mock(return_value=spec_response("PUT", GHL_OPP, 200, body))


def test_moves_the_opportunity_within_its_pipeline(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    mock_get(ghl_api)
    ghl_api.get("/opportunities/pipelines").respond(200, json=pipelines_body())
    put = mock_put(ghl_api, pipelineStageId=NEW_LEAD)

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": NEW_LEAD})

    assert reply.status == 200
    assert (reply.body["pipelineStageId"], reply.body["stageName"]) == (NEW_LEAD, "New lead")
    request = sent(put)
    assert request.headers["Version"] == "2021-07-28"
    assert json_of(request) == {"pipelineId": PIPELINE_ID, "pipelineStageId": NEW_LEAD}


def test_moves_the_opportunity_to_another_pipeline(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    mock_get(ghl_api)
    ghl_api.get("/opportunities/pipelines").respond(200, json=two_pipelines())
    put = mock_put(ghl_api, pipelineId=OTHER_PIPELINE, pipelineStageId=OTHER_STAGE)

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": OTHER_STAGE, "pipelineId": OTHER_PIPELINE})

    assert reply.status == 200 and reply.body["pipelineName"] == "Partnerships"
    assert json_of(sent(put)) == {"pipelineId": OTHER_PIPELINE, "pipelineStageId": OTHER_STAGE}


def test_a_stage_of_another_pipeline_is_a_400_and_nothing_is_put(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    mock_get(ghl_api)
    pipelines = ghl_api.get("/opportunities/pipelines").respond(200, json=two_pipelines())

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": OTHER_STAGE})  # a Partnerships stage

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert reply.error["details"] == [
        {
            "in": "body",
            "field": "pipelineStageId",
            "type": "stage_not_in_pipeline",
            "message": f"pipelineStageId is not a stage of pipeline {PIPELINE_ID}",
        }
    ]
    assert [call.request.method for call in ghl_api.calls] == ["GET", "GET"]  # no PUT (none is even mocked)
    assert pipelines.call_count == 1  # fetched for this request: no second look


def test_an_unknown_pipeline_is_a_400(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    mock_get(ghl_api)
    ghl_api.get("/opportunities/pipelines").respond(200, json=pipelines_body())

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": STAGE_ID, "pipelineId": "nOsUcHpIpElInE000001"})

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert [d["field"] for d in reply.error["details"]] == ["pipelineId"]


def test_a_stale_cached_pipeline_is_fetched_again_once(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """A stage created after the pipelines were cached: one more look at GHL, then the PUT."""
    newer = pipelines_body()
    newer["pipelines"][0]["stages"].append({"id": OTHER_STAGE, "name": "Negotiation", "position": 2})
    mock_get(ghl_api)
    pipelines = ghl_api.get("/opportunities/pipelines").mock(
        side_effect=[httpx.Response(200, json=pipelines_body()), httpx.Response(200, json=newer)]
    )
    put = mock_put(ghl_api, pipelineStageId=OTHER_STAGE)
    toolkit.call("opportunities", "GET", f"/locations/{LOCATION}/pipelines")  # fills the cache

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": OTHER_STAGE})

    assert reply.status == 200 and reply.body["stageName"] == "Negotiation"
    assert pipelines.call_count == 2 and put.call_count == 1


def test_an_opportunity_of_another_location_is_not_moved(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    mock_get(ghl_api, locationId="aNoThErLoCaTiOn00001")

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": STAGE_ID})

    assert (reply.status, reply.code) == (404, "not_found")
    assert len(ghl_api.calls) == 1


def test_ghl_refusing_the_update_is_a_422_with_its_messages(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    mock_get(ghl_api)
    ghl_api.get("/opportunities/pipelines").respond(200, json=pipelines_body())
    ghl_api.put(GHL_OPP).respond(422, json=UNPROCESSABLE_BODY)

    reply = toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": STAGE_ID})

    assert (reply.status, reply.code) == (422, "ghl_rejected")
    assert reply.error["details"]["ghlStatus"] == 422
    assert reply.error["details"]["ghlMessages"] == UNPROCESSABLE_BODY["message"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["pipelineStageId"]),
        ({"pipelineStageId": "x y"}, ["pipelineStageId"]),
        ({"pipelineStageId": STAGE_ID, "pipelineId": "a/b"}, ["pipelineId"]),
        ({"pipelineStageId": STAGE_ID, "status": "won"}, ["status"]),  # unknown fields are refused
        ({"pipeline_stage_id": STAGE_ID}, ["pipelineStageId", "pipeline_stage_id"]),  # camelCase only
        ({"pipelineStageId": 42}, ["pipelineStageId"]),
    ],
)
def test_bad_bodies_are_400s_naming_each_field(
    toolkit: Toolkit, ghl_api: respx.MockRouter, body: dict[str, Any], fields: list[str]
) -> None:
    reply = toolkit.call(FN, "PUT", PATH, body=body)

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert sorted(d["field"] for d in reply.error["details"]) == fields
    assert {d["in"] for d in reply.error["details"]} == {"body"}
    assert not ghl_api.calls


def test_a_put_needs_no_idempotency_key(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """Setting the same stage twice is harmless: two PUTs, two GHL updates, both 200."""
    mock_get(ghl_api)
    ghl_api.get("/opportunities/pipelines").respond(200, json=pipelines_body())
    put = mock_put(ghl_api)

    replies = [toolkit.call(FN, "PUT", PATH, body={"pipelineStageId": STAGE_ID}) for _ in range(2)]

    assert [r.status for r in replies] == [200, 200] and put.call_count == 2
