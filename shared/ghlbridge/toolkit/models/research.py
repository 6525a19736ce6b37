"""What the toolkit's research and outreach-plan generator reads: one opportunity's context, and the
contact histories behind it (messages, appointments, tasks) and the location's custom fields.

Every section of a `ResearchContext` answers on its own: `error` is set (and the data empty) when
GHL failed on that section, while the other sections still answer. A list section says when it
was cut to its bound (`truncated`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ghlbridge.toolkit.models.base import Output, SectionError
from ghlbridge.toolkit.models.contacts import ContactBase, Note
from ghlbridge.toolkit.models.custom_fields import NamedCustomField
from ghlbridge.toolkit.models.opportunities import Opportunity
from ghlbridge.toolkit.models.tasks import Task

Channel = Literal["email", "sms", "call"]
"""The channels a message history is filtered by (`channel=`)."""
MessageChannel = Literal["email", "sms", "call", "other"]
"""A message's channel; `other` covers GHL's other kinds (chat, WhatsApp, activity, ...)."""


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
