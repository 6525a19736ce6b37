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

Reading a conversation's history (GHL-NOTES §10.7, gotcha 8):

- `GET /conversations/{conversationId}/messages` (`conversations/message.readonly`) takes
  `lastMessageId` (the cursor), `limit` ("Default limit is 20"; no maximum is documented) and
  `type`. The spec describes `type` as "Types of message to fetched separated with comma" and gives
  the example "TYPE_SMS,TYPE_CALL", yet types it as ONE enum value; several types are sent
  comma-separated, as described (a request the spec's schema cannot accept; one type conforms).
- Its answer is flat `{lastMessageId, nextPage, messages: [...]}` in the spec, but the live API
  nests it: `{messages: {lastMessageId, nextPage, messages: [...]}}` (issue #54). `MessagePage`
  reads both. Paging: send `lastMessageId` back while `nextPage` is true (`MessagePage.next_cursor`).
- A message's `type` is a number (1 call, 3 email, 10 voicemail per the field descriptions) and
  `messageType` a `TYPE_*` string whose enum differs from the filter's (`TYPE_INTERNAL_COMMENT`
  vs `TYPE_INTERNAL_COMMENTS`): both stay open. Emails come WITHOUT `body` (issue #40):
  `meta.email.messageIds` are the ids to fetch with `email()`.
- `GET /conversations/messages/email/{id}` answers `GetEmailMessageResponseDto`, flat: `subject`,
  `body` (the email's HTML), `from`, `to`, `cc`, `bcc`, `direction`, `status`, `threadId`,
  `dateAdded`... Its spec entry declares NO parameter at all (not even `Version` or the path
  `id`) and no security; the `Version` of the rest of this file is sent, as GHL requires one on
  every call (GHL-NOTES gotcha 1).
- None of these routes lists a 404 (400 BadRequestDTO, 401): an unknown conversation is expected as
  a 400 "Conversation not found" (`GHLRecordNotFoundError`), see GHL-NOTES §10.9.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import ConfigDict, Field, model_validator

from ghlbridge.ghl.client import VERSION_2021_04_15
from ghlbridge.ghl.models import GHLModel, parse_response, path_segment, present
from ghlbridge.ghl.resource import GHLResource

CallStatus = Literal["pending", "completed", "answered", "busy", "no-answer", "failed", "canceled", "voicemail"]
"""`call.status` of `POST /conversations/messages/outbound`."""
MessageTypeFilter = Literal[
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
]
"""`type` filter of `GET /conversations/{conversationId}/messages` (the spec's enum)."""
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


class MessageEmailMeta(GHLModel):
    """`meta.email` of an email message: the ids of every email of its thread (for `email()`)."""

    messageIds: list[str] = Field(default_factory=list)


class MessageMeta(GHLModel):
    """`meta` of a message (`MessageMeta`). `callDuration` is typed string ("Call duration in
    seconds") with the number 120 as example, so both are kept as sent."""

    callDuration: int | float | str | None = None
    callStatus: str | None = None  # pending, completed, answered, busy, no-answer, ...
    email: MessageEmailMeta | None = None


class Message(GHLModel):
    """A message of a conversation (`GetMessageResponseDto`). `body` is absent for emails: fetch
    them with `ConversationsAPI.email(id)` for each id in `meta.email.messageIds`."""

    id: str
    type: int | None = None  # 1 call, 3 email, 10 voicemail (the spec's field descriptions)
    messageType: str | None = None  # TYPE_SMS, TYPE_EMAIL, ... (open: the enum grows)
    direction: str | None = None  # inbound / outbound
    dateAdded: str | None = None
    body: str | None = None
    contentType: str | None = None
    status: str | None = None
    meta: MessageMeta | None = None
    attachments: list[str] = Field(default_factory=list)
    source: str | None = None  # workflow, bulk_actions, campaign, api, app
    userId: str | None = None
    conversationId: str | None = None
    contactId: str | None = None
    locationId: str | None = None
    conversationProviderId: str | None = None


class MessagePage(GHLModel):
    """One page of `GET /conversations/{conversationId}/messages`, from the spec's flat answer or
    the live nested one (see the module docstring); fields of the outer object (`traceId`) stay in
    `model_extra`. The names are this layer's, since the two shapes place them differently."""

    model_config = ConfigDict(validate_by_name=True)

    messages: list[Message]
    last_message_id: str | None = Field(default=None, validation_alias="lastMessageId")
    next_page: bool = Field(default=False, validation_alias="nextPage")

    @model_validator(mode="before")
    @classmethod
    def _unnest(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("messages"), dict):
            outer = {name: value for name, value in data.items() if name != "messages"}
            return outer | data["messages"]
        return data

    @property
    def next_cursor(self) -> str | None:
        """The `last_message_id` to ask for the next page, or None on the last one: when
        `next_page` is not true, when the id is missing, and on an empty page (so a cursor that
        does not move cannot loop forever)."""
        if not self.next_page or not self.last_message_id or not self.messages:
            return None
        return self.last_message_id


class EmailMessage(GHLModel):
    """`GET /conversations/messages/email/{id}` 200 (`GetEmailMessageResponseDto`): one email.

    `body` is its HTML; `from_` is GHL's `from` ("Name and Email Id of the sender"). [3rd-party,
    unverified] client code reads the email from an `emailMessage` wrapper when there is one; such
    a wrapper is unwrapped here, so either shape reads the same.
    """

    model_config = ConfigDict(validate_by_name=True)

    id: str
    threadId: str | None = None
    altId: str | None = None
    subject: str | None = None
    body: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    direction: str | None = None
    status: str | None = None
    dateAdded: str | None = None
    contentType: str | None = None
    attachments: list[str] = Field(default_factory=list)
    provider: str | None = None
    replyToMessageId: str | None = None
    source: str | None = None
    contactId: str | None = None
    conversationId: str | None = None
    locationId: str | None = None
    conversationProviderId: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("emailMessage"), dict):
            return data["emailMessage"]
        return data


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

    def messages(
        self,
        conversation_id: str,
        *,
        last_message_id: str | None = None,
        limit: int | None = None,
        types: Sequence[MessageTypeFilter] | None = None,
    ) -> MessagePage:
        """One page of `GET /conversations/{conversationId}/messages`, in GHL's order (the spec does
        not say which).

        `last_message_id` is the previous page's `next_cursor`; `limit` the page size (GHL's default
        20, no documented maximum); `types` keeps only those message types (sent comma-separated).
        """
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if isinstance(types, str):  # a str is a Sequence[str]: "TYPE_SMS" would become characters
            raise TypeError("types must be a list of message types, not a string")
        query: dict[str, str | int | None] = {
            "lastMessageId": last_message_id,
            "limit": limit,
            "type": ",".join(types) if types else None,
        }
        response = self._request(
            "GET", f"/conversations/{path_segment(conversation_id)}/messages", params=present(query)
        )
        return parse_response(response, MessagePage)

    def email(self, message_id: str) -> EmailMessage:
        """`GET /conversations/messages/email/{id}`: one email with its subject and HTML body.
        `message_id` is an email message id: one of a message's `meta.email.messageIds`, or a
        send's `SentMessage.emailMessageId`."""
        response = self._request("GET", f"/conversations/messages/email/{path_segment(message_id)}")
        return parse_response(response, EmailMessage)

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
