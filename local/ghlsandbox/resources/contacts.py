"""Contacts (`apps/contacts.json`, Version 2021-07-28, Sub-Account token): get and update a
contact, list and add its notes, add tags, list its appointments. Its tasks are in `tasks.py`.

Update (`PUT /contacts/{contactId}`, `contacts.write`) takes `UpdateContactDto`'s properties plus
`companyName` and `type`, which live GHL accepts there although the spec leaves them out (issue
#314, measured property by property). Any other property is a 422 "property X should not exist",
as GHL answers (`gender`, issue #313; `locationId`, `id`, the `*LowerCase` fields, issue #314).
What changes:

- Only the properties sent change. `customFields` writes only the fields it names; every other
  value survives (merge: GHL-NOTES §10.4 says merge-versus-replace is undocumented; the sandbox
  merges). The items and their checks are in `fieldvalues.py`.
- `tags` replaces every tag, as the spec says ("This field will overwrite all current tags"),
  stored like `POST .../tags` stores them; `[]` removes them all.
- `name` alone is split at its first space into first and last name; with `firstName` or
  `lastName` it is ignored (the record keeps no separate full name).
- `null` clears a text property (the spec marks most of them nullable); `null` on a non-text
  property leaves it unchanged, as class-validator's `@IsOptional` treats it.
- `email` must look like an address (422 "email must be an email", class-validator's wording),
  `timezone` must be an IANA zone (422 "timezone must be a valid IANA time zone"), `assignedTo` a
  user of the contact's location (422 "assignedTo X is not a user of this location", as on
  `PUT /opportunities/{id}`), `dateOfBirth` one of the spec's formats (stored as YYYY-MM-DD).
- `dndSettings` and `inboundDndSettings` are accepted but not kept (the sandbox's contacts have
  only the `dnd` flag).

Everything is checked first; one problem refuses the whole update (422, every problem in
`message`) and nothing changes. The answer is `{succeded: true, contact}` (sic, the spec's spelling)
with the contact as `GET /contacts/{contactId}` gives it.

Appointments (`GET /contacts/{contactId}/appointments`, no paging, GHL-NOTES §10.6) are the
contact's bookings in every calendar and status (cancelled ones too), by start time: the same
records `POST /calendars/events/appointments` books and free slots avoid. Their shape and time
format are described at `Appointment.api_event`.

Tags are stored as GHL stores them: trimmed and lower-cased, without duplicates. Adding tags
never removes one (only `PUT /contacts/{id}` overwrites tags, GHL-NOTES §3).

A note's `userId` (its author), when given, must be a user of the contact's location, else 400
"User not found". That is the sandbox's choice: what GHL does with an unknown `userId` is not
documented (it may store it as given), and refusing it shows an app's stale user link at once.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghlsandbox.clock import utc
from ghlsandbox.fieldvalues import contact_field_writes
from ghlsandbox.records import Contact, Note
from ghlsandbox.routing import VERSION_2021_07_28, Call, Reply, Route, bad_request, unprocessable
from ghlsandbox.validation import Field

_TEXT_PROPERTIES = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "companyName": "company_name",
    "address1": "address1",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "country": "country",
    "website": "website",
    "timezone": "timezone",
    "source": "source",
    "type": "type",
    "assignedTo": "assigned_to",
}
"""`PUT /contacts/{contactId}` text properties and the `Contact` attributes they set."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BIRTH_DATE = re.compile(r"^(?:(\d{4})([/._-])(\d{2})\2(\d{2})|(\d{2})([/._-])(\d{2})\6(\d{4}))$")
"""The spec's `dateOfBirth` formats: YYYY/MM/DD, MM/DD/YYYY, YYYY-MM-DD, MM-DD-YYYY, with `/ - . _`."""


def path_contact(call: Call) -> Contact:
    """The contact named in the path: 400 "Contact not found", or 403 when another location's."""
    found = call.data.contacts.get(call.path_params["contactId"])
    return call.owned(found, found.location_id if found else None, "Contact")


def clean_tags(tags: list[str]) -> list[str]:
    """Tags as GHL stores them: trimmed, lower-cased, no empty ones, no duplicates, in order."""
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def get(call: Call) -> Reply:
    return Reply(200, {"contact": path_contact(call).api()})


