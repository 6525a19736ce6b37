"""Write-back through `make dev`'s stack (toolkit API → local gateway → functions → GHL sandbox):
insights, tasks, the outreach plan, won/lost, value, rescheduling and cancelling. After each write,
the sandbox's own state is checked: it is GHL here, and what it holds is what a rep would see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ghlsandbox import RESEARCH_OPPORTUNITY_ID

from tests.e2e.conftest import Stack


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def data(stack: Stack) -> Any:
    return stack.sandbox.state.data


def research_contact(stack: Stack) -> str:
    return str(data(stack).opportunities[RESEARCH_OPPORTUNITY_ID].contact_id)


def field_id(stack: Stack, field_key: str) -> str:
    return next(
        f.id for f in data(stack).custom_fields.values() if f.location_id == stack.location_id and f.key == field_key
    )


def tasks_of(stack: Stack, contact_id: str) -> list[Any]:
    with stack.sandbox.state.lock:
        return [t for t in data(stack).tasks.values() if t.contact_id == contact_id]


def notes_of(stack: Stack, contact_id: str) -> list[Any]:
    with stack.sandbox.state.lock:
        return list(data(stack).notes_of(contact_id))


def ghl_calls(stack: Stack) -> int:
    """Calls to GHL's API so far (the sandbox's own control routes left out)."""
    return sum(1 for r in stack.ghl_requests() if not r["path"].startswith("/_sandbox"))


def fault(stack: Stack, **rule: Any) -> None:
    answer = httpx.post(f"{stack.ghl}/_sandbox/faults", json=rule, timeout=10)
    assert answer.status_code == 201, answer.text


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- insights into custom fields -------------------------------------------------------------------


def test_insights_land_in_the_named_fields_only(stack: Stack) -> None:
    contact_id = research_contact(stack)
    before = dict(data(stack).contacts[contact_id].custom_fields)
    budget, pains = field_id(stack, "contact.annual_budget"), field_id(stack, "contact.pain_points")

    answer = stack.put(
        f"/locations/{stack.location_id}/contacts/{contact_id}/custom-fields",
        json={"values": {"contact.annual_budget": 126000, "pain_points": "Fleet downtime"}},
    )

    assert answer.status_code == 200, answer.text
    after = data(stack).contacts[contact_id].custom_fields
    assert after[budget] == "126000" and after[pains] == "Fleet downtime"
    assert {k: v for k, v in after.items() if k not in (budget, pains)} == {
        k: v for k, v in before.items() if k not in (budget, pains)
    }  # the others are untouched
    named = {f["key"]: f["value"] for f in answer.json()["customFields"]}
    assert named["contact.pain_points"] == "Fleet downtime"


def test_unknown_fields_and_unsuitable_values_are_refused_before_anything_is_sent(stack: Stack) -> None:
    contact_id = research_contact(stack)
    path = f"/locations/{stack.location_id}/contacts/{contact_id}/custom-fields"
    before = dict(data(stack).contacts[contact_id].custom_fields)

    unknown = stack.put(path, json={"values": {"contact.no_such_field": "x", "pain_points": "ok"}})
    wrong = stack.put(path, json={"values": {"contact.annual_budget": "lots", "decision_role": "Emperor"}})

    assert unknown.status_code == 400 and "contact.no_such_field" in unknown.json()["error"]["message"]
    assert wrong.status_code == 400
    assert {d["field"] for d in wrong.json()["error"]["details"]} == {
        "values.contact.annual_budget",
        "values.decision_role",
    }
    assert data(stack).contacts[contact_id].custom_fields == before
    assert not [r for r in stack.ghl_requests(f"/contacts/{contact_id}") if r["method"] == "PUT"]  # nothing sent


# --- tasks ---------------------------------------------------------------------------------------------


def test_a_task_is_created_once_then_completed_and_reopened(stack: Stack) -> None:
    contact_id = research_contact(stack)
    path = f"/locations/{stack.location_id}/contacts/{contact_id}/tasks"
    body = {"title": "Send the pilot proposal", "dueAt": in_days(2)}
    headers = key()

    first = stack.post(path, json=body, headers=headers)
    again = stack.post(path, json=body, headers=headers)

    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    mine = [t for t in tasks_of(stack, contact_id) if t.title == "Send the pilot proposal"]
    assert len(mine) == 1 and not mine[0].completed
    task_id = first.json()["id"]

    done = stack.put(f"{path}/{task_id}", json={"completed": True})
    assert done.status_code == 200 and done.json()["completed"] is True
    assert data(stack).tasks[task_id].completed is True
    reopened = stack.put(f"{path}/{task_id}", json={"completed": False, "title": "Send the revised proposal"})
    assert reopened.status_code == 200, reopened.text
    assert data(stack).tasks[task_id].completed is False
    assert data(stack).tasks[task_id].title == "Send the revised proposal"


@pytest.mark.parametrize("body", [{}, {"completed": None}, {"title": None, "completed": True}])
def test_a_task_update_that_changes_nothing_is_refused(stack: Stack, body: dict[str, Any]) -> None:
    contact_id = research_contact(stack)
    task = next(t for t in tasks_of(stack, contact_id) if not t.completed)

    answer = stack.put(f"/locations/{stack.location_id}/contacts/{contact_id}/tasks/{task.id}", json=body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    assert data(stack).tasks[task.id].completed is False and data(stack).tasks[task.id].title == task.title


def test_a_task_for_someone_not_in_the_location_is_refused(stack: Stack) -> None:
    contact_id = research_contact(stack)
    count = len(tasks_of(stack, contact_id))

    answer = stack.post(
        f"/locations/{stack.location_id}/contacts/{contact_id}/tasks",
        json={"title": "x", "dueAt": in_days(1), "assignedTo": "NoSuchUser0000000001"},
        headers=key(),
    )

    assert answer.status_code == 400, answer.text
    assert len(tasks_of(stack, contact_id)) == count


# --- the outreach plan -----------------------------------------------------------------------------


PLAN = {
    "summary": "Lars signs off the budget in Q1; lead with the fleet pricing.",
    "steps": [
        {"title": "Send the fleet pricing", "dueAt": "2026-12-08T15:00:00Z", "channel": "email"},
        {"title": "Call about the pilot", "body": "Ask who else decides.", "dueAt": "2026-12-10T16:00:00Z"},
        {"title": "Book the demo", "dueAt": "2026-12-14T15:00:00Z", "channel": "meeting"},
    ],
    "insights": {"contact.annual_budget": 98000},
}


def plan_parts(stack: Stack, contact_id: str, ref: str) -> tuple[list[Any], list[Any]]:
    mark = f"Outreach plan {ref}"
    notes = [n for n in notes_of(stack, contact_id) if n.body.rstrip().endswith(mark)]
    tasks = [t for t in tasks_of(stack, contact_id) if mark in (t.body or "")]
    return notes, tasks


def test_the_plan_lands_once_and_a_retry_replays_it(stack: Stack) -> None:
    contact_id = research_contact(stack)
    path = f"/locations/{stack.location_id}/opportunities/{RESEARCH_OPPORTUNITY_ID}/outreach-plan"
    headers = key()

    first = stack.post(path, json=PLAN, headers=headers)
    asked = ghl_calls(stack)
    again = stack.post(path, json=PLAN, headers=headers)

    assert first.status_code == 201, first.text
    assert ghl_calls(stack) == asked  # the replay asked GHL nothing
    result = first.json()
    assert result["complete"] and [t["status"] for t in result["tasks"]] == ["done"] * 3
    assert again.status_code == 201 and again.json() == result
    assert again.headers.get("Idempotency-Replayed") == "true"
    notes, tasks = plan_parts(stack, contact_id, result["planRef"])
    assert len(notes) == 1 and "Send the fleet pricing" in notes[0].body
    assert sorted(t.title for t in tasks) == sorted(s["title"] for s in PLAN["steps"])
    assert data(stack).contacts[contact_id].custom_fields[field_id(stack, "contact.annual_budget")] == "98000"
    other = stack.post(path, json={**PLAN, "summary": "Another plan"}, headers=headers)
    assert other.status_code == 422  # the same key for another plan


GHL_ROUTES = [
    "GET /opportunities/*",
    "GET /contacts/*/notes",
    "GET /contacts/*/tasks",
    "POST /contacts/*/notes",
    "POST /contacts/*/tasks",
    "PUT /contacts/*",
]
FAULTS = [
    pytest.param({"kind": "status", "value": 500, "after": True}, id="500-after-the-work"),
    pytest.param({"kind": "status", "value": 503}, id="503"),
    pytest.param({"kind": "timeout", "after": True}, id="timeout-after-the-work"),
    pytest.param({"kind": "rate_limit"}, id="429"),
]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", FAULTS)
def test_under_a_fault_on_every_ghl_route_in_turn_each_part_lands_exactly_once(
    make_stack: Any, monkeypatch: pytest.MonkeyPatch, kind: dict[str, Any]
) -> None:
    monkeypatch.setenv("GHL_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("GHL_RATE_LIMIT_WAIT_SECONDS", "0")
    stack = make_stack(timeout_fault_seconds=2)
    contact_id = research_contact(stack)
    path = f"/locations/{stack.location_id}/opportunities/{RESEARCH_OPPORTUNITY_ID}/outreach-plan"

    for route in GHL_ROUTES:
        headers = key()
        plan = {**PLAN, "summary": f"Plan under a fault on {route}"}
        fault(stack, route=route, count=2, **kind)  # two shots: the first attempt and a retry may both meet it
        answers = []
        for _ in range(6):  # the client retries with the same key until the plan is complete
            answer = stack.post(path, json=plan, headers=headers)
            answers.append(answer.status_code)
            if answer.status_code == 201:
                break
        assert answers[-1] == 201, (route, answers, answer.text)
        assert all(code in (201, 207, 409, 429, 502, 503, 504) for code in answers), (route, answers)
        notes, tasks = plan_parts(stack, contact_id, answer.json()["planRef"])
        assert len(notes) == 1, (route, answers, [n.body for n in notes])
        assert sorted(t.title for t in tasks) == sorted(s["title"] for s in PLAN["steps"]), (route, answers)
        httpx.delete(f"{stack.ghl}/_sandbox/faults", timeout=10)


def test_a_partial_plan_answers_207_with_each_part_then_the_same_key_finishes_it(stack: Stack) -> None:
    contact_id = research_contact(stack)
    path = f"/locations/{stack.location_id}/opportunities/{RESEARCH_OPPORTUNITY_ID}/outreach-plan"
    headers = key()
    fault(stack, route="POST /contacts/*/tasks", kind="status", value=422, count=1)  # GHL refuses one step

    partial = stack.post(path, json=PLAN, headers=headers)

    assert partial.status_code == 207, partial.text
    body = partial.json()
    assert body["complete"] is False and body["note"]["status"] == "done"
    failed = [t for t in body["tasks"] if t["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"]["status"] == 422 and failed[0]["task"] is None
    finished = stack.post(path, json=PLAN, headers=headers)
    assert finished.status_code == 201 and finished.json()["complete"] is True
    notes, tasks = plan_parts(stack, contact_id, body["planRef"])
    assert len(notes) == 1 and len(tasks) == 3


def test_a_plan_with_an_unsuitable_insight_is_refused_before_anything_is_written(stack: Stack) -> None:
    contact_id = research_contact(stack)
    notes, tasks = len(notes_of(stack, contact_id)), len(tasks_of(stack, contact_id))

    answer = stack.post(
        f"/locations/{stack.location_id}/opportunities/{RESEARCH_OPPORTUNITY_ID}/outreach-plan",
        json={**PLAN, "insights": {"contact.annual_budget": "a lot"}},
        headers=key(),
    )

    assert answer.status_code == 400, answer.text
    assert (len(notes_of(stack, contact_id)), len(tasks_of(stack, contact_id))) == (notes, tasks)


# --- won, lost, value ------------------------------------------------------------------------------


def test_a_won_deal_leaves_the_open_list(stack: Stack) -> None:
    base = f"/locations/{stack.location_id}/opportunities"
    deal = stack.get(base, params={"status": "open", "limit": 1}).json()["items"][0]

    won = stack.put(f"{base}/{deal['id']}/status", json={"status": "won"})
    valued = stack.put(f"{base}/{deal['id']}/value", json={"monetaryValue": 4200.5})

    assert won.status_code == 200 and won.json()["status"] == "won", won.text
    assert data(stack).opportunities[deal["id"]].status == "won"
    assert valued.status_code == 200 and data(stack).opportunities[deal["id"]].monetary_value == 4200.5
    open_ids: set[str] = set()
    cursor = None
    while True:
        page = stack.get(base, params={"status": "open", "limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        open_ids |= {i["id"] for i in page["items"]}
        if not (cursor := page["nextCursor"]):
            break
    assert deal["id"] not in open_ids
    lost = stack.put(f"{base}/{deal['id']}/status", json={"status": "open", "lostReasonId": "abc"})
    assert lost.status_code == 400  # a lost reason goes with lost only


# --- rescheduling and cancelling --------------------------------------------------------------------


def test_an_appointment_moves_to_a_free_slot_only_and_a_cancelled_one_frees_its_slot(stack: Stack) -> None:
    loc = stack.location_id
    contact_id = research_contact(stack)
    calendar_id = stack.get(f"/locations/{loc}/calendars").json()["items"][0]["id"]
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    query = {"start": day.isoformat(), "end": (day + timedelta(days=2)).isoformat(), "timezone": "UTC"}
    slots = stack.get(f"/locations/{loc}/calendars/{calendar_id}/free-slots", params=query).json()["slots"]
    booked = stack.post(
        f"/locations/{loc}/appointments",
        json={"calendarId": calendar_id, "contactId": contact_id, "startTime": slots[0]},
        headers=key(),
    )
    assert booked.status_code == 201, booked.text
    other = stack.post(
        f"/locations/{loc}/appointments",
        json={"calendarId": calendar_id, "contactId": contact_id, "startTime": slots[1]},
        headers=key(),
    ).json()
    appointment_id = booked.json()["id"]

    taken = stack.put(f"/locations/{loc}/appointments/{appointment_id}", json={"startTime": slots[1]})
    moved = stack.put(f"/locations/{loc}/appointments/{appointment_id}", json={"startTime": slots[2]})

    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_unavailable", taken.text
    assert moved.status_code == 200, moved.text
    record = data(stack).appointments[appointment_id]
    assert record.start == datetime.fromisoformat(slots[2])
    cancelled = stack.put(f"/locations/{loc}/appointments/{other['id']}", json={"status": "cancelled"})
    assert cancelled.status_code == 200, cancelled.text
    assert data(stack).appointments[other["id"]].status == "cancelled"
    again = stack.get(f"/locations/{loc}/calendars/{calendar_id}/free-slots", params=query).json()["slots"]
    assert slots[1] in again and slots[2] not in again


@pytest.mark.parametrize("body", [{}, {"status": None}, {"endTime": "2030-01-01T10:00:00Z"}])
def test_an_appointment_update_that_says_nothing_usable_is_refused(stack: Stack, body: dict[str, Any]) -> None:
    appointment = next(a for a in data(stack).appointments.values() if a.location_id == stack.location_id)

    answer = stack.put(f"/locations/{stack.location_id}/appointments/{appointment.id}", json=body)

    assert answer.status_code == 400, answer.text


def test_an_appointment_of_another_location_is_not_found(stack: Stack) -> None:
    foreign = next((a.id for a in data(stack).appointments.values() if a.location_id != stack.location_id), None)
    assert foreign is not None  # the sandbox seeds appointments in its other location too
    answer = stack.put(f"/locations/{stack.location_id}/appointments/{foreign}", json={"status": "cancelled"})
    assert answer.status_code == 404, answer.text
    assert data(stack).appointments[foreign].status != "cancelled"
