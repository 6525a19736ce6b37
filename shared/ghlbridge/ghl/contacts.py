"""GHL Contacts (`apps/contacts.json`, `Version: 2021-07-28`, Sub-Account token).

Spec facts this module relies on:

- Custom fields read back as `{id, value}` (`Contact.customFields`), unlike the `{id|key,
  field_value}` they are written with.
- Notes have no paging parameters: `GET /contacts/{contactId}/notes` returns them all, one call per
  contact (issue #173).
- The create-note body (`POST /contacts/{contactId}/notes`) allows `body` (required), `userId`,
  `title`, `color` and `pinned`; it answers 201 `{note: {...}}`. `title` is in the HEAD spec
  (2026-05-01 sync) but not in older ones, so whether every account shows it is unverified.
- Tags are added with `POST /contacts/{contactId}/tags`, which ADDS. `PUT /contacts/{contactId}`
  with `tags` would overwrite all of them (the spec says so), so this module never does that.
- Custom fields are written with `PUT /contacts/{contactId}` (`UpdateContactDto`, no field required)
  as `customFields: [{id, key, field_value}]`, each item `anyOf` nine schemas that differ only in the
  type of `field_value`: a string (text, large text, single select, radio), `string[]` (checkbox,
  multi-select), or, for numeric and monetary fields, `type: object` with the examples `100` and
  `100.5`. We send `{id, field_value}` only (`id` is the one required key; `key` is not sent), and a
  JSON number for numbers (GHL-NOTES §10.4): a body the published schema cannot accept, since a
  number is not an object. Nothing else goes in the body, `tags` least of all. Whether fields left
  out keep their values is not documented (unverified). Unknown properties are answered 422 with
  `message` as an array (issue #313). The answer is `{succeded (sic): true, contact}`; the contact
  reads its custom fields back as `{id, value}`.
- Tasks, `GET /contacts/{contactId}/tasks`: no paging parameters, `{tasks: [TaskSchema]}`. `dueDate`
  is a plain string in the spec (no `format`); its examples are ISO 8601 in UTC
  ("2021-07-08T02:30:00.000Z"), so it is read as an aware datetime (GHL-NOTES §10.5).
- Writing tasks (GHL-NOTES §10.5): `POST /contacts/{contactId}/tasks` (`CreateTaskParams`: `title`,
  `dueDate` and `completed` required; `body`, `assignedTo` a user id) answers 201 `{task}`;
  `GET` and `PUT /contacts/{contactId}/tasks/{taskId}` (`UpdateTaskBody`: the same five fields, none
  required) answer `{task}`; `PUT .../{taskId}/completed` (`UpdateTaskStatusParams`: `completed`
  required) answers `{task}`; `DELETE .../{taskId}` takes no body and answers `{succeded (sic):
  true}`. A `dueDate` is sent as the spec's request example writes it, "2020-10-25T11:00:00Z": UTC,
  whole seconds (a fraction is dropped), "Z".
- Appointments, `GET /contacts/{contactId}/appointments` (`contacts.readonly`): no paging,
  `{events: [GetEventSchema]}`. Unlike the calendars API, its examples give times as
  "2021-07-16 11:00:00": no offset, and no stated timezone. They are kept as GHL sends them
  (`ContactAppointment.starts_at` reads them in a zone the caller picks). `status` and
  `appointmentStatus` show "booked", outside the calendars enum: open strings (GHL-NOTES §10.6).
- Resending (`ghlbridge.ghl.retry`, by method): the PUTs here set values, so sending one twice
  leaves GHL as sending it once, and the client resends them after a timeout or a 5xx. POSTs are
  not (`create_task`, `create_note`, `add_tags`: what they make may exist). A DELETE is resent
  too: if the first one took effect, the second may be answered as for an unknown task.
- None of these routes lists a 404. An unknown contact is expected as a 400 "Contact not found"
  (`GHLRecordNotFoundError`, a `GHLNotFoundError`), or a 403 for another location's contact
  (GHL-NOTES §10.9); which one live GHL sends is not settled.

Thin on purpose: no business rules, one method per GHL operation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import Field, field_validator

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import GHLModel, parse_response, path_segment, present, refuse_unsuccessful
from ghlbridge.ghl.resource import GHLResource

type CustomFieldValue = str | int | float | list[str]
"""What a contact custom field can be set to: text, a number, or options (`string[]`)."""


# --- request values (apps/contacts.json) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomFieldWrite:
    """One contact custom field to set, by its `id` (`CustomFieldDefinition.id`, from
    `LocationsAPI.custom_fields`), sent as `{"id": id, "field_value": value}`.

    `value` is a string (text, large text, single select, radio), a number (numeric, monetary), or a
    list of strings (checkbox, multi-select). Which one a field takes is its definition's
    `dataType`; nothing here checks it. Refused at once: an empty id, a bool (no field schema takes
    one), a NaN or infinite number (not JSON), and a list holding anything but strings.
    """

    id: str
    value: CustomFieldValue

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a custom field id must not be empty")
        value = self.value
        if isinstance(value, bool) or not isinstance(value, str | int | float | list):
            raise TypeError(f"a custom field value is a str, int, float or list of str, not {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a custom field value must be a finite number")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise TypeError("a custom field list holds strings only")

    def to_ghl(self) -> dict[str, Any]:
        """The item of `customFields` in GHL's write shape (a list is copied as it is now)."""
        return {"id": self.id, "field_value": list(self.value) if isinstance(self.value, list) else self.value}


