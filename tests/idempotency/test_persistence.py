"""Powertools Idempotency end to end over `StorePersistenceLayer`, on both stores (the contract
suite's fixtures: SQLite, and Supabase → PostgREST double → PostgreSQL).

The handler under test is what a toolkit POST will look like: `@idempotent` keyed on the caller, the
location and the `Idempotency-Key` header, 24 h records, the request body validated. Each test
counts the body's runs and reads the record the store holds (its response sealed with a test key).
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

from ghlbridge.idempotency.persistence import (
    IdempotencyConfig,
    StorePersistenceLayer,
    aad,
    idempotent,
    idempotent_function,
)
from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus, Store, StoreUnavailableError
from ghlbridge.tokens.crypto import TokenCipher
from tests.lambda_events import http_event, lambda_context
from tests.store import test_contract as contract

# The contract suite's fixtures: each test runs on both stores.
store_spec, store = contract.store_spec, contract.store

ROOT = Path(__file__).resolve().parents[2]
USER = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
OTHER_USER = "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
DAY = 86400
CIPHER = TokenCipher({"k1": b"1" * 32, "k2": b"2" * 32}, "k2")
UNKNOWN = {"statusCode": 504, "body": json.dumps({"error": {"code": "outcome_unknown"}})}
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

    def __init__(
        self,
        store: Store | Callable[[], Store],
        *,
        expires_after_seconds: int = DAY,
        cipher: TokenCipher = CIPHER,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.persistence = StorePersistenceLayer(store, unknown_outcome=lambda: UNKNOWN, cipher=cipher, sleep=sleep)
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
        return self.handler(event, lambda_context(remaining_ms=remaining_ms))

    def record(self, event: dict[str, Any]) -> IdempotencyRecord | None:
        key = self.persistence._get_hashed_idempotency_key(event)
        return self.persistence.store.get_idempotency_record(key) if key else None


def completed(note: NoteHandler, event: dict[str, Any]) -> IdempotencyRecord:
    rec = note.record(event)
    assert rec is not None and rec.status is IdempotencyStatus.COMPLETED
    return rec


def opened(rec: IdempotencyRecord) -> Any:
    """The stored response, opened (it is sealed for its key)."""
    assert rec.response_data is not None
    return json.loads(CIPHER.decrypt(rec.response_data, aad=aad(rec.key)))


# --- the promise: nothing is done twice --------------------------------------------------------
def test_a_repeat_returns_the_first_response_without_running_again(store: Store) -> None:
    note = NoteHandler(store)
    started = datetime.now(UTC)

    first = note(note_event())
    repeat = note(note_event())  # a client retry: a new request, the same key and body

    assert repeat == first and len(note.runs) == 1
    rec = completed(note, note_event())
    assert opened(rec) == first
    assert rec.payload_hash  # payload validation is on, so the body's hash is kept
    assert started + timedelta(seconds=DAY - 1) <= rec.expires_at <= datetime.now(UTC) + timedelta(seconds=DAY)


def test_the_key_is_the_caller_the_location_and_the_header(store: Store) -> None:
    note = NoteHandler(store)

    note(note_event("idem-1"))
    note(note_event("idem-2"))  # another key
    note(note_event("idem-1", user=OTHER_USER))  # the same header value from another user

    assert len(note.runs) == 3
    assert note.record(note_event("idem-1")) != note.record(note_event("idem-1", user=OTHER_USER))


def test_a_request_without_the_header_is_refused_before_the_body_runs(store: Store) -> None:
    note = NoteHandler(store)

    for event in (note_event(None), note_event("")):
        with pytest.raises(IdempotencyKeyError):
            note(event)

    assert note.runs == []


def test_a_duplicate_while_the_first_is_in_flight_is_refused(store: Store) -> None:
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


def test_8_concurrent_duplicates_run_the_body_once(store: Store) -> None:
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
    assert opened(completed(note, note_event())) == next(o for o in outcomes if isinstance(o, dict))


# --- failures and expiry -------------------------------------------------------------------------
def test_an_exception_in_the_body_frees_the_key_so_a_retry_runs_again(store: Store) -> None:
    note = NoteHandler(store)
    note.fail_with = RuntimeError("GHL answered 503")

    with pytest.raises(RuntimeError, match="503"):
        note(note_event())

    assert note.record(note_event()) is None  # deleted, not left INPROGRESS
    note.fail_with = None
    response = note(note_event())
    assert len(note.runs) == 2
    assert opened(completed(note, note_event())) == response


class Killed(BaseException):  # not an Exception: Powertools does not clean up after it, as after a kill
    pass


def killed_in_flight(note: NoteHandler) -> IdempotencyRecord:
    """A Lambda timeout kills the process (remaining time 0) after its work may have been done: no
    delete runs, the INPROGRESS record stays behind with the invocation's deadline."""
    note.fail_with = Killed()
    with pytest.raises(Killed):
        note(note_event(), remaining_ms=0)
    note.fail_with = None
    orphan = note.record(note_event())
    assert orphan is not None and orphan.status is IdempotencyStatus.INPROGRESS
    return orphan


