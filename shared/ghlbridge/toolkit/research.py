"""Research context: everything GHL knows about one opportunity, in one answer, for the toolkit's
research-brief and outreach-plan generator; and the contact histories behind it.

`context` makes its GHL calls side by side (`Fanout`, at most `GHL_FANOUT_LIMIT` at once, since
the location's burst limit is shared), in as few rounds as the data allows:

1. the opportunity, with what only needs the location: pipelines, users, custom-field
   definitions, calendars (each cached per container) and the location's name and time zone;
2. once the opportunity names its contact: the contact, notes, tasks, appointments and the
   contact's conversation;
3. the conversation's latest messages; 4. the bodies of the e-mails among them (GHL's listing
   has none, GHL-NOTES §9.8).

Only the opportunity decides the answer: not found (or in another location) is 404 for the whole
request. Every other section that fails carries its own `error` (the status, code and message its
own route would have answered) while the rest still answer. Lists are bounded and say when they
were cut. Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghlbridge import factories, ghl
from ghlbridge.observability import logger
from ghlbridge.settings import get_settings
from ghlbridge.toolkit import cursor, custom_fields, pipelines
from ghlbridge.toolkit.access import LocationClients, contact_in_location, open_location, opportunity_in_location
from ghlbridge.toolkit.fanout import Fanout, failure_of
from ghlbridge.toolkit.ghl_users import location_users
from ghlbridge.toolkit.location_details import location_info
from ghlbridge.toolkit.models.base import SectionError
from ghlbridge.toolkit.models.contacts import Note, contact_fields
from ghlbridge.toolkit.models.custom_fields import CustomFieldDefinitionPage
from ghlbridge.toolkit.models.research import (
    AppointmentsSection,
    Channel,
    ContactAppointment,
    ContactAppointmentPage,
    ContactSection,
    LocationInfo,
    LocationSection,
    Message,
    MessageChannel,
    MessagePage,
    MessagesSection,
    NotesSection,
    ResearchContact,
    ResearchContext,
    ResearchOpportunity,
    TasksSection,
)
from ghlbridge.toolkit.models.tasks import Task, TaskPage
from ghlbridge.toolkit.opportunities import opportunity_fields
from ghlbridge.toolkit.text import cut, html_to_text, tidy

if TYPE_CHECKING:
    from ghlbridge.ghl.conversations import MessageTypeFilter
    from ghlbridge.toolkit.context import RequestContext

NOTES_IN_CONTEXT: Final = 10
MESSAGES_IN_CONTEXT: Final = 10
OPEN_TASKS_IN_CONTEXT: Final = 25
UPCOMING_APPOINTMENTS: Final = 10
RECENT_APPOINTMENTS: Final = 10
PREVIEW_CHARS: Final = 500
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_CHANNEL_TYPES: Final[dict[str, tuple[MessageTypeFilter, ...]]] = {
    "email": ("TYPE_EMAIL",),
    "sms": ("TYPE_SMS",),
    "call": ("TYPE_CALL",),
}
_CHANNEL_OF_TYPE: Final = {"TYPE_EMAIL": "email", "TYPE_SMS": "sms", "TYPE_CALL": "call"}
_CHANNEL_OF_NUMBER: Final = {1: "call", 2: "sms", 3: "email"}  # GetMessageResponseDto.type (GHL-NOTES §10.7)


# --- the context ---------------------------------------------------------------------------------


def context(ctx: RequestContext, location_id: str, opportunity_id: str) -> ResearchContext:
    """`GET /locations/{locationId}/opportunities/{opportunityId}/context`."""
    clients = open_location(ctx.caller, location_id)
    with Fanout(get_settings().ghl_fanout_limit) as run:
        found = run.submit(opportunity_in_location, clients, opportunity_id)
        names = run.submit(pipelines.load, clients)
        users = run.submit(location_users, clients)
        fields = run.submit(custom_fields.definitions, clients)
        calendars = run.submit(calendar_names, clients)
        location = run.submit(location_info, clients)
        opportunity = found.result()  # only this one decides the whole answer (404: another location's)
        contact_id = opportunity.contactId
        if not contact_id:  # GHL requires one, but an empty id must not become `GET /contacts/`
            return _without_contact(opportunity, names, users, location)
        contact = run.submit(clients.contacts.get, contact_id)
        notes = run.submit(clients.contacts.notes, contact_id)
        tasks = run.submit(clients.contacts.tasks, contact_id)
        appointments = run.submit(clients.contacts.appointments, contact_id)
        messages = _messages_section(lambda: history(run, clients, contact_id, channel=None, limit=MESSAGES_IN_CONTEXT))
        user_names = _user_names(users)
        return ResearchContext(
            opportunity=_opportunity(opportunity, names, user_names),
            contact=_contact_section(contact, fields),
            notes=_notes_section(notes),
            messages=messages,
            appointments=_appointments_section(appointments, calendars, user_names, location),
            tasks=_tasks_section(tasks, user_names),
            location=_location_section(location),
        )


def _without_contact(
    opportunity: ghl.Opportunity,
    names: Future[pipelines.Pipelines],
    users: Future[tuple[ghl.User, ...]],
    location: Future[LocationInfo],
) -> ResearchContext:
    """An opportunity without a contact: its own sections only (nothing else to look up)."""
    return ResearchContext(
        opportunity=_opportunity(opportunity, names, _user_names(users)),
        contact=ContactSection(),
        notes=NotesSection(),
        messages=MessagesSection(),
        appointments=AppointmentsSection(),
        tasks=TasksSection(),
        location=_location_section(location),
    )


def _opportunity(
    found: ghl.Opportunity, names: Future[pipelines.Pipelines], user_names: dict[str, str | None]
) -> ResearchOpportunity:
    known = _value(names)  # without the pipelines, the names are null: the opportunity still answers
    fields = opportunity_fields(found, known)
    return ResearchOpportunity.model_validate({**fields, "assignedToName": user_names.get(found.assignedTo or "")})


def _contact_section(
    contact: Future[ghl.Contact], fields: Future[dict[str, ghl.CustomFieldDefinition]]
) -> ContactSection:
    found, error = _outcome(contact)
    if error is not None or found is None:
        return ContactSection(error=error)
    definitions = _value(fields) or {}
    return ContactSection(data=research_contact(found, definitions))


def _notes_section(notes: Future[list[ghl.Note]]) -> NotesSection:
    found, error = _outcome(notes)
    if error is not None or found is None:
        return NotesSection(error=error)
    newest = Note.newest_first(found)
    return NotesSection(items=newest[:NOTES_IN_CONTEXT], truncated=len(newest) > NOTES_IN_CONTEXT)


def _messages_section(load: Callable[[], tuple[list[Message], dict[str, str] | None]]) -> MessagesSection:
    try:
        items, more = load()
    except Exception as exc:  # one section's failure must not take the others down
        return MessagesSection(error=failure_of(exc))
    return MessagesSection(items=items, truncated=more is not None)


def _appointments_section(
    appointments: Future[list[ghl.ContactAppointment]],
    calendars: Future[dict[str, str | None]],
    user_names: dict[str, str | None],
    location: Future[LocationInfo],
) -> AppointmentsSection:
    found, error = _outcome(appointments)
    if error is not None or found is None:
        return AppointmentsSection(error=error)
    info = _value(location)
    zone = _zone(info.timezone if info else None)
    now = datetime.now(UTC)
    timed = [(a.starts_at(zone), contact_appointment(a, _value(calendars) or {}, user_names)) for a in found]
    upcoming = sorted((p for p in timed if p[0] is not None and p[0] >= now), key=lambda p: p[0] or now)
    past = sorted((p for p in timed if p[0] is None or p[0] < now), key=lambda p: p[0] or _EPOCH, reverse=True)
    chosen = [a for _, a in upcoming[:UPCOMING_APPOINTMENTS] + past[:RECENT_APPOINTMENTS]]
    return AppointmentsSection(items=chosen, truncated=len(chosen) < len(timed))


def _tasks_section(tasks: Future[list[ghl.Task]], user_names: dict[str, str | None]) -> TasksSection:
    found, error = _outcome(tasks)
    if error is not None or found is None:
        return TasksSection(error=error)
    open_tasks = Task.ordered([t for t in found if not t.completed], user_names)
    return TasksSection(items=open_tasks[:OPEN_TASKS_IN_CONTEXT], truncated=len(open_tasks) > OPEN_TASKS_IN_CONTEXT)


def _location_section(location: Future[LocationInfo]) -> LocationSection:
    found, error = _outcome(location)
    return LocationSection(data=found, error=error)


# --- the histories ---------------------------------------------------------------------------------


def messages(
    ctx: RequestContext, location_id: str, contact_id: str, *, channel: Channel | None, limit: int, after: str | None
) -> MessagePage:
    """`GET /locations/{locationId}/contacts/{contactId}/messages`: newest first, cursor-paged."""
    clients = open_location(ctx.caller, location_id)
    key = cursor.cursor_key(factories.get_secrets().state_signing_key.get_secret_value().encode())
    bound_to = cursor.binding(location_id, {"contact": contact_id, "channel": channel})
    position = cursor.decode_ids(key, after, bound_to, ("c", "m")) if after else None
    with Fanout(get_settings().ghl_fanout_limit) as run:
        if position is None:  # the first page proves the contact is this location's
            in_location = run.submit(contact_in_location, clients, contact_id)
        items, next_position = history(run, clients, contact_id, channel=channel, limit=limit, after=position)
        if position is None:
            in_location.result()
    next_cursor = cursor.encode_ids(key, next_position, bound_to) if next_position else None
    return MessagePage(items=items, next_cursor=next_cursor)


def history(
    run: Fanout,
    clients: LocationClients,
    contact_id: str,
    *,
    channel: Channel | None,
    limit: int,
    after: dict[str, str] | None = None,
) -> tuple[list[Message], dict[str, str] | None]:
    """The contact's latest `limit` messages after `after` (`{"c": conversation, "m": last message}`),
    e-mails with their text, and the position of the next page (None: no more)."""
    conversations = clients.conversations
    conversation_id = after["c"] if after else conversations.search_conversation(clients.location_id, contact_id)
    if conversation_id is None:
        return [], None  # no conversation yet: nothing was ever said
    page = conversations.messages(
        conversation_id,
        last_message_id=after["m"] if after else None,
        limit=limit,
        types=_CHANNEL_TYPES[channel] if channel else None,
    )
    found = [m for m in page.messages if channel is None or _channel(m) == channel][:limit]
    bodies = {m.id: run.submit(conversations.email, _email_id(m)) for m in found if _channel(m) == "email"}
    items = [message(m, bodies.get(m.id)) for m in found]
    last = page.next_cursor  # None unless GHL says there is a next page
    return items, {"c": conversation_id, "m": last} if last else None


def appointments(ctx: RequestContext, location_id: str, contact_id: str) -> ContactAppointmentPage:
    """`GET /locations/{locationId}/contacts/{contactId}/appointments`: latest start first."""
    clients = open_location(ctx.caller, location_id)
    with Fanout(get_settings().ghl_fanout_limit) as run:
        in_location = run.submit(contact_in_location, clients, contact_id)
        found = run.submit(clients.contacts.appointments, contact_id)
        calendars = run.submit(calendar_names, clients)
        users = run.submit(location_users, clients)
        in_location.result()
        items = [contact_appointment(a, _value(calendars) or {}, _user_names(users)) for a in found.result()]
    return ContactAppointmentPage(items=sorted(items, key=lambda a: a.start_time or "", reverse=True))


def tasks(ctx: RequestContext, location_id: str, contact_id: str) -> TaskPage:
    """`GET /locations/{locationId}/contacts/{contactId}/tasks`: open ones first, by due date."""
    clients = open_location(ctx.caller, location_id)
    with Fanout(get_settings().ghl_fanout_limit) as run:
        in_location = run.submit(contact_in_location, clients, contact_id)
        found = run.submit(clients.contacts.tasks, contact_id)
        users = run.submit(location_users, clients)
        in_location.result()
        user_names = _user_names(users)
        return TaskPage(items=Task.ordered(found.result(), user_names))


def field_definitions(ctx: RequestContext, location_id: str) -> CustomFieldDefinitionPage:
    """`GET /locations/{locationId}/custom-fields`: the contact fields' definitions (cached)."""
    clients = open_location(ctx.caller, location_id)
    return CustomFieldDefinitionPage(
        items=[custom_fields.definition(d) for d in custom_fields.definitions(clients).values()]
    )


