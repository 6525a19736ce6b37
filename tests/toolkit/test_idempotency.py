"""Nothing sent twice, through the real handlers and the SQLite store: repeats, concurrent
duplicates, reused keys, the key's scope, and the unknown outcome of a send that GHL did not
confirm (stored, so a retry never sends again)."""

from __future__ import annotations

import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from tests.ghl.ghl_testkit import CONTACT_ID, UNPROCESSABLE_BODY, note_body, sent_message_body, spec_response
from tests.toolkit.kit import LOCATION, OTHER_LOCATION, OTHER_USER, Reply, Toolkit, new_key

NOTES = f"/locations/{LOCATION}/contacts/{CONTACT_ID}/notes"
EMAILS = f"/locations/{LOCATION}/contacts/{CONTACT_ID}/emails"
GHL_NOTES = f"/contacts/{CONTACT_ID}/notes"
GHL_SEND = "/conversations/messages"
NOTE = {"body": "Left a voicemail"}
EMAIL = {"subject": "Your proposal", "html": "<p>Hi John, here it is.</p>"}


def records(toolkit: Toolkit) -> list[dict[str, Any]]:
    with sqlite3.connect(toolkit.env["SQLITE_PATH"]) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("select * from idempotency_records")]


def answer_of(record: dict[str, Any]) -> Any:
    """The answer a record keeps, decrypted (it is sealed for its key with the token cipher)."""
    from ghlbridge.factories import get_cipher
    from ghlbridge.idempotency.persistence import aad

    return json.loads(get_cipher().decrypt(record["response_data"], aad=aad(record["key"])))


def note_route(ghl_api: respx.MockRouter) -> respx.Route:
    return ghl_api.post(GHL_NOTES).mock(return_value=spec_response("POST", GHL_NOTES, 201, {"note": note_body()}))


def post_note(toolkit: Toolkit, key: str | None, body: dict[str, Any] = NOTE, **kwargs: Any) -> Reply:
    return toolkit.call("notes", "POST", kwargs.pop("path", NOTES), body=body, key=key, **kwargs)


def send_email(toolkit: Toolkit, key: str, body: dict[str, Any] = EMAIL) -> Reply:
    return toolkit.call("emails", "POST", EMAILS, body=body, key=key)


# --- repeats ----------------------------------------------------------------------------------------


