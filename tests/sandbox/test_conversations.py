"""Conversations: search, create (one per contact), email sends (and their author) and call logs in
the outbox, and the history (paging, type filter, e-mails read by their e-mail id)."""

from __future__ import annotations

from ghlsandbox import (
    DEMO_CALL_PROVIDER_ID,
    DEMO_LOCATION_ID,
    DEMO_USER_IDS,
    DEV_USER_EMAIL,
    DEV_USER_ID,
    LONG_CONVERSATION_ID,
)

from tests.sandbox.kit import (
    Ghl,
    contact_without_conversation,
    conversation_of,
    demo_contacts,
    history,
    research_contact,
    whole_history,
)


def test_search_finds_the_contacts_conversation(sbx: Ghl) -> None:
    conversation = next(c for c in sbx.sandbox.state.data.conversations.values() if c.location_id == DEMO_LOCATION_ID)
    contact = sbx.sandbox.state.data.contacts[conversation.contact_id]

    body = sbx.get("/conversations/search", params={"locationId": DEMO_LOCATION_ID, "contactId": contact.id}).json()
    everything = sbx.get("/conversations/search", params={"locationId": DEMO_LOCATION_ID, "limit": 100}).json()

    assert body["total"] == 1
    found = body["conversations"][0]
    assert (found["id"], found["contactName"], found["email"]) == (conversation.id, contact.name, contact.email)
    assert found["lastMessageBody"] == conversation.last_message_body
    assert everything["total"] == 40 == len(everything["conversations"])


def test_create_makes_one_conversation_per_contact(sbx: Ghl) -> None:
    contact = contact_without_conversation(sbx)

    created = sbx.post("/conversations/", json={"locationId": DEMO_LOCATION_ID, "contactId": contact.id})
    again = sbx.post("/conversations/", json={"locationId": DEMO_LOCATION_ID, "contactId": contact.id})

    assert created.status_code == 201
    conversation = created.json()["conversation"]
    assert created.json()["success"] is True and conversation["contactId"] == contact.id
    assert again.status_code == 400
    assert again.json()["message"] == "Conversation already exists"
    assert again.json()["conversationId"] == conversation["id"]
    found = sbx.get("/conversations/search", params={"locationId": DEMO_LOCATION_ID, "contactId": contact.id})
    assert [c["id"] for c in found.json()["conversations"]] == [conversation["id"]]


def test_sending_an_email_records_it_in_the_outbox(sbx: Ghl) -> None:
    contact = contact_without_conversation(sbx)

    response = sbx.post(
        "/conversations/messages",
        json={
            "type": "Email",
            "contactId": contact.id,
            "subject": "Your proposal",
            "html": "<p>Attached.</p>",
            "emailCc": ["manager@example.com"],
            "emailBcc": ["crm@example.com"],
        },
    )

    assert response.status_code == 200
    sent = response.json()
    assert sent["status"] == "pending" and sent["msg"]
    (entry,) = sbx.sandbox.outbox
    assert entry["type"] == "Email"
    assert (entry["messageId"], entry["emailMessageId"], entry["conversationId"]) == (
        sent["messageId"],
        sent["emailMessageId"],
        sent["conversationId"],
    )
    assert (entry["emailTo"], entry["subject"], entry["html"]) == (contact.email, "Your proposal", "<p>Attached.</p>")
    assert (entry["emailCc"], entry["emailBcc"]) == (["manager@example.com"], ["crm@example.com"])
    assert entry["traceId"] == response.headers["traceId"]
    assert sbx.http.get("/_sandbox/outbox").json() == {"messages": sbx.sandbox.outbox}
    conversation = sbx.sandbox.state.data.conversations[sent["conversationId"]]
    assert conversation.contact_id == contact.id and conversation.last_message_type == "TYPE_EMAIL"


