"""A browser front end makes parallel requests: under `make dev`, each must get its own answer.

Powertools keeps the current event on the resolver class, so functions that shared one process
read each other's headers, query and body (an appointment POST answered 400 "Idempotency-Key
missing", an opportunities search answered with another search's filters). Here several threads
fire requests at different functions at the same moment, round after round, and every answer is
checked against the answer the same request gets when it is alone."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import Stack

ROUNDS = 25

Check = Callable[[httpx.Response], None]


def test_parallel_requests_to_different_functions_each_get_their_own_answer(make_stack: Any) -> None:
    stack: Stack = make_stack(burst_limit=100_000)
    base = f"/locations/{stack.location_id}"

    # What each request answers when it is alone.
    pipelines = stack.get(f"{base}/pipelines").json()["items"]
    searches = [
        {"pipelineId": pipelines[0]["id"], "status": "open", "limit": 20},
        {"pipelineId": pipelines[-1]["id"], "status": "won", "limit": 20},
        {"status": "lost", "limit": 20},
    ]
    alone = {i: stack.get(f"{base}/opportunities", params=q).json() for i, q in enumerate(searches)}
    assert all(alone[i]["items"] for i in alone), "every search has items to tell them apart"
    everything = stack.get(f"{base}/opportunities", params={"limit": 50}).json()["items"]
    contacts = list(dict.fromkeys(item["contactId"] for item in everything if item["contactId"]))[:2]
    assert len(contacts) == 2
    for contact_id in contacts:  # a note of its own on each contact
        note = stack.post(
            f"{base}/contacts/{contact_id}/notes",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"title": "Mine", "body": f"only about {contact_id}"},
        )
        assert note.status_code == 201, note.text
    notes_alone = {c: stack.get(f"{base}/contacts/{c}/notes").json() for c in contacts}
    calendars_alone = stack.get(f"{base}/calendars").json()
    locations_alone = stack.get("/locations").json()
    calendar_id = calendars_alone["items"][0]["id"]
    start = date.today() + timedelta(days=1)
    window = {"start": start.isoformat(), "end": (start + timedelta(days=14)).isoformat(), "timezone": "UTC"}
    free = stack.get(f"{base}/calendars/{calendar_id}/free-slots", params=window).json()["slots"]
    assert len(free) >= ROUNDS

    def search(i: int) -> tuple[Callable[[], httpx.Response], Check]:
        def check(answer: httpx.Response) -> None:
            assert answer.status_code == 200, answer.text
            items = answer.json()["items"]
            assert all(item["status"] == searches[i]["status"] for item in items), searches[i]
            if "pipelineId" in searches[i]:
                assert all(item["pipelineId"] == searches[i]["pipelineId"] for item in items), searches[i]
            assert answer.json() == alone[i]

        return (lambda: stack.get(f"{base}/opportunities", params=searches[i])), check

    def notes(contact_id: str) -> tuple[Callable[[], httpx.Response], Check]:
        def check(answer: httpx.Response) -> None:
            assert answer.status_code == 200, answer.text
            assert answer.json() == notes_alone[contact_id], contact_id
            assert f"only about {contact_id}" in answer.text

        return (lambda: stack.get(f"{base}/contacts/{contact_id}/notes")), check

    def same_as(path: str, expected: Any) -> tuple[Callable[[], httpx.Response], Check]:
        def check(answer: httpx.Response) -> None:
            assert answer.status_code == 200, answer.text
            assert answer.json() == expected, path

        return (lambda: stack.get(path)), check

    def book(round_: int) -> tuple[Callable[[], httpx.Response], Check]:
        title = f"Demo {uuid.uuid4()}"
        body = {"calendarId": calendar_id, "contactId": contacts[round_ % 2], "startTime": free[round_], "title": title}

        def check(answer: httpx.Response) -> None:
            assert answer.status_code == 201, answer.text
            assert (answer.json()["title"], answer.json()["contactId"]) == (title, body["contactId"])

        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return (lambda: stack.post(f"{base}/appointments", headers=headers, json=body)), check

    def refused(method: str, path: str, body: Any) -> tuple[Callable[[], httpx.Response], Check]:
        """A write without its Idempotency-Key (or with a body that is not valid): 400, nothing done."""

        def check(answer: httpx.Response) -> None:  # an error answer names its own request
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["requestId"] == answer.headers["apigw-requestid"]

        return (lambda: stack.call(method, f"{base}{path}", json=body)), check

    request_ids: list[str] = []
    for round_ in range(ROUNDS):
        calls = [
            search(0),
            search(1),
            search(2),
            notes(contacts[0]),
            notes(contacts[1]),
            same_as(f"{base}/calendars", calendars_alone),
            same_as("/locations", locations_alone),
            book(round_),
            refused("POST", f"/contacts/{contacts[0]}/notes", {"body": "no key"}),
            refused("POST", f"/contacts/{contacts[1]}/calls", {"outcome": "answered"}),
            refused("POST", f"/contacts/{contacts[0]}/emails", {"subject": "no key", "html": "<p>x</p>"}),
            refused("PUT", f"/opportunities/{everything[0]['id']}/stage", {"pipelineStageId": ""}),
        ]
        barrier = threading.Barrier(len(calls))

        def fire(call: Callable[[], httpx.Response], barrier: threading.Barrier = barrier) -> httpx.Response:
            barrier.wait(timeout=30)
            return call()

        with ThreadPoolExecutor(len(calls)) as pool:
            answers = list(pool.map(fire, [send for send, _ in calls]))
        for (_, check), answer in zip(calls, answers, strict=True):
            check(answer)
            request_ids.append(answer.headers["apigw-requestid"])

    assert len(set(request_ids)) == len(request_ids) == ROUNDS * 12
