"""OpportunitiesAPI against a respx-mocked GHL: every request is checked against
apps/opportunities.json (and asserted field by field), every fixture is spec-shaped, and the
answers are parsed into models that keep unknown fields."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
import respx

from ghlbridge.ghl.client import BearerAuth, GHLClient
from ghlbridge.ghl.errors import (
    GHLInvalidResponseError,
    GHLNotFoundError,
    GHLUnauthorizedError,
    GHLUnprocessableError,
)
from ghlbridge.ghl.opportunities import OpportunitiesAPI, Opportunity, OpportunityCursor, OpportunityPage, Pipeline
from ghlbridge.tokens.provider import GHLAuth, TokenProvider
from tests.ghl import ghl_testkit
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    CONTACT_ID,
    INVALID_TOKEN_BODY,
    LOCATION_ID,
    LOCATION_TOKEN,
    NOT_FOUND_BODY,
    OPPORTUNITY_ID,
    PIPELINE_ID,
    STAGE_ID,
    UNPROCESSABLE_BODY,
    USER_ID,
    FakeTokenProvider,
    assert_no_secrets,
    json_of,
    opportunity_body,
    opportunity_search_body,
    pipelines_body,
    pipelines_body_for_the_spec,
    spec_response,
)
from tests.ghl_spec import assert_request_conforms, assert_response_conforms

OPPORTUNITY_PATH = f"/opportunities/{OPPORTUNITY_ID}"
SEARCH = "/opportunities/search"


@pytest.fixture
def api(client: GHLClient) -> OpportunitiesAPI:
    return OpportunitiesAPI(client, BearerAuth(ACCESS_TOKEN))


def assert_sent(request: httpx.Request, method: str, path: str) -> None:
    ghl_testkit.assert_sent(request, method, path, version="2021-07-28")


def test_fixtures_follow_the_spec() -> None:
    assert_response_conforms("GET", "/opportunities/search", 200, opportunity_search_body())
    last_page = opportunity_search_body(without_meta=("nextPage", "nextPageUrl"), currentPage=2, prevPage=1)
    assert_response_conforms("GET", "/opportunities/search", 200, last_page)
    assert_response_conforms("GET", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body()})
    assert_response_conforms("PUT", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body(status="won")})
    assert_response_conforms("PUT", OPPORTUNITY_PATH, 422, UNPROCESSABLE_BODY)
    assert_response_conforms("GET", "/opportunities/pipelines", 200, pipelines_body_for_the_spec())


def test_the_spec_mistypes_pipeline_stages() -> None:
    """The spec types stage items as arrays, so real (object) stages cannot pass it; if a newer copy
    of the spec fixes this, validate `pipelines_body()` whole in the test above instead."""
    with pytest.raises(AssertionError, match="is not of type 'array'"):
        assert_response_conforms("GET", "/opportunities/pipelines", 200, pipelines_body())


# --- search -----------------------------------------------------------------------------------


def test_search_sends_snake_case_filters(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, opportunity_search_body()))

    api.search(
        LOCATION_ID,
        pipeline_id=PIPELINE_ID,
        pipeline_stage_id=STAGE_ID,
        status="open",
        q="john@deo.com",
        assigned_to=USER_ID,
        contact_id=CONTACT_ID,
        limit=100,
    )

    request = route.calls.last.request
    assert_sent(request, "GET", "/opportunities/search")
    assert dict(request.url.params) == {
        "location_id": LOCATION_ID,
        "pipeline_id": PIPELINE_ID,
        "pipeline_stage_id": STAGE_ID,
        "status": "open",
        "q": "john@deo.com",
        "assigned_to": USER_ID,
        "contact_id": CONTACT_ID,
        "limit": "100",
    }
    for v3_name in ("locationId", "pipelineId", "pipelineStageId", "assignedTo", "contactId"):
        assert v3_name not in request.url.params
    assert request.content == b""


def test_search_defaults_send_only_the_location_and_limit(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, opportunity_search_body()))

    api.search(LOCATION_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", "/opportunities/search")
    assert dict(request.url.params) == {"location_id": LOCATION_ID, "limit": "20"}


def test_search_sends_the_cursor_pair(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, opportunity_search_body()))

    api.search(LOCATION_ID, after=OpportunityCursor(startAfter=1625203104328, startAfterId=OPPORTUNITY_ID))

    request = route.calls.last.request
    assert_sent(request, "GET", "/opportunities/search")
    assert request.url.params["startAfter"] == "1625203104328"  # epoch ms, a whole number
    assert request.url.params["startAfterId"] == OPPORTUNITY_ID
    assert "page" not in request.url.params


def test_search_parses_the_page(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    body = opportunity_search_body([opportunity_body(futureField={"x": 1})])
    ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, body))

    page = api.search(LOCATION_ID)

    assert isinstance(page, OpportunityPage)
    [opportunity] = page.opportunities
    assert (opportunity.id, opportunity.name, opportunity.monetaryValue, opportunity.status) == (
        OPPORTUNITY_ID,
        "Tesla deal",
        500,
        "open",
    )
    assert (opportunity.pipelineId, opportunity.pipelineStageId, opportunity.assignedTo) == (
        PIPELINE_ID,
        STAGE_ID,
        USER_ID,
    )
    assert opportunity.contact is not None
    assert (opportunity.contact.id, opportunity.contact.companyName, opportunity.contact.tags) == (
        CONTACT_ID,
        "Tesla Inc",
        ["hot", "q3"],
    )
    assert [(field.id, field.fieldValue) for field in opportunity.customFields] == [
        ("MgobCB14YMVKuE4Ka8p1", "fleet"),
        ("Kp2cFd9e8TQwLs3bN7xZ", ["a", "b"]),
    ]
    assert opportunity.model_extra == {"futureField": {"x": 1}}  # unknown fields kept, known ones modelled
    assert opportunity.contact.model_extra == {}
    assert page.meta.model_extra == {}
    assert (page.meta.total, page.meta.currentPage, page.meta.nextPage, page.meta.prevPage) == (3, 1, 2, None)
    assert page.aggregations == {}
    assert page.meta.nextPageUrl is not None and "startAfter=1625203104328" in page.meta.nextPageUrl
    assert page.next_cursor == OpportunityCursor(startAfter=1625203104328, startAfterId=OPPORTUNITY_ID)


@pytest.mark.parametrize(
    "body",
    [
        opportunity_search_body(without_meta=("nextPage", "nextPageUrl")),
        opportunity_search_body(nextPage=None, nextPageUrl=None),
        opportunity_search_body([]),
        opportunity_search_body(startAfterId=None),
        opportunity_search_body(startAfter=None),
    ],
    ids=["nextPage-absent", "nextPage-null", "empty-page", "no-startAfterId", "no-startAfter"],
)
def test_the_last_page_has_no_cursor(body: dict[str, Any]) -> None:
    page = OpportunityPage.model_validate(body)

    assert page.next_cursor is None


def test_a_missing_meta_means_no_next_page() -> None:
    page = OpportunityPage.model_validate({"opportunities": [opportunity_body()]})

    assert page.next_cursor is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
    ],
)
def test_search_refuses_what_ghl_would_refuse(
    ghl_mock: respx.MockRouter, api: OpportunitiesAPI, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        api.search(LOCATION_ID, **kwargs)  # no route: a request would fail assert_all_mocked


# --- pipelines ----------------------------------------------------------------------------------


def test_pipelines_sends_camel_case_location_id(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    # Not spec_response: the spec mistypes stages (test_the_spec_mistypes_pipeline_stages).
    route = ghl_mock.get("/opportunities/pipelines").respond(200, json=pipelines_body())

    pipelines = api.pipelines(LOCATION_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", "/opportunities/pipelines")
    assert dict(request.url.params) == {"locationId": LOCATION_ID}
    [pipeline] = pipelines
    assert isinstance(pipeline, Pipeline)
    assert (pipeline.id, pipeline.name, pipeline.locationId) == (PIPELINE_ID, "Sales", LOCATION_ID)
    assert [(stage.id, stage.name, stage.position) for stage in pipeline.stages] == [
        ("5f1c6e2a-0c1e-4a8e-9d1b-2b3c4d5e6f70", "New lead", 0),
        (STAGE_ID, "Proposal sent", 1),
    ]
    assert pipeline.model_extra == {}
    assert (pipeline.showInFunnel, pipeline.showInPieChart, pipeline.colorRenderMode) == (True, False, "dot")
    assert pipeline.stages[1].model_extra == {"showInFunnel": True}


# --- get ----------------------------------------------------------------------------------------


def test_get(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.get(OPPORTUNITY_PATH).mock(
        return_value=spec_response("GET", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body()})
    )

    opportunity = api.get(OPPORTUNITY_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", OPPORTUNITY_PATH)
    assert not request.url.params
    assert isinstance(opportunity, Opportunity)
    assert (opportunity.id, opportunity.contactId, opportunity.lostReasonId) == (
        OPPORTUNITY_ID,
        CONTACT_ID,
        "lR0sTrEaSoN000000001",
    )


def test_get_unknown_is_not_found(ghl_mock: respx.MockRouter, api: OpportunitiesAPI, sleeps: list[float]) -> None:
    route = ghl_mock.get(OPPORTUNITY_PATH).respond(404, json=NOT_FOUND_BODY)  # the spec declares no 404

    with pytest.raises(GHLNotFoundError) as caught:
        api.get(OPPORTUNITY_ID)

    assert route.call_count == 1 and sleeps == []
    assert (caught.value.status, caught.value.path, caught.value.trace_id) == (404, OPPORTUNITY_PATH, "trace-404")


def test_an_id_stays_one_path_segment(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.route(method="GET", path__startswith="/opportunities/").mock(
        return_value=spec_response("GET", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body()})
    )

    api.get("../contacts/x?y=1")

    assert route.calls.last.request.url.raw_path == b"/opportunities/%2E%2E%2Fcontacts%2Fx%3Fy%3D1"


def test_an_empty_id_is_refused(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    with pytest.raises(ValueError, match="empty"):
        api.get("")


# --- update -------------------------------------------------------------------------------------


def test_update_sends_only_the_given_fields(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.put(OPPORTUNITY_PATH).mock(
        return_value=spec_response(
            "PUT", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body(pipelineStageId="s-2", status="won")}
        )
    )

    updated = api.update(OPPORTUNITY_ID, pipeline_stage_id="s-2", status="won")

    request = route.calls.last.request
    assert_sent(request, "PUT", OPPORTUNITY_PATH)
    assert json_of(request) == {"pipelineStageId": "s-2", "status": "won"}
    assert (updated.pipelineStageId, updated.status) == ("s-2", "won")


def test_update_maps_every_field(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    route = ghl_mock.put(OPPORTUNITY_PATH).mock(
        return_value=spec_response("PUT", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body()})
    )

    api.update(
        OPPORTUNITY_ID,
        pipeline_id=PIPELINE_ID,
        pipeline_stage_id=STAGE_ID,
        status="lost",
        name="Tesla deal (renewal)",
        monetary_value=1250.5,
        assigned_to=USER_ID,
        custom_fields=[{"id": "MgobCB14YMVKuE4Ka8p1", "field_value": "fleet"}, {"key": "region", "field_value": "EU"}],
    )

    request = route.calls.last.request
    assert_sent(request, "PUT", OPPORTUNITY_PATH)
    assert json_of(request) == {
        "pipelineId": PIPELINE_ID,
        "pipelineStageId": STAGE_ID,
        "status": "lost",
        "name": "Tesla deal (renewal)",
        "monetaryValue": 1250.5,
        "assignedTo": USER_ID,
        "customFields": [
            {"id": "MgobCB14YMVKuE4Ka8p1", "field_value": "fleet"},
            {"key": "region", "field_value": "EU"},
        ],
    }


def test_update_with_nothing_is_refused(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    with pytest.raises(ValueError, match="nothing to update"):
        api.update(OPPORTUNITY_ID)


def test_update_422_keeps_every_message(ghl_mock: respx.MockRouter, api: OpportunitiesAPI) -> None:
    ghl_mock.put(OPPORTUNITY_PATH).mock(return_value=spec_response("PUT", OPPORTUNITY_PATH, 422, UNPROCESSABLE_BODY))

    with pytest.raises(GHLUnprocessableError) as caught:
        api.update(OPPORTUNITY_ID, status="won")

    assert caught.value.status == 422
    assert caught.value.messages == UNPROCESSABLE_BODY["message"]
    assert caught.value.error == "Unprocessable Entity"


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({"status": "abandoned", "monetary_value": 220}, {"status": "abandoned", "monetaryValue": 220}),
        ({"monetary_value": 0}, {"monetaryValue": 0}),  # a zero is a value: only None means "not given"
    ],
    ids=["status-and-value", "zero-value"],
)
def test_update_sets_status_and_monetary_value(
    ghl_mock: respx.MockRouter, api: OpportunitiesAPI, kwargs: dict[str, Any], sent: dict[str, Any]
) -> None:
    route = ghl_mock.put(OPPORTUNITY_PATH).mock(
        return_value=spec_response("PUT", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body()})
    )

    api.update(OPPORTUNITY_ID, **kwargs)

    request = route.calls.last.request
    assert_sent(request, "PUT", OPPORTUNITY_PATH)
    assert json_of(request) == sent


# --- update_status ------------------------------------------------------------------------------

STATUS_PATH = f"{OPPORTUNITY_PATH}/status"
LOST_REASON_ID = "CLu7BaljjqrEjBGKTNNe"


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({"status": "won"}, {"status": "won"}),
        ({"status": "lost", "lost_reason_id": LOST_REASON_ID}, {"status": "lost", "lostReasonId": LOST_REASON_ID}),
        ({"status": "open"}, {"status": "open"}),
        ({"status": "abandoned"}, {"status": "abandoned"}),
    ],
    ids=["won", "lost-with-reason", "open", "abandoned"],
)
def test_update_status_sends_the_status_and_the_given_reason(
    ghl_mock: respx.MockRouter, api: OpportunitiesAPI, kwargs: dict[str, Any], sent: dict[str, Any]
) -> None:
    route = ghl_mock.put(STATUS_PATH).mock(return_value=spec_response("PUT", STATUS_PATH, 200, {"succeded": True}))

    assert api.update_status(OPPORTUNITY_ID, **kwargs) is None

    request = route.calls.last.request
    assert_sent(request, "PUT", STATUS_PATH)
    assert json_of(request) == sent


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.update_status(OPPORTUNITY_ID, "all"),
        lambda api: api.update(OPPORTUNITY_ID, status="all"),
        lambda api: api.update_status(OPPORTUNITY_ID, "closed"),
    ],
    ids=["update_status-all", "update-all", "update_status-unknown"],
)
def test_all_is_never_sent_as_a_status(ghl_mock: respx.MockRouter, api: OpportunitiesAPI, call: Any) -> None:
    """Both write enums list "all", copied from the search filter (GHL-NOTES §10.8)."""
    with pytest.raises(ValueError, match="status"):
        call(api)  # no route: a request would fail assert_all_mocked


def test_update_status_422_keeps_every_message(
    ghl_mock: respx.MockRouter, api: OpportunitiesAPI, sleeps: list[float]
) -> None:
    body = {"statusCode": 422, "message": ["lostReasonId must be a string"], "error": "Unprocessable Entity"}
    route = ghl_mock.put(STATUS_PATH).mock(return_value=spec_response("PUT", STATUS_PATH, 422, body))

    with pytest.raises(GHLUnprocessableError) as caught:
        api.update_status(OPPORTUNITY_ID, "lost", lost_reason_id="x")

    assert route.call_count == 1 and sleeps == []
    assert caught.value.messages == ["lostReasonId must be a string"]
    assert (caught.value.status, caught.value.path) == (422, STATUS_PATH)


@pytest.mark.parametrize("body", [{"succeded": False}, "OK"], ids=["succeded-false", "not-json-object"])
def test_an_unsuccessful_status_answer_is_an_invalid_response(
    ghl_mock: respx.MockRouter, api: OpportunitiesAPI, body: Any
) -> None:
    ghl_mock.put(STATUS_PATH).respond(200, json=body)

    with pytest.raises(GHLInvalidResponseError) as caught:
        api.update_status(OPPORTUNITY_ID, "won")

    assert (caught.value.status, caught.value.path) == (200, STATUS_PATH)


@pytest.mark.parametrize(
    ("path", "call", "answer"),
    [
        (STATUS_PATH, lambda api: api.update_status(OPPORTUNITY_ID, "won"), {"succeded": True}),
        (OPPORTUNITY_PATH, lambda api: api.update(OPPORTUNITY_ID, status="won"), {"opportunity": opportunity_body()}),
    ],
    ids=["update_status", "update"],
)
@pytest.mark.parametrize("failure", [httpx.Response(503), httpx.ReadTimeout("read")], ids=["503", "timeout"])
def test_status_writes_are_resent_after_a_timeout_or_5xx(
    ghl_mock: respx.MockRouter,
    api: OpportunitiesAPI,
    sleeps: list[float],
    path: str,
    call: Any,
    answer: dict[str, Any],
    failure: httpx.Response | Exception,
) -> None:
    """They set a status: sending one twice leaves the opportunity as sending it once."""
    route = ghl_mock.put(path)
    route.side_effect = [failure, spec_response("PUT", path, 200, answer)]

    call(api)

    first, resent = (c.request for c in route.calls)
    assert json_of(resent) == json_of(first) == {"status": "won"}
    assert_sent(resent, "PUT", path)
    assert sleeps == [0.375]


# --- 401: the auth flow refreshes and replays once ------------------------------------------------


def ghl_auth(*tokens: str) -> tuple[GHLAuth, FakeTokenProvider]:
    provider = FakeTokenProvider(*tokens)
    return GHLAuth(cast(TokenProvider, provider), LOCATION_ID), provider


def test_401_refreshes_and_replays_the_same_update(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    auth, provider = ghl_auth(ACCESS_TOKEN, LOCATION_TOKEN)
    api = OpportunitiesAPI(client, auth)
    route = ghl_mock.put(OPPORTUNITY_PATH)
    route.side_effect = [
        spec_response("PUT", OPPORTUNITY_PATH, 401, INVALID_TOKEN_BODY),
        spec_response("PUT", OPPORTUNITY_PATH, 200, {"opportunity": opportunity_body(status="won")}),
    ]

    updated = api.update(OPPORTUNITY_ID, status="won")

    first, replay = (call.request for call in route.calls)
    assert first.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert replay.headers["Authorization"] == f"Bearer {LOCATION_TOKEN}"
    assert provider.rejected == [ACCESS_TOKEN]
    assert json_of(replay) == json_of(first) == {"status": "won"}
    assert replay.headers["Version"] == "2021-07-28"
    assert_request_conforms(replay)
    assert updated.status == "won"


def test_a_second_401_is_raised_without_the_token(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    auth, provider = ghl_auth(ACCESS_TOKEN, LOCATION_TOKEN)
    route = ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 401, INVALID_TOKEN_BODY))

    with pytest.raises(GHLUnauthorizedError) as caught:
        OpportunitiesAPI(client, auth).search(LOCATION_ID)

    assert route.call_count == 2  # the original and one replay, never more
    assert provider.rejected == [ACCESS_TOKEN]
    assert caught.value.message == "Invalid JWT"
    assert_no_secrets(str(caught.value), repr(caught.value))