def test_a_repeat_gets_the_first_answer_and_ghl_is_called_once(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = note_route(ghl_api)
    key = new_key()

    first = post_note(toolkit, key)
    repeat = post_note(toolkit, key)

    assert first.status == repeat.status == 201
    assert repeat.body == first.body
    assert route.call_count == 1
    assert "Idempotency-Replayed" not in first.headers and repeat.headers["Idempotency-Replayed"] == "true"
    [record] = records(toolkit)
    assert record["status"] == "COMPLETED"
    assert answer_of(record) == {"status": 201, "body": first.body}


def test_a_repeat_is_answered_by_another_container(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """The answer lives in the store, not in the container: a cold container replays it too."""
    from ghlbridge import factories

    route = note_route(ghl_api)
    key = new_key()
    first = post_note(toolkit, key)
    factories.reset()  # every cached object gone, as in a new container

    repeat = post_note(toolkit, key)

    assert (repeat.status, repeat.body) == (201, first.body) and route.call_count == 1


def test_records_expire_after_the_ttl(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    note_route(ghl_api)
    before = datetime.now(UTC)

    post_note(toolkit, new_key())

    [record] = records(toolkit)
    expires = datetime.fromisoformat(record["expires_at"])
    assert before + timedelta(hours=24) - timedelta(seconds=5) <= expires <= datetime.now(UTC) + timedelta(hours=24)


def test_the_ttl_is_the_setting_and_follows_it_when_rebuilt(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each route's guard is built once per container (`factories.get_write_guard`), from the settings."""
    from ghlbridge import factories

    note_route(ghl_api)
    post_note(toolkit, new_key())  # the guard is built with the default (24 h)
    assert factories.get_write_guard("notes.create") is factories.get_write_guard("notes.create")
    monkeypatch.setenv("IDEMPOTENCY_TTL_SECONDS", "600")
    factories.reset()
    before = datetime.now(UTC)

    post_note(toolkit, new_key())

    first, second = sorted(datetime.fromisoformat(record["expires_at"]) for record in records(toolkit))
    assert second - first > timedelta(hours=23)  # the first was kept for 24 h
    expires = first
    assert before + timedelta(seconds=595) <= expires <= datetime.now(UTC) + timedelta(seconds=600)


# --- the key ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_a_post_without_a_key_is_refused(toolkit: Toolkit, ghl_api: respx.MockRouter, key: str | None) -> None:
    reply = post_note(toolkit, key)

    assert (reply.status, reply.code) == (400, "idempotency_key_required")
    assert not ghl_api.calls and records(toolkit) == []


@pytest.mark.parametrize("key", ["has space", "k" * 256, "naïve"], ids=["space", "too-long", "non-ascii"])
def test_a_malformed_key_is_refused(toolkit: Toolkit, ghl_api: respx.MockRouter, key: str) -> None:
    reply = post_note(toolkit, key)

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert [(d["in"], d["field"]) for d in reply.error["details"]] == [("header", "idempotency-key")]
    assert not ghl_api.calls


def test_the_same_key_with_another_body_is_a_422(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = note_route(ghl_api)
    key = new_key()
    post_note(toolkit, key)

    reply = post_note(toolkit, key, {"body": "Booked a demo"})

    assert (reply.status, reply.code) == (422, "idempotency_key_reused")
    assert route.call_count == 1
    [record] = records(toolkit)
    assert record["status"] == "COMPLETED"  # the first answer stays


def test_the_same_key_for_another_contact_is_a_422(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = note_route(ghl_api)
    key = new_key()
    post_note(toolkit, key)

    reply = post_note(toolkit, key, path=f"/locations/{LOCATION}/contacts/aNoThErCoNtAcT00001/notes")

    assert (reply.status, reply.code) == (422, "idempotency_key_reused")
    assert route.call_count == 1


def test_the_key_belongs_to_one_user(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = note_route(ghl_api)
    toolkit.add_member(LOCATION, OTHER_USER)
    key = new_key()

    post_note(toolkit, key)
    reply = post_note(toolkit, key, user=OTHER_USER)

    assert reply.status == 201 and "Idempotency-Replayed" not in reply.headers
    assert route.call_count == 2 and len(records(toolkit)) == 2


def test_the_key_belongs_to_one_location(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    from ghlbridge.factories import get_cipher
    from tests.seed import seed_installation

    seed_installation(
        toolkit.store, get_cipher(), OTHER_LOCATION, access="at-other-0000", refresh="rt-other-0000",
        expires_in=timedelta(hours=20),
    )  # fmt: skip
    toolkit.add_member(OTHER_LOCATION)
    route = note_route(ghl_api)
    key = new_key()

    post_note(toolkit, key)
    reply = post_note(toolkit, key, path=f"/locations/{OTHER_LOCATION}/contacts/{CONTACT_ID}/notes")

    assert reply.status == 201 and route.call_count == 2
    assert route.calls[1].request.headers["Authorization"] == "Bearer at-other-0000"


def test_the_key_belongs_to_one_route(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    note_route(ghl_api)
    tags = ghl_api.post(f"/contacts/{CONTACT_ID}/tags").respond(201, json={"tags": ["hot"]})
    key = new_key()

    post_note(toolkit, key)
    reply = toolkit.call(
        "notes", "POST", f"/locations/{LOCATION}/contacts/{CONTACT_ID}/tags", body={"tags": ["hot"]}, key=key
    )

    assert reply.status == 200 and tags.call_count == 1


# --- in flight ----------------------------------------------------------------------------------------


def test_a_duplicate_while_the_first_is_in_flight_is_a_409(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_ghl(request: httpx.Request) -> httpx.Response:
        entered.set()
        assert release.wait(timeout=20)
        return spec_response("POST", GHL_NOTES, 201, {"note": note_body()})

    route = ghl_api.post(GHL_NOTES).mock(side_effect=slow_ghl)
    key = new_key()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post_note, toolkit, key)
        assert entered.wait(timeout=20)

        duplicate = post_note(toolkit, key)

        release.set()
        done = first.result(timeout=20)

    assert (duplicate.status, duplicate.code) == (409, "request_in_progress")
    assert done.status == 201 and route.call_count == 1
    assert post_note(toolkit, key).body == done.body  # afterwards: the answer
    assert route.call_count == 1


def test_a_key_held_by_a_dead_invocation_is_never_sent_again(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """An invocation killed after its send leaves an in-flight record that ends with its deadline:
    past it, the key answers 504 outcome_unknown (stored), and GHL is not called again."""
    from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus

    route = note_route(ghl_api)
    key = new_key()
    post_note(toolkit, key)
    [record] = records(toolkit)
    toolkit.store.delete_idempotency_record(record["key"])
    toolkit.store.put_idempotency_record(
        IdempotencyRecord(
            key=record["key"],
            status=IdempotencyStatus.INPROGRESS,
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            in_progress_expires_at=datetime.now(UTC) - timedelta(seconds=1),
            payload_hash=record["payload_hash"],
        )
    )

    reply, again = post_note(toolkit, key), post_note(toolkit, key)

    assert (reply.status, reply.code) == (504, "outcome_unknown")
    assert "did not finish" in reply.error["message"] and reply.error["requestId"]
    assert (again.status, again.body) == (504, reply.body) and again.headers["Idempotency-Replayed"] == "true"
    assert route.call_count == 1
    [settled] = records(toolkit)
    assert settled["status"] == "COMPLETED" and answer_of(settled) == {"status": 504, "body": reply.body}


def test_the_in_flight_record_ends_with_the_invocation(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    from tests.lambda_events import lambda_context

    seen: list[dict[str, Any]] = []

    def observe(request: httpx.Request) -> httpx.Response:
        seen.extend(records(toolkit))
        return spec_response("POST", GHL_NOTES, 201, {"note": note_body()})

    ghl_api.post(GHL_NOTES).mock(side_effect=observe)
    before = datetime.now(UTC)

    post_note(toolkit, new_key(), context=lambda_context(remaining_ms=7_000))

    [in_flight] = seen
    assert in_flight["status"] == "INPROGRESS"
    deadline = datetime.fromisoformat(in_flight["in_progress_expires_at"])
    assert before + timedelta(seconds=6) <= deadline <= datetime.now(UTC) + timedelta(seconds=7)


# --- outcomes that must not be resent -------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("no answer"), httpx.Response(502, json={"statusCode": 502, "message": "Bad Gateway"})],
    ids=["timeout", "5xx"],
)
def test_an_unconfirmed_send_is_a_stored_504(toolkit: Toolkit, ghl_api: respx.MockRouter, failure: Any) -> None:
    route = ghl_api.post(GHL_SEND).mock(side_effect=[failure])
    key = new_key()

    first = send_email(toolkit, key)
    retry = send_email(toolkit, key)

    assert (first.status, first.code) == (504, "outcome_unknown")
    assert "check the contact in GHL" in first.error["message"]
    assert (retry.status, retry.body) == (504, first.body)
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert route.call_count == 1  # never resent: not by the client's retry policy, not by the retry
    [record] = records(toolkit)
    assert record["status"] == "COMPLETED" and answer_of(record)["status"] == 504


def test_an_unreadable_2xx_to_a_send_is_an_unknown_outcome(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_SEND).respond(200, text="<html>ok</html>")
    key = new_key()

    first, retry = send_email(toolkit, key), send_email(toolkit, key)

    assert (first.status, first.code, retry.body) == (504, "outcome_unknown", first.body)
    assert route.call_count == 1


def test_a_new_key_after_an_unknown_outcome_sends_again(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_SEND).mock(
        side_effect=[httpx.ReadTimeout("no answer"), spec_response("POST", GHL_SEND, 200, sent_message_body())]
    )

    assert send_email(toolkit, new_key()).status == 504
    reply = send_email(toolkit, new_key())

    assert reply.status == 201 and route.call_count == 2


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        (httpx.Response(422, json=UNPROCESSABLE_BODY), 422, "ghl_rejected"),
        (httpx.Response(400, json={"statusCode": 400, "message": "Bad Request"}), 422, "ghl_rejected"),
        (httpx.Response(400, json={"statusCode": 400, "message": "Contact not found"}), 404, "not_found"),
        (httpx.Response(429, headers={"Retry-After": "60"}, json={"message": "slow down"}), 429, "rate_limited"),
    ],
    ids=["422", "400", "400-not-found", "429"],
)
def test_a_refused_send_is_not_stored_so_a_corrected_retry_goes_through(
    toolkit: Toolkit, ghl_api: respx.MockRouter, answer: httpx.Response, status: int, code: str
) -> None:
    route = ghl_api.post(GHL_SEND).mock(side_effect=[answer, spec_response("POST", GHL_SEND, 200, sent_message_body())])
    key = new_key()

    refused = send_email(toolkit, key)
    assert records(toolkit) == []
    retry = send_email(toolkit, key)

    assert (refused.status, refused.code) == (status, code)
    assert retry.status == 201 and retry.body == {
        "messageId": "t22c6DQcTDf3MjRhwf77",
        "conversationId": "ABC12h2F6uBrIkfXYazb",
    }
    assert route.call_count == 2


def test_a_refused_caller_leaves_no_record(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    reply = post_note(toolkit, new_key(), user=OTHER_USER)

    assert reply.status == 403 and records(toolkit) == []


# --- the store ----------------------------------------------------------------------------------------


def test_a_store_that_cannot_take_the_key_is_a_503_and_nothing_is_sent(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge.store import StoreUnavailableError

    def down(*args: Any) -> Any:
        raise StoreUnavailableError("connection refused")

    monkeypatch.setattr(toolkit.store, "put_idempotency_record", down)

    reply = post_note(toolkit, new_key())

    assert (reply.status, reply.code) == (503, "store_unavailable")
    assert not ghl_api.calls


def test_a_send_whose_record_cannot_be_completed_still_answers_its_outcome(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note exists: answering 503 would invite a retry that writes it twice. The completion is
    retried while the invocation's deadline leaves time, then the record stays in flight."""
    from ghlbridge.store import StoreUnavailableError
    from tests.lambda_events import lambda_context

    route = note_route(ghl_api)
    attempts: list[str] = []

    def down(key: str, *args: Any) -> Any:
        attempts.append(key)
        raise StoreUnavailableError("connection reset")

    monkeypatch.setattr(toolkit.store, "update_idempotency_record", down)

    reply = post_note(toolkit, new_key(), context=lambda_context(remaining_ms=1_500))

    assert reply.status == 201 and reply.body["id"] == note_body()["id"]
    assert route.call_count == 1 and len(attempts) > 1
    [record] = records(toolkit)
    assert record["status"] == "INPROGRESS"  # past its deadline, the key answers outcome_unknown


# --- what is kept -------------------------------------------------------------------------------------


def test_the_kept_answer_is_encrypted_and_still_replayed(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    secret = "Wife Ingrid, allergic to penicillin; budget 40k"
    route = ghl_api.post(GHL_NOTES).mock(
        return_value=spec_response("POST", GHL_NOTES, 201, {"note": note_body() | {"body": secret}})
    )
    key = new_key()

    first = post_note(toolkit, key, {"body": secret})
    repeat = post_note(toolkit, key, {"body": secret})

    [record] = records(toolkit)
    assert record["response_data"].startswith("v1.")
    for plain in (secret, "Ingrid", "penicillin", note_body()["id"], '"status"'):
        assert plain not in record["response_data"]
    assert first.status == 201 and first.body["body"] == secret
    assert (repeat.status, repeat.body) == (201, first.body) and repeat.headers["Idempotency-Replayed"] == "true"
    assert route.call_count == 1


def test_a_kept_answer_that_no_longer_decrypts_is_unknown_not_resent(
    toolkit: Toolkit, ghl_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key that sealed it was rotated away: the send is not repeated to find out."""
    import base64

    from ghlbridge import factories

    route = note_route(ghl_api)
    key = new_key()
    post_note(toolkit, key)
    keys = {"current": "k9", "keys": {"k9": base64.b64encode(b"9" * 32).decode()}}
    monkeypatch.setenv("TOKEN_KEYS", json.dumps(keys))
    factories.reset()

    reply = post_note(toolkit, key)

    assert (reply.status, reply.code) == (504, "outcome_unknown") and route.call_count == 1
