"""Pydantic models of the GHL resources the toolkit reads: opportunities, contacts, conversations
and calendars, shaped by the official specs (`apps/{opportunities,contacts,conversations,calendars}.json`),
plus what the four resource modules share to build requests: the specs' enums as `Literal`s,
`path_segment` and `present`.

Same rules as `ghlbridge.ghl.models` (whose `GHLModel` they extend):

- Unknown fields are KEPT (read them with `model_extra`): GHL adds fields without notice.
- Attributes carry GHL's own field names (`pipelineStageId`, `companyName`...), so every field can
  be looked up in the spec without a translation table.
- Only what a caller cannot do without is required (usually just `id`). The specs' `required`
  lists are unreliable (the HEAD spec marks generator artifacts required, and issue #246 shows
  answers without documented fields), and a write that already took effect must not look like a
  failure because a field we never read was missing.
- Ids are strings. Timestamps stay GHL's ISO strings: the specs type them as plain strings, and
  nothing in this layer does arithmetic on them.

Spec artifacts the models deliberately do not follow (see the resource modules for the requests):

- Pipeline `stages`, opportunity `notes`/`tasks`/`calendarEvents`/`followers`: the spec says
  "array of arrays" (`items: {type: array}`), a generator artifact. Stages are objects
  `{id, name, position, ...}` (`PipelineStage`); the other lists stay untyped (`list[Any]`).
- Opportunity `indexVersion`: typed string, example the number 1, so both are accepted.
- Custom fields are written as `{id|key, field_value}` but read back as `{id, value}` on contacts
  and `{id, fieldValue}` on opportunities (GHL-NOTES gotcha 12); each read shape has its model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field

from ghlbridge.ghl.models import GHLModel

# --- request vocabularies (the specs' enums) --------------------------------------------------

OpportunityStatus = Literal["open", "won", "lost", "abandoned"]
"""A status an opportunity can be set to (`PUT /opportunities/{id}`)."""
OpportunitySearchStatus = Literal["open", "won", "lost", "abandoned", "all"]
"""`status` filter of `GET /opportunities/search`. The update body's enum lists "all" too, which
can only be a copy of this filter's enum: "all" is not a state, so `update()` does not offer it."""
CallStatus = Literal["pending", "completed", "answered", "busy", "no-answer", "failed", "canceled", "voicemail"]
"""`call.status` of `POST /conversations/messages/outbound`."""
AppointmentStatus = Literal["new", "confirmed", "cancelled", "showed", "noshow", "invalid"]
"""`appointmentStatus` a new appointment may be given."""
MeetingLocationType = Literal["custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"]
"""`meetingLocationType` of a new appointment (GHL defaults it to "custom" when `address` is given)."""


def path_segment(value: str) -> str:
    """A GHL id as exactly one URL path segment.

    Ids come from callers, so they must not be able to reach another endpoint: `/`, `?`, `#`, `%`
    are percent-encoded, and so are dots (httpx would resolve a `..` segment). An empty id would
    turn `GET /contacts/{id}` into the (deprecated) contact listing, so it is refused.
    """
    if not value:
        raise ValueError("a GHL id must not be empty")
    return quote(value, safe="").replace(".", "%2E")


def present[V](fields: Mapping[str, V | None]) -> dict[str, V]:
    """The fields that were given, for a query or a body: None means "not given", never "send null"
    (no request field of these specs is nullable, and an absent field is left as it is)."""
    return {name: value for name, value in fields.items() if value is not None}


# --- opportunities (apps/opportunities.json, Version 2021-07-28) -------------------------------


class OpportunityContact(GHLModel):
    """The contact summary embedded in an opportunity."""

    id: str | None = None
    name: str | None = None
    companyName: str | None = None
    email: str | None = None
    phone: str | None = None
    tags: list[str] = Field(default_factory=list)


class OpportunityCustomField(GHLModel):
    """A custom field as an opportunity reads it back: `{id, fieldValue}` (string, object or array)."""

    id: str
    fieldValue: Any = None


class Opportunity(GHLModel):
    """One opportunity (the search items and the `opportunity` of get/update share this shape).

    `notes` are NOT filled by `GET /opportunities/{id}` although the spec lists them (issue #305).
    """

    id: str
    name: str | None = None
    monetaryValue: float | None = None
    pipelineId: str | None = None
    pipelineStageId: str | None = None
    assignedTo: str | None = None
    status: str | None = None  # open/won/lost/abandoned; a str, so a new GHL status cannot break a read
    source: str | None = None
    contactId: str | None = None
    locationId: str | None = None
    contact: OpportunityContact | None = None
    lostReasonId: str | None = None
    customFields: list[OpportunityCustomField] = Field(default_factory=list)
    lastStatusChangeAt: str | None = None
    lastStageChangeAt: str | None = None
    lastActionDate: str | None = None
    createdAt: str | None = None
    updatedAt: str | None = None
    indexVersion: int | str | None = None
    notes: list[Any] = Field(default_factory=list)
    tasks: list[Any] = Field(default_factory=list)
    calendarEvents: list[Any] = Field(default_factory=list)
    followers: list[Any] = Field(default_factory=list)
    externalObjectId: str | None = None


class OpportunityCursor(GHLModel):
    """Where the next search page starts: `startAfter` (epoch ms) and `startAfterId`, passed back as
    the query parameters of the same names."""

    startAfter: int
    startAfterId: str


