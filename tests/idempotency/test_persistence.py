"""Powertools Idempotency end to end over `StorePersistenceLayer`, on both stores (the contract
suite's fixtures: SQLite, and Supabase → PostgREST double → PostgreSQL).

The handler under test is what a toolkit POST will look like: `@idempotent` keyed on the caller, the
location and the `Idempotency-Key` header, 24 h records, the request body validated. Each test
counts the body's runs and reads the record the store holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemNotFoundError,
    IdempotencyKeyError,
    IdempotencyValidationError,
)

from ghlbridge.idempotency import IdempotencyConfig, StorePersistenceLayer, idempotent, idempotent_function
from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus, TokenStore
from tests.lambda_events import FakeContext, http_event
from tests.store import test_contract as contract

# The contract suite's fixtures: each test runs on both stores.
store_spec, store = contract.store_spec, contract.store

ROOT = Path(__file__).resolve().parents[2]
USER = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
OTHER_USER = "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
DAY = 86400
# No header, no key: `&&` yields null, which `raise_on_no_idempotency_key` refuses. A plain list would
# hash [user, location, null] and fold every header-less POST of a user and location into one.
EVENT_KEY = (
    'headers."idempotency-key" && '
    '[requestContext.authorizer.jwt.claims.sub, pathParameters.locationId, headers."idempotency-key"]'
)


def note_event(key: str | None = "idem-1", *, user: str = USER, body: str = '{"body": "Left a voicemail"}') -> Any:
    """A POST of a note as API Gateway delivers it; each call is a new request (new requestId)."""
    event = http_event(
        "POST", "/locations/loc1/contacts/c1/notes", headers={"Idempotency-Key": key} if key else {}, body=body
    )
    event["pathParameters"] = {"locationId": "loc1", "contactId": "c1"}
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": user}, "scopes": None}}
    return event


class NoteHandler:
    """`@idempotent` around a body that counts its runs and can be made to wait or fail."""

    def __init__(self, store: TokenStore | Callable[[], TokenStore], *, expires_after_seconds: int = DAY) -> None:
        self.persistence = StorePersistenceLayer(store)
        self.config = IdempotencyConfig(
            event_key_jmespath=EVENT_KEY,
            payload_validation_jmespath="body",
            expires_after_seconds=expires_after_seconds,
            raise_on_no_idempotency_key=True,
        )
        self.runs: list[str] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_with: BaseException | None = None

        @idempotent(config=self.config, persistence_store=self.persistence)
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            self.runs.append(event["requestContext"]["requestId"])
            self.entered.set()
            assert self.release.wait(timeout=20)
            if self.fail_with is not None:
                raise self.fail_with
            return {"statusCode": 201, "body": json.dumps({"note": {"id": f"note-{len(self.runs)}"}})}

        self.handler = handler

    def __call__(self, event: dict[str, Any], remaining_ms: int = 15_000) -> Any:
        return self.handler(event, FakeContext(remaining_ms=remaining_ms))

    def record(self, event: dict[str, Any]) -> IdempotencyRecord | None:
        key = self.persistence._get_hashed_idempotency_key(event)
        return self.persistence.store.get_idempotency_record(key) if key else None


def completed(note: NoteHandler, event: dict[str, Any]) -> IdempotencyRecord:
    rec = note.record(event)
    assert rec is not None and rec.status is IdempotencyStatus.COMPLETED
    return rec


# --- the promise: nothing is done twice --------------------------------------------------------
def test_a_repeat_returns_the_first_response_without_running_again(store: TokenStore) -> None:
    note = NoteHandler(store)
    started = datetime.now(UTC)

    first = note(note_event())
    repeat = note(note_event())  # a client retry: a new request, the same key and body

    assert repeat == first and len(note.runs) == 1
    rec = completed(note, note_event())
    assert rec.response_data is not None and json.loads(rec.response_data) == first
    assert rec.payload_hash  # payload validation is on, so the body's hash is kept
    assert started + timedelta(seconds=DAY - 1) <= rec.expires_at <= datetime.now(UTC) + timedelta(seconds=DAY)


def test_the_key_is_the_caller_the_location_and_the_header(store: TokenStore) -> None:
    note = NoteHandler(store)

    note(note_event("idem-1"))
    note(note_event("idem-2"))  # another key
    note(note_event("idem-1", user=OTHER_USER))  # the same header value from another user

    assert len(note.runs) == 3
    assert note.record(note_event("idem-1")) != note.record(note_event("idem-1", user=OTHER_USER))


def test_a_request_without_the_header_is_refused_before_the_body_runs(store: TokenStore) -> None:
    note = NoteHandler(store)

    for event in (note_event(None), note_event("")):
        with pytest.raises(IdempotencyKeyError):
            note(event)

    assert note.runs == []


def test_a_duplicate_while_the_first_is_in_flight_is_refused(store: TokenStore) -> None:
    note = NoteHandler(store)
    note.release.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(note, note_event())
        assert note.entered.wait(timeout=20)
        in_flight = note.record(note_event())

        with pytest.raises(IdempotencyAlreadyInProgressError):
            note(note_event())

        note.release.set()
        response = first.result(timeout=20)

    assert in_flight is not None and in_flight.status is IdempotencyStatus.INPROGRESS
    assert in_flight.in_progress_expires_at is not None  # the invocation's deadline, from its context
    assert in_flight.in_progress_expires_at <= datetime.now(UTC) + timedelta(seconds=15)
    assert len(note.runs) == 1
    assert note(note_event()) == response  # once done, a repeat gets the response
    assert len(note.runs) == 1


def test_8_concurrent_duplicates_run_the_body_once(store: TokenStore) -> None:
    note = NoteHandler(store)
    note.release.clear()  # the winner waits until every loser has been answered
    barrier = threading.Barrier(8)

    def attempt(_: int) -> Any:
        barrier.wait(timeout=20)
        try:
            return note(note_event())
        except IdempotencyAlreadyInProgressError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(attempt, i) for i in range(8)]
        deadline = time.monotonic() + 20
        while sum(f.done() for f in futures) < 7 and time.monotonic() < deadline:
            time.sleep(0.01)
        note.release.set()
        outcomes = [f.result(timeout=20) for f in futures]

    refused = [o for o in outcomes if isinstance(o, IdempotencyAlreadyInProgressError)]
    assert (len(refused), len(note.runs)) == (7, 1)
    assert json.loads(completed(note, note_event()).response_data or "") == next(
        o for o in outcomes if isinstance(o, dict)
    )


# --- failures and expiry -------------------------------------------------------------------------
def test_an_exception_in_the_body_frees_the_key_so_a_retry_runs_again(store: TokenStore) -> None:
    note = NoteHandler(store)
    note.fail_with = RuntimeError("GHL answered 503")

    with pytest.raises(RuntimeError, match="503"):
        note(note_event())

    assert note.record(note_event()) is None  # deleted, not left INPROGRESS
    note.fail_with = None
    response = note(note_event())
    assert len(note.runs) == 2
    assert json.loads(completed(note, note_event()).response_data or "") == response


def test_an_invocation_killed_in_flight_does_not_hold_the_key(store: TokenStore) -> None:
    """A Lambda timeout kills the process: no delete runs, the INPROGRESS record stays behind with
    the invocation's deadline (remaining time 0 at the kill), and the retry takes it over."""
    note = NoteHandler(store)

    class Killed(BaseException):  # not an Exception: Powertools does not clean up after it
        pass

    note.fail_with = Killed()
    with pytest.raises(Killed):
        note(note_event(), remaining_ms=0)
    orphan = note.record(note_event())
    assert orphan is not None and orphan.status is IdempotencyStatus.INPROGRESS

    note.fail_with = None
    note(note_event())

    assert len(note.runs) == 2
    assert completed(note, note_event()).created_at != orphan.created_at  # a new record took its place


