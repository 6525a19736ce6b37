"""All sandbox state behind one lock: the resource data, the OAuth tokens, and a request log.

Routes run with `SandboxState.lock` held, validate everything first and only then change
records, so a rejected request leaves no trace (tests compare `snapshot()` before and after).
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ghlsandbox import ids
from ghlsandbox.records import (
    Appointment,
    Calendar,
    Company,
    Contact,
    Conversation,
    CustomField,
    Location,
    Message,
    Note,
    Opportunity,
    OutboxEntry,
    Pipeline,
    Task,
    User,
)
from ghlsandbox.tokens import TokenStore


@dataclass
class Data:
    """The resources of every location, seeded by `ghlsandbox.data.seed_data`."""

    rng: random.Random  # ids of records created at run time (deterministic per seed)
    companies: dict[str, Company] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    custom_fields: dict[str, CustomField] = field(default_factory=dict)
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    opportunities: dict[str, Opportunity] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    outbox: list[OutboxEntry] = field(default_factory=list)
    call_provider_ids: set[str] = field(default_factory=set)

    def new_id(self) -> str:
        return ids.ghl_id(self.rng)

    def location_user(self, location_id: str, *, user_id: str = "", email: str = "") -> User | None:
        """The user with this id or e-mail (case-insensitive) who belongs to this location and is
        not deleted: who may author a note or send an e-mail there."""
        for user in self.users.values():
            if user.deleted or location_id not in user.location_ids:
                continue
            if (user_id and user.id == user_id) or (email and user.email.lower() == email.lower()):
                return user
        return None

    def notes_of(self, contact_id: str) -> list[Note]:
        """A contact's notes, newest first."""
        found = [note for note in self.notes.values() if note.contact_id == contact_id]
        return sorted(found, key=lambda note: (note.date_added, note.id), reverse=True)

    def tasks_of(self, contact_id: str) -> list[Task]:
        """A contact's tasks, by due date (then id)."""
        found = [task for task in self.tasks.values() if task.contact_id == contact_id]
        return sorted(found, key=lambda task: (task.due_date, task.id))

    def appointments_of(self, contact_id: str) -> list[Appointment]:
        """A contact's appointments in every calendar and status, by start time (then id)."""
        found = [appointment for appointment in self.appointments.values() if appointment.contact_id == contact_id]
        return sorted(found, key=lambda appointment: (appointment.start, appointment.id))

    def history(self, conversation_id: str) -> list[Message]:
        """A conversation's messages, newest first; the id breaks ties, so a cursor is exact."""
        found = [message for message in self.messages.values() if message.conversation_id == conversation_id]
        return sorted(found, key=message_order, reverse=True)

    def email(self, email_message_id: str) -> Message | None:
        """The e-mail message with this e-mail id (`meta.email.messageIds`), if any."""
        return next(
            (message for message in self.messages.values() if message.email_message_id == email_message_id),
            None,
        )

    def conversation_of(self, contact_id: str) -> Conversation | None:
        """GHL keeps one conversation per contact."""
        return next((conv for conv in self.conversations.values() if conv.contact_id == contact_id), None)

    def custom_field(self, ref: str, *, model: str | None, location_id: str) -> CustomField | None:
        """A custom field definition by id or key, in a location, for contacts or opportunities
        (`model`), or for either (None)."""
        return next(
            (
                definition
                for definition in self.custom_fields.values()
                if model in (None, definition.model)
                and definition.location_id == location_id
                and ref in (definition.id, definition.key)
            ),
            None,
        )


def _tally(values: Iterable[str]) -> dict[str, int]:
    """How many of each value, by value."""
    return dict(sorted(Counter(values).items()))


def message_order(message: Message) -> tuple[datetime, str]:
    """Messages sort by when they were added, then by id."""
    return message.date_added, message.id


_SNAPSHOT_FIELDS = (
    "companies",
    "locations",
    "users",
    "custom_fields",
    "pipelines",
    "contacts",
    "opportunities",
    "notes",
    "tasks",
    "conversations",
    "messages",
    "calendars",
    "appointments",
)


@dataclass
class RequestRecord:
    """One handled request, without credentials: no Authorization header, no body."""

    method: str
    path: str
    query: str
    status: int
    trace_id: str
    version: str | None
    duration_ms: float


@dataclass
class SandboxState:
    data: Data
    tokens: TokenStore = field(default_factory=TokenStore)
    requests: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=500))
    lock: threading.RLock = field(default_factory=threading.RLock)

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of every resource record, the outbox, and the token counts: what a request
        may change. Compare two snapshots to prove a request changed nothing."""
        with self.lock:
            data = {name: copy.deepcopy(getattr(self.data, name)) for name in _SNAPSHOT_FIELDS}
            data["outbox"] = [asdict(entry) for entry in self.data.outbox]
            data["tokens"] = {
                "codes": sorted(self.tokens.codes),
                "access": sorted(self.tokens.access),
                "refresh": sorted(self.tokens.refresh),
                "spent_refresh": sorted(self.tokens.spent_refresh),
            }
            return data

    def summary(self, now: float) -> dict[str, Any]:
        """What `GET /_sandbox/state` shows: ids to use, counts (records by kind, and opportunities,
        tasks and appointments by status, so a test or a developer sees what a write changed),
        never a token."""
        with self.lock:
            data = self.data
            return {
                "companies": [{"id": c.id, "name": c.name} for c in data.companies.values()],
                "locations": [
                    {
                        "id": loc.id,
                        "name": loc.name,
                        "companyId": loc.company_id,
                        "timezone": loc.timezone,
                        "pipelines": [p.id for p in data.pipelines.values() if p.location_id == loc.id],
                        "calendars": [c.id for c in data.calendars.values() if c.location_id == loc.id],
                        "users": [u.id for u in data.users.values() if loc.id in u.location_ids and not u.deleted],
                    }
                    for loc in data.locations.values()
                ],
                "users": [
                    {
                        "id": u.id,
                        "name": u.name,
                        "email": u.email,
                        "type": u.type,
                        "role": u.role,
                        "locationIds": list(u.location_ids),
                    }
                    for u in data.users.values()
                    if not u.deleted
                ],
                "callProviderIds": sorted(data.call_provider_ids),
                "counts": {
                    "contacts": len(data.contacts),
                    "opportunities": len(data.opportunities),
                    "notes": len(data.notes),
                    "tasks": len(data.tasks),
                    "conversations": len(data.conversations),
                    "messages": len(data.messages),
                    "calendars": len(data.calendars),
                    "appointments": len(data.appointments),
                    "outbox": len(data.outbox),
                },
                "statuses": {
                    "opportunities": _tally(o.status for o in data.opportunities.values()),
                    "tasks": _tally("completed" if t.completed else "open" for t in data.tasks.values()),
                    "appointments": _tally(a.status for a in data.appointments.values()),
                },
                "oauth": self.tokens.summary(now),
                "requestsLogged": len(self.requests),
            }
