"""The sandbox's records and their wire shapes.

Each record renders itself with `api()` in the shape the official spec declares for its response
(field names and types from `apps/*.json`), so a route only picks records and wraps them.
Timestamps are stored as aware datetimes and rendered as GHL does (`…T04:55:17.355Z`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ghlsandbox.clock import iso_z


@dataclass
class Company:
    id: str
    name: str


@dataclass
class Location:
    """A sub-account. `email` is also the default sender of e-mails sent without `emailFrom`."""

    id: str
    company_id: str
    name: str
    timezone: str  # IANA
    business_name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "US"
    website: str = ""
    owner_first_name: str = ""
    owner_last_name: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sender(self) -> str:
        """The `from` of e-mails sent on the location's behalf: `Name <address>`."""
        return f"{self.business_name or self.name} <{self.email}>"

    def api(self) -> dict[str, Any]:
        """`GET /locations/{locationId}` → `location` (GetLocationByIdSchema)."""
        address = {
            "address": self.address,
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "postalCode": self.postal_code,
            "website": self.website,
            "timezone": self.timezone,
        }
        return {
            "id": self.id,
            "companyId": self.company_id,
            "name": self.name,
            "domain": "",
            **address,
            "firstName": self.owner_first_name,
            "lastName": self.owner_last_name,
            "email": self.email,
            "phone": self.phone,
            "business": {"name": self.business_name or self.name, **address},
            "social": {},
            "settings": {
                "allowDuplicateContact": False,
                "allowDuplicateOpportunity": False,
                "allowFacebookNameMerge": False,
                "disableContactTimezone": False,
            },
        }


USER_PERMISSIONS: dict[str, bool] = {
    name: True
    for name in (
        "campaignsEnabled",
        "contactsEnabled",
        "workflowsEnabled",
        "triggersEnabled",
        "funnelsEnabled",
        "opportunitiesEnabled",
        "dashboardStatsEnabled",
        "bulkRequestsEnabled",
        "appointmentsEnabled",
        "reviewsEnabled",
        "onlineListingsEnabled",
        "phoneCallEnabled",
        "conversationsEnabled",
        "settingsEnabled",
        "tagsEnabled",
        "leadValueEnabled",
        "marketingEnabled",
    )
} | {"campaignsReadOnly": False, "workflowsReadOnly": False, "assignedDataOnly": False, "websitesEnabled": False}
"""A user's `permissions` (PermissionsDto): the spec's defaults for the flags a sales team touches."""


