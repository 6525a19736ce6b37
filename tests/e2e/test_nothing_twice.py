"""Nothing sent twice, at the sandbox: a note POST that reached GHL but whose idempotency record
was never completed (the store locked, or the process killed, right after the send) is never sent
again by a retry with the same key, not even after the in-flight record's expiry.

Both scenarios run the real local stack (sandbox + gateway + SQLite store) with the notes function's
Lambda timeout cut to a few seconds, so the in-flight record (whose expiry is the invocation's
deadline) expires while the test waits. The sandbox's note count for the contact is the effect.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_TIMEOUT_SECONDS = 3  # the notes function's Timeout here: the in-flight record's life
RETRIES = 3


def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def short_lambda(stack: Stack, seconds: int = LAMBDA_TIMEOUT_SECONDS) -> None:
    """The notes function's Lambda timeout, as if template.yaml said `Timeout: seconds`."""
    function = stack.stack.gateway.functions["NotesFunction"]
    function.spec = dataclasses.replace(function.spec, timeout_seconds=seconds)


def a_contact(stack: Stack) -> str:
    items = stack.get(f"/locations/{stack.location_id}/opportunities", params={"limit": 1}).json()["items"]
    return str(items[0]["contactId"])


def notes_of(stack: Stack, contact_id: str) -> list[Any]:
    with stack.sandbox.state.lock:
        return list(stack.sandbox.state.data.notes_of(contact_id))


def records() -> list[dict[str, Any]]:
    with sqlite3.connect(os.environ["SQLITE_PATH"]) as db:  # WAL: reads while a writer holds the lock
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("select * from idempotency_records")]


def wait_out_the_in_flight_record() -> None:
    """Until the store's clock is past the in-flight record's expiry (the dead invocation's deadline)."""
    [record] = records()
    assert record["status"] == "INPROGRESS"
    expiry = datetime.fromisoformat(record["in_progress_expires_at"])
    time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.2)


def retries(stack: Stack, path: str, key: str, note: dict[str, str]) -> list[httpx.Response]:
    return [stack.post(path, headers={"Idempotency-Key": key}, json=note) for _ in range(RETRIES)]


def assert_one_answer(first: httpx.Response | None, again: list[httpx.Response]) -> None:
    """Every retry answers alike: the first 201 (its note) or 504 outcome_unknown."""
    statuses = {reply.status_code for reply in again}
    assert len(statuses) == 1 and len({reply.text for reply in again}) == 1, [r.text for r in again]
    if statuses == {201}:
        assert first is not None and again[0].json() == first.json()
    else:
        assert statuses == {504} and again[0].json()["error"]["code"] == "outcome_unknown"
    assert all(reply.headers.get("Idempotency-Replayed") == "true" for reply in again[1:])


def test_a_note_whose_record_could_not_be_completed_is_not_sent_again(
    make_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note reaches GHL, then another connection holds the store's write lock (BEGIN EXCLUSIVE)
    past the store's busy timeout and past the invocation's deadline: the record stays in flight."""
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_SECONDS", "0.3")
    stack = make_stack()
    short_lambda(stack)
    contact = a_contact(stack)
    before = len(notes_of(stack, contact))
    path = f"/locations/{stack.location_id}/contacts/{contact}/notes"
    note, key = {"body": f"Asked for a callback on Tuesday ({uuid.uuid4()})"}, str(uuid.uuid4())
    # the note is stored at once; its answer comes a second later, while the test takes the lock
    stack.sandbox.add_fault(
        {"route": f"POST /contacts/{contact}/notes", "kind": "latency", "value": 1, "count": 1, "after": True}
    )

    with ThreadPoolExecutor(max_workers=1) as pool:
        sending = pool.submit(stack.post, path, headers={"Idempotency-Key": key}, json=note)
        until(lambda: len(notes_of(stack, contact)) == before + 1)
        lock = sqlite3.connect(os.environ["SQLITE_PATH"], isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            first = sending.result(timeout=60)  # answered while the store is still locked
        finally:
            lock.close()  # rolls back: the lock is gone

    assert first.status_code == 201, first.text
    wait_out_the_in_flight_record()
    again = retries(stack, path, key, note)

    assert len(notes_of(stack, contact)) == before + 1  # one note, whatever the retries
    assert_one_answer(first, again)
    assert len(stack.ghl_requests(f"/contacts/{contact}/notes")) == 1


CHILD_GATEWAY = """
import dataclasses, sys, time
from pathlib import Path
from gateway import Gateway

gateway = Gateway(Path(sys.argv[1]), port=0)
function = gateway.functions["NotesFunction"]
function.spec = dataclasses.replace(function.spec, timeout_seconds=int(sys.argv[2]))
gateway.start()
print(gateway.url, flush=True)
time.sleep(600)
"""


def test_a_note_whose_process_was_killed_after_the_send_is_not_sent_again(stack: Stack) -> None:
    """A second gateway in a child process (another container, on the same store and sandbox)
    sends the note; it is killed with SIGKILL once the sandbox holds the note, before the answer
    comes back. Retries through the stack after the in-flight expiry send nothing."""
    contact = a_contact(stack)
    before = len(notes_of(stack, contact))
    path = f"/locations/{stack.location_id}/contacts/{contact}/notes"
    note, key = {"body": f"Sent the pricing sheet ({uuid.uuid4()})"}, str(uuid.uuid4())
    stack.sandbox.add_fault(
        {"route": f"POST /contacts/{contact}/notes", "kind": "latency", "value": 5, "count": 1, "after": True}
    )
    python_path = os.pathsep.join(str(ROOT / part) for part in ("shared", "local", "."))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_GATEWAY, str(ROOT / "template.yaml"), str(LAMBDA_TIMEOUT_SECONDS)],
        env={**os.environ, "PYTHONPATH": python_path},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        child_api = child.stdout.readline().strip()
        assert child_api.startswith("http://"), "the child gateway did not start"
        with ThreadPoolExecutor(max_workers=1) as pool:
            sending = pool.submit(
                httpx.post,
                f"{child_api}{path}",
                headers={"Authorization": f"Bearer {stack.token}", "Idempotency-Key": key},
                json=note,
                timeout=60,
            )
            until(lambda: len(notes_of(stack, contact)) == before + 1)
            child.send_signal(signal.SIGKILL)  # between the send and the record's completion
            child.wait(timeout=10)
            with pytest.raises(httpx.TransportError):
                sending.result(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)

    [record] = records()
    assert record["status"] == "INPROGRESS" and record["response_data"] is None  # left behind by the kill
    wait_out_the_in_flight_record()
    again = retries(stack, path, key, note)

    assert len(notes_of(stack, contact)) == before + 1  # exactly one note
    assert_one_answer(None, again)
    assert again[0].status_code == 504  # nobody saw the note's answer: its outcome is unknown