# --- what the location knows, cached per container ---------------------------------------------------


def calendar_names(clients: LocationClients) -> dict[str, str | None]:
    """The location's calendars' names by id (`CALENDARS_CACHE_SECONDS`)."""
    location_id = clients.location_id

    def fetch() -> dict[str, str | None]:
        return {c.id: c.name for c in clients.calendars.list(location_id)}

    return factories.get_calendar_cache().get(location_id, fetch)[0]


# --- GHL → toolkit ---------------------------------------------------------------------------------


def research_contact(item: ghl.Contact, definitions: dict[str, ghl.CustomFieldDefinition]) -> ResearchContact:
    return ResearchContact(**contact_fields(item), custom_fields=custom_fields.named(item, definitions))


def message(item: ghl.Message, email: Future[ghl.EmailMessage] | None) -> Message:
    channel = _channel(item)
    subject, preview = None, tidy(item.body, limit=PREVIEW_CHARS) if item.body else None
    if email is not None:
        body, error = _outcome(email)
        if body is not None:
            subject = body.subject
            text = html_to_text(body.body, limit=PREVIEW_CHARS) if body.body else None
            preview = text or preview
        elif error is not None:
            logger.info("E-mail body unavailable", extra={"message_id": item.id, "code": error.code})
    meta = item.meta
    return Message(
        id=item.id,
        channel=channel,
        message_type=item.messageType,
        direction=item.direction if item.direction in ("inbound", "outbound") else None,
        date=item.dateAdded,
        subject=cut(subject, 998) if subject else None,
        preview=preview,
        status=item.status,
        user_id=item.userId,
        call_duration=_seconds(meta.callDuration) if meta and channel == "call" else None,
        call_status=meta.callStatus if meta and channel == "call" else None,
        conversation_id=item.conversationId,
    )