def test_a_key_whose_invocation_died_in_flight_answers_unknown_and_never_runs_again(store: Store) -> None:
    note = NoteHandler(store)
    orphan = killed_in_flight(note)
    time.sleep(0.01)  # past the deadline on the store's clock

    answers = [note(note_event()) for _ in range(3)]

    assert answers == [UNKNOWN] * 3 and len(note.runs) == 1
    rec = completed(note, note_event())
    assert rec.created_at == orphan.created_at  # settled in place, not taken over
    assert opened(rec) == UNKNOWN and rec.expires_at > datetime.now(UTC) + timedelta(hours=23)


def test_8_retries_racing_on_a_dead_invocations_key_give_one_answer(store: Store) -> None:
    answers = iter(range(100))
    note = NoteHandler(store)
    note.persistence._unknown_outcome = lambda: {"statusCode": 504, "body": str(next(answers))}
    killed_in_flight(note)
    time.sleep(0.01)
    barrier = threading.Barrier(8)

    def retry(_: int) -> Any:
        barrier.wait(timeout=20)
        return note(note_event())

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(retry, range(8)))

    assert len(note.runs) == 1
    assert all(outcome == outcomes[0] for outcome in outcomes)  # one settle won; the others read it
    assert opened(completed(note, note_event())) == outcomes[0]


def test_a_payload_mismatch_on_a_dead_invocations_key_is_refused_before_settling(store: Store) -> None:
    note = NoteHandler(store)
    orphan = killed_in_flight(note)

    with pytest.raises(IdempotencyValidationError):
        note(note_event(body='{"body": "Booked a demo"}'))

    assert note.record(note_event()) == orphan


def test_a_different_payload_under_the_same_key_is_refused(store: Store) -> None:
    note = NoteHandler(store)
    note(note_event(body='{"body": "Left a voicemail"}'))
    before = completed(note, note_event())

    with pytest.raises(IdempotencyValidationError):
        note(note_event(body='{"body": "Booked a demo"}'))

    assert len(note.runs) == 1
    assert completed(note, note_event()) == before  # the record is untouched