def test_a_reply_continues_the_thread_and_emailto_overrides_the_recipient(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[5]
    first = sbx.post(
        "/conversations/messages", json={"type": "Email", "contactId": contact.id, "subject": "Hi", "html": "1"}
    ).json()

    reply = sbx.post(
        "/conversations/messages",
        json={
            "type": "Email",
            "contactId": contact.id,
            "html": "2",
            "replyMessageId": first["messageId"],
            "emailTo": "assistant@example.com",
        },
    )
    unknown = sbx.post(
        "/conversations/messages",
        json={"type": "Email", "contactId": contact.id, "html": "3", "replyMessageId": "doesNotExist00000000"},
    )

    assert reply.status_code == 200 and reply.json()["conversationId"] == first["conversationId"]
    entries = sbx.sandbox.outbox
    assert entries[1]["threadId"] == first["emailMessageId"]
    assert entries[1]["emailTo"] == "assistant@example.com"
    assert unknown.status_code == 400 and len(sbx.sandbox.outbox) == 2


def test_an_sms_needs_a_message(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[2]

    empty = sbx.post("/conversations/messages", json={"type": "SMS", "contactId": contact.id})
    sent = sbx.post("/conversations/messages", json={"type": "SMS", "contactId": contact.id, "message": "On my way"})

    assert empty.status_code == 422 and empty.json()["message"] == ["message should not be empty"]
    assert sent.status_code == 200 and "emailMessageId" not in sent.json()
    assert [(e["type"], e["toNumber"]) for e in sbx.sandbox.outbox] == [("SMS", contact.phone)]


def test_logging_a_call_needs_the_call_provider(sbx: Ghl) -> None:
    conversation = next(c for c in sbx.sandbox.state.data.conversations.values() if c.location_id == DEMO_LOCATION_ID)
    call = {"to": "+15125550100", "from": "+15125550199", "status": "voicemail"}

    logged = sbx.post(
        "/conversations/messages/outbound",
        json={
            "type": "Call",
            "conversationId": conversation.id,
            "conversationProviderId": DEMO_CALL_PROVIDER_ID,
            "call": call,
            "date": "2026-03-02T15:04:05Z",
        },
    )
    no_provider = sbx.post("/conversations/messages/outbound", json={"type": "Call", "conversationId": conversation.id})
    wrong_provider = sbx.post(
        "/conversations/messages/outbound",
        json={"type": "Call", "conversationId": conversation.id, "conversationProviderId": "notAProvider00000000"},
    )

    assert logged.status_code == 200
    body = logged.json()
    assert body["success"] is True and body["contactId"] == conversation.contact_id
    assert body["dateAdded"] == "2026-03-02T15:04:05.000Z"
    (entry,) = sbx.sandbox.outbox
    assert (entry["type"], entry["call"], entry["messageId"]) == ("Call", call, body["messageId"])
    assert no_provider.status_code == 422
    assert no_provider.json()["message"] == ["conversationProviderId should not be empty"]
    assert wrong_provider.status_code == 400 and len(sbx.sandbox.outbox) == 1


def test_emailfrom_must_be_a_user_of_the_contacts_location_and_makes_the_message_theirs(sbx: Ghl) -> None:
    contact = contact_without_conversation(sbx)
    email = {"type": "Email", "contactId": contact.id, "subject": "Hi", "html": "<p>Hi</p>"}
    before = sbx.sandbox.state.snapshot()

    refused = [
        sbx.post("/conversations/messages", json={**email, "emailFrom": sender})
        for sender in ("grace@sandbox-agency.example", "someone@example.com", "")
    ]

    for response in refused:
        assert response.status_code == 400
        assert {k: v for k, v in response.json().items() if k != "traceId"} == {
            "statusCode": 400,
            "message": "emailFrom is not a user of this location",
            "error": "Bad Request",
        }
    assert sbx.sandbox.state.snapshot() == before, "a refused send changes nothing"

    by_renee = sbx.post("/conversations/messages", json={**email, "emailFrom": "Renee@Sandbox-Agency.example"})
    by_dev = sbx.post("/conversations/messages", json={**email, "emailFrom": DEV_USER_EMAIL})
    unsigned = sbx.post("/conversations/messages", json=email)

    assert [r.status_code for r in (by_renee, by_dev, unsigned)] == [200, 200, 200]
    entries = sbx.sandbox.outbox
    assert [(e.get("emailFrom"), e.get("userId")) for e in entries] == [
        ("Renee@Sandbox-Agency.example", DEMO_USER_IDS[2]),
        (DEV_USER_EMAIL, DEV_USER_ID),
        (None, None),
    ]
    messages = sbx.sandbox.state.data.messages
    assert [messages[r.json()["messageId"]].user_id for r in (by_renee, by_dev, unsigned)] == [
        DEMO_USER_IDS[2],
        DEV_USER_ID,
        "",
    ]


# --- history ------------------------------------------------------------------------------------------


def _stored_history(sbx: Ghl, conversation_id: str) -> list[str]:
    """The conversation's message ids, newest first, from the sandbox's state."""
    return [message.id for message in sbx.sandbox.state.data.history(conversation_id)]


def test_history_pages_newest_first_without_duplicates_or_gaps(sbx: Ghl) -> None:
    pages = whole_history(sbx, LONG_CONVERSATION_ID)
    small_pages = whole_history(sbx, LONG_CONVERSATION_ID, limit=7)

    expected = _stored_history(sbx, LONG_CONVERSATION_ID)
    assert len(expected) > 60
    assert [len(page) for page in pages] == [20, 20, 20, len(expected) - 60]
    assert [m["id"] for page in pages for m in page] == expected
    assert [m["id"] for page in small_pages for m in page] == expected
    dates = [m["dateAdded"] for page in pages for m in page]
    assert dates == sorted(dates, reverse=True)
    assert {m["conversationId"] for page in pages for m in page} == {LONG_CONVERSATION_ID}


def test_a_page_can_end_between_two_messages_of_the_same_second(sbx: Ghl) -> None:
    """The cursor is the message, not its date: the next page starts right after it."""
    first = history(sbx, LONG_CONVERSATION_ID)
    second = history(sbx, LONG_CONVERSATION_ID, lastMessageId=first["lastMessageId"])

    assert first["messages"][-1]["dateAdded"] == second["messages"][0]["dateAdded"]
    assert first["messages"][-1]["id"] != second["messages"][0]["id"]
    assert first["nextPage"] is True and first["lastMessageId"] == first["messages"][-1]["id"]


def test_the_limit_is_20_by_default_and_at_most_100(sbx: Ghl) -> None:
    everything = history(sbx, LONG_CONVERSATION_ID, limit=100)
    too_many = sbx.get(f"/conversations/{LONG_CONVERSATION_ID}/messages", params={"limit": 101})
    none = sbx.get(f"/conversations/{LONG_CONVERSATION_ID}/messages", params={"limit": 0})

    assert len(everything["messages"]) == len(_stored_history(sbx, LONG_CONVERSATION_ID))
    assert everything["nextPage"] is False
    assert (too_many.status_code, too_many.json()["message"]) == (422, ["limit must not be greater than 100"])
    assert (none.status_code, none.json()["message"]) == (422, ["limit must not be less than 1"])


def test_the_type_filter_keeps_the_paging_exact(sbx: Ghl) -> None:
    stored = sbx.sandbox.state.data.history(LONG_CONVERSATION_ID)

    calls = whole_history(sbx, LONG_CONVERSATION_ID, type="TYPE_CALL", limit=5)
    texts_and_emails = whole_history(sbx, LONG_CONVERSATION_ID, type="TYPE_SMS, TYPE_EMAIL")

    assert [m["id"] for page in calls for m in page] == [m.id for m in stored if m.message_type == "TYPE_CALL"]
    assert len(calls) >= 2
    assert [m["id"] for page in texts_and_emails for m in page] == [
        m.id for m in stored if m.message_type in ("TYPE_SMS", "TYPE_EMAIL")
    ]
    assert {m["type"] for page in calls for m in page} == {1}


def test_the_type_filter_takes_the_specs_values_only(sbx: Ghl) -> None:
    whatsapp = history(sbx, LONG_CONVERSATION_ID, type="TYPE_WHATSAPP")
    wrong = sbx.get(f"/conversations/{LONG_CONVERSATION_ID}/messages", params={"type": "TYPE_SMS,SMS"})

    assert whatsapp == {"lastMessageId": "", "nextPage": False, "messages": []}
    assert wrong.status_code == 422
    assert wrong.json()["message"][0].startswith("each value in type must be one of the following values: TYPE_CALL")


def test_a_cursor_must_be_a_message_of_the_conversation(sbx: Ghl) -> None:
    other = conversation_of(sbx, research_contact(sbx))
    foreign_message = _stored_history(sbx, other.id)[0]

    for cursor in (foreign_message, "doesNotExist00000000"):
        response = sbx.get(f"/conversations/{LONG_CONVERSATION_ID}/messages", params={"lastMessageId": cursor})

        assert (response.status_code, response.json()["message"]) == (400, "Message not found")


def test_emails_in_the_history_have_no_body_and_are_read_by_their_email_id(sbx: Ghl) -> None:
    conversation = conversation_of(sbx, research_contact(sbx))
    emails = [m for page in whole_history(sbx, conversation.id, type="TYPE_EMAIL") for m in page]

    read = [sbx.get(f"/conversations/messages/email/{m['meta']['email']['messageIds'][0]}").json() for m in emails]

    assert len(emails) >= 4 and all("body" not in m and m["contentType"] == "text/html" for m in emails)
    contact = research_contact(sbx)
    for listed, email in zip(emails, read, strict=True):
        assert (email["conversationId"], email["contactId"], email["dateAdded"]) == (
            conversation.id,
            contact.id,
            listed["dateAdded"],
        )
        assert email["body"].startswith("<p>") and email["subject"]
        customer = f"{contact.name} <{contact.email}>"
        if listed["direction"] == "inbound":
            assert email["from"] == customer and "userId" not in listed
        else:
            assert email["to"] == [contact.email] and listed["userId"] == contact.assigned_to
    threads = {email["threadId"] for email in read}
    assert len(threads) == 1, "one thread per conversation"
    assert any(email.get("replyToMessageId") for email in read)


def test_a_sent_email_is_in_the_history_and_readable_by_its_email_id(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    sent = sbx.post(
        "/conversations/messages",
        json={
            "type": "Email",
            "contactId": contact.id,
            "subject": "Your revised proposal",
            "html": "<p>Hi, the new quote is attached.</p>",
            "emailFrom": "renee@sandbox-agency.example",
            "emailCc": ["cfo@example.com"],
        },
    ).json()
    sbx.clock.advance(30)
    reply = sbx.post(
        "/conversations/messages",
        json={
            "type": "Email",
            "contactId": contact.id,
            "html": "<p>One more thing.</p>",
            "replyMessageId": sent["messageId"],
        },
    ).json()

    newest = history(sbx, sent["conversationId"], limit=2)["messages"]
    email = sbx.get(f"/conversations/messages/email/{sent['emailMessageId']}").json()
    answer = sbx.get(f"/conversations/messages/email/{reply['emailMessageId']}").json()

    assert [m["id"] for m in newest] == [reply["messageId"], sent["messageId"]]
    listed = newest[1]
    assert (listed["type"], listed["messageType"], listed["direction"]) == (3, "TYPE_EMAIL", "outbound")
    assert listed["meta"] == {"email": {"messageIds": [sent["emailMessageId"]]}} and "body" not in listed
    assert (listed["userId"], listed["source"], listed["status"]) == (DEMO_USER_IDS[2], "api", "pending")
    assert email["id"] == sent["emailMessageId"] and email["subject"] == "Your revised proposal"
    assert email["body"] == "<p>Hi, the new quote is attached.</p>"
    assert (email["from"], email["to"], email["cc"]) == (
        "Renee Alvarez <renee@sandbox-agency.example>",
        [contact.email],
        ["cfo@example.com"],
    )
    assert answer["from"] == "Demo Sales Team <sales@demo-sales-team.example>", "no emailFrom: the location sends"
    assert answer["replyToMessageId"] == sent["emailMessageId"]
    assert answer["threadId"] == email["threadId"] == sent["emailMessageId"]


def test_a_sent_sms_and_a_logged_call_are_in_the_history(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    conversation = conversation_of(sbx, contact)
    sms = sbx.post("/conversations/messages", json={"type": "SMS", "contactId": contact.id, "message": "On my way"})
    sbx.clock.advance(60)
    logged = sbx.post(
        "/conversations/messages/outbound",
        json={
            "type": "Call",
            "conversationId": conversation.id,
            "conversationProviderId": DEMO_CALL_PROVIDER_ID,
            "call": {"to": contact.phone, "from": "+15125550199", "status": "no-answer"},
        },
    )

    newest = history(sbx, conversation.id, limit=2)["messages"]

    assert [m["id"] for m in newest] == [logged.json()["messageId"], sms.json()["messageId"]]
    call, text = newest
    assert (call["type"], call["messageType"], call["status"]) == (1, "TYPE_CALL", "failed")
    assert call["meta"] == {"callStatus": "no-answer"} and call["conversationProviderId"] == DEMO_CALL_PROVIDER_ID
    assert (text["type"], text["body"], text["status"], text["source"]) == (2, "On my way", "pending", "api")
    assert sbx.sandbox.state.data.conversations[conversation.id].last_message_type == "TYPE_CALL"


def test_the_email_route_takes_email_ids_of_the_tokens_location(sbx: Ghl) -> None:
    data = sbx.sandbox.state.data
    message = next(
        m for m in data.messages.values() if m.message_type == "TYPE_EMAIL" and m.location_id == DEMO_LOCATION_ID
    )
    foreign = next(
        m for m in data.messages.values() if m.message_type == "TYPE_EMAIL" and m.location_id != DEMO_LOCATION_ID
    )

    found = sbx.get(f"/conversations/messages/email/{message.email_message_id}")
    by_message_id = sbx.get(f"/conversations/messages/email/{message.id}")
    unknown = sbx.get("/conversations/messages/email/doesNotExist00000000")
    other = sbx.get(f"/conversations/messages/email/{foreign.email_message_id}")

    assert found.status_code == 200 and found.json()["id"] == message.email_message_id
    for response in (by_message_id, unknown):
        assert (response.status_code, response.json()["message"]) == (400, "Email not found")
    assert (other.status_code, other.json()["message"]) == (403, "The token does not have access to this location.")


def test_the_history_of_an_unknown_or_foreign_conversation(sbx: Ghl) -> None:
    foreign = next(c.id for c in sbx.sandbox.state.data.conversations.values() if c.location_id != DEMO_LOCATION_ID)

    unknown = sbx.get("/conversations/doesNotExist00000000/messages")
    other = sbx.get(f"/conversations/{foreign}/messages")

    assert (unknown.status_code, unknown.json()["message"]) == (400, "Conversation not found")
    assert (other.status_code, other.json()["message"]) == (403, "The token does not have access to this location.")


def test_seeded_histories_mix_channels_and_keep_one_conversation_per_contact(sbx: Ghl) -> None:
    data = sbx.sandbox.state.data
    contacts = [conversation.contact_id for conversation in data.conversations.values()]
    demo = [c for c in data.conversations.values() if c.location_id == DEMO_LOCATION_ID]
    contact = research_contact(sbx)

    found = sbx.get("/conversations/search", params={"locationId": DEMO_LOCATION_ID, "contactId": contact.id}).json()

    assert len(contacts) == len(set(contacts))
    assert [c["id"] for c in found["conversations"]] == [conversation_of(sbx, contact).id] and found["total"] == 1
    kinds = {m.message_type for m in data.messages.values() if m.location_id == DEMO_LOCATION_ID}
    assert kinds == {"TYPE_EMAIL", "TYPE_SMS", "TYPE_CALL"}
    with_several_channels = [
        c for c in demo if len({m.message_type for m in data.messages.values() if m.conversation_id == c.id}) > 1
    ]
    assert len(with_several_channels) >= 25
    assert all(
        m.email is not None and m.email_message_id for m in data.messages.values() if m.message_type == "TYPE_EMAIL"
    )
