"""GHL Conversations (`apps/conversations.json`, `Version: 2021-04-15` — not 2021-07-28 — with a
Sub-Account token).

Sending an email, `POST /conversations/messages` (SendMessageBodyDto). The HEAD spec (2026-05-01
sync) marks FOUR fields required: `type`, `contactId`, and newly `subType` and `status`, which the
2025-08-26 spec did not require and which look like generator artifacts (GHL-NOTES §4.1, gotcha 7).
We conform to the spec as published:

- `subType` is typed `object` (its example is the string "Email", which the type forbids). We send
  `SEND_SUB_TYPE`, an empty object: the one value that satisfies the schema without inventing
  content. If GHL turns out to want the string "Email", that constant is the single place to change
  (and the request would then no longer conform to the published spec).
- `status` is an enum (delivered/failed/pending/read). We send `SEND_STATUS = "pending"`: the state
  of a message that is being queued. The example "delivered" would claim something untrue.
- `html` is what GHL actually sends for Email (a report says `message` alone is not enough), so it
  is a required argument; `text` goes in `message`.

Logging a call, `POST /conversations/messages/outbound` (`type: "Call"`, the only type it takes)
needs a `conversationId` and the id of the app's Call-type conversation provider
(`conversationProviderId`); `call.to` should match an existing contact's phone. Calls cannot be
sent through `/conversations/messages` (gotcha 9). A conversation id comes from
`search_conversation` or `create_conversation` ("one conversationId is maintained per contact").

All sends are POSTs: the client never resends them after a timeout or a 5xx (the email may have
gone). A 401 is replayed once by the auth flow, which is safe: GHL refused it before acting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import Field

from ghlbridge.ghl.client import VERSION_2021_04_15
from ghlbridge.ghl.models import GHLModel, parse_response, present
from ghlbridge.ghl.resource import GHLResource

CallStatus = Literal["pending", "completed", "answered", "busy", "no-answer", "failed", "canceled", "voicemail"]
"""`call.status` of `POST /conversations/messages/outbound`."""
SEND_SUB_TYPE: Final[dict[str, Any]] = {}
"""`subType` of a send: required by the HEAD spec and typed `object` (see the module docstring)."""
SEND_STATUS: Final = "pending"
"""`status` of a send: required by the HEAD spec (see the module docstring)."""


# --- response models (apps/conversations.json) ----------------------------------------------------


class SentMessage(GHLModel):
    """`POST /conversations/messages` 200 (SendMessageResponseDto).

    Keep `emailMessageId` to thread a later reply. The spec also marks `status` required; it is
    optional here, because the email has left by the time the answer is read.
    """

    conversationId: str
    messageId: str
    emailMessageId: str | None = None
    messageIds: list[str] = Field(default_factory=list)  # GMB only
    msg: str | None = None
    status: str | None = None


class LoggedCall(GHLModel):
    """`POST /conversations/messages/outbound` 200 (the call log message that was added)."""

    conversationId: str
    messageId: str
    success: bool | None = None
    message: str | None = None
    contactId: str | None = None
    dateAdded: str | None = None


class ConversationSummary(GHLModel):
    """An item of `GET /conversations/search` (the spec marks a dozen fields required; we need two)."""

    id: str
    contactId: str | None = None
    locationId: str | None = None
    type: str | None = None
    lastMessageType: str | None = None


class ConversationSearchResult(GHLModel):
    conversations: list[ConversationSummary]
    total: int | None = None


class CreatedConversation(GHLModel):
    """`conversation` of `POST /conversations/` 201."""

    id: str
    contactId: str | None = None
    locationId: str | None = None


class CreatedConversationEnvelope(GHLModel):
    success: bool | None = None
    conversation: CreatedConversation


# --- the resource ---------------------------------------------------------------------------------


class ConversationsAPI(GHLResource):
    """Conversation calls for one location (`GHLResource`)."""

    version = VERSION_2021_04_15

    def send_email(
        self,
        *,
        contact_id: str,
        subject: str,
        html: str,
        text: str | None = None,
        cc: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
        reply_message_id: str | None = None,
        email_from: str | None = None,
    ) -> SentMessage:
        """Send an email to the contact's primary address (`type: "Email"`).

        `reply_message_id` threads it as a reply (GHL's `replyMessageId`); `email_from` is the sender
        address, else the location's default. Keep `SentMessage.emailMessageId` to thread later replies.
        """
        for name, addresses in (("cc", cc), ("bcc", bcc)):
            if isinstance(addresses, str):  # a str is a Sequence[str]: one address would become characters
                raise TypeError(f"{name} must be a list of addresses, not a string")
        body: dict[str, Any] = {
            "type": "Email",
            "subType": dict(SEND_SUB_TYPE),
            "status": SEND_STATUS,
            "contactId": contact_id,
            "subject": subject,
            "html": html,
        }
        body |= present(
            {
                "message": text,
                "emailCc": list(cc) if cc else None,
                "emailBcc": list(bcc) if bcc else None,
                "replyMessageId": reply_message_id,
                "emailFrom": email_from,
            }
        )
        response = self._request("POST", "/conversations/messages", json=body)
        return parse_response(response, SentMessage)

    def search_conversation(self, location_id: str, contact_id: str) -> str | None:
        """The id of the contact's conversation (`GET /conversations/search`), or None if it has none.

        Only a conversation whose `contactId` is this contact counts, so a filter GHL ignored can
        never hand back another contact's conversation.
        """
        response = self._request(
            "GET", "/conversations/search", params={"locationId": location_id, "contactId": contact_id}
        )
        found = parse_response(response, ConversationSearchResult).conversations
        return next((conversation.id for conversation in found if conversation.contactId == contact_id), None)

    def create_conversation(self, location_id: str, contact_id: str) -> str:
        """`POST /conversations/` (the trailing slash is the spec's path); returns the new id."""
        response = self._request("POST", "/conversations/", json={"locationId": location_id, "contactId": contact_id})
        return parse_response(response, CreatedConversationEnvelope).conversation.id

    def log_outbound_call(
        self,
        *,
        conversation_id: str,
        conversation_provider_id: str,
        status: CallStatus,
        to: str | None = None,
        from_: str | None = None,
        date: datetime | None = None,
        attachments: Sequence[str] | None = None,
    ) -> LoggedCall:
        """Add an outbound call log to a conversation (`POST /conversations/messages/outbound`).

        `to`/`from_` are phone numbers (E.164); `date` is when the call happened (timezone-aware);
        `attachments` are URLs (e.g. a recording).
        """
        if date is not None and date.utcoffset() is None:
            raise ValueError("date must be timezone-aware")
        if isinstance(attachments, str):
            raise TypeError("attachments must be a list of URLs, not a string")
        call = present({"to": to, "from": from_, "status": status})
        body: dict[str, Any] = {
            "type": "Call",
            "conversationId": conversation_id,
            "conversationProviderId": conversation_provider_id,
            "call": call,
        }
        body |= present(
            {
                "date": date.isoformat() if date is not None else None,
                "attachments": list(attachments) if attachments else None,
            }
        )
        response = self._request("POST", "/conversations/messages/outbound", json=body)
        return parse_response(response, LoggedCall)
