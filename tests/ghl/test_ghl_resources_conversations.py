"""ConversationsAPI against a respx-mocked GHL: requests checked against apps/conversations.json
(Version 2021-04-15) and field by field, including the HEAD spec's required `subType`/`status` on
a send, spec-shaped answers, no resend of an email, and the 401 refresh/replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import httpx
import pytest
import respx

from ghlbridge.ghl.client import BearerAuth, GHLClient
from ghlbridge.ghl.conversations import ConversationsAPI, LoggedCall, SentMessage
from ghlbridge.ghl.errors import GHLServerError, GHLTimeoutError
from ghlbridge.tokens.provider import GHLAuth, TokenProvider
from tests.ghl import ghl_testkit
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    CONTACT_ID,
    CONVERSATION_ID,
    INVALID_TOKEN_BODY,
    LOCATION_ID,
    LOCATION_TOKEN,
    FakeTokenProvider,
    conversation_search_body,
    created_conversation_body,
    json_of,
    logged_call_body,
    sent_message_body,
    spec_response,
)
from tests.ghl_spec import assert_request_conforms

MESSAGES = "/conversations/messages"
OUTBOUND = "/conversations/messages/outbound"
SEARCH = "/conversations/search"
PROVIDER_ID = "61d6d1f9cdac7612faf80753"
HTML = "<p>Hi John,</p><p>Here is the proposal.</p>"


@pytest.fixture
def api(client: GHLClient) -> ConversationsAPI:
    return ConversationsAPI(client, BearerAuth(ACCESS_TOKEN))


def assert_sent(request: httpx.Request, method: str, path: str) -> None:
    ghl_testkit.assert_sent(request, method, path, version="2021-04-15")  # this group is NOT on 2021-07-28


def rebuilt(request: httpx.Request, body: dict[str, Any]) -> httpx.Request:
    """The same request with another JSON body (to ask the spec about a variant)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "content-type")}
    return httpx.Request(request.method, request.url, headers=headers, json=body)


# --- send_email ---------------------------------------------------------------------------------


