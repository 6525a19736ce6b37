"""Conversations (`apps/conversations.json`, Version 2021-04-15, Sub-Account token).

Nothing is delivered: every send (Email, SMS) and every call log is recorded in the outbox
(`Sandbox.outbox`, `GET /_sandbox/outbox`) and added to the contact's conversation, which is
created on the first send as GHL does ("One conversationId is maintained per contact").

Where the spec and GHL's behaviour part (GHL-NOTES §4.1, §9.7): the HEAD spec marks `subType`
and `status` required on `POST /conversations/messages`; they look like generator artifacts and
are not required here. An Email needs `html` (a community report says `message` alone is not
enough); an SMS needs `message`.

History (`GET /conversations/{conversationId}/messages`, `conversations/message.readonly`): every
message of the conversation, newest first (the id breaks ties), seeded or sent through this API
(one store, `Data.messages`). It answers in the nested shape live GHL sends (GHL-NOTES §10.7,
issue #54), not the spec's flat one: `{"messages": {"lastMessageId", "nextPage", "messages": [...]}}`.
`limit` defaults to 20 and may be at most 100 (the spec states no maximum; more is a 422, as on
`/conversations/search`). `lastMessageId` (a message of this conversation, else 400 "Message not
found") starts the page after that message, so following `lastMessageId` while `nextPage` is true
returns each message once. `type` is a comma-separated list of the spec's `TYPE_*` filter values
(another value is a 422); the cursor works the same with or without it. An empty page answers
`nextPage: false` and `lastMessageId` = the cursor sent (or "" without one). E-mails come without
`body`; `meta.email.messageIds` holds the e-mail id for `GET /conversations/messages/email/{id}`,
which answers the e-mail with its subject, HTML body, from, to, cc and bcc. An unknown e-mail id is
a 400 "Email not found" (a conversation message id is not an e-mail id). That route's spec lists
neither a Version nor a scope; the sandbox asks for this group's `2021-04-15` and
`conversations/message.readonly`, as for the history.

Message authors: an Email's `emailFrom` ("Email address to send from"), when given, must be the
e-mail (case-insensitive) of a user of the contact's location, else 400 "emailFrom is not a user
of this location"; the message is then that user's (`Message.user_id`, and `userId` next to
`emailFrom` in the outbox). The spec does not say what GHL does with another address (it may
fall back to the location's default sender); refusing it is the sandbox's choice, so an app that
sends a wrong or stale address finds out here instead of in production.
"""

from __future__ import annotations

import re
from typing import Any

from ghlsandbox.clock import parse_iso, utc
from ghlsandbox.records import Contact, Conversation, EmailDetails, Message, OutboxEntry, call_message_status
from ghlsandbox.routing import VERSION_2021_04_15, ApiError, Call, Reply, Route, bad_request, unprocessable
from ghlsandbox.state import message_order
from ghlsandbox.validation import Field

MESSAGE_TYPES = ("SMS", "RCS", "Email", "WhatsApp", "IG", "FB", "Custom", "Live_Chat", "TIKTOK")
CALL_STATUSES = ("pending", "completed", "answered", "busy", "no-answer", "failed", "canceled", "voicemail")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HISTORY_TYPES = (
    "TYPE_CALL",
    "TYPE_SMS",
    "TYPE_RCS",
    "TYPE_EMAIL",
    "TYPE_FACEBOOK",
    "TYPE_GMB",
    "TYPE_INSTAGRAM",
    "TYPE_WHATSAPP",
    "TYPE_ACTIVITY_APPOINTMENT",
    "TYPE_ACTIVITY_CONTACT",
    "TYPE_ACTIVITY_INVOICE",
    "TYPE_ACTIVITY_PAYMENT",
    "TYPE_ACTIVITY_OPPORTUNITY",
    "TYPE_LIVE_CHAT",
    "TYPE_INTERNAL_COMMENTS",
    "TYPE_ACTIVITY_EMPLOYEE_ACTION_LOG",
    "TYPE_TIKTOK",
    "TYPE_ACTIVITY_WHATSAPP",
    "TYPE_FORM_SUBMISSION",
)
"""The `type` filter values of `GET /conversations/{conversationId}/messages` (its spec enum)."""
DEFAULT_HISTORY_LIMIT = 20
MAX_HISTORY_LIMIT = 100


