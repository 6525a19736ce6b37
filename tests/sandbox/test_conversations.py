"""Conversations: search, create (one per contact), email sends (and their author) and call logs in
the outbox."""

from __future__ import annotations

from ghlsandbox import DEMO_CALL_PROVIDER_ID, DEMO_LOCATION_ID, DEMO_USER_IDS, DEV_USER_EMAIL, DEV_USER_ID

from tests.sandbox.kit import Ghl, contact_without_conversation, demo_contacts


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