# --- response models (apps/contacts.json) ---------------------------------------------------------


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


class Task(GHLModel):
    """A contact task (`TaskSchema`): the items of `GET /contacts/{contactId}/tasks` and the `task` of
    the single-task calls (get, create, update, completed).

    `dueDate` is read as an aware datetime when GHL gives one: an ISO 8601 string with its offset
    (or "Z") keeps it; one without an offset is taken as UTC, the zone of every spec example. Absent,
    null or "" is None. Any other value makes the answer an invalid response.
    """

    id: str
    title: str | None = None
    body: str | None = None
    assignedTo: str | None = None  # a user id
    dueDate: datetime | None = None
    completed: bool | None = None
    contactId: str | None = None

    @field_validator("dueDate", mode="before")
    @classmethod
    def _iso_due_date(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)  # a ValueError becomes a ValidationError
            return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)
        return value


class ContactAppointment(GHLModel):
    """An item of `GET /contacts/{contactId}/appointments` (`GetEventSchema`).

    Times (`startTime`, `endTime`, `dateAdded`, `dateUpdated`) are GHL's strings, unchanged: the
    spec's examples are "2021-07-16 11:00:00", without an offset, and it does not say in which zone.
    `starts_at(zone)` / `ends_at(zone)` read the start and end as aware datetimes. `status` and
    `appointmentStatus` are open strings ("booked" is not in the calendars enum).
    """

    id: str
    calendarId: str | None = None
    contactId: str | None = None
    locationId: str | None = None
    title: str | None = None
    status: str | None = None
    appointmentStatus: str | None = None
    assignedUserId: str | None = None
    notes: str | None = None
    address: str | None = None
    groupId: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    dateAdded: str | None = None
    dateUpdated: str | None = None
    users: list[str] = Field(default_factory=list)
    assignedResources: list[str] = Field(default_factory=list)

    def starts_at(self, zone: tzinfo) -> datetime | None:
        """`startTime` as an aware datetime: its own offset if it has one, else wall-clock time in
        `zone` (which zone GHL means is not documented: the location's timezone is the likeliest).
        None when GHL gave no start; ValueError when the value is not an ISO 8601 date and time."""
        return _wall_clock(self.startTime, zone)

    def ends_at(self, zone: tzinfo) -> datetime | None:
        """`endTime`, read as `starts_at` reads `startTime`."""
        return _wall_clock(self.endTime, zone)


def _wall_clock(value: str | None, zone: tzinfo) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)  # "2021-07-16 11:00:00" and "2021-07-16T11:00:00-05:00" alike
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=zone)


class ContactEnvelope(GHLModel):
    contact: Contact


