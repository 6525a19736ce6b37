"""Send an e-mail to a contact through GHL Conversations (`POST /conversations/messages`, type
Email), as an idempotent write: one Idempotency-Key, at most one e-mail, whatever the retries."""

from __future__ import annotations

from ghlbridge.toolkit.access import open_location
from ghlbridge.toolkit.idempotent import IdempotentWrite
from ghlbridge.toolkit.models.emails import EmailCreate, SentEmail
from ghlbridge.toolkit.resolver import Outcome, RequestContext

_SEND_EMAIL = IdempotentWrite("emails.send", "POST /locations/{locationId}/contacts/{contactId}/emails")


def send_email(ctx: RequestContext, location_id: str, contact_id: str, email: EmailCreate) -> Outcome:
    """To the contact's primary address (GHL's rule), from the location's default sender."""
    clients = open_location(ctx.caller, location_id)

    def send() -> Outcome:
        sent = clients.conversations.send_email(
            contact_id=contact_id,
            subject=email.subject,
            html=email.html,
            text=email.text,
            cc=email.cc,
            bcc=email.bcc,
            reply_message_id=email.reply_to_message_id,
        )
        answer = SentEmail(message_id=sent.messageId, conversation_id=sent.conversationId)
        return Outcome(201, answer.model_dump(mode="json"))

    request = {"contactId": contact_id, "body": email.model_dump(mode="json", by_alias=True)}
    return _SEND_EMAIL.run(ctx, location_id=location_id, request=request, send=send)