def test_send_email_conforms_to_the_head_spec(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.post(MESSAGES).mock(return_value=spec_response("POST", MESSAGES, 200, sent_message_body()))

    sent = api.send_email(contact_id=CONTACT_ID, subject="Your proposal", html=HTML)

    request = route.calls.last.request
    assert_sent(request, "POST", MESSAGES)
    assert json_of(request) == {
        "type": "Email",
        "subType": {},
        "status": "pending",
        "contactId": CONTACT_ID,
        "subject": "Your proposal",
        "html": HTML,
    }
    assert isinstance(sent, SentMessage)
    assert (sent.conversationId, sent.messageId, sent.emailMessageId, sent.status) == (
        CONVERSATION_ID,
        "t22c6DQcTDf3MjRhwf77",
        "rnGyqh2F6uBrIkfhFo9A",
        "pending",
    )
    assert sent.msg == "Message queued successfully."
    assert sent.model_extra == {}


def test_the_head_spec_requires_sub_type_and_status_and_types_sub_type_as_object(
    ghl_mock: respx.MockRouter, api: ConversationsAPI
) -> None:
    """Why the send carries `subType: {}` and `status`: without either, or with the string its
    example shows, the published spec rejects the request."""
    route = ghl_mock.post(MESSAGES).mock(return_value=spec_response("POST", MESSAGES, 200, sent_message_body()))
    api.send_email(contact_id=CONTACT_ID, subject="s", html=HTML)
    sent = json_of(route.calls.last.request)

    for variant, problem in [
        ({k: v for k, v in sent.items() if k != "subType"}, "'subType' is a required property"),
        ({k: v for k, v in sent.items() if k != "status"}, "'status' is a required property"),
        (sent | {"subType": "Email"}, "'Email' is not of type 'object'"),
        (sent | {"status": "sent"}, "'sent' is not one of"),
    ]:
        with pytest.raises(AssertionError, match=problem):
            assert_request_conforms(rebuilt(route.calls.last.request, variant))


def test_send_email_maps_every_option(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.post(MESSAGES).mock(return_value=spec_response("POST", MESSAGES, 200, sent_message_body()))

    api.send_email(
        contact_id=CONTACT_ID,
        subject="Re: Your proposal",
        html=HTML,
        text="Hi John, here is the proposal.",
        cc=["cc1@company.com", "cc2@company.com"],
        bcc=("bcc1@company.com",),
        reply_message_id="msg123",
        email_from="sender@company.com",
    )

    request = route.calls.last.request
    assert_sent(request, "POST", MESSAGES)
    assert json_of(request) == {
        "type": "Email",
        "subType": {},
        "status": "pending",
        "contactId": CONTACT_ID,
        "subject": "Re: Your proposal",
        "html": HTML,
        "message": "Hi John, here is the proposal.",
        "emailCc": ["cc1@company.com", "cc2@company.com"],
        "emailBcc": ["bcc1@company.com"],
        "replyMessageId": "msg123",
        "emailFrom": "sender@company.com",
    }


def test_send_email_refuses_a_string_for_cc(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    with pytest.raises(TypeError, match="cc"):
        api.send_email(contact_id=CONTACT_ID, subject="s", html=HTML, cc="cc1@company.com")


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(502, json={"statusCode": 502, "message": "Bad Gateway"}), httpx.ReadTimeout("read")],
    ids=["5xx", "timeout"],
)
def test_an_email_is_never_resent(
    ghl_mock: respx.MockRouter, api: ConversationsAPI, sleeps: list[float], failure: Any
) -> None:
    route = ghl_mock.post(MESSAGES).mock(side_effect=[failure])

    with pytest.raises((GHLServerError, GHLTimeoutError)):
        api.send_email(contact_id=CONTACT_ID, subject="s", html=HTML)

    assert route.call_count == 1 and sleeps == []


def test_401_refreshes_and_replays_the_same_email(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    provider = FakeTokenProvider(ACCESS_TOKEN, LOCATION_TOKEN)
    api = ConversationsAPI(client, GHLAuth(cast(TokenProvider, provider), LOCATION_ID))
    route = ghl_mock.post(MESSAGES)
    route.side_effect = [
        spec_response("POST", MESSAGES, 401, INVALID_TOKEN_BODY),
        spec_response("POST", MESSAGES, 200, sent_message_body()),
    ]

    sent = api.send_email(contact_id=CONTACT_ID, subject="s", html=HTML)

    first, replay = (call.request for call in route.calls)
    assert (first.headers["Authorization"], replay.headers["Authorization"]) == (
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {LOCATION_TOKEN}",
    )
    assert provider.rejected == [ACCESS_TOKEN]
    assert json_of(replay) == json_of(first)
    assert replay.headers["Version"] == "2021-04-15"
    assert_request_conforms(replay)
    assert sent.messageId == "t22c6DQcTDf3MjRhwf77"


# --- find or create the conversation --------------------------------------------------------------


def test_search_conversation(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body()))

    found = api.search_conversation(LOCATION_ID, CONTACT_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", SEARCH)
    assert dict(request.url.params) == {"locationId": LOCATION_ID, "contactId": CONTACT_ID}
    assert found == CONVERSATION_ID


def test_search_conversation_finds_none(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, conversation_search_body([])))

    assert api.search_conversation(LOCATION_ID, CONTACT_ID) is None


def test_search_conversation_ignores_other_contacts(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    [mine] = conversation_search_body()["conversations"]
    other = mine | {"id": "oThErCoNvErSaTiOn001", "contactId": "someoneElse000000001"}
    body = conversation_search_body([other, mine | {"id": "mInEcOnVeRsAtIoN0002"}])
    ghl_mock.get(SEARCH).mock(return_value=spec_response("GET", SEARCH, 200, body))

    assert api.search_conversation(LOCATION_ID, CONTACT_ID) == "mInEcOnVeRsAtIoN0002"


def test_create_conversation(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.post("/conversations/").mock(
        return_value=spec_response("POST", "/conversations/", 201, created_conversation_body())
    )

    created = api.create_conversation(LOCATION_ID, CONTACT_ID)

    request = route.calls.last.request
    assert_sent(request, "POST", "/conversations/")  # the trailing slash is the spec's path
    assert json_of(request) == {"locationId": LOCATION_ID, "contactId": CONTACT_ID}
    assert created == "tDtDnQdgm2LXpyiqYvZ6"


# --- call log -----------------------------------------------------------------------------------


def test_log_outbound_call(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.post(OUTBOUND).mock(return_value=spec_response("POST", OUTBOUND, 200, logged_call_body()))
    when = datetime(2024, 10, 28, 10, 4, 5, tzinfo=timezone(timedelta(hours=-5)))

    logged = api.log_outbound_call(
        conversation_id=CONVERSATION_ID,
        conversation_provider_id=PROVIDER_ID,
        to="+15037081210",
        from_="+15037081299",
        status="completed",
        date=when,
        attachments=["https://storage.example.com/recording.mp3"],
    )

    request = route.calls.last.request
    assert_sent(request, "POST", OUTBOUND)
    assert json_of(request) == {
        "type": "Call",
        "conversationId": CONVERSATION_ID,
        "conversationProviderId": PROVIDER_ID,
        "call": {"to": "+15037081210", "from": "+15037081299", "status": "completed"},
        "date": "2024-10-28T10:04:05-05:00",
        "attachments": ["https://storage.example.com/recording.mp3"],
    }
    assert isinstance(logged, LoggedCall)
    assert logged.model_extra == {}
    assert (logged.success, logged.conversationId, logged.messageId, logged.contactId) == (
        True,
        CONVERSATION_ID,
        "cAlLmEsSaGe000000001",
        CONTACT_ID,
    )


def test_log_outbound_call_minimal(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.post(OUTBOUND).mock(return_value=spec_response("POST", OUTBOUND, 200, logged_call_body()))

    api.log_outbound_call(conversation_id=CONVERSATION_ID, conversation_provider_id=PROVIDER_ID, status="no-answer")

    request = route.calls.last.request
    assert_sent(request, "POST", OUTBOUND)
    assert json_of(request) == {
        "type": "Call",
        "conversationId": CONVERSATION_ID,
        "conversationProviderId": PROVIDER_ID,
        "call": {"status": "no-answer"},
    }


def test_log_outbound_call_sends_utc_dates_with_their_offset(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.post(OUTBOUND).mock(return_value=spec_response("POST", OUTBOUND, 200, logged_call_body()))

    api.log_outbound_call(
        conversation_id=CONVERSATION_ID,
        conversation_provider_id=PROVIDER_ID,
        status="voicemail",
        date=datetime(2024, 10, 28, 15, 4, 5, tzinfo=UTC),
    )

    assert json_of(route.calls.last.request)["date"] == "2024-10-28T15:04:05+00:00"


def test_log_outbound_call_refuses_a_naive_date(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        api.log_outbound_call(
            conversation_id=CONVERSATION_ID,
            conversation_provider_id=PROVIDER_ID,
            status="completed",
            date=datetime(2024, 10, 28, 15, 4, 5),  # naive: the point of the test
        )