def update(call: Call) -> Reply:
    """`PUT /contacts/{contactId}`: check everything (422 with every problem), then apply."""
    contact = path_contact(call)
    body = call.body
    problems: list[str] = []
    changes: dict[str, Any] = {
        attribute: body[name] or "" for name, attribute in _TEXT_PROPERTIES.items() if name in body
    }
    if "name" in body and "firstName" not in body and "lastName" not in body:
        first, _, last = str(body["name"] or "").strip().partition(" ")
        changes.update(first_name=first, last_name=last.strip())
    if changes.get("email") and not _EMAIL.match(changes["email"]):
        problems.append("email must be an email")
    if changes.get("timezone"):
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            problems.append("timezone must be a valid IANA time zone")
    assignee = changes.get("assigned_to")
    if assignee and call.data.location_user(contact.location_id, user_id=assignee) is None:
        problems.append(f"assignedTo {assignee} is not a user of this location")
    if body.get("dnd") is not None:
        changes["dnd"] = body["dnd"]
    if "dateOfBirth" in body:
        changes["date_of_birth"] = _birth_date(body["dateOfBirth"], problems)
    if body.get("tags") is not None:
        changes["tags"] = clean_tags(body["tags"])
    writes = contact_field_writes(call.data, contact.location_id, body.get("customFields") or [], problems)
    if problems:
        raise unprocessable(problems)

    for attribute, value in changes.items():
        setattr(contact, attribute, value)
    for write in writes:
        if write.value is None:
            contact.custom_fields.pop(write.definition.id, None)
        else:
            contact.custom_fields[write.definition.id] = write.value
    contact.date_updated = utc(call.now)
    return Reply(200, {"succeded": True, "contact": contact.api()})


def _birth_date(value: Any, problems: list[str]) -> str:
    if not value:
        return ""
    found = _BIRTH_DATE.match(value)
    if found is not None:
        year, month, day = (found[1], found[3], found[4]) if found[1] else (found[8], found[5], found[7])
        try:
            return date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            pass
    problems.append("dateOfBirth must be a date in one of the formats YYYY-MM-DD, MM-DD-YYYY (or with / . _)")
    return ""


def list_notes(call: Call) -> Reply:
    contact = path_contact(call)
    return Reply(200, {"notes": [note.api() for note in call.data.notes_of(contact.id)]})


def list_appointments(call: Call) -> Reply:
    contact = path_contact(call)
    return Reply(200, {"events": [event.api_event() for event in call.data.appointments_of(contact.id)]})


def add_note(call: Call) -> Reply:
    contact = path_contact(call)
    body = call.body
    if not str(body["body"]).strip():
        raise unprocessable(["body should not be empty"])
    # Sandbox choice (GHL's answer to an unknown userId is not documented): refuse it.
    user_id = body.get("userId")
    if user_id is not None and call.data.location_user(contact.location_id, user_id=user_id) is None:
        raise bad_request("User not found")
    note = Note(
        id=call.data.new_id(),
        contact_id=contact.id,
        body=body["body"],
        user_id=user_id or "",
        date_added=utc(call.now),
        title=body.get("title", ""),
        color=body.get("color", ""),
        pinned=body.get("pinned", False),
    )
    call.data.notes[note.id] = note
    return Reply(201, {"note": note.api()})


def add_tags(call: Call) -> Reply:
    contact = path_contact(call)
    wanted = clean_tags(call.body["tags"])
    if not wanted:
        raise unprocessable(["tags should not be empty"])
    for tag in wanted:
        if tag not in contact.tags:
            contact.tags.append(tag)
    contact.date_updated = utc(call.now)
    return Reply(201, {"tags": list(contact.tags)})


ROUTES: tuple[Route, ...] = (
    Route("GET", "/contacts/{contactId}", get, VERSION_2021_07_28, "Location", "contacts.readonly"),
    Route(
        "PUT",
        "/contacts/{contactId}",
        update,
        VERSION_2021_07_28,
        "Location",
        "contacts.write",
        body=(
            *(Field(name) for name in ("name", *_TEXT_PROPERTIES)),
            Field("dnd", "boolean"),
            Field("dndSettings", "object"),
            Field("inboundDndSettings", "object"),
            Field("tags", "string[]"),
            Field("customFields", "array"),
            Field("dateOfBirth"),
        ),
    ),
    Route("GET", "/contacts/{contactId}/notes", list_notes, VERSION_2021_07_28, "Location", "contacts.readonly"),
    Route(
        "GET",
        "/contacts/{contactId}/appointments",
        list_appointments,
        VERSION_2021_07_28,
        "Location",
        "contacts.readonly",
    ),
    Route(
        "POST",
        "/contacts/{contactId}/notes",
        add_note,
        VERSION_2021_07_28,
        "Location",
        "contacts.write",
        body=(
            Field("userId"),
            Field("body", required=True),
            Field("title"),
            Field("color"),
            Field("pinned", "boolean"),
        ),
    ),
    Route(
        "POST",
        "/contacts/{contactId}/tags",
        add_tags,
        VERSION_2021_07_28,
        "Location",
        "contacts.write",
        body=(Field("tags", "string[]", required=True),),
    ),
)
