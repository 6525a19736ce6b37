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
from ghlbridge.ghl.conversations import ConversationsAPI, EmailMessage, LoggedCall, Message, MessagePage, SentMessage
from ghlbridge.ghl.errors import (
    GHLInvalidResponseError,
    GHLNotFoundError,
    GHLRecordNotFoundError,
    GHLServerError,
    GHLTimeoutError,
)
from ghlbridge.tokens.provider import GHLAuth, TokenProvider
from tests.ghl import ghl_testkit
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    CONTACT_ID,
    CONVERSATION_ID,
    EMAIL_MESSAGE_ID,
    INVALID_TOKEN_BODY,
    LOCATION_ID,
    LOCATION_TOKEN,
    USER_ID,
    FakeTokenProvider,
    call_message_body,
    conversation_search_body,
    created_conversation_body,
    email_list_message_body,
    email_message_body,
    json_of,
    live_messages_body,
    logged_call_body,
    message_body,
    messages_body,
    sent_message_body,
    spec_response,
)
from tests.ghl_spec import assert_request_conforms, assert_response_conforms

MESSAGES = "/conversations/messages"
OUTBOUND = "/conversations/messages/outbound"
SEARCH = "/conversations/search"
HISTORY = f"/conversations/{CONVERSATION_ID}/messages"
EMAIL = f"/conversations/messages/email/{EMAIL_MESSAGE_ID}"
CONVERSATION_NOT_FOUND = {"statusCode": 400, "message": "Conversation not found", "traceId": "trace-400"}
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


# --- history: messages ----------------------------------------------------------------------------


def assert_page(page: MessagePage) -> None:
    """What `messages_body()` holds, however GHL wrapped it."""
    assert isinstance(page, MessagePage)
    assert (page.last_message_id, page.next_page, page.next_cursor) == (
        "cAlLlIsTiNg000000001",
        True,
        "cAlLlIsTiNg000000001",
    )
    sms, email, call = page.messages
    assert all(isinstance(message, Message) for message in page.messages)
    assert (sms.id, sms.type, sms.messageType, sms.direction, sms.body, sms.contentType, sms.status) == (
        "ve9EPM428h8vShlRW1KT",
        2,
        "TYPE_SMS",
        "inbound",
        "Hi there",
        "text/plain",
        "delivered",
    )
    assert (sms.dateAdded, sms.source, sms.userId, sms.conversationId, sms.contactId, sms.locationId) == (
        "2024-03-27T18:13:49.000Z",
        "app",
        USER_ID,
        CONVERSATION_ID,
        CONTACT_ID,
        LOCATION_ID,
    )
    assert (sms.meta, sms.attachments, sms.model_extra) == (None, [], {})
    assert (email.type, email.messageType, email.body) == (3, "TYPE_EMAIL", None)  # no body for emails
    assert email.meta is not None and email.meta.email is not None
    assert email.meta.email.messageIds == [EMAIL_MESSAGE_ID, "ve9EPs1028kjkvShlRW1KT"]
    assert (call.type, call.messageType) == (1, "TYPE_CALL")
    assert call.meta is not None and (call.meta.callDuration, call.meta.callStatus, call.meta.email) == (
        "120",
        "completed",
        None,
    )


