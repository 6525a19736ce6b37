"""A rep's day over real HTTP: the toolkit API → local gateway → functions → GHL sandbox.

Every row of the toolkit API table, in the order a rep uses them, with the sandbox's own state
checked after each write (the sandbox is GHL here: what it holds is what GHL would show)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack


def outbox(stack: Stack) -> list[dict[str, Any]]:
    return httpx.get(f"{stack.ghl}/_sandbox/outbox", timeout=10).json()["messages"]  # type: ignore[no-any-return]


def pending_faults(stack: Stack, route: str) -> int:
    """Fault rules on `route` not yet spent (a count-1 rule disappears once it fired)."""
    rules = httpx.get(f"{stack.ghl}/_sandbox/faults", timeout=10).json()["faults"]
    return sum(1 for rule in rules if rule["route"] == route)


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_the_whole_journey(stack: Stack) -> None:
    loc = stack.location_id
    base = f"/locations/{loc}"

    # pipelines, then a page of opportunities and the next page through the cursor
    pipelines = stack.get(f"{base}/pipelines").json()["items"]
    assert pipelines and all(p["stages"] for p in pipelines)
    first = stack.get(f"{base}/opportunities", params={"limit": 5})
    assert first.status_code == 200, first.text
    page1 = first.json()
    assert len(page1["items"]) == 5 and page1["nextCursor"]
    assert all(item["stageName"] for item in page1["items"])
    page2 = stack.get(f"{base}/opportunities", params={"limit": 5, "cursor": page1["nextCursor"]}).json()
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}

    # one opportunity with its contact and notes
    opportunity = next(i for i in page1["items"] if i["contact"] and i["contact"]["tags"])  # tags to keep
    detail = stack.get(f"{base}/opportunities/{opportunity['id']}").json()
    assert detail["opportunity"]["id"] == opportunity["id"]
    contact_id = detail["contact"]["id"]
    assert detail["contact"]["email"]

    # move the stage: GHL (the sandbox) shows the new stage
    pipeline = next(p for p in pipelines if p["id"] == opportunity["pipelineId"])
    target = next(s for s in pipeline["stages"] if s["id"] != opportunity["pipelineStageId"])
    moved = stack.put(f"{base}/opportunities/{opportunity['id']}/stage", json={"pipelineStageId": target["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["pipelineStageId"] == target["id"] and moved.json()["stageName"] == target["name"]
    assert (
        stack.get(f"{base}/opportunities/{opportunity['id']}").json()["opportunity"]["pipelineStageId"] == target["id"]
    )

    # notes and tags
    note = stack.post(
        f"{base}/contacts/{contact_id}/notes",
        headers=key(),
        json={"title": "Research", "body": "Runs three clinics; expanding to Austin."},
    )
    assert note.status_code == 201, note.text
    notes = stack.get(f"{base}/contacts/{contact_id}/notes").json()["items"]
    assert notes[0]["id"] == note.json()["id"] and "Austin" in notes[0]["body"]
    tags = stack.post(f"{base}/contacts/{contact_id}/tags", headers=key(), json={"tags": ["toolkit-researched"]})
    assert tags.status_code == 200, tags.text
    contact = stack.get(f"{base}/opportunities/{opportunity['id']}").json()["contact"]
    assert set(contact["tags"]) == set(detail["contact"]["tags"]) | {"toolkit-researched"}  # added, none replaced

    # a call log: a clearly formatted note
    call = stack.post(
        f"{base}/contacts/{contact_id}/calls",
        headers=key(),
        json={
            "outcome": "answered",
            "durationSeconds": 240,
            "summary": "Interested in a demo",
            "nextSteps": "Send the deck",
        },
    )
    assert call.status_code == 201, call.text
    assert "Interested in a demo" in stack.get(f"{base}/contacts/{contact_id}/notes").json()["items"][0]["body"]

    # the e-mail: sent once even when the request is retried with the same key
    sends_before = len(outbox(stack))
    email_key = key()
    body = {"subject": "Next steps", "html": "<p>Hi! Here is the deck.</p>"}
    sent = stack.post(f"{base}/contacts/{contact_id}/emails", headers=email_key, json=body)
    again = stack.post(f"{base}/contacts/{contact_id}/emails", headers=email_key, json=body)
    assert sent.status_code == again.status_code == 201, sent.text
    assert sent.json() == again.json() and sent.json()["messageId"]
    assert len(outbox(stack)) == sends_before + 1

    # calendars, free slots, booking: the booked slot is gone
    calendars = stack.get(f"{base}/calendars").json()["items"]
    calendar = calendars[0]
    assert calendar["bookingUrl"].endswith(f"/{calendar['id']}")
    start = date.today() + timedelta(days=1)
    window = {
        "start": start.isoformat(),
        "end": (start + timedelta(days=14)).isoformat(),
        "timezone": "America/Chicago",
    }
    slots = stack.get(f"{base}/calendars/{calendar['id']}/free-slots", params=window).json()
    assert slots["timezone"] == "America/Chicago" and slots["slots"]
    chosen = slots["slots"][0]
    booked = stack.post(
        f"{base}/appointments",
        headers=key(),
        json={"calendarId": calendar["id"], "contactId": contact_id, "startTime": chosen, "title": "Demo"},
    )
    assert booked.status_code == 201, booked.text
    after = stack.get(f"{base}/calendars/{calendar['id']}/free-slots", params=window).json()["slots"]
    assert chosen not in after


def test_another_users_location_is_403_with_no_ghl_call(stack: Stack) -> None:
    from ghlsandbox import OTHER_LOCATION_ID

    before = len(stack.ghl_requests("/opportunities"))

    answer = stack.get(f"/locations/{OTHER_LOCATION_ID}/opportunities")

    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert len(stack.ghl_requests("/opportunities")) == before


def test_no_or_bad_jwt_is_401(stack: Stack) -> None:
    url = f"{stack.api}/locations/{stack.location_id}/pipelines"

    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {stack.token}x"}, timeout=10).status_code == 401


def test_a_location_that_needs_reauth_is_409(stack: Stack) -> None:
    from ghlbridge import factories

    store = factories.get_store()
    inst = store.get_installation(stack.location_id)
    store.mark_needs_reauth(stack.location_id, inst.generation, "invalid_grant: test")

    answer = stack.get(f"/locations/{stack.location_id}/pipelines")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "reauthorization_required"


def test_reads_survive_429_storms_and_5xx(make_stack: Any) -> None:
    stack = make_stack(burst_window_seconds=1.0)  # GHL's window is 10 s; the client waits what GHL says
    stack.sandbox.add_fault({"route": "GET /opportunities/search", "kind": "rate_limit", "count": 2})
    stack.sandbox.add_fault({"route": "GET /opportunities/pipelines", "kind": "status", "value": 503, "count": 2})

    answer = stack.get(f"/locations/{stack.location_id}/opportunities", params={"limit": 3})

    assert answer.status_code == 200, answer.text
    statuses = [r["status"] for r in stack.ghl_requests("/opportunities/search")]
    assert statuses.count(429) == 2 and statuses[-1] == 200


def test_a_read_timeout_is_retried(make_stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GHL_TIMEOUT_SECONDS", "1")
    stack = make_stack(timeout_fault_seconds=2)
    stack.sandbox.add_fault({"route": "GET /opportunities/search", "kind": "timeout", "count": 1})
    assert pending_faults(stack, "GET /opportunities/search") == 1

    answer = stack.get(f"/locations/{stack.location_id}/opportunities", params={"limit": 2})

    assert answer.status_code == 200, answer.text
    assert len(answer.json()["items"]) == 2
    assert pending_faults(stack, "GET /opportunities/search") == 0  # the first try stalled; the retry answered


def test_a_send_that_times_out_is_504_outcome_unknown_and_never_doubled(
    make_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GHL_TIMEOUT_SECONDS", "1")
    stack = make_stack(timeout_fault_seconds=2)
    loc = stack.location_id
    opportunity = stack.get(f"/locations/{loc}/opportunities", params={"limit": 1}).json()["items"][0]
    contact_id = opportunity["contactId"]
    stack.sandbox.add_fault({"route": "POST /conversations/messages", "kind": "timeout", "count": 1, "after": True})
    email_key = key()
    body = {"subject": "Hello", "html": "<p>Hello</p>"}

    first = stack.post(f"/locations/{loc}/contacts/{contact_id}/emails", headers=email_key, json=body)
    retry = stack.post(f"/locations/{loc}/contacts/{contact_id}/emails", headers=email_key, json=body)

    assert first.status_code == retry.status_code == 504
    assert first.json()["error"]["code"] == retry.json()["error"]["code"] == "outcome_unknown"
    assert pending_faults(stack, "POST /conversations/messages") == 0  # the one send stalled after the work
    assert len(outbox(stack)) == 1  # and it went out once (the fault came after the work)