@dataclass
class User:
    """A GHL user. `type` is "agency" (an agency user given some locations) or "account" (a
    sub-account user); `role` is "admin" or "user" (the spec gives examples, no enum)."""

    id: str
    company_id: str
    first_name: str
    last_name: str
    email: str
    location_ids: list[str]
    phone: str = ""
    type: str = "account"
    role: str = "user"
    date_added: datetime = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
    enabled_2way_sync: bool = False  # calendar two-way sync (`enabled2waySync` on search)
    deleted: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def api(self, *, listed: bool) -> dict[str, Any]:
        """A user as search and the location list give it (`UserSchema`, `listed`), or as
        `GET /users/{userId}` does (`UserSuccessfulResponseDto`, which has no `deleted`)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "extension": "",
            "permissions": dict(USER_PERMISSIONS),
            "roles": {
                "type": self.type,
                "role": self.role,
                "locationIds": list(self.location_ids),
                "restrictSubAccount": self.type == "agency",
            },
            "platformLanguage": "en_US",
        }
        if listed:
            body["deleted"] = self.deleted
        return body


@dataclass
class CustomField:
    """A custom field definition; values are written by `id` or `key` (GHL-NOTES §9.12) and read
    back by `id` only, so a client maps ids to keys with `GET /locations/{id}/customFields`.

    `key` is the spec's `fieldKey` (`contact.<key>` / `opportunity.<key>`). `data_type` is one of
    the `dataType` values of `apps/custom-fields.json` (TEXT, LARGE_TEXT, NUMERICAL, MONETORY (sic),
    SINGLE_OPTIONS, MULTIPLE_OPTIONS, CHECKBOX, RADIO, DATE, ...); the option types list their
    choices in `picklist_options`.
    """

    id: str
    key: str
    name: str
    model: str  # "contact" or "opportunity"
    location_id: str
    data_type: str = "TEXT"
    placeholder: str = ""
    position: int = 0
    picklist_options: list[str] = field(default_factory=list)

    def api(self) -> dict[str, Any]:
        """One of `GET /locations/{locationId}/customFields` → `customFields` (CustomFieldSchema)."""
        return {
            "id": self.id,
            "name": self.name,
            "fieldKey": self.key,
            "placeholder": self.placeholder,
            "dataType": self.data_type,
            "position": self.position,
            "picklistOptions": list(self.picklist_options),
            "picklistImageOptions": [],
            "isAllowedCustomOption": False,
            "locationId": self.location_id,
            "model": self.model,
        }


@dataclass
class Stage:
    id: str
    name: str
    position: int

    def api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "showInFunnel": True,
            "showInPieChart": True,
        }


@dataclass
class Pipeline:
    id: str
    location_id: str
    name: str
    stages: list[Stage]

    def stage(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)

    def api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "stages": [stage.api() for stage in self.stages],
            "showInFunnel": True,
            "showInPieChart": True,
            "locationId": self.location_id,
        }


@dataclass
class Contact:
    id: str
    location_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company_name: str
    website: str
    tags: list[str]
    custom_fields: dict[str, str]  # custom field id -> value
    date_added: datetime
    date_updated: datetime
    source: str = ""
    type: str = "lead"
    assigned_to: str = ""
    address1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "US"
    timezone: str = ""
    dnd: bool = False
    date_of_birth: str = ""  # YYYY-MM-DD, "" when unknown

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def api(self) -> dict[str, Any]:
        """`GET /contacts/{contactId}` → `contact` (ContactsByIdSuccessfulResponseDto)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "locationId": self.location_id,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "firstNameLowerCase": self.first_name.lower(),
            "lastNameLowerCase": self.last_name.lower(),
            "fullNameLowerCase": self.name.lower(),
            "email": self.email,
            "emailLowerCase": self.email.lower(),
            "phone": self.phone,
            "companyName": self.company_name,
            "website": self.website,
            "timezone": self.timezone,
            "dnd": self.dnd,
            "type": self.type,
            "source": self.source,
            "assignedTo": self.assigned_to,
            "address1": self.address1,
            "city": self.city,
            "state": self.state,
            "postalCode": self.postal_code,
            "country": self.country,
            "tags": list(self.tags),
            "dateAdded": iso_z(self.date_added),
            "dateUpdated": iso_z(self.date_updated),
            "customFields": [{"id": key, "value": value} for key, value in self.custom_fields.items()],
        }
        if self.date_of_birth:
            body["dateOfBirth"] = self.date_of_birth
        return body

    def summary(self) -> dict[str, Any]:
        """The `contact` embedded in an opportunity (SearchOpportunitiesContactResponseSchema)."""
        return {
            "id": self.id,
            "name": self.name,
            "companyName": self.company_name,
            "email": self.email,
            "phone": self.phone,
            "tags": list(self.tags),
        }