class UpdatedContactEnvelope(GHLModel):
    """`PUT /contacts/{contactId}` 200 (`UpdateContactsSuccessfulResponseDto`), `succeded` sic."""

    succeded: bool | None = None
    contact: Contact


class NotesEnvelope(GHLModel):
    notes: list[Note]


class NoteEnvelope(GHLModel):
    note: Note


class TagsEnvelope(GHLModel):
    tags: list[str]


class TasksEnvelope(GHLModel):
    tasks: list[Task]


class TaskEnvelope(GHLModel):
    """`{task}`: the answer of create (201), get, update and completed (`TaskByIsSuccessfulResponseDto`)."""

    task: Task


class DeletedTaskAnswer(GHLModel):
    """`DELETE /contacts/{contactId}/tasks/{taskId}` 200 (`DeleteTaskSuccessfulResponseDto`), sic."""

    succeded: bool | None = None


class EventsEnvelope(GHLModel):
    events: list[ContactAppointment]


# --- the resource ---------------------------------------------------------------------------------


class ContactsAPI(GHLResource):
    """Contact calls for one location (`GHLResource`)."""

    version = VERSION_2021_07_28

    def get(self, contact_id: str) -> Contact:
        """`GET /contacts/{contactId}`. Raises `GHLNotFoundError` for an unknown id."""
        response = self._request("GET", f"/contacts/{path_segment(contact_id)}")
        return parse_response(response, ContactEnvelope).contact

    def update_custom_fields(self, contact_id: str, fields: Sequence[CustomFieldWrite]) -> Contact:
        """`PUT /contacts/{contactId}` with `{"customFields": [{"id", "field_value"}, ...]}` and nothing
        else (never `tags`, which would overwrite them all); answers the contact as GHL now has it.

        The spec says nothing of fields left out (kept or cleared: unverified), and GHL reads the
        values back as `customFields[{id, value}]`, which callers may compare with what they sent.
        A PUT that sets values: the client resends it after a timeout or a 5xx. Raises
        `GHLUnprocessableError` when GHL refuses a field (422, `messages` says which).
        """
        if not fields:
            raise ValueError("no custom fields to update")
        body = {"customFields": [field.to_ghl() for field in fields]}
        response = self._request("PUT", f"/contacts/{path_segment(contact_id)}", json=body)
        answer = parse_response(response, UpdatedContactEnvelope)
        refuse_unsuccessful(response, "succeded", answer.succeded)
        return answer.contact

    def notes(self, contact_id: str) -> list[Note]:
        """`GET /contacts/{contactId}/notes`: every note of the contact, in GHL's order."""
        response = self._request("GET", f"/contacts/{path_segment(contact_id)}/notes")
        return parse_response(response, NotesEnvelope).notes

    def tasks(self, contact_id: str) -> list[Task]:
        """`GET /contacts/{contactId}/tasks`: every task of the contact, in GHL's order (no paging)."""
        response = self._request("GET", self._tasks_path(contact_id))
        return parse_response(response, TasksEnvelope).tasks

    def create_task(
        self,
        contact_id: str,
        *,
        title: str,
        due_date: datetime,
        body: str | None = None,
        assigned_to: str | None = None,
        completed: bool = False,
    ) -> Task:
        """`POST /contacts/{contactId}/tasks`: `title`, `dueDate` and `completed` (all three required
        by the spec), plus `body` and `assignedTo` (a user id) when given. `due_date` must be
        timezone-aware; it is sent in UTC to the second ("2020-10-25T11:00:00Z").

        A POST: the client does not resend it after a timeout or a 5xx (the task may exist).
        """
        fields: dict[str, Any] = {
            "title": title,
            "dueDate": _utc_seconds(due_date),
            "completed": completed,
            "body": body,
            "assignedTo": assigned_to,
        }
        response = self._request("POST", self._tasks_path(contact_id), json=present(fields))
        return parse_response(response, TaskEnvelope).task

    def get_task(self, contact_id: str, task_id: str) -> Task:
        """`GET /contacts/{contactId}/tasks/{taskId}`."""
        response = self._request("GET", self._tasks_path(contact_id, task_id))
        return parse_response(response, TaskEnvelope).task

    def update_task(
        self,
        contact_id: str,
        task_id: str,
        *,
        title: str | None = None,
        body: str | None = None,
        due_date: datetime | None = None,
        assigned_to: str | None = None,
        completed: bool | None = None,
    ) -> Task:
        """`PUT /contacts/{contactId}/tasks/{taskId}` with only the given fields (the spec requires
        none; at least one must be given); answers the task. `due_date` as in `create_task`.

        It sets values: the client resends it after a timeout or a 5xx.
        """
        fields: dict[str, Any] = {
            "title": title,
            "body": body,
            "dueDate": _utc_seconds(due_date) if due_date is not None else None,
            "assignedTo": assigned_to,
            "completed": completed,
        }
        payload = present(fields)
        if not payload:
            raise ValueError("nothing to update: give at least one field")
        response = self._request("PUT", self._tasks_path(contact_id, task_id), json=payload)
        return parse_response(response, TaskEnvelope).task

    def set_task_completed(self, contact_id: str, task_id: str, completed: bool) -> Task:
        """`PUT /contacts/{contactId}/tasks/{taskId}/completed` with `{"completed": ...}`; answers the
        task. It sets a value: the client resends it after a timeout or a 5xx."""
        path = f"{self._tasks_path(contact_id, task_id)}/completed"
        response = self._request("PUT", path, json={"completed": completed})
        return parse_response(response, TaskEnvelope).task

    def delete_task(self, contact_id: str, task_id: str) -> None:
        """`DELETE /contacts/{contactId}/tasks/{taskId}` (no body). A 2xx answering
        `succeded: false` raises `GHLInvalidResponseError`.

        The client resends a DELETE after a timeout or a 5xx; if the first one took effect, the
        resend may be answered as for an unknown task (a `GHLNotFoundError`, GHL-NOTES §10.9).
        """
        response = self._request("DELETE", self._tasks_path(contact_id, task_id))
        refuse_unsuccessful(response, "succeded", parse_response(response, DeletedTaskAnswer).succeded)

    def appointments(self, contact_id: str) -> list[ContactAppointment]:
        """`GET /contacts/{contactId}/appointments`: the contact's appointments (`events`), in GHL's
        order (no paging). Times are GHL's strings: see `ContactAppointment`."""
        response = self._request("GET", f"/contacts/{path_segment(contact_id)}/appointments")
        return parse_response(response, EventsEnvelope).events

    def create_note(self, contact_id: str, *, body: str, user_id: str | None = None, title: str | None = None) -> Note:
        """`POST /contacts/{contactId}/notes`. `user_id` is the GHL user shown as the author.

        A POST: the client does not resend it after a timeout or a 5xx (the note may exist).
        """
        payload = present({"body": body, "userId": user_id, "title": title})
        response = self._request("POST", f"/contacts/{path_segment(contact_id)}/notes", json=payload)
        return parse_response(response, NoteEnvelope).note

    def add_tags(self, contact_id: str, tags: Sequence[str]) -> list[str]:
        """`POST /contacts/{contactId}/tags`: add `tags` without touching the others.

        Returns the `tags` GHL answers with (the spec does not say whether that is the contact's
        whole set or the ones just added, so callers should not assume either).
        """
        if isinstance(tags, str):  # a str is a Sequence[str]: "vip" would become ["v", "i", "p"]
            raise TypeError("tags must be a list of strings, not a string")
        if not tags:
            raise ValueError("no tags to add")
        response = self._request("POST", f"/contacts/{path_segment(contact_id)}/tags", json={"tags": list(tags)})
        return parse_response(response, TagsEnvelope).tags

    @staticmethod
    def _tasks_path(contact_id: str, task_id: str | None = None) -> str:
        tasks = f"/contacts/{path_segment(contact_id)}/tasks"
        return tasks if task_id is None else f"{tasks}/{path_segment(task_id)}"


def _utc_seconds(moment: datetime) -> str:
    """An aware datetime as "YYYY-MM-DDTHH:MM:SSZ" (UTC, the fraction of a second dropped)."""
    if moment.utcoffset() is None:
        raise ValueError("due_date must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