class OpportunityPageMeta(GHLModel):
    """`meta` of `GET /opportunities/search`: a count and GHL's cursor for the next page."""

    total: int | None = None
    startAfter: int | None = None  # epoch ms; a number here, a string in the query
    startAfterId: str | None = None
    nextPageUrl: str | None = None
    currentPage: int | None = None
    nextPage: int | None = None
    prevPage: int | None = None


class OpportunityPage(GHLModel):
    """One page of `GET /opportunities/search`."""

    opportunities: list[Opportunity]
    meta: OpportunityPageMeta = Field(default_factory=OpportunityPageMeta)
    aggregations: dict[str, Any] | None = None

    @property
    def next_cursor(self) -> OpportunityCursor | None:
        """The cursor of the next page, or None on the last one.

        The spec does not say what ends the list. We stop when `meta.nextPage` is null or absent
        (GHL-NOTES §2), when either cursor half is missing, and on an empty page, so a cursor that
        does not move cannot loop forever.
        """
        meta = self.meta
        if meta.nextPage is None or meta.startAfter is None or not meta.startAfterId or not self.opportunities:
            return None
        return OpportunityCursor(startAfter=meta.startAfter, startAfterId=meta.startAfterId)


class PipelineStage(GHLModel):
    """A pipeline stage (the spec leaves its shape out: "array of arrays")."""

    id: str
    name: str | None = None
    position: int | None = None


class Pipeline(GHLModel):
    """An item of `GET /opportunities/pipelines`; `stages` in GHL's order (`position` says it too)."""

    id: str
    name: str | None = None
    stages: list[PipelineStage] = Field(default_factory=list)
    locationId: str | None = None
    showInFunnel: bool | None = None
    showInPieChart: bool | None = None
    colorRenderMode: str | None = None


class OpportunityEnvelope(GHLModel):
    """`{opportunity: {...}}`: the body of `GET` and `PUT /opportunities/{id}`."""

    opportunity: Opportunity


class PipelinesEnvelope(GHLModel):
    pipelines: list[Pipeline]


# --- contacts (apps/contacts.json, Version 2021-07-28) -----------------------------------------


class ContactCustomField(GHLModel):
    """A custom field as a contact reads it back: `{id, value}`. The spec types `value` as a string,
    but custom fields can be numeric or multi-option, so any JSON value is kept rather than a read
    failing on one field."""

    id: str
    value: Any = None


class Contact(GHLModel):
    """`contact` of `GET /contacts/{contactId}`. `dndSettings`, attribution sources and the other
    fields the toolkit does not read stay in `model_extra`."""

    id: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    companyName: str | None = None
    website: str | None = None
    tags: list[str] = Field(default_factory=list)
    customFields: list[ContactCustomField] = Field(default_factory=list)
    locationId: str | None = None
    timezone: str | None = None
    assignedTo: str | None = None
    source: str | None = None
    type: str | None = None
    dnd: bool | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postalCode: str | None = None
    dateAdded: str | None = None
    dateUpdated: str | None = None


class Note(GHLModel):
    """A contact note (`GET /contacts/{contactId}/notes` items, `POST` answer's `note`)."""

    id: str
    body: str | None = None
    title: str | None = None
    userId: str | None = None
    contactId: str | None = None
    dateAdded: str | None = None
    color: str | None = None
    pinned: bool | None = None


class ContactEnvelope(GHLModel):
    contact: Contact


class NotesEnvelope(GHLModel):
    notes: list[Note]


class NoteEnvelope(GHLModel):
    note: Note


class TagsEnvelope(GHLModel):
    tags: list[str]


# --- conversations (apps/conversations.json, Version 2021-04-15) -------------------------------


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


# --- calendars (apps/calendars.json, Version 2021-04-15) ---------------------------------------


class Calendar(GHLModel):
    """An item of `GET /calendars/` (CalendarDTO). The spec declares no `timezone` on a calendar;
    it is read when GHL sends one. There is no booking URL either: only `slug` and `widgetSlug`."""

    id: str
    name: str | None = None
    description: str | None = None
    slug: str | None = None
    widgetSlug: str | None = None
    widgetType: str | None = None
    calendarType: str | None = None
    isActive: bool | None = None
    locationId: str | None = None
    groupId: str | None = None
    timezone: str | None = None
    slotDuration: float | None = None
    slotDurationUnit: str | None = None


class CalendarsEnvelope(GHLModel):
    calendars: list[Calendar]


class DaySlots(GHLModel):
    """The value under each `YYYY-MM-DD` key of the free-slots answer."""

    slots: list[str]


class Appointment(GHLModel):
    """`POST /calendars/events/appointments` 200. The answer lacks `dateAdded` (issue #246)."""

    id: str
    calendarId: str | None = None
    locationId: str | None = None
    contactId: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    title: str | None = None
    appointmentStatus: str | None = None
    assignedUserId: str | None = None
    address: str | None = None
    meetingLocationType: str | None = None
    isRecurring: bool | None = None
    rrule: str | None = None


# --- users (apps/users.json, Version 2021-07-28) ---------------------------------------------------


class UserRoles(GHLModel):
    """`roles` of a user: ONE object despite the plural (GHL-NOTES §10.1)."""

    type: str | None = None  # e.g. "account", "agency"
    role: str | None = None  # e.g. "admin", "user"
    locationIds: list[str] = Field(default_factory=list)


class User(GHLModel):
    """A user of the company (`UserSchema`)."""

    id: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    roles: UserRoles | None = None
    deleted: bool | None = None


class UserSearchPage(GHLModel):
    """`GET /users/search` (`SearchUserSuccessfulResponseDto`): one page and the total."""

    users: list[User] = Field(default_factory=list)
    count: int | None = None