@dataclass
class Opportunity:
    id: str
    location_id: str
    name: str
    contact_id: str
    pipeline_id: str
    pipeline_stage_id: str
    status: str
    monetary_value: float
    assigned_to: str
    source: str
    created_at: datetime
    updated_at: datetime
    last_status_change_at: datetime
    last_stage_change_at: datetime
    custom_fields: dict[str, str] = field(default_factory=dict)  # custom field id -> value
    lost_reason_id: str = ""  # set by `PUT /opportunities/{id}/status`; "" when none was given

    def api(self, contact: Contact | None) -> dict[str, Any]:
        """An opportunity as search/get/update return it (SearchOpportunitiesResponseSchema)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "monetaryValue": self.monetary_value,
            "pipelineId": self.pipeline_id,
            "pipelineStageId": self.pipeline_stage_id,
            "assignedTo": self.assigned_to,
            "status": self.status,
            "source": self.source,
            "lastStatusChangeAt": iso_z(self.last_status_change_at),
            "lastStageChangeAt": iso_z(self.last_stage_change_at),
            "lastActionDate": iso_z(self.updated_at),
            "createdAt": iso_z(self.created_at),
            "updatedAt": iso_z(self.updated_at),
            "contactId": self.contact_id,
            "locationId": self.location_id,
            "notes": [],  # GHL does not fill these on get/search either (GHL-NOTES §9.13)
            "tasks": [],
            "calendarEvents": [],
            "customFields": [{"id": key, "fieldValue": value} for key, value in self.custom_fields.items()],
            "followers": [],
        }
        if self.lost_reason_id:
            body["lostReasonId"] = self.lost_reason_id
        if contact is not None:
            body["contact"] = contact.summary()
        return body


@dataclass
class Note:
    id: str
    contact_id: str
    body: str
    user_id: str
    date_added: datetime
    title: str = ""
    color: str = ""
    pinned: bool = False

    def api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "body": self.body,
            "userId": self.user_id,
            "dateAdded": iso_z(self.date_added),
            "contactId": self.contact_id,
            "pinned": self.pinned,
        }
        if self.title:
            body["title"] = self.title
        if self.color:
            body["color"] = self.color
        return body


@dataclass
class Task:
    """A contact's task (`apps/contacts.json` TaskSchema). `due_date` is a moment (rendered in UTC,
    `…T15:00:00.000Z`); `completed` flips with the task's status."""

    id: str
    contact_id: str
    location_id: str
    title: str
    body: str
    assigned_to: str  # a user of the location; "" when unassigned
    due_date: datetime
    completed: bool
    date_added: datetime
    date_updated: datetime

    def api(self) -> dict[str, Any]:
        """One of `GET /contacts/{contactId}/tasks` → `tasks` (TaskSchema)."""
        body: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "dueDate": iso_z(self.due_date),
            "completed": self.completed,
            "contactId": self.contact_id,
        }
        if self.assigned_to:
            body["assignedTo"] = self.assigned_to
        return body


MESSAGE_TYPE_NUMBERS = {"TYPE_CALL": 1, "TYPE_SMS": 2, "TYPE_EMAIL": 3}
"""GetMessageResponseDto `type`: 1 = call, 3 = email (the spec's field descriptions), 2 = SMS (the
`messageTypeId` of an SMS webhook, GHL-NOTES §10.7)."""


_CALL_MESSAGE_STATUSES = {"completed": "connected", "answered": "connected", "voicemail": "delivered"}


def call_message_status(call_status: str) -> str:
    """A call's message `status` from its `callStatus` (pending, completed, answered, busy,
    no-answer, failed, canceled, voicemail). The spec does not relate the two; the sandbox's
    mapping: answered calls are `connected`, a voicemail `delivered`, a pending call `pending`,
    any other `failed`."""
    if call_status == "pending":
        return "pending"
    return _CALL_MESSAGE_STATUSES.get(call_status, "failed")


@dataclass
class EmailDetails:
    """What an e-mail message carries besides its HTML body (`Message.body`)."""

    subject: str
    sender: str  # `Name <address>`
    to: list[str]
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to_email_id: str = ""  # the email message id this one answers