def test_messages_reads_the_specs_flat_page(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.get(HISTORY).mock(return_value=spec_response("GET", HISTORY, 200, messages_body()))

    page = api.messages(CONVERSATION_ID)

    request = route.calls.last.request
    ghl_testkit.assert_sent(request, "GET", HISTORY, version="2021-04-15", params={})
    assert request.content == b""
    assert_page(page)
    assert page.model_extra == {}


def test_messages_reads_the_live_nested_page(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    body = live_messages_body()
    with pytest.raises(AssertionError, match="is not of type 'array'"):  # what GHL sends is not what the spec says
        assert_response_conforms("GET", HISTORY, 200, body)
    ghl_mock.get(HISTORY).respond(200, json=body)

    page = api.messages(CONVERSATION_ID)

    assert_page(page)
    assert page.model_extra == {"traceId": "trace-messages-1"}


def test_messages_sends_the_cursor_limit_and_a_type(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.get(HISTORY).mock(return_value=spec_response("GET", HISTORY, 200, messages_body()))

    api.messages(CONVERSATION_ID, last_message_id="p1mRSHeLDhAms5q0LMr4", limit=50, types=["TYPE_EMAIL"])

    params = {"lastMessageId": "p1mRSHeLDhAms5q0LMr4", "limit": "50", "type": "TYPE_EMAIL"}
    ghl_testkit.assert_sent(route.calls.last.request, "GET", HISTORY, version="2021-04-15", params=params)


def test_messages_sends_several_types_comma_separated(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    """As the spec's description and example say ("TYPE_SMS,TYPE_CALL"); its schema, one enum value,
    refuses its own example, so this request is checked field by field instead."""
    route = ghl_mock.get(HISTORY).mock(return_value=spec_response("GET", HISTORY, 200, messages_body()))

    api.messages(CONVERSATION_ID, types=("TYPE_SMS", "TYPE_CALL"))

    request = route.calls.last.request
    assert (request.method, request.url.path, request.headers["Version"]) == ("GET", HISTORY, "2021-04-15")
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert dict(request.url.params) == {"type": "TYPE_SMS,TYPE_CALL"}
    with pytest.raises(AssertionError, match="'TYPE_SMS,TYPE_CALL' is not one of"):
        assert_request_conforms(request)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"limit": 0}, ValueError), ({"types": "TYPE_SMS"}, TypeError)],
    ids=["limit-0", "types-a-string"],
)
def test_messages_refuses_before_calling(
    ghl_mock: respx.MockRouter, api: ConversationsAPI, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        api.messages(CONVERSATION_ID, **kwargs)  # no route: a request would fail assert_all_mocked


@pytest.mark.parametrize(
    "body",
    [
        messages_body(nextPage=False),
        messages_body([], nextPage=True),
        {k: v for k, v in messages_body().items() if k != "lastMessageId"},
        {"messages": [message_body()]},  # nothing but the messages: the spec's required fields missing
    ],
    ids=["nextPage-false", "empty-page", "no-lastMessageId", "no-paging-fields"],
)
def test_the_last_page_has_no_cursor(body: dict[str, Any]) -> None:
    for shape in (body, {"messages": body}):
        assert MessagePage.model_validate(shape).next_cursor is None


@pytest.mark.parametrize("body", [{}, {"messages": "none"}, {"messages": {"lastMessageId": "x"}}, [message_body()]])
def test_a_page_of_another_shape_is_an_invalid_response(
    ghl_mock: respx.MockRouter, api: ConversationsAPI, body: Any
) -> None:
    ghl_mock.get(HISTORY).respond(200, json=body)

    with pytest.raises(GHLInvalidResponseError) as caught:
        api.messages(CONVERSATION_ID)

    assert caught.value.path == HISTORY


def test_messages_of_an_unknown_conversation(
    ghl_mock: respx.MockRouter, api: ConversationsAPI, sleeps: list[float]
) -> None:
    route = ghl_mock.get(HISTORY).mock(return_value=spec_response("GET", HISTORY, 400, CONVERSATION_NOT_FOUND))

    with pytest.raises(GHLRecordNotFoundError) as caught:
        api.messages(CONVERSATION_ID)

    assert isinstance(caught.value, GHLNotFoundError)
    assert route.call_count == 1 and sleeps == []
    assert (caught.value.status, caught.value.message, caught.value.trace_id) == (
        400,
        "Conversation not found",
        "trace-400",
    )


def test_a_conversation_id_stays_one_path_segment(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.route(method="GET", path__startswith="/conversations/").mock(
        return_value=spec_response("GET", HISTORY, 200, messages_body())
    )

    api.messages("../search?x=1")

    assert route.calls.last.request.url.raw_path == b"/conversations/%2E%2E%2Fsearch%3Fx%3D1/messages"


# --- history: one email ---------------------------------------------------------------------------


def test_email(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.get(EMAIL).mock(return_value=spec_response("GET", EMAIL, 200, email_message_body()))

    email = api.email(EMAIL_MESSAGE_ID)

    request = route.calls.last.request
    # The spec declares no Version (no parameter at all) here: the file's 2021-04-15 is sent anyway.
    ghl_testkit.assert_sent(request, "GET", EMAIL, version="2021-04-15", params={})
    assert request.content == b""
    assert isinstance(email, EmailMessage)
    assert (email.id, email.subject, email.body, email.contentType) == (
        EMAIL_MESSAGE_ID,
        "Order confirm",
        "<p>Hi there</p>",
        "text/html",
    )
    assert (email.from_, email.to, email.cc, email.bcc) == (
        "Rane Deo <rane@due.com>",
        ["rosan@deos.com"],
        ["cc1@company.com"],
        [],
    )
    assert (email.direction, email.status, email.dateAdded, email.threadId, email.provider) == (
        "outbound",
        "opened",
        "2024-03-27T18:13:49.000Z",
        "ve9EPM428h8vShlRW1KT",
        "Leadconnector Gmail",
    )
    assert (email.contactId, email.conversationId, email.locationId) == (CONTACT_ID, CONVERSATION_ID, LOCATION_ID)
    assert email.model_extra == {}  # `from` is read into `from_`, not left over


def test_an_email_id_stays_one_path_segment(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    route = ghl_mock.route(method="GET", path__startswith="/conversations/").respond(200, json=email_message_body())

    api.email("../../search?x=1")

    assert route.calls.last.request.url.raw_path == b"/conversations/messages/email/%2E%2E%2F%2E%2E%2Fsearch%3Fx%3D1"


def test_email_inside_an_email_message_wrapper(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    ghl_mock.get(EMAIL).respond(200, json={"emailMessage": email_message_body(), "traceId": "trace-email-1"})

    email = api.email(EMAIL_MESSAGE_ID)

    assert (email.id, email.subject, email.from_) == (EMAIL_MESSAGE_ID, "Order confirm", "Rane Deo <rane@due.com>")


def test_an_email_without_an_id_is_an_invalid_response(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    body = {name: value for name, value in email_message_body().items() if name != "id"}
    ghl_mock.get(EMAIL).respond(200, json=body)

    with pytest.raises(GHLInvalidResponseError, match="id"):
        api.email(EMAIL_MESSAGE_ID)


def test_the_history_of_an_email_thread(ghl_mock: respx.MockRouter, api: ConversationsAPI) -> None:
    """The listing gives an email's ids, `email()` its content: the two calls chain."""
    ghl_mock.get(HISTORY).mock(
        return_value=spec_response("GET", HISTORY, 200, messages_body([email_list_message_body()]))
    )
    route = ghl_mock.get(EMAIL).mock(return_value=spec_response("GET", EMAIL, 200, email_message_body()))

    [listed] = api.messages(CONVERSATION_ID).messages
    assert listed.meta is not None and listed.meta.email is not None
    email = api.email(listed.meta.email.messageIds[0])

    assert route.call_count == 1 and email.body == "<p>Hi there</p>"


def test_a_call_duration_may_come_as_a_number() -> None:
    message = Message.model_validate(call_message_body(meta={"callDuration": 120, "callStatus": "voicemail"}))

    assert message.meta is not None and (message.meta.callDuration, message.meta.callStatus) == (120, "voicemail")
