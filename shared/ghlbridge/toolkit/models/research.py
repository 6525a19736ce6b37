"""What the toolkit's research and outreach-plan generator reads: one opportunity's context, and the
contact histories behind it (messages, appointments, tasks) and the location's custom fields.

Every section of a `ResearchContext` answers on its own: `error` is set (and the data empty) when
GHL failed on that section, while the other sections still answer. A list section says when it
was cut to its bound (`truncated`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ghlbridge.toolkit.models.base import Output
from ghlbridge.toolkit.models.contacts import ContactBase, Note
from ghlbridge.toolkit.models.opportunities import Opportunity

Channel = Literal["email", "sms", "call"]
"""The channels a message history is filtered by (`channel=`)."""
MessageChannel = Literal["email", "sms", "call", "other"]
"""A message's channel; `other` covers GHL's other kinds (chat, WhatsApp, activity, ...)."""


class SectionError(Output):
    """Why one section is missing: the status, code and message the route would have answered."""

    status: int
    code: str
    message: str


class CustomFieldDefinition(Output):
    id: str
    key: str | None = Field(default=None, description="GHL's `fieldKey`, e.g. `contact.budget`")
    name: str | None = None
    type: str | None = Field(default=None, description="GHL's `dataType` (TEXT, LARGE_TEXT, NUMERICAL, ...)")
    options: list[str] = Field(default_factory=list, description="The choices of an options field")
    placeholder: str | None = None
    model: str | None = Field(default=None, description="`contact` or `opportunity`")


class CustomFieldDefinitionPage(Output):
    items: list[CustomFieldDefinition]
    next_cursor: str | None = Field(default=None, description="Always null: every field fits in one page")


class NamedCustomField(Output):
    """A contact's custom-field value next to its definition (null name/key/type: not defined any more)."""

    id: str
    key: str | None = None
    name: str | None = None
    type: str | None = None
    value: Any = None


class ResearchContact(ContactBase):
    custom_fields: list[NamedCustomField] = Field(default_factory=list)


class ResearchOpportunity(Opportunity):
    assigned_to_name: str | None = Field(default=None, description="The name of the GHL user in `assignedTo`")


class Message(Output):
    id: str
    channel: MessageChannel
    message_type: str | None = Field(default=None, description="GHL's `messageType`, e.g. TYPE_EMAIL")
    direction: Literal["inbound", "outbound"] | None = None
    date: str | None = None
    subject: str | None = Field(default=None, description="E-mails only")
    preview: str | None = Field(
        default=None, description="Plain text, at most 500 characters (e-mails reduced to text)"
    )
    status: str | None = None
    user_id: str | None = Field(default=None, description="The GHL user who sent it (outbound)")
    call_duration: int | None = Field(default=None, description="Calls only, in seconds")
    call_status: str | None = None
    conversation_id: str | None = None


class MessagePage(Output):
    items: list[Message] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` (with the same channel) for the next page")


class ContactAppointment(Output):
    id: str
    calendar_id: str | None = None
    calendar_name: str | None = None
    title: str | None = None
    status: str | None = Field(default=None, description="GHL's appointment status (booked, confirmed, cancelled, ...)")
    start_time: str | None = None
    end_time: str | None = None
    assigned_user_id: str | None = None
    assigned_user_name: str | None = None
    notes: str | None = None


class ContactAppointmentPage(Output):
    items: list[ContactAppointment] = Field(description="By start time, latest first")
    next_cursor: str | None = Field(default=None, description="Always null: GHL lists them all at once")


class Task(Output):
    id: str
    title: str | None = None
    body: str | None = None
    due_at: str | None = Field(default=None, description="GHL's `dueDate`")
    completed: bool = False
    assigned_to: str | None = None
    assigned_to_name: str | None = None
    contact_id: str | None = None


class TaskPage(Output):
    items: list[Task] = Field(description="Open ones first, each group by due date")
    next_cursor: str | None = Field(default=None, description="Always null: GHL lists them all at once")


class LocationInfo(Output):
    id: str
    name: str | None = None
    timezone: str | None = None


class ContactSection(Output):
    data: ResearchContact | None = None
    error: SectionError | None = None


class NotesSection(Output):
    items: list[Note] = Field(default_factory=list, description="Newest first")
    truncated: bool = False
    error: SectionError | None = None


class MessagesSection(Output):
    items: list[Message] = Field(default_factory=list, description="Newest first, across channels")
    truncated: bool = Field(default=False, description="More are on `GET .../contacts/{contactId}/messages`")
    error: SectionError | None = None


class AppointmentsSection(Output):
    items: list[ContactAppointment] = Field(
        default_factory=list, description="The upcoming ones (soonest first), then the recent past ones (latest first)"
    )
    truncated: bool = False
    error: SectionError | None = None


class TasksSection(Output):
    items: list[Task] = Field(default_factory=list, description="Open tasks, soonest due first")
    truncated: bool = False
    error: SectionError | None = None


class LocationSection(Output):
    data: LocationInfo | None = None
    error: SectionError | None = None


class ResearchContext(Output):
    """Everything GHL knows about one opportunity, for a research brief."""

    opportunity: ResearchOpportunity
    contact: ContactSection
    notes: NotesSection
    messages: MessagesSection
    appointments: AppointmentsSection
    tasks: TasksSection
    location: LocationSection