@dataclass
class Message:
    """One message of a conversation: seeded history, or a send recorded through the API. The one
    store behind the history (`GET /conversations/{id}/messages`), the e-mail route, the outbox's
    ids and each conversation's `lastMessage*`.

    An e-mail has two ids, as on GHL: `id` (the conversation message) and `email_message_id` (the
    e-mail itself: `meta.email.messageIds`, `GET /conversations/messages/email/{id}`).
    """

    id: str
    conversation_id: str
    contact_id: str
    location_id: str
    message_type: str  # lastMessageType vocabulary: TYPE_EMAIL, TYPE_SMS, TYPE_CALL
    direction: str  # inbound / outbound
    body: str  # text (SMS, call summary) or HTML (e-mail)
    date_added: datetime
    email_message_id: str = ""
    thread_id: str = ""
    user_id: str = ""  # the location user who sent it (an Email's `emailFrom`); "" when not said
    status: str = "delivered"  # GetMessageResponseDto `status`
    source: str = ""  # app, api, workflow, ... ("" for inbound messages)
    email: EmailDetails | None = None
    call_status: str = ""  # completed, no-answer, voicemail, ... (calls)
    call_duration: int | None = None  # seconds (calls)
    conversation_provider_id: str = ""
    alt_id: str = ""

    def api(self) -> dict[str, Any]:
        """One of the history's `messages` (GetMessageResponseDto). E-mails come without `body`, as
        on GHL: read them with `GET /conversations/messages/email/{id}`."""
        is_email = self.message_type == "TYPE_EMAIL"
        body: dict[str, Any] = {
            "id": self.id,
            "type": MESSAGE_TYPE_NUMBERS[self.message_type],
            "messageType": self.message_type,
            "locationId": self.location_id,
            "contactId": self.contact_id,
            "conversationId": self.conversation_id,
            "dateAdded": iso_z(self.date_added),
            "direction": self.direction,
            "status": self.status,
            "contentType": "text/html" if is_email else "text/plain",
            "attachments": [],
        }
        if not is_email and self.body:
            body["body"] = self.body
        meta: dict[str, Any] = {}
        if is_email:
            meta["email"] = {"messageIds": [self.email_message_id]}
        if self.call_status:
            meta["callStatus"] = self.call_status
        if self.call_duration is not None:
            meta["callDuration"] = str(self.call_duration)  # a string in the spec (MessageMeta)
        if meta:
            body["meta"] = meta
        for name, value in (
            ("source", self.source),
            ("userId", self.user_id),
            ("conversationProviderId", self.conversation_provider_id),
            ("altId", self.alt_id),
        ):
            if value:
                body[name] = value
        return body

    def api_email(self) -> dict[str, Any]:
        """`GET /conversations/messages/email/{id}` (GetEmailMessageResponseDto)."""
        assert self.email is not None, "only e-mails have e-mail details"
        body: dict[str, Any] = {
            "id": self.email_message_id,
            "threadId": self.thread_id or self.email_message_id,
            "locationId": self.location_id,
            "contactId": self.contact_id,
            "conversationId": self.conversation_id,
            "dateAdded": iso_z(self.date_added),
            "subject": self.email.subject,
            "body": self.body,
            "direction": self.direction,
            "status": self.status,
            "contentType": "text/html",
            "attachments": [],
            "provider": "mailgun",
            "from": self.email.sender,
            "to": list(self.email.to),
            "cc": list(self.email.cc),
            "bcc": list(self.email.bcc),
        }
        if self.email.reply_to_email_id:
            body["replyToMessageId"] = self.email.reply_to_email_id
        if self.source:
            body["source"] = self.source
        return body


