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
    id: str
    company_id: str
    name: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


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
    """A custom field definition; values are written by `id` or `key` (GHL-NOTES §9.12)."""

    id: str
    key: str
    name: str
    model: str  # "contact" or "opportunity"
    location_id: str


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
            "dnd": False,
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
class Message:
    """One message of a conversation: seeded history, or a send recorded through the API."""

    id: str
    conversation_id: str
    contact_id: str
    location_id: str
    message_type: str  # lastMessageType vocabulary: TYPE_EMAIL, TYPE_SMS, TYPE_CALL
    direction: str  # inbound / outbound
    body: str
    date_added: datetime
    email_message_id: str = ""
    thread_id: str = ""
    user_id: str = ""  # the location user who sent it (an Email's `emailFrom`); "" when not said


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
