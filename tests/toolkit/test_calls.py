"""POST .../calls through the CallLogFunction handler: always a readable contact note; with a Call
conversation provider, also an outbound Call message in the contact's conversation. Once the note
exists the request never fails (a retry would write a second note): the Call message's fate is
reported, and the whole answer is stored under the Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from tests.ghl.ghl_testkit import (
    CONTACT_ID,
    CONVERSATION_ID,
    contact_body,
    conversation_search_body,
    created_conversation_body,
    json_of,
    logged_call_body,
    note_body,
    spec_response,
)
from tests.toolkit.kit import LOCATION, Toolkit, new_key, sent

FN = "calls"
CALLS = f"/locations/{LOCATION}/contacts/{CONTACT_ID}/calls"
GHL_NOTES = f"/contacts/{CONTACT_ID}/notes"
GHL_CONTACT = f"/contacts/{CONTACT_ID}"
SEARCH = "/conversations/search"
CREATE = "/conversations/"
OUTBOUND = "/conversations/messages/outbound"
PROVIDER = "61d6d1f9cdac7612faf80753"
CALL = {
    "outcome": "answered",
    "durationSeconds": 754,
    "summary": "Interested in 40 vans; wants fleet pricing.",
    "nextSteps": "Send the fleet proposal by Friday.",
    "calledAt": "2026-11-27T15:04:00+00:00",
}


@pytest.fixture
def provider(toolkit: Toolkit, monkeypatch: pytest.MonkeyPatch) -> str:
    from ghlbridge.settings import reset_settings

    monkeypatch.setenv("GHL_CALL_PROVIDER_ID", PROVIDER)
    reset_settings()
    return PROVIDER


def note_route(ghl_api: respx.MockRouter) -> respx.Route:
    return ghl_api.post(GHL_NOTES).mock(return_value=spec_response("POST", GHL_NOTES, 201, {"note": note_body()}))


def contact_route(ghl_api: respx.MockRouter, *, without: tuple[str, ...] = ()) -> respx.Route:
    body = {"contact": {k: v for k, v in contact_body().items() if k not in without}}
    return ghl_api.get(GHL_CONTACT).mock(return_value=spec_response("GET", GHL_CONTACT, 200, body))


def log(toolkit: Toolkit, body: dict[str, Any] = CALL, key: str | None = None) -> Any:
    return toolkit.call(FN, "POST", CALLS, body=body, key=key or new_key())


def test_without_a_provider_a_call_is_a_formatted_note(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = note_route(ghl_api)

    reply = log(toolkit)

    assert reply.status == 201
    assert reply.body["note"]["id"] == note_body()["id"]
    assert reply.body["callMessage"] == {
        "status": "skipped",
        "conversationId": None,
        "messageId": None,
        "reason": "No Call conversation provider is configured",
        "error": None,
    }
    assert json_of(sent(route)) == {
        "title": "Call log: outbound, answered",
        "body": (
            "Call log — Outbound call, answered, 12 min 34 s\n"
            "Called at: 2026-11-27T15:04+00:00\n"
            "Logged by: rep@example.com\n"
            "\n"
            "Summary:\n"
            "Interested in 40 vans; wants fleet pricing.\n"
            "\n"
            "Next steps:\n"
            "Send the fleet proposal by Friday."
        ),
    }
    assert len(ghl_api.calls) == 1


def test_a_minimal_call_note(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = note_route(ghl_api)

    log(toolkit, {"outcome": "voicemail", "summary": "Left a message", "direction": "inbound"})

    assert json_of(sent(route))["body"] == (
        "Call log — Inbound call, voicemail\nLogged by: rep@example.com\n\nSummary:\nLeft a message"
    )


def test_with_a_provider_an_outbound_call_is_also_a_call_message(
    toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str
) -> None:
    note_route(ghl_api)
    contact = contact_route(ghl_api)
    search = ghl_api.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body()))
    outbound = ghl_api.post(OUTBOUND).mock(return_value=spec_response("POST", OUTBOUND, 200, logged_call_body()))

    reply = log(toolkit)

    assert reply.status == 201
    assert reply.body["callMessage"] == {
        "status": "logged",
        "conversationId": CONVERSATION_ID,
        "messageId": "cAlLmEsSaGe000000001",
        "reason": None,
        "error": None,
    }
    sent(contact)
    assert dict(sent(search).url.params) == {"locationId": LOCATION, "contactId": CONTACT_ID}
    request = sent(outbound)
    assert request.headers["Version"] == "2021-04-15"
    assert json_of(request) == {
        "type": "Call",
        "conversationId": CONVERSATION_ID,
        "conversationProviderId": PROVIDER,
        "call": {"to": "+1 888-888-8888", "status": "answered"},
        "date": "2026-11-27T15:04:00+00:00",
    }


def test_a_contact_without_a_conversation_gets_one(toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str) -> None:
    note_route(ghl_api)
    contact_route(ghl_api)
    ghl_api.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body([])))
    create = ghl_api.post(CREATE).mock(return_value=spec_response("POST", CREATE, 201, created_conversation_body()))
    outbound = ghl_api.post(OUTBOUND).mock(return_value=spec_response("POST", OUTBOUND, 200, logged_call_body()))

    reply = log(toolkit)

    assert reply.body["callMessage"]["status"] == "logged"
    assert json_of(sent(create)) == {"locationId": LOCATION, "contactId": CONTACT_ID}
    assert json_of(sent(outbound))["conversationId"] == "tDtDnQdgm2LXpyiqYvZ6"


def test_an_inbound_call_is_a_note_only(toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str) -> None:
    note_route(ghl_api)

    reply = log(toolkit, CALL | {"direction": "inbound"})

    assert reply.body["callMessage"]["status"] == "skipped"
    assert len(ghl_api.calls) == 1


def test_a_contact_without_a_phone_is_a_note_only(toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str) -> None:
    note_route(ghl_api)
    contact_route(ghl_api, without=("phone",))

    reply = log(toolkit)

    assert (reply.body["callMessage"]["status"], reply.body["callMessage"]["reason"]) == (
        "skipped",
        "The contact has no phone number",
    )


def test_a_failed_call_message_leaves_the_note_and_is_reported(
    toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str
) -> None:
    note = note_route(ghl_api)
    contact_route(ghl_api)
    ghl_api.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body()))
    ghl_api.post(OUTBOUND).respond(422, json={"statusCode": 422, "message": ["call.to must match a contact"]})
    key = new_key()

    reply = log(toolkit, key=key)
    retry = log(toolkit, key=key)

    assert reply.status == 201 and reply.body["note"]["id"]
    message = reply.body["callMessage"]
    assert message["status"] == "failed"
    assert message["error"]["code"] == "ghl_rejected"
    assert message["error"]["details"]["ghlMessages"] == ["call.to must match a contact"]
    assert (retry.status, retry.body) == (201, reply.body)  # stored: the retry writes no second note
    assert note.call_count == 1


def test_an_unconfirmed_call_message_is_unknown(toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str) -> None:
    note_route(ghl_api)
    contact_route(ghl_api)
    ghl_api.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body()))
    outbound = ghl_api.post(OUTBOUND).mock(side_effect=httpx.ReadTimeout("no answer"))

    reply = log(toolkit)

    assert reply.status == 201
    assert reply.body["callMessage"]["status"] == "unknown"
    assert outbound.call_count == 1


def test_a_conversation_that_could_not_be_opened_is_a_failed_call_message(
    toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str
) -> None:
    """A timeout creating the conversation sent no Call message: `failed`, not `unknown`."""
    note_route(ghl_api)
    contact_route(ghl_api)
    ghl_api.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body([])))
    create = ghl_api.post(CREATE).mock(side_effect=httpx.ReadTimeout("no answer"))

    reply = log(toolkit)

    assert reply.status == 201
    assert reply.body["callMessage"]["status"] == "failed"
    assert reply.body["callMessage"]["error"]["code"] == "ghl_timeout"
    assert create.call_count == 1
    assert OUTBOUND not in [call.request.url.path for call in ghl_api.calls]


def test_an_unconfirmed_note_is_a_stored_504_and_no_call_message(
    toolkit: Toolkit, ghl_api: respx.MockRouter, provider: str
) -> None:
    note = ghl_api.post(GHL_NOTES).mock(side_effect=httpx.ReadTimeout("no answer"))
    key = new_key()

    first, retry = log(toolkit, key=key), log(toolkit, key=key)

    assert (first.status, first.code) == (504, "outcome_unknown")
    assert retry.body == first.body
    assert note.call_count == 1 and len(ghl_api.calls) == 1


def test_a_refused_note_is_an_error_and_not_stored(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    note = ghl_api.post(GHL_NOTES).mock(
        side_effect=[httpx.Response(400, json={"statusCode": 400, "message": "Bad Request"}),
                     spec_response("POST", GHL_NOTES, 201, {"note": note_body()})]
    )  # fmt: skip
    key = new_key()

    assert log(toolkit, key=key).status == 422  # ghl_rejected: GHL acted on nothing
    assert log(toolkit, key=key).status == 201
    assert note.call_count == 2


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"outcome": "pending"}, ["outcome"]),
        ({"outcome": None}, ["outcome"]),
        ({"direction": "sideways"}, ["direction"]),
        ({"durationSeconds": -1}, ["durationSeconds"]),
        ({"durationSeconds": 86_401}, ["durationSeconds"]),
        ({"durationSeconds": "long"}, ["durationSeconds"]),
        ({"summary": ""}, ["summary"]),
        ({"summary": "s" * 10_001}, ["summary"]),
        ({"nextSteps": "n" * 5_001}, ["nextSteps"]),
        ({"calledAt": "yesterday"}, ["calledAt"]),
        ({"calledAt": "2026-11-27T15:04:00"}, ["calledAt"]),  # no offset
        ({"recording": "https://x"}, ["recording"]),
    ],
)
def test_call_rules(toolkit: Toolkit, ghl_api: respx.MockRouter, change: dict[str, Any], fields: list[str]) -> None:
    body = {k: v for k, v in (CALL | change).items() if v is not None}

    reply = log(toolkit, body)

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert sorted(d["field"] for d in reply.error["details"]) == fields
    assert not ghl_api.calls


def test_a_call_in_the_future_is_refused(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    reply = log(toolkit, CALL | {"calledAt": later})

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert "calledAt" in reply.error["details"][0]["message"]
    assert not ghl_api.calls


def test_a_linked_members_call_note_carries_their_ghl_user(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    from tests.toolkit.kit import USER

    toolkit.store.link_member(LOCATION, USER, USER, "LinkedRep00000000001")
    route = note_route(ghl_api)

    assert log(toolkit).status == 201

    assert json_of(sent(route))["userId"] == "LinkedRep00000000001"
