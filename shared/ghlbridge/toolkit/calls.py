"""Log a call: always as a contact note (readable by anyone in GHL), and, when the app has a Call
conversation provider (`GHL_CALL_PROVIDER_ID`), also as an outbound Call message in the contact's
conversation (found, or created: GHL keeps one conversation per contact).

GHL cannot take calls through `/conversations/messages` (GHL-NOTES gotcha 9); the Call message
needs the provider and `call.to` = the contact's phone. Inbound calls are logged as notes only
(the resource clients add outbound calls).

The note's author (`userId`) is the caller's linked GHL user. The Call message cannot carry one: the
spec's `ProcessOutboundMessageBodyDto` has no user field.

A two-step write: once the note exists, nothing may make the request look failed (a retry would
write a second note), so the Call message's failure is REPORTED in the answer (`callMessage.status`
"failed" or "unknown", with the error envelope's `error`) and the whole answer is stored under the
Idempotency-Key like any success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghlbridge import error_table
from ghlbridge.idempotency.writes import IdempotentWrite, is_outcome_unknown
from ghlbridge.settings import get_settings
from ghlbridge.toolkit.access import LocationClients, open_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.models.calls import CallLogCreate, CallMessage, LoggedCall
from ghlbridge.toolkit.models.contacts import Note

if TYPE_CHECKING:
    from ghlbridge.toolkit.context import Caller

_LOG_CALL = IdempotentWrite("calls.log")


def log_call(ctx: RequestContext, location_id: str, contact_id: str, call: CallLogCreate) -> WriteAnswer:
    clients = open_location(ctx.caller, location_id)
    provider_id = get_settings().ghl_call_provider_id

    def send() -> WriteAnswer:
        note = clients.contacts.create_note(
            contact_id, body=note_body(call, ctx.caller), title=note_title(call), user_id=clients.ghl_user_id
        )
        message = _call_message(clients, ctx, contact_id, call, provider_id)
        answer = LoggedCall(note=Note.from_ghl(note), call_message=message)
        return WriteAnswer(ctx.success_status, answer.model_dump(mode="json"))

    request = {"contactId": contact_id, "body": call.model_dump(mode="json", by_alias=True)}
    return _LOG_CALL.run(ctx, location_id=location_id, request=request, send=send)


def note_title(call: CallLogCreate) -> str:
    return f"Call log: {call.direction}, {call.outcome}"


def note_body(call: CallLogCreate, caller: Caller) -> str:
    """The note as a rep reads it in GHL: the facts first, then summary and next steps."""
    facts = [f"{call.direction.capitalize()} call, {call.outcome}"]
    if call.duration_seconds is not None:
        facts.append(duration(call.duration_seconds))
    lines = ["Call log — " + ", ".join(facts)]
    if call.called_at is not None:
        lines.append(f"Called at: {call.called_at.isoformat(timespec='minutes')}")
    if caller.email:
        lines.append(f"Logged by: {caller.email}")
    lines += ["", "Summary:", call.summary.strip()]
    if call.next_steps and call.next_steps.strip():
        lines += ["", "Next steps:", call.next_steps.strip()]
    return "\n".join(lines)


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(part for part in parts if part) or "0 s"


def _call_message(
    clients: LocationClients, ctx: RequestContext, contact_id: str, call: CallLogCreate, provider_id: str
) -> CallMessage:
    """The Call message; never raises (the note is already written)."""
    if not provider_id:
        return CallMessage(status="skipped", reason="No Call conversation provider is configured")
    if call.direction != "outbound":
        return CallMessage(status="skipped", reason="Only outbound calls are added as Call messages")
    try:
        phone = clients.contacts.get(contact_id).phone
        if not phone:
            return CallMessage(status="skipped", reason="The contact has no phone number")
        conversations = clients.conversations
        conversation_id = conversations.search_conversation(
            clients.location_id, contact_id
        ) or conversations.create_conversation(clients.location_id, contact_id)
    except Exception as exc:  # nothing of the Call message was sent
        return _failed(exc, ctx, unknown=False)
    try:
        logged = conversations.log_outbound_call(
            conversation_id=conversation_id,
            conversation_provider_id=provider_id,
            status=call.outcome,
            to=phone,
            date=call.called_at,
        )
    except Exception as exc:  # the message may or may not be in GHL now
        return _failed(exc, ctx, unknown=is_outcome_unknown(exc))
    return CallMessage(status="logged", conversation_id=logged.conversationId, message_id=logged.messageId)


def _failed(exc: Exception, ctx: RequestContext, *, unknown: bool) -> CallMessage:
    """A Call message that did not go through is reported, not raised: the note is already written."""
    reply = error_table.describe(exc)
    error_table.log_error(exc, reply)
    return CallMessage(
        status="unknown" if unknown else "failed",
        reason="GHL did not confirm the Call message" if unknown else "The Call message could not be added",
        error=error_table.error_body(reply, ctx.request_id)["error"],
    )
