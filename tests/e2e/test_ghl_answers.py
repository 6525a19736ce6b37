"""GHL's refusals through the local stack (gateway + functions + the GHL sandbox): an unknown id and
another location's id are one and the same 404; a slot booked twice is 201 then 409
(docs/ghl-errors.md)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Stack

UNKNOWN = "zZzUnKnOwNiD00000000"  # looks like a GHL id; no record has it
OTHER_LOCATION_ID = "2Kvf8THRXfEuzcrJaBnx"  # the sandbox's second location (local/ghlsandbox/data.py)
WINDOW = {"timezone": "America/Chicago"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def other_locations(stack: Stack, kind: str) -> str:
    """The id of one of the other location's records (`contacts`, `opportunities`, `calendars`)."""
    records = getattr(stack.sandbox.state.data, kind).values()
    return next(record.id for record in records if record.location_id == OTHER_LOCATION_ID)


def window() -> dict[str, str]:
    start = date.today() + timedelta(days=1)
    return WINDOW | {"start": start.isoformat(), "end": (start + timedelta(days=14)).isoformat()}


def ask(stack: Stack, route: str, record_id: str) -> Any:
    base = f"/locations/{stack.location_id}"
    if route == "detail":
        return stack.get(f"{base}/opportunities/{record_id}")
    if route == "notes":
        return stack.get(f"{base}/contacts/{record_id}/notes")
    if route == "note":
        return stack.post(f"{base}/contacts/{record_id}/notes", headers=key(), json={"body": "Called"})
    if route == "free-slots":
        return stack.get(f"{base}/calendars/{record_id}/free-slots", params=window())
    raise AssertionError(route)


KINDS = {"detail": "opportunities", "notes": "contacts", "note": "contacts", "free-slots": "calendars"}


@pytest.mark.parametrize("route", list(KINDS))
def test_an_unknown_id_and_another_locations_id_are_the_same_404(stack: Stack, route: str) -> None:
    answers = [ask(stack, route, UNKNOWN), ask(stack, route, other_locations(stack, KINDS[route]))]

    bodies = []
    for answer in answers:
        assert answer.status_code == 404, answer.text
        error = answer.json()["error"]
        assert error.pop("requestId")
        bodies.append(error)
    assert bodies[0] == bodies[1] == {"code": "not_found", "message": "GHL has no such resource in this location"}
    statuses = sorted(r["status"] for r in stack.ghl_requests() if r["status"] in (400, 403))
    assert statuses == [400, 403]  # GHL's two forms of "not found", each asked once


def test_a_slot_booked_twice_is_201_then_409(stack: Stack) -> None:
    base = f"/locations/{stack.location_id}"
    calendar = stack.get(f"{base}/calendars").json()["items"][0]
    slots = stack.get(f"{base}/calendars/{calendar['id']}/free-slots", params=window()).json()["slots"]
    contacts = stack.get(f"{base}/opportunities", params={"limit": 1}).json()["items"]
    booking = {"calendarId": calendar["id"], "contactId": contacts[0]["contact"]["id"], "startTime": slots[0]}

    first = stack.post(f"{base}/appointments", headers=key(), json=booking)
    second = stack.post(f"{base}/appointments", headers=key(), json=booking)

    assert first.status_code == 201, first.text
    assert second.status_code == 409, second.text
    error = second.json()["error"]
    assert error["code"] == "slot_unavailable"
    assert error["details"]["ghlMessages"] == ["The slot you have selected is no longer available."]
