"""GET pipelines, the opportunity search (filters, paging, stage names) and one opportunity in full,
through the OpportunitiesFunction handler."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tests.ghl.ghl_testkit import (
    CONTACT_ID,
    NOT_FOUND_BODY,
    OPPORTUNITY_ID,
    PIPELINE_ID,
    STAGE_ID,
    USER_ID,
    contact_body,
    note_body,
    opportunity_body,
    opportunity_search_body,
    pipelines_body,
    spec_response,
)
from tests.toolkit.kit import LOCATION, Toolkit, sent

FN = "opportunities"
SEARCH = "/opportunities/search"
PIPELINES = "/opportunities/pipelines"
BASE = f"/locations/{LOCATION}"


def pipelines_route(ghl_api: respx.MockRouter) -> respx.Route:
    # Stages as GHL sends them (objects); the spec's `stages` item type is an artifact (ghl_testkit).
    return ghl_api.get(PIPELINES).respond(200, json=pipelines_body())


def search_route(ghl_api: respx.MockRouter, *pages: dict[str, Any]) -> respx.Route:
    answers = [spec_response("GET", SEARCH, 200, page) for page in pages]
    return ghl_api.get(SEARCH).mock(side_effect=answers)


# --- pipelines ----------------------------------------------------------------------------------


def test_pipelines_lists_stages_in_camel_case(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = pipelines_route(ghl_api)

    reply = toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert reply.status == 200
    assert reply.body == {
        "items": [
            {
                "id": PIPELINE_ID,
                "name": "Sales",
                "stages": [
                    {"id": "5f1c6e2a-0c1e-4a8e-9d1b-2b3c4d5e6f70", "name": "New lead", "position": 0},
                    {"id": STAGE_ID, "name": "Proposal sent", "position": 1},
                ],
            }
        ],
        "nextCursor": None,
    }
    request = sent(route)
    assert request.url.params["locationId"] == LOCATION
    assert request.headers["Version"] == "2021-07-28"


def test_pipelines_are_cached_per_location_for_five_minutes(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = pipelines_route(ghl_api)

    first = toolkit.call(FN, "GET", f"{BASE}/pipelines")
    second = toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert first.status == second.status == 200 and first.body == second.body
    assert route.call_count == 1


def test_the_cache_expires(toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghlbridge import factories
    from ghlbridge.toolkit import pipelines
    from ghlbridge.toolkit.location_cache import LocationCache

    route = pipelines_route(ghl_api)
    clock = [1000.0]
    cache: LocationCache[pipelines.Pipelines] = LocationCache(300, clock=lambda: clock[0])
    monkeypatch.setattr(factories, "get_pipeline_cache", lambda: cache)

    toolkit.call(FN, "GET", f"{BASE}/pipelines")
    clock[0] += 299
    toolkit.call(FN, "GET", f"{BASE}/pipelines")
    clock[0] += 2
    toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert route.call_count == 2


def test_a_zero_cache_setting_asks_ghl_every_time(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge.settings import reset_settings

    monkeypatch.setenv("PIPELINES_CACHE_SECONDS", "0")
    reset_settings()
    route = pipelines_route(ghl_api)

    toolkit.call(FN, "GET", f"{BASE}/pipelines")
    toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert route.call_count == 2


# --- search ---------------------------------------------------------------------------------------


def test_search_maps_every_filter_to_ghl_and_names_the_stage(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = search_route(ghl_api, opportunity_search_body())
    pipelines_route(ghl_api)
    query = {
        "pipelineId": PIPELINE_ID,
        "stageId": STAGE_ID,
        "status": "open",
        "q": "tesla",
        "assignedTo": USER_ID,
        "limit": "50",
    }

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities", query=query)

    assert reply.status == 200
    params = dict(sent(route).url.params)
    assert params == {
        "location_id": LOCATION,
        "pipeline_id": PIPELINE_ID,
        "pipeline_stage_id": STAGE_ID,
        "status": "open",
        "q": "tesla",
        "assigned_to": USER_ID,
        "limit": "50",
    }
    [item] = reply.body["items"]
    assert item["id"] == OPPORTUNITY_ID
    assert (item["pipelineName"], item["stageName"]) == ("Sales", "Proposal sent")
    assert item["monetaryValue"] == 500
    assert item["contact"] == {
        "id": CONTACT_ID,
        "name": "John Deo",
        "companyName": "Tesla Inc",
        "email": "john@deo.com",
        "phone": "+1202-555-0107",
        "tags": ["hot", "q3"],
    }
    assert item["customFields"][0] == {"id": "MgobCB14YMVKuE4Ka8p1", "value": "fleet"}
    assert isinstance(reply.body["nextCursor"], str)


def test_search_defaults_to_twenty_and_sends_no_empty_filter(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = search_route(ghl_api, opportunity_search_body([], without_meta=("nextPage",)))

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities")

    assert reply.body == {"items": [], "nextCursor": None}
    assert dict(sent(route).url.params) == {"location_id": LOCATION, "limit": "20"}


def test_an_unknown_stage_has_no_name(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    search_route(ghl_api, opportunity_search_body([opportunity_body(pipelineStageId="gone-stage")]))
    pipelines_route(ghl_api)

    [item] = toolkit.call(FN, "GET", f"{BASE}/opportunities").body["items"]

    assert item["pipelineName"] == "Sales" and item["stageName"] is None


def test_the_cursor_is_opaque_and_pages_through(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    last = opportunity_search_body([opportunity_body(id="sEcOnDoPpOrTuNiTy001")], without_meta=("nextPage",))
    route = search_route(ghl_api, opportunity_search_body(), last)
    pipelines_route(ghl_api)
    query = {"pipelineId": PIPELINE_ID, "limit": "1"}

    first = toolkit.call(FN, "GET", f"{BASE}/opportunities", query=query)
    cursor = first.body["nextCursor"]
    second = toolkit.call(FN, "GET", f"{BASE}/opportunities", query=query | {"cursor": cursor})

    assert second.status == 200 and second.body["nextCursor"] is None
    assert [i["id"] for i in second.body["items"]] == ["sEcOnDoPpOrTuNiTy001"]
    params = sent(route, 1).url.params
    assert (params["startAfter"], params["startAfterId"]) == ("1625203104328", OPPORTUNITY_ID)
    assert params["pipeline_id"] == PIPELINE_ID and "page" not in params


def _first_cursor(toolkit: Toolkit, ghl_api: respx.MockRouter, query: dict[str, str]) -> str:
    search_route(ghl_api, opportunity_search_body())
    pipelines_route(ghl_api)
    return str(toolkit.call(FN, "GET", f"{BASE}/opportunities", query=query).body["nextCursor"])


@pytest.mark.parametrize(
    "other",
    [{"pipelineId": "AnOtHeRpIpElInE00001"}, {"q": "tesla"}, {"status": "won"}, {}],
    ids=["other-pipeline", "added-search", "added-status", "dropped-filter"],
)
def test_a_cursor_replayed_with_other_filters_is_refused_before_ghl(
    toolkit: Toolkit, ghl_api: respx.MockRouter, other: dict[str, str]
) -> None:
    cursor = _first_cursor(toolkit, ghl_api, {"pipelineId": PIPELINE_ID})
    calls_before = len(ghl_api.calls)
    query = ({"pipelineId": PIPELINE_ID} | other) if other else {}

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities", query=query | {"cursor": cursor})

    assert (reply.status, reply.code) == (400, "invalid_cursor")
    assert "other filters" in reply.error["message"]
    assert len(ghl_api.calls) == calls_before


def test_a_cursor_is_bound_to_its_location(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    from tests.toolkit.kit import OTHER_LOCATION

    cursor = _first_cursor(toolkit, ghl_api, {})
    toolkit.add_member(OTHER_LOCATION)

    reply = toolkit.call(FN, "GET", f"/locations/{OTHER_LOCATION}/opportunities", query={"cursor": cursor})

    assert (reply.status, reply.code) == (400, "invalid_cursor")


def _tampered(cursor: str) -> list[str]:
    import base64
    import json

    payload, mac = cursor.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["i"] = "sOmEoThErOpPoRtUnIt1"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    return [f"{forged}.{mac}", f"{payload}.{flipped}", payload, "not-a-cursor", f"{payload}.{mac}x", "." + mac]


def test_a_tampered_cursor_is_refused_before_ghl(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    cursor = _first_cursor(toolkit, ghl_api, {})
    calls_before = len(ghl_api.calls)

    for bad in _tampered(cursor):
        reply = toolkit.call(FN, "GET", f"{BASE}/opportunities", query={"cursor": bad})
        assert (reply.status, reply.code) == (400, "invalid_cursor"), bad

    assert len(ghl_api.calls) == calls_before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "pending"}, "status"),
        ({"pipelineId": "../contacts"}, "pipelineId"),
        ({"stageId": "a b"}, "stageId"),
        ({"assignedTo": "x" * 65}, "assignedTo"),
        ({"q": "x" * 201}, "q"),
        ({"cursor": "c" * 1025}, "cursor"),
    ],
)
def test_bad_query_parameters_are_named_and_nothing_is_sent(
    toolkit: Toolkit, ghl_api: respx.MockRouter, query: dict[str, str], field: str
) -> None:
    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities", query=query)

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert [(d["in"], d["field"]) for d in reply.error["details"]] == [("query", field)]
    assert not ghl_api.calls


def test_several_bad_parameters_are_all_named(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities", query={"limit": "500", "status": "x", "q": "y" * 300})

    assert sorted(d["field"] for d in reply.error["details"]) == ["limit", "q", "status"]
    assert all(d["message"] and d["type"] for d in reply.error["details"])


# --- one opportunity --------------------------------------------------------------------------------


def detail_routes(ghl_api: respx.MockRouter, notes: list[dict[str, Any]]) -> dict[str, respx.Route]:
    opp_path, contact_path = f"/opportunities/{OPPORTUNITY_ID}", f"/contacts/{CONTACT_ID}"
    return {
        "opportunity": ghl_api.get(opp_path).mock(
            return_value=spec_response("GET", opp_path, 200, {"opportunity": opportunity_body()})
        ),
        "contact": ghl_api.get(contact_path).mock(
            return_value=spec_response("GET", contact_path, 200, {"contact": contact_body()})
        ),
        "notes": ghl_api.get(f"{contact_path}/notes").mock(
            return_value=spec_response("GET", f"{contact_path}/notes", 200, {"notes": notes})
        ),
        "pipelines": pipelines_route(ghl_api),
    }


def test_one_opportunity_with_its_contact_and_latest_notes(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    notes = [note_body(id=f"nOtE{day:016d}", dateAdded=f"2024-01-{day:02d}T10:00:00.000Z") for day in range(1, 13)]
    routes = detail_routes(ghl_api, notes)

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}")

    assert reply.status == 200
    assert reply.body["opportunity"]["id"] == OPPORTUNITY_ID
    assert reply.body["opportunity"]["stageName"] == "Proposal sent"
    contact = reply.body["contact"]
    assert (contact["name"], contact["email"], contact["phone"]) == ("rosan Deo", "rosan@deos.com", "+1 888-888-8888")
    assert (contact["companyName"], contact["website"]) == ("DGS VolMAX", "https://www.tesla.com")
    assert contact["tags"] == ["nisi sint commodo amet", "consequat"]
    assert contact["customFields"] == [{"id": "MgobCB14YMVKuE4Ka8p1", "value": "name"}]
    dates = [n["dateAdded"][:10] for n in reply.body["notes"]]
    assert dates == [f"2024-01-{day:02d}" for day in range(12, 2, -1)]  # newest first, ten of them
    for route in routes.values():
        sent(route)


def test_an_opportunity_of_another_location_is_not_found(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    path = f"/opportunities/{OPPORTUNITY_ID}"
    body = {"opportunity": opportunity_body(locationId="aNoThErLoCaTiOn00001")}
    ghl_api.get(path).mock(return_value=spec_response("GET", path, 200, body))

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}")

    assert (reply.status, reply.code) == (404, "not_found")
    assert CONTACT_ID not in str(reply.body)  # nothing about the other location's record leaks
    assert len(ghl_api.calls) == 1  # neither its contact nor its notes were fetched


def test_an_unknown_opportunity_is_ghls_404(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    ghl_api.get(f"/opportunities/{OPPORTUNITY_ID}").respond(404, json=NOT_FOUND_BODY)

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}")

    assert (reply.status, reply.code) == (404, "not_found")
    assert "details" not in reply.error  # the same answer as for another location's id


def test_a_deleted_contact_leaves_the_opportunity(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    path = f"/opportunities/{OPPORTUNITY_ID}"
    ghl_api.get(path).mock(return_value=spec_response("GET", path, 200, {"opportunity": opportunity_body()}))
    ghl_api.get(f"/contacts/{CONTACT_ID}").respond(404, json=NOT_FOUND_BODY)
    pipelines_route(ghl_api)

    reply = toolkit.call(FN, "GET", f"{BASE}/opportunities/{OPPORTUNITY_ID}")

    assert reply.status == 200
    assert (reply.body["contact"], reply.body["notes"]) == (None, [])


# --- GHL failures -------------------------------------------------------------------------------


def test_ghl_rate_limit_is_a_429_with_retry_after(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.get(PIPELINES).respond(429, headers={"Retry-After": "30"}, json={"message": "Too Many Requests"})

    reply = toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert (reply.status, reply.code) == (429, "rate_limited")
    assert reply.headers["Retry-After"] == "30"
    assert route.call_count == 1  # 30 s does not fit in the invocation: not retried
    assert toolkit.sleeps == []


def test_a_ghl_5xx_on_a_read_is_retried_then_a_502(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.get(PIPELINES).respond(503, json={"statusCode": 503, "message": "Service Unavailable"})

    reply = toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert (reply.status, reply.code) == (502, "ghl_error")
    assert reply.error["details"]["ghlStatus"] == 503
    assert route.call_count == 4  # RetryPolicy.max_attempts
    assert toolkit.sleeps == [0.375, 0.75, 1.5]  # equal jitter at rng 0.5: 0.5, 1, 2 s ceilings


def test_a_ghl_5xx_that_recovers_is_a_success(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    ghl_api.get(PIPELINES).mock(
        side_effect=[httpx.Response(502, json={"message": "Bad Gateway"}), httpx.Response(200, json=pipelines_body())]
    )

    reply = toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert reply.status == 200 and len(reply.body["items"]) == 1
    assert len(toolkit.sleeps) == 1


def test_a_ghl_timeout_on_a_read_is_a_504_after_retries(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.get(PIPELINES).mock(side_effect=httpx.ReadTimeout("slow"))

    reply = toolkit.call(FN, "GET", f"{BASE}/pipelines")

    assert (reply.status, reply.code) == (504, "ghl_timeout")
    assert route.call_count == 4