def contact_appointment(
    item: ghl.ContactAppointment, calendars: dict[str, str | None], user_names: dict[str, str | None]
) -> ContactAppointment:
    return ContactAppointment(
        id=item.id,
        calendar_id=item.calendarId,
        calendar_name=calendars.get(item.calendarId or ""),
        title=item.title,
        status=item.appointmentStatus or item.status,
        start_time=item.startTime,
        end_time=item.endTime,
        assigned_user_id=item.assignedUserId,
        assigned_user_name=user_names.get(item.assignedUserId or ""),
        notes=item.notes,
    )


# --- sections ----------------------------------------------------------------------------------------


def _channel(item: ghl.Message) -> MessageChannel:
    by_type = _CHANNEL_OF_TYPE.get(item.messageType or "")
    return by_type or _CHANNEL_OF_NUMBER.get(item.type if isinstance(item.type, int) else -1, "other")  # type: ignore[return-value]


def _email_id(item: ghl.Message) -> str:
    """The id `GET /conversations/messages/email/{id}` takes: the e-mail's own (`meta.email.messageIds`),
    which is not the conversation message's id."""
    ids = item.meta.email.messageIds if item.meta and item.meta.email else []
    return ids[0] if ids else item.id


def _seconds(value: float | str | None) -> int | None:
    """GHL's `callDuration` (a number, sometimes a numeric string) in whole seconds."""
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _outcome[T](future: Future[T]) -> tuple[T, None] | tuple[None, SectionError]:
    """A section's value, or the error its own route would have answered (logged, never raised)."""
    try:
        return future.result(), None
    except Exception as exc:  # one section's failure must not take the others down
        return None, failure_of(exc)


def _value[T](future: Future[T]) -> T | None:
    """A helper's value (names, definitions) or None: a missing name never fails a section."""
    found, _ = _outcome(future)
    return found


def _user_names(users: Future[tuple[ghl.User, ...]]) -> dict[str, str | None]:
    return {u.id: u.name for u in _value(users) or ()}


def _zone(name: str | None) -> tzinfo:
    """The location's time zone, in which the contacts API's offset-less appointment times are read
    (GHL-NOTES §10.6: `"2021-07-16 11:00:00"`, as GHL shows them); UTC when it is unknown."""
    if name:
        try:
            return ZoneInfo(name)  # legacy aliases such as US/Central are in the tz database too
        except (ValueError, ZoneInfoNotFoundError):
            pass
    return UTC
