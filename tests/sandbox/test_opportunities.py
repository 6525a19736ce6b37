"""Opportunities: search (page numbers and cursors, walking every page), filters, get, update, and
status changes that move an opportunity between the search's status filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from ghlsandbox import (
    DEMO_LOCATION_ID,
    DEMO_USER_IDS,
    OTHER_LOCATION_ID,
    PARTNERSHIPS_PIPELINE_ID,
    SALES_PIPELINE_ID,
)
from ghlsandbox.clock import epoch_ms
from ghlsandbox.records import Opportunity

from tests.sandbox.kit import Ghl


def _demo_opportunities(sbx: Ghl) -> list[Opportunity]:
    return [o for o in sbx.sandbox.state.data.opportunities.values() if o.location_id == DEMO_LOCATION_ID]


def _search(sbx: Ghl, **params: Any) -> httpx.Response:
    return sbx.get("/opportunities/search", params={"location_id": DEMO_LOCATION_ID, **params})


def _key(row: dict[str, Any], sbx: Ghl) -> tuple[int, str]:
    return epoch_ms(sbx.sandbox.state.data.opportunities[row["id"]].created_at), row["id"]


def test_the_demo_location_has_200_opportunities_some_created_in_the_same_millisecond(sbx: Ghl) -> None:
    created = [epoch_ms(o.created_at) for o in _demo_opportunities(sbx)]

    assert len(created) == 200
    assert max(created.count(moment) for moment in set(created)) == 20, "the import batch: ties to break by id"


def test_walking_page_numbers_returns_every_opportunity_once(sbx: Ghl) -> None:
    seen: list[str] = []
    page, metas = 1, []
    while True:
        body = _search(sbx, limit=7, page=page).json()
        seen += [row["id"] for row in body["opportunities"]]
        metas.append(body["meta"])
        if "nextPage" not in body["meta"]:
            break
        page = body["meta"]["nextPage"]

    assert sorted(seen) == sorted(o.id for o in _demo_opportunities(sbx))
    assert len(seen) == len(set(seen)) == 200
    assert len(metas) == 29 and {meta["total"] for meta in metas} == {200}
    assert [meta["currentPage"] for meta in metas] == list(range(1, 30))
    assert "prevPage" not in metas[0] and metas[1]["prevPage"] == 1
    assert "nextPageUrl" not in metas[-1] and "startAfterId" not in metas[-1]


@pytest.mark.parametrize("order", ["added_asc", "added_desc"])
def test_walking_the_cursor_returns_every_opportunity_once_in_order(sbx: Ghl, order: str) -> None:
    rows: list[dict[str, Any]] = []
    cursor: dict[str, Any] = {}
    while True:
        body = _search(sbx, limit=13, order=order, **cursor).json()
        rows += body["opportunities"]
        meta = body["meta"]
        if "nextPage" not in meta:
            break
        assert meta["startAfterId"] == body["opportunities"][-1]["id"]
        cursor = {"startAfter": meta["startAfter"], "startAfterId": meta["startAfterId"]}

    keys = [_key(row, sbx) for row in rows]
    assert len(rows) == len({row["id"] for row in rows}) == 200
    assert keys == sorted(keys, reverse=order == "added_desc"), "stable order: createdAt, then id"


def test_following_next_page_url_walks_everything(sbx: Ghl) -> None:
    url: str | None = f"/opportunities/search?location_id={DEMO_LOCATION_ID}&limit=50&status=open"
    seen: list[str] = []
    while url:
        body = sbx.get(url).json()
        seen += [row["id"] for row in body["opportunities"]]
        url = body["meta"].get("nextPageUrl")
        if url:
            assert url.startswith(sbx.sandbox.url) and "status=open" in url and "limit=50" in url

    expected = [o.id for o in _demo_opportunities(sbx) if o.status == "open"]
    assert sorted(seen) == sorted(expected)


def test_a_cursor_without_an_id_skips_the_whole_millisecond(sbx: Ghl) -> None:
    batch_moment = max(
        {epoch_ms(o.created_at) for o in _demo_opportunities(sbx)},
        key=lambda moment: sum(epoch_ms(o.created_at) == moment for o in _demo_opportunities(sbx)),
    )

    rows = _search(sbx, startAfter=batch_moment, limit=100).json()["opportunities"]

    assert rows and all(_key(row, sbx)[0] > batch_moment for row in rows)


def test_a_start_after_id_alone_starts_after_that_opportunity(sbx: Ghl) -> None:
    first_page = _search(sbx, limit=10).json()["opportunities"]

    rows = _search(sbx, limit=5, startAfterId=first_page[4]["id"]).json()["opportunities"]

    assert [row["id"] for row in rows] == [row["id"] for row in first_page[5:10]]


@pytest.mark.parametrize(
    ("param", "value", "attribute"),
    [
        ("pipeline_id", PARTNERSHIPS_PIPELINE_ID, "pipeline_id"),
        ("status", "won", "status"),
        ("assigned_to", DEMO_USER_IDS[2], "assigned_to"),
    ],
)
def test_filters(sbx: Ghl, param: str, value: str, attribute: str) -> None:
    body = _search(sbx, **{param: value}, limit=100).json()

    expected = {o.id for o in _demo_opportunities(sbx) if getattr(o, attribute) == value}
    assert expected, "the demo data has matches"
    assert {row["id"] for row in body["opportunities"]} == expected
    assert body["meta"]["total"] == len(expected)


def test_stage_contact_and_text_filters(sbx: Ghl) -> None:
    sample = _demo_opportunities(sbx)[3]
    contact = sbx.sandbox.state.data.contacts[sample.contact_id]

    by_stage = _search(sbx, pipeline_stage_id=sample.pipeline_stage_id, limit=100).json()["opportunities"]
    by_contact = _search(sbx, contact_id=contact.id).json()["opportunities"]
    by_email = _search(sbx, q=contact.email.upper()).json()["opportunities"]

    assert sample.id in {row["id"] for row in by_stage}
    assert {row["pipelineStageId"] for row in by_stage} == {sample.pipeline_stage_id}
    assert {row["contactId"] for row in by_contact} == {contact.id}
    assert {row["contact"]["email"] for row in by_email} == {contact.email}


def test_date_filters_use_mm_dd_yyyy(sbx: Ghl) -> None:
    body = _search(sbx, date="01-01-2026", endDate="03-31-2026", limit=100).json()
    bad = _search(sbx, date="2026-01-01")

    assert body["opportunities"]
    assert all("2026-01-01" <= row["createdAt"][:10] <= "2026-04-01" for row in body["opportunities"])
    assert bad.status_code == 422 and bad.json()["message"] == ["date must be a date in mm-dd-yyyy format"]


def test_limit_defaults_to_20_and_stops_at_100(sbx: Ghl) -> None:
    default = _search(sbx).json()
    largest = _search(sbx, limit=100).json()
    too_many = _search(sbx, limit=101)
    zero = _search(sbx, limit=0)

    assert len(default["opportunities"]) == 20
    assert len(largest["opportunities"]) == 100
    assert too_many.json()["message"] == ["limit must not be greater than 100"]
    assert zero.json()["message"] == ["limit must not be less than 1"]


def test_meta_can_carry_nulls_like_live_ghl(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(search_meta_nulls=True)

    last = _search(sbx, limit=100, page=2).json()["meta"]

    assert last["nextPage"] is None and last["nextPageUrl"] is None and last["startAfterId"] is None
    assert last["prevPage"] == 1 and last["currentPage"] == 2


def test_get_returns_the_opportunity_with_its_contact(sbx: Ghl) -> None:
    opportunity = _demo_opportunities(sbx)[0]
    contact = sbx.sandbox.state.data.contacts[opportunity.contact_id]

    body = sbx.get(f"/opportunities/{opportunity.id}").json()["opportunity"]

    assert body["id"] == opportunity.id and body["pipelineStageId"] == opportunity.pipeline_stage_id
    assert body["contact"] == {
        "id": contact.id,
        "name": contact.name,
        "companyName": contact.company_name,
        "email": contact.email,
        "phone": contact.phone,
        "tags": contact.tags,
    }
    assert {field["id"] for field in body["customFields"]} == set(opportunity.custom_fields)


def test_update_moves_the_stage_and_records_the_change(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.pipeline_id == SALES_PIPELINE_ID)
    pipeline = sbx.sandbox.state.data.pipelines[SALES_PIPELINE_ID]
    target = next(stage for stage in pipeline.stages if stage.id != opportunity.pipeline_stage_id)
    sbx.clock.advance(5)

    response = sbx.put(
        f"/opportunities/{opportunity.id}",
        json={
            "pipelineStageId": target.id,
            "status": "lost",
            "monetaryValue": 9900,
            "customFields": [{"key": "opportunity.deal_source", "field_value": "Partner referral"}],
        },
    )

    assert response.status_code == 200
    body = response.json()["opportunity"]
    assert (body["pipelineStageId"], body["status"], body["monetaryValue"]) == (target.id, "lost", 9900)
    stored = sbx.sandbox.state.data.opportunities[opportunity.id]
    assert stored.pipeline_stage_id == target.id and stored.status == "lost"
    assert epoch_ms(stored.last_stage_change_at) == epoch_ms(stored.updated_at) == int(sbx.clock() * 1000)
    assert "Partner referral" in stored.custom_fields.values()
    assert sbx.get(f"/opportunities/{opportunity.id}").json()["opportunity"]["status"] == "lost"


def test_a_stage_of_another_pipeline_is_a_422_with_a_message_array(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.pipeline_id == SALES_PIPELINE_ID)
    foreign_stage = sbx.sandbox.state.data.pipelines[PARTNERSHIPS_PIPELINE_ID].stages[1].id

    response = sbx.put(
        f"/opportunities/{opportunity.id}",
        json={"pipelineStageId": foreign_stage, "assignedTo": "nobody", "customFields": [{"key": "nope"}]},
    )

    assert response.status_code == 422
    assert response.json()["message"] == [
        f"pipelineStageId {foreign_stage} is not a stage of pipeline {SALES_PIPELINE_ID}",
        "assignedTo nobody is not a user of this location",
        "customFields: no opportunity custom field nope",
    ]
    assert sbx.sandbox.state.data.opportunities[opportunity.id].pipeline_stage_id == opportunity.pipeline_stage_id


def test_moving_to_another_pipeline_with_one_of_its_stages(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.pipeline_id == SALES_PIPELINE_ID)
    stage = sbx.sandbox.state.data.pipelines[PARTNERSHIPS_PIPELINE_ID].stages[0]

    response = sbx.put(
        f"/opportunities/{opportunity.id}", json={"pipelineId": PARTNERSHIPS_PIPELINE_ID, "pipelineStageId": stage.id}
    )

    assert response.json()["opportunity"]["pipelineId"] == PARTNERSHIPS_PIPELINE_ID
    in_pipeline = _search(sbx, pipeline_id=PARTNERSHIPS_PIPELINE_ID, limit=100).json()["opportunities"]
    assert opportunity.id in {row["id"] for row in in_pipeline}


def _status_filters(sbx: Ghl, opportunity_id: str) -> list[str]:
    """The search `status` filters that find this opportunity (`id` narrows the search to it)."""
    found = []
    for status in ("open", "won", "lost", "abandoned", "all"):
        rows = _search(sbx, status=status, id=opportunity_id).json()["opportunities"]
        found += [status] if [row["id"] for row in rows] == [opportunity_id] else []
    return found


def test_a_status_change_moves_the_opportunity_between_search_filters(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.status == "open")
    path = f"/opportunities/{opportunity.id}/status"
    seen = [_status_filters(sbx, opportunity.id)]
    changes = []
    for status in ("won", "lost", "abandoned", "open"):
        sbx.clock.advance(60)
        body = {"status": status, "lostReasonId": "CLu7BaljjqrEjBGKTNNe"} if status == "lost" else {"status": status}
        response = sbx.put(path, json=body)
        assert (response.status_code, response.json()) == (200, {"succeded": True})
        read = sbx.get(f"/opportunities/{opportunity.id}").json()["opportunity"]
        changes.append((read["status"], read["lastStatusChangeAt"], read.get("lostReasonId")))
        seen.append(_status_filters(sbx, opportunity.id))

    assert seen == [[s, "all"] for s in ("open", "won", "lost", "abandoned", "open")]
    moments = [int(sbx.clock() * 1000) - 60_000 * n for n in (3, 2, 1, 0)]
    assert [(status, epoch_ms(datetime.fromisoformat(at))) for status, at, _ in changes] == list(
        zip(("won", "lost", "abandoned", "open"), moments, strict=True)
    )
    assert [reason for _, _, reason in changes] == [
        None,
        "CLu7BaljjqrEjBGKTNNe",
        "CLu7BaljjqrEjBGKTNNe",
        "CLu7BaljjqrEjBGKTNNe",
    ]


def test_setting_the_same_status_again_leaves_its_change_time(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.status == "won")
    changed_at = opportunity.last_status_change_at
    sbx.clock.advance(60)

    response = sbx.put(f"/opportunities/{opportunity.id}/status", json={"status": "won"})

    assert response.status_code == 200
    stored = sbx.sandbox.state.data.opportunities[opportunity.id]
    assert stored.last_status_change_at == changed_at and epoch_ms(stored.updated_at) == int(sbx.clock() * 1000)


def test_the_status_route_refuses_all_and_changes_nothing(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.status == "open")
    foreign = next(o for o in sbx.sandbox.state.data.opportunities.values() if o.location_id == OTHER_LOCATION_ID)
    path = f"/opportunities/{opportunity.id}/status"
    before = sbx.sandbox.state.snapshot()

    everything = sbx.put(path, json={"status": "all"})
    closed = sbx.put(path, json={"status": "closed", "reason": "x"})
    empty = sbx.put(path, json={"lostReasonId": "CLu7BaljjqrEjBGKTNNe"})
    unknown = sbx.put(f"/opportunities/{'x' * 20}/status", json={"status": "won"})
    other = sbx.put(f"/opportunities/{foreign.id}/status", json={"status": "won"})
    by_update = sbx.put(f"/opportunities/{opportunity.id}", json={"status": "all", "monetaryValue": 5})

    statuses = "status must be one of the following values: open, won, lost, abandoned"
    assert (everything.status_code, everything.json()["message"]) == (422, [statuses])
    assert (closed.status_code, closed.json()["message"]) == (422, ["property reason should not exist", statuses])
    assert (empty.status_code, empty.json()["message"]) == (422, ["status should not be empty"])
    assert (unknown.status_code, unknown.json()["message"]) == (400, "Opportunity not found")
    assert (other.status_code, other.json()["message"]) == (403, "The token does not have access to this location.")
    assert (by_update.status_code, by_update.json()["message"]) == (422, [statuses])
    assert sbx.sandbox.state.snapshot() == before


def test_update_sets_status_and_value_and_answers_the_opportunity(sbx: Ghl) -> None:
    opportunity = next(o for o in _demo_opportunities(sbx) if o.status == "open")
    sbx.clock.advance(30)

    response = sbx.put(f"/opportunities/{opportunity.id}", json={"status": "won", "monetaryValue": 12500.5})

    body = response.json()["opportunity"]
    assert (response.status_code, body["id"], body["status"], body["monetaryValue"]) == (
        200,
        opportunity.id,
        "won",
        12500.5,
    )
    assert epoch_ms(datetime.fromisoformat(body["lastStatusChangeAt"])) == int(sbx.clock() * 1000)
    assert _status_filters(sbx, opportunity.id) == ["won", "all"]