def search(call: Call) -> Reply:
    query = call.query
    location = call.location(query["locationId"])
    found: list[tuple[Conversation, Contact]] = []
    text = str(query.get("query", "")).lower()
    for conversation in call.data.conversations.values():
        contact = call.data.contacts.get(conversation.contact_id)
        if conversation.location_id != location.id or contact is None:
            continue
        if any(
            name in query and query[name] != value
            for name, value in (
                ("contactId", conversation.contact_id),
                ("id", conversation.id),
                ("assignedTo", conversation.assigned_to),
                ("lastMessageType", conversation.last_message_type),
            )
        ):
            continue
        if text and not any(text in value.lower() for value in (contact.name, contact.email, contact.phone)):
            continue
        found.append((conversation, contact))
    found.sort(key=lambda pair: (pair[0].last_message_date, pair[0].id), reverse=query.get("sort") != "asc")
    limit = int(query.get("limit", 20))
    return Reply(
        200,
        {"conversations": [conv.api_search(contact) for conv, contact in found[:limit]], "total": len(found)},
    )


def history(call: Call) -> Reply:
    """`GET /conversations/{conversationId}/messages`, in live GHL's nested shape (see above)."""
    found = call.data.conversations.get(call.path_params["conversationId"])
    conversation = call.owned(found, found.location_id if found else None, "Conversation")
    wanted = _history_types(call.query.get("type"))
    messages = call.data.history(conversation.id)
    cursor = call.query.get("lastMessageId")
    if cursor is not None:
        last = call.data.messages.get(cursor)
        if last is None or last.conversation_id != conversation.id:
            raise bad_request("Message not found")
        messages = [message for message in messages if message_order(message) < message_order(last)]
    if wanted:
        messages = [message for message in messages if message.message_type in wanted]
    limit = int(call.query.get("limit", DEFAULT_HISTORY_LIMIT))
    page = messages[:limit]
    return Reply(
        200,
        {
            "messages": {
                "lastMessageId": page[-1].id if page else (cursor or ""),
                "nextPage": len(messages) > limit,
                "messages": [message.api() for message in page],
            }
        },
    )


def _history_types(text: str | None) -> set[str]:
    wanted = {part.strip() for part in (text or "").split(",") if part.strip()}
    if not wanted <= set(HISTORY_TYPES):
        raise unprocessable([f"each value in type must be one of the following values: {', '.join(HISTORY_TYPES)}"])
    return wanted


def get_email(call: Call) -> Reply:
    """`GET /conversations/messages/email/{id}`: an e-mail by its e-mail message id."""
    found = call.data.email(call.path_params["id"])
    message = call.owned(found, found.location_id if found else None, "Email")
    return Reply(200, message.api_email())


def create(call: Call) -> Reply:
    location = call.location(call.body["locationId"])
    contact = _contact(call, call.body["contactId"])
    existing = call.data.conversation_of(contact.id)
    if existing is not None:
        raise ApiError(
            400,
            body={
                "statusCode": 400,
                "message": "Conversation already exists",
                "error": "Bad Request",
                "conversationId": existing.id,
            },
        )
    now = utc(call.now)
    conversation = Conversation(
        id=call.data.new_id(),
        location_id=location.id,
        contact_id=contact.id,
        date_added=now,
        date_updated=now,
        last_message_date=now,
        assigned_to=contact.assigned_to,
    )
    call.data.conversations[conversation.id] = conversation
    return Reply(201, {"success": True, "conversation": conversation.api_created()})


def send_message(call: Call) -> Reply:
    """`POST /conversations/messages`: an Email or SMS, recorded in the outbox."""
    body = call.body
    contact = _contact(call, body["contactId"])
    kind = body["type"]
    user_id = ""
    email = None
    if kind == "Email":
        fields, thread_id = _email_fields(call, contact)
        message_type, text = "TYPE_EMAIL", body.get("html") or body.get("message", "")
        user_id = fields.get("userId", "")
        email = _email_details(call, contact, fields)
    elif kind == "SMS":
        if not body.get("message"):
            raise unprocessable(["message should not be empty"])
        if not contact.phone:
            raise bad_request("The contact has no phone number")
        fields = {"message": body["message"], "toNumber": body.get("toNumber") or contact.phone}
        message_type, text, thread_id = "TYPE_SMS", body["message"], ""
    else:
        raise bad_request(f"The sandbox does not send {kind} messages (Email and SMS only)")

    now = utc(call.now)
    conversation = _conversation_for(call, contact, "TYPE_EMAIL" if kind == "Email" else "TYPE_PHONE")
    message = Message(
        id=call.data.new_id(),
        conversation_id=conversation.id,
        contact_id=contact.id,
        location_id=contact.location_id,
        message_type=message_type,
        direction="outbound",
        body=text,
        date_added=now,
        email_message_id=call.data.new_id() if kind == "Email" else "",
        user_id=user_id,
        status="pending",  # as the answer says; nothing is delivered
        source="api",
        email=email,
    )
    message.thread_id = thread_id or message.email_message_id
    call.data.messages[message.id] = message
    conversation.record(message)
    call.data.outbox.append(
        OutboxEntry(
            message_id=message.id,
            conversation_id=conversation.id,
            contact_id=contact.id,
            location_id=contact.location_id,
            type=kind,
            date_added=now,
            trace_id=call.trace_id,
            fields=fields,
            email_message_id=message.email_message_id,
        )
    )
    answer: dict[str, Any] = {
        "conversationId": conversation.id,
        "messageId": message.id,
        "msg": "Message queued successfully.",
        "status": "pending",
    }
    if message.email_message_id:
        answer["emailMessageId"] = message.email_message_id
    return Reply(200, answer)


