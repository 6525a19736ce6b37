"""Send an e-mail to a contact through GHL Conversations (`POST /conversations/messages`, type
Email), as an idempotent write: one Idempotency-Key, at most one e-mail, whatever the retries.

From whom: the spec's `SendMessageBodyDto` has no user field, only `emailFrom` ("Email address to
send from"). A caller linked to a GHL user sends from that user's address, so the e-mail shows in
GHL as theirs; without a link (or when the linked GHL user is gone) the location's default sender
is used, as before."""

from __future__ import annotations

from ghlbridge.idempotency.writes import IdempotentWrite
from ghlbridge.observability import logger
from ghlbridge.toolkit.access import LocationClients, open_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.models.emails import EmailCreate, SentEmail

_SEND_EMAIL = IdempotentWrite("emails.send")


def send_email(ctx: RequestContext, location_id: str, contact_id: str, email: EmailCreate) -> WriteAnswer:
    """To the contact's primary address (GHL's rule), from the location's default sender."""
    clients = open_location(ctx.caller, location_id)

    def send() -> WriteAnswer:
        sent = clients.conversations.send_email(
            email_from=sender(clients),
            contact_id=contact_id,
            subject=email.subject,
            html=email.html,
            text=email.text,
            cc=email.cc,
            bcc=email.bcc,
            reply_message_id=email.reply_to_message_id,
        )
        answer = SentEmail(message_id=sent.messageId, conversation_id=sent.conversationId)
        return WriteAnswer(ctx.success_status, answer.model_dump(mode="json"))

    request = {"contactId": contact_id, "body": email.model_dump(mode="json", by_alias=True)}
    return _SEND_EMAIL.run(ctx, location_id=location_id, request=request, send=send)


def sender(clients: LocationClients) -> str | None:
    """The e-mail address of the caller's linked GHL user, if any."""
    if clients.ghl_user_id is None:
        return None
    from ghlbridge.toolkit.ghl_users import ghl_user

    found = ghl_user(clients, clients.ghl_user_id)
    if found is None or not found.email:
        logger.warning(
            "Linked GHL user not found; sending from the location's default", extra={"location_id": clients.location_id}
        )
        return None
    return found.email