def test_a_different_payload_under_the_same_key_is_refused(store: TokenStore) -> None:
    note = NoteHandler(store)
    note(note_event(body='{"body": "Left a voicemail"}'))
    before = completed(note, note_event())

    with pytest.raises(IdempotencyValidationError):
        note(note_event(body='{"body": "Booked a demo"}'))

    assert len(note.runs) == 1
    assert completed(note, note_event()) == before  # the record is untouched


def test_a_record_expires_after_expires_after_seconds(store: TokenStore) -> None:
    note = NoteHandler(store, expires_after_seconds=1)
    note(note_event())
    rec = completed(note, note_event())
    assert rec.expires_at - datetime.now(UTC) <= timedelta(seconds=1)
    assert len(note.runs) == 1

    time.sleep(max(0.0, (rec.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    note(note_event())

    assert len(note.runs) == 2
    assert completed(note, note_event()).expires_at > rec.expires_at


# --- the layer itself ----------------------------------------------------------------------------
def test_the_store_is_built_on_first_use(store: TokenStore) -> None:
    built: list[TokenStore] = []

    def get_store() -> TokenStore:
        built.append(store)
        return store

    note = NoteHandler(get_store)
    assert built == []  # not at import, not when decorating

    note(note_event())

    assert built and len(note.runs) == 1


def test_get_record_of_a_missing_key_raises_not_found(store: TokenStore) -> None:
    with pytest.raises(IdempotencyItemNotFoundError):
        StorePersistenceLayer(store)._get_record("no-such-key")


def test_idempotent_function_over_the_store(store: TokenStore) -> None:
    config = IdempotencyConfig(event_key_jmespath="idempotency_key", expires_after_seconds=DAY)
    config.register_lambda_context(FakeContext())
    sent: list[dict[str, str]] = []

    @idempotent_function(data_keyword_argument="email", config=config, persistence_store=StorePersistenceLayer(store))
    def send_email(*, email: dict[str, str]) -> dict[str, str]:
        sent.append(email)
        return {"messageId": f"msg-{len(sent)}"}

    email = {"idempotency_key": "k1", "to": "lead@example.com"}

    assert send_email(email=email) == send_email(email=email) == {"messageId": "msg-1"}
    assert len(sent) == 1


# --- importing it keeps boto3 out ----------------------------------------------------------------
def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(ROOT / "shared")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def test_importing_the_layer_does_not_import_boto3() -> None:
    done = run_python(
        "import sys\n"
        "from ghlbridge.idempotency import IdempotencyConfig, StorePersistenceLayer, idempotent\n"
        "from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, idempotent_function\n"
        # `import aws_lambda_powertools` imports the bare `botocore` package (<1 ms) for its user agent;
        # the cost is boto3 and botocore's modules (~160 ms)
        "loaded = sorted(m for m in sys.modules if m == 'boto3' or m.startswith(('boto3.', 'botocore.')))\n"
        "assert not loaded, loaded\n"
        "from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer\n"  # still there on demand
        "assert issubclass(DynamoDBPersistenceLayer, BasePersistenceLayer) and 'boto3' in sys.modules\n"
        "assert DynamoDBPersistenceLayer.__module__.endswith('persistence.dynamodb')\n"
    )
    assert done.returncode == 0, done.stderr


def test_the_package_keeps_its_public_names() -> None:
    """The same `__all__`, every name resolvable, whichever is imported first."""
    names = (
        "import aws_lambda_powertools.utilities.idempotency as p\n"
        "print(sorted((n, getattr(p, n).__module__) for n in p.__all__))\n"
    )
    first = run_python(f"import ghlbridge.idempotency\n{names}")
    ordinary = run_python(names)
    after = run_python(f"{names}import ghlbridge.idempotency\n")

    assert first.returncode == ordinary.returncode == after.returncode == 0, first.stderr + after.stderr
    assert first.stdout == ordinary.stdout == after.stdout
    assert "DynamoDBPersistenceLayer" in ordinary.stdout