def test_a_record_expires_after_expires_after_seconds(store: Store) -> None:
    note = NoteHandler(store, expires_after_seconds=1)
    note(note_event())
    rec = completed(note, note_event())
    assert rec.expires_at - datetime.now(UTC) <= timedelta(seconds=1)
    assert len(note.runs) == 1

    time.sleep(max(0.0, (rec.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    note(note_event())

    assert len(note.runs) == 2
    assert completed(note, note_event()).expires_at > rec.expires_at


# --- completing the record --------------------------------------------------------------------------
class FlakyStore:
    """The store, with `update_idempotency_record` refused (store locked) the first `failures` times."""

    def __init__(self, store: Store, failures: int) -> None:
        self._store, self.failures, self.updates = store, failures, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def update_idempotency_record(self, *args: Any) -> bool:
        self.updates += 1
        if self.updates <= self.failures:
            raise StoreUnavailableError("database is locked")
        return self._store.update_idempotency_record(*args)


def test_a_refused_completion_is_retried_while_the_deadline_allows(store: Store) -> None:
    flaky, pauses = FlakyStore(store, failures=3), []
    note = NoteHandler(lambda: flaky, sleep=pauses.append)  # type: ignore[arg-type, return-value]

    first = note(note_event())

    assert flaky.updates == 4 and pauses == [0.05, 0.1, 0.2]
    assert opened(completed(note, note_event())) == first
    assert note(note_event()) == first and len(note.runs) == 1


def test_a_completion_refused_past_the_deadline_leaves_the_key_answering_unknown(store: Store) -> None:
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError

    flaky = FlakyStore(store, failures=100)
    note = NoteHandler(lambda: flaky, sleep=lambda _: None)  # type: ignore[arg-type, return-value]

    with pytest.raises(IdempotencyPersistenceLayerError):  # the caller answers the work's outcome anyway
        note(note_event(), remaining_ms=1_500)  # time for a few attempts, not for 100

    assert 1 < flaky.updates < 100 and len(note.runs) == 1
    rec = note.record(note_event())
    assert rec is not None and rec.status is IdempotencyStatus.INPROGRESS
    assert rec.in_progress_expires_at is not None
    time.sleep(max(0.0, (rec.in_progress_expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    assert note(note_event()) == UNKNOWN and len(note.runs) == 1


def test_a_completion_after_the_key_was_settled_keeps_the_settled_answer(store: Store) -> None:
    """The first invocation outlived its deadline (the store was slow); a retry settled the key."""
    note = NoteHandler(store)
    note.release.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(note, note_event(), 300)  # a deadline 0.3 s away
        assert note.entered.wait(timeout=20)
        time.sleep(0.35)
        retry = note(note_event())
        note.release.set()
        late = first.result(timeout=20)

    assert retry == UNKNOWN and late["statusCode"] == 201 and len(note.runs) == 1
    assert opened(completed(note, note_event())) == UNKNOWN  # every later retry: the settled answer
    assert note(note_event()) == UNKNOWN


# --- the stored response is sealed -------------------------------------------------------------------
def test_the_stored_response_is_encrypted_for_its_key(store: Store) -> None:
    note = NoteHandler(store)
    first = note(note_event())
    rec = completed(note, note_event())

    assert rec.response_data is not None and rec.response_data.startswith("v1.k2.")
    assert "note-1" not in rec.response_data and "statusCode" not in rec.response_data
    assert note(note_event()) == first  # a replay opens it


def test_a_response_that_does_not_open_is_answered_unknown_never_run_again(store: Store) -> None:
    note = NoteHandler(store)
    note(note_event())
    other = NoteHandler(store, cipher=TokenCipher({"k3": b"3" * 32}, "k3"))  # k2 rotated away

    assert other(note_event()) == UNKNOWN

    assert len(note.runs) + len(other.runs) == 1


def test_a_response_copied_to_another_key_does_not_open(store: Store) -> None:
    note = NoteHandler(store)
    note(note_event("idem-1"))
    note(note_event("idem-2"))
    sealed = completed(note, note_event("idem-1")).response_data
    target = note.record(note_event("idem-2"))
    assert sealed is not None and target is not None
    store.delete_idempotency_record(target.key)
    store.put_idempotency_record(target.model_copy(update={"status": IdempotencyStatus.INPROGRESS}))
    store.update_idempotency_record(target.key, IdempotencyStatus.COMPLETED, target.expires_at, sealed)

    assert note(note_event("idem-2")) == UNKNOWN and len(note.runs) == 2


# --- the layer itself ----------------------------------------------------------------------------
def test_the_store_is_built_on_first_use(store: Store) -> None:
    built: list[Store] = []

    def get_store() -> Store:
        built.append(store)
        return store

    note = NoteHandler(get_store)
    assert built == []  # not at import, not when decorating

    note(note_event())

    assert built and len(note.runs) == 1


def test_get_record_of_a_missing_key_raises_not_found(store: Store) -> None:
    with pytest.raises(IdempotencyItemNotFoundError):
        StorePersistenceLayer(store, unknown_outcome=dict, cipher=CIPHER)._get_record("no-such-key")


def test_idempotent_function_over_the_store(store: Store) -> None:
    config = IdempotencyConfig(event_key_jmespath="idempotency_key", expires_after_seconds=DAY)
    config.register_lambda_context(lambda_context())
    sent: list[dict[str, str]] = []

    layer = StorePersistenceLayer(store, unknown_outcome=lambda: {"outcome": "unknown"}, cipher=CIPHER)

    @idempotent_function(data_keyword_argument="email", config=config, persistence_store=layer)
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
        "from ghlbridge.idempotency.persistence import IdempotencyConfig, StorePersistenceLayer, idempotent\n"
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
    first = run_python(f"import ghlbridge.idempotency.persistence\n{names}")
    ordinary = run_python(names)
    after = run_python(f"{names}import ghlbridge.idempotency.persistence\n")

    assert first.returncode == ordinary.returncode == after.returncode == 0, first.stderr + after.stderr
    assert first.stdout == ordinary.stdout == after.stdout
    assert "DynamoDBPersistenceLayer" in ordinary.stdout