def _email_fields(call: Call, contact: Contact) -> tuple[dict[str, Any], str]:
    """What an Email send records (with `userId` when `emailFrom` names a location user), and the
    thread it continues ("" for a new thread)."""
    body = call.body
    problems: list[str] = []
    if not body.get("html"):
        problems.append("html should not be empty")
    email_to = body.get("emailTo")
    if email_to is not None and not _EMAIL.match(email_to):
        problems.append("emailTo must be an email")
    for name in ("emailCc", "emailBcc"):
        if not all(_EMAIL.match(address) for address in body.get(name, [])):
            problems.append(f"each value in {name} must be an email")
    if problems:
        raise unprocessable(problems)
    author = None
    if body.get("emailFrom") is not None:
        author = call.data.location_user(contact.location_id, email=body["emailFrom"])
        if author is None:
            raise bad_request("emailFrom is not a user of this location")
    recipient = email_to or contact.email
    if not recipient:
        raise bad_request("The contact has no email address")
    thread_id = ""
    reply_to = body.get("replyMessageId")
    if reply_to is not None:
        original = call.data.messages.get(reply_to)
        if original is None or original.contact_id != contact.id:
            raise bad_request("The message to reply to was not found for this contact")
        thread_id = original.thread_id or original.email_message_id
    fields: dict[str, Any] = {
        name: body[name]
        for name in (
            "subject",
            "html",
            "message",
            "emailFrom",
            "emailCc",
            "emailBcc",
            "replyMessageId",
            "threadId",
            "emailReplyMode",
            "attachments",
            "scheduledTimestamp",
            "templateId",
        )
        if name in body
    }
    fields["emailTo"] = recipient
    fields["threadId"] = thread_id or body.get("threadId", "")
    if author is not None:
        fields["userId"] = author.id
    return fields, thread_id


def _email_details(call: Call, contact: Contact, fields: dict[str, Any]) -> EmailDetails:
    """The e-mail's headers: from its author (`emailFrom`) or else the location's sender."""
    author = call.data.users.get(fields.get("userId", ""))
    sender = f"{author.name} <{author.email}>" if author else call.data.locations[contact.location_id].sender
    reply_to = call.data.messages.get(fields.get("replyMessageId", ""))
    return EmailDetails(
        subject=fields.get("subject", ""),
        sender=sender,
        to=[fields["emailTo"]],
        cc=list(fields.get("emailCc", [])),
        bcc=list(fields.get("emailBcc", [])),
        reply_to_email_id=reply_to.email_message_id if reply_to else "",
    )


def add_outbound_call(call: Call) -> Reply:
    """`POST /conversations/messages/outbound` (type Call): a call log from the app's Call provider."""
    body = call.body
    found = call.data.conversations.get(body["conversationId"])
    conversation = call.owned(found, found.location_id if found else None, "Conversation")
    details = body.get("call", {})
    problems: list[str] = []
    if not isinstance(details, dict):
        problems.append("call must be an object")
        details = {}
    if details.get("status") is not None and details["status"] not in CALL_STATUSES:
        problems.append(f"call.status must be one of the following values: {', '.join(CALL_STATUSES)}")
    for name in ("to", "from"):
        if details.get(name) is not None and not isinstance(details[name], str):
            problems.append(f"call.{name} must be a string")
    date = body.get("date")
    moment = parse_iso(date) if date is not None else utc(call.now)
    if moment is None:
        problems.append("date must be a valid ISO 8601 date string")
    if problems:
        raise unprocessable(problems)
    assert moment is not None
    if body["conversationProviderId"] not in call.data.call_provider_ids:
        raise bad_request("Conversation provider not found")  # GHL itself answers 500 here (issue #6)

    contact = call.data.contacts[conversation.contact_id]
    message = Message(
        id=call.data.new_id(),
        conversation_id=conversation.id,
        contact_id=contact.id,
        location_id=conversation.location_id,
        message_type="TYPE_CALL",
        direction="outbound",
        body=f"Call to {details.get('to') or contact.phone} ({details.get('status') or 'completed'})",
        date_added=moment,
        status=call_message_status(details.get("status") or "completed"),
        source="api",
        call_status=details.get("status") or "completed",
        conversation_provider_id=body["conversationProviderId"],
        alt_id=body.get("altId") or "",
    )
    call.data.messages[message.id] = message
    conversation.record(message)
    fields: dict[str, Any] = {
        name: body[name] for name in ("conversationProviderId", "call", "attachments", "altId", "date") if name in body
    }
    call.data.outbox.append(
        OutboxEntry(
            message_id=message.id,
            conversation_id=conversation.id,
            contact_id=contact.id,
            location_id=conversation.location_id,
            type="Call",
            date_added=moment,
            trace_id=call.trace_id,
            fields=fields,
        )
    )
    return Reply(
        200,
        {
            "success": True,
            "conversationId": conversation.id,
            "messageId": message.id,
            "message": "Call logged successfully.",
            "contactId": contact.id,
            "dateAdded": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        },
    )