@dataclass
class Conversation:
    id: str
    location_id: str
    contact_id: str
    date_added: datetime
    date_updated: datetime
    last_message_date: datetime
    type: str = "TYPE_PHONE"
    last_message_body: str = ""
    last_message_type: str = "TYPE_ACTIVITY_CONTACT"
    unread_count: int = 0
    assigned_to: str = ""

    def record(self, message: Message) -> None:
        """A message was added: it becomes the conversation's latest."""
        self.last_message_body = message.body
        self.last_message_type = message.message_type
        self.last_message_date = message.date_added
        self.date_updated = message.date_added

    def api_created(self) -> dict[str, Any]:
        """`POST /conversations/` → `conversation` (ConversationCreateResponseDto)."""
        body: dict[str, Any] = {
            "id": self.id,
            "dateUpdated": iso_z(self.date_updated),
            "dateAdded": iso_z(self.date_added),
            "deleted": False,
            "contactId": self.contact_id,
            "locationId": self.location_id,
            "lastMessageDate": iso_z(self.last_message_date),
        }
        if self.assigned_to:
            body["assignedTo"] = self.assigned_to
        return body

    def api_search(self, contact: Contact) -> dict[str, Any]:
        """`GET /conversations/search` → one of `conversations` (ConversationSchema)."""
        return {
            "id": self.id,
            "contactId": self.contact_id,
            "locationId": self.location_id,
            "lastMessageBody": self.last_message_body,
            "lastMessageType": self.last_message_type,
            "type": self.type,
            "unreadCount": self.unread_count,
            "fullName": contact.name,
            "contactName": contact.name,
            "email": contact.email,
            "phone": contact.phone,
        }


@dataclass
class OutboxEntry:
    """A send the sandbox recorded instead of delivering: an email, an SMS, or a call log."""

    message_id: str
    conversation_id: str
    contact_id: str
    location_id: str
    type: str  # "Email", "SMS", "Call"
    date_added: datetime
    trace_id: str
    fields: dict[str, Any]  # what was asked for (subject, html, emailTo, call {...}, ...)
    email_message_id: str = ""

    def api(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "emailMessageId": self.email_message_id or None,
            "conversationId": self.conversation_id,
            "contactId": self.contact_id,
            "locationId": self.location_id,
            "type": self.type,
            "dateAdded": iso_z(self.date_added),
            "traceId": self.trace_id,
            **self.fields,
        }


@dataclass
class OpenHours:
    """Weekly opening hours. `days` use GHL's numbering: 0 = Sunday … 6 = Saturday."""

    days: tuple[int, ...]
    open_hour: int
    open_minute: int
    close_hour: int
    close_minute: int

    def api(self) -> dict[str, Any]:
        return {
            "daysOfTheWeek": list(self.days),
            "hours": [
                {
                    "openHour": self.open_hour,
                    "openMinute": self.open_minute,
                    "closeHour": self.close_hour,
                    "closeMinute": self.close_minute,
                }
            ],
        }


@dataclass
class Calendar:
    id: str
    location_id: str
    name: str
    description: str
    slug: str
    team_member_ids: list[str]
    open_hours: list[OpenHours]
    slot_duration_minutes: int = 30
    slot_interval_minutes: int = 30
    calendar_type: str = "round_robin"
    auto_confirm: bool = True

    @property
    def slot_duration(self) -> timedelta:
        return timedelta(minutes=self.slot_duration_minutes)

    def api(self) -> dict[str, Any]:
        """`GET /calendars/` → one of `calendars` (CalendarDTO)."""
        return {
            "id": self.id,
            "locationId": self.location_id,
            "name": self.name,
            "description": self.description,
            "slug": self.slug,
            "widgetSlug": self.slug,
            "calendarType": self.calendar_type,
            "widgetType": "default",
            "eventTitle": "{{contact.name}}",
            "eventColor": "#039be5",
            "isActive": True,
            "teamMembers": [
                {"userId": user_id, "priority": 0.5, "meetingLocationType": "custom", "isPrimary": index == 0}
                for index, user_id in enumerate(self.team_member_ids)
            ],
            "slotDuration": self.slot_duration_minutes,
            "slotDurationUnit": "mins",
            "slotInterval": self.slot_interval_minutes,
            "slotIntervalUnit": "mins",
            "slotBuffer": 0,
            "slotBufferUnit": "mins",
            "appoinmentPerSlot": 1,  # (sic) the spec's spelling
            "allowBookingAfter": 0,
            "allowBookingAfterUnit": "hours",
            "allowBookingFor": 60,
            "allowBookingForUnit": "days",
            "openHours": [hours.api() for hours in self.open_hours],
            "availabilityType": 0,
            "autoConfirm": self.auto_confirm,
            "allowReschedule": True,
            "allowCancellation": True,
        }