def _contact(call: Call, contact_id: str) -> Contact:
    found = call.data.contacts.get(contact_id)
    return call.owned(found, found.location_id if found else None, "Contact")


def _conversation_for(call: Call, contact: Contact, kind: str) -> Conversation:
    existing = call.data.conversation_of(contact.id)
    if existing is not None:
        return existing
    now = utc(call.now)
    conversation = Conversation(
        id=call.data.new_id(),
        location_id=contact.location_id,
        contact_id=contact.id,
        date_added=now,
        date_updated=now,
        last_message_date=now,
        type=kind,
        assigned_to=contact.assigned_to,
    )
    call.data.conversations[conversation.id] = conversation
    return conversation


_SEARCH_QUERY = (
    Field("locationId", required=True),
    Field("contactId"),
    Field("assignedTo"),
    Field("followers"),
    Field("mentions"),
    Field("query"),
    Field("sort", enum=("asc", "desc")),
    Field("startAfterDate"),
    Field("id"),
    Field("limit", "integer", minimum=1, maximum=100),
    Field("lastMessageType"),
    Field("lastMessageAction", enum=("automated", "manual")),
    Field("lastMessageDirection", enum=("inbound", "outbound")),
    Field("status", enum=("all", "read", "unread", "starred", "recents")),
    Field("sortBy"),
    Field("sortScoreProfile"),
    Field("scoreProfile"),
    Field("scoreProfileMin", "number"),
    Field("scoreProfileMax", "number"),
    Field("startDate", "number"),
    Field("endDate", "number"),
)
_SEND_BODY = (
    Field("type", required=True, enum=MESSAGE_TYPES),
    Field("subType", "object"),
    Field("contactId", required=True),
    Field("appointmentId"),
    Field("attachments", "string[]"),
    Field("emailFrom"),
    Field("emailCc", "string[]"),
    Field("emailBcc", "string[]"),
    Field("html"),
    Field("message"),
    Field("subject"),
    Field("replyMessageId"),
    Field("templateId"),
    Field("threadId"),
    Field("scheduledTimestamp", "number"),
    Field("conversationProviderId"),
    Field("emailTo"),
    Field("customSubtypeId"),
    Field("emailReplyMode", enum=("reply", "reply_all")),
    Field("fromNumber"),
    Field("toNumber"),
    Field("forward", "object"),
    Field("status", enum=("delivered", "failed", "pending", "read")),
    Field("usesNativeSchedulingAi", "boolean"),
    Field("optimizationPeriod", enum=("24h", "48h", "72h")),
)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET", "/conversations/search", search, VERSION_2021_04_15, "Location", "conversations.readonly", _SEARCH_QUERY
    ),
    Route(
        "GET",
        "/conversations/messages/email/{id}",
        get_email,
        VERSION_2021_04_15,
        "Location",
        "conversations/message.readonly",
    ),
    Route(
        "GET",
        "/conversations/{conversationId}/messages",
        history,
        VERSION_2021_04_15,
        "Location",
        "conversations/message.readonly",
        (
            Field("lastMessageId"),
            Field("limit", "integer", minimum=1, maximum=MAX_HISTORY_LIMIT),
            Field("type"),
        ),
    ),
    Route(
        "POST",
        "/conversations",
        create,
        VERSION_2021_04_15,
        "Location",
        "conversations.write",
        body=(Field("locationId", required=True), Field("contactId", required=True)),
    ),
    Route(
        "POST",
        "/conversations/messages",
        send_message,
        VERSION_2021_04_15,
        "Location",
        "conversations/message.write",
        body=_SEND_BODY,
    ),
    Route(
        "POST",
        "/conversations/messages/outbound",
        add_outbound_call,
        VERSION_2021_04_15,
        "Location",
        "conversations/message.write",
        body=(
            Field("type", required=True, enum=("Call",)),
            Field("attachments", "string[]"),
            Field("conversationId", required=True),
            Field("conversationProviderId", required=True),
            Field("altId"),
            Field("date"),
            Field("call", "object"),
        ),
    ),
)