@dataclass
class Appointment:
    id: str
    calendar_id: str
    location_id: str
    contact_id: str
    start: datetime
    end: datetime
    title: str
    status: str
    assigned_user_id: str
    zone: str  # rendered in this IANA zone (the location's)
    address: str = ""
    meeting_location_type: str = "default"
    description: str = ""
    date_added: datetime | None = None  # when it was booked (None: not recorded)
    date_updated: datetime | None = None  # when it was last edited (None: never)

    @property
    def blocks(self) -> bool:
        """Whether it occupies its slot (a cancelled or invalid appointment frees it)."""
        return self.status not in ("cancelled", "invalid")

    def api(self) -> dict[str, Any]:
        """`POST /calendars/events/appointments` → AppointmentSchemaResponse."""
        zone = ZoneInfo(self.zone)
        body: dict[str, Any] = {
            "id": self.id,
            "calendarId": self.calendar_id,
            "locationId": self.location_id,
            "contactId": self.contact_id,
            "startTime": self.start.astimezone(zone).isoformat(timespec="seconds"),
            "endTime": self.end.astimezone(zone).isoformat(timespec="seconds"),
            "title": self.title,
            "meetingLocationType": self.meeting_location_type,
            "appointmentStatus": self.status,
            "assignedUserId": self.assigned_user_id,
            "isRecurring": False,
        }
        if self.address:
            body["address"] = self.address
        return body

    def api_calendar_event(self) -> dict[str, Any]:
        """`GET /calendars/events/appointments/{eventId}` → `event` (CalendarEventDTO): the times as
        the calendars API gives them (ISO with the location's offset)."""
        zone = ZoneInfo(self.zone)
        added = (self.date_added or self.start).astimezone(zone).isoformat(timespec="seconds")
        updated = (self.date_updated or self.date_added or self.start).astimezone(zone).isoformat(timespec="seconds")
        return {
            **self.api(),
            "groupId": "",
            "users": [self.assigned_user_id] if self.assigned_user_id else [],
            "notes": self.description,
            "description": self.description,
            "dateAdded": added,
            "dateUpdated": updated,
        }

    def api_event(self) -> dict[str, Any]:
        """One of `GET /contacts/{contactId}/appointments` → `events` (GetEventSchema).

        Times as the spec's examples show them (`"2021-07-16 11:00:00"`): the wall-clock time in
        the location's time zone, without an offset (the spec does not name the zone; the sandbox
        uses the location's, so a client needs `GET /locations/{id}` → `timezone` to read them).
        `appointmentStatus` is the calendars API's value (new, confirmed, cancelled, showed, noshow,
        invalid); `status` is `booked` for an appointment that holds its slot, else the same value.
        """
        zone = ZoneInfo(self.zone)

        def wall_clock(moment: datetime) -> str:
            return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

        added = wall_clock(self.date_added or self.start)
        updated = wall_clock(self.date_updated) if self.date_updated else added
        body: dict[str, Any] = {
            "id": self.id,
            "calendarId": self.calendar_id,
            "status": "booked" if self.blocks else self.status,
            "title": self.title,
            "assignedUserId": self.assigned_user_id,
            "notes": self.description,
            "startTime": wall_clock(self.start),
            "endTime": wall_clock(self.end),
            "locationId": self.location_id,
            "contactId": self.contact_id,
            "appointmentStatus": self.status,
            "users": [self.assigned_user_id],
            "dateAdded": added,
            "dateUpdated": updated,
        }
        if self.address:
            body["address"] = self.address
        return body
