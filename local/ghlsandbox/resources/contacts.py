"""Contacts (`apps/contacts.json`, Version 2021-07-28, Sub-Account token): get a contact, list
and add its notes, add tags, list its tasks and its appointments.

Tasks (`GET /contacts/{contactId}/tasks`, no paging, GHL-NOTES §10.5) come by due date, then id;
`dueDate` is UTC with milliseconds (`2026-12-10T15:00:00.000Z`). Tasks are records of their own
(`Data.tasks`), ready for the write routes.

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

from ghlsandbox.clock import utc
from ghlsandbox.records import Contact, Note
from ghlsandbox.routing import VERSION_2021_07_28, Call, Reply, Route, bad_request, unprocessable
from ghlsandbox.validation import Field


def _contact(call: Call) -> Contact:
    found = call.data.contacts.get(call.path_params["contactId"])
    return call.owned(found, found.location_id if found else None, "Contact")


def get(call: Call) -> Reply:
    return Reply(200, {"contact": _contact(call).api()})


def list_notes(call: Call) -> Reply:
    contact = _contact(call)
    return Reply(200, {"notes": [note.api() for note in call.data.notes_of(contact.id)]})


def list_tasks(call: Call) -> Reply:
    contact = _contact(call)
    return Reply(200, {"tasks": [task.api() for task in call.data.tasks_of(contact.id)]})


def list_appointments(call: Call) -> Reply:
    contact = _contact(call)
    return Reply(200, {"events": [event.api_event() for event in call.data.appointments_of(contact.id)]})


def add_note(call: Call) -> Reply:
    contact = _contact(call)
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
    contact = _contact(call)
    wanted = [tag.strip().lower() for tag in call.body["tags"]]
    if not any(wanted):
        raise unprocessable(["tags should not be empty"])
    for tag in wanted:
        if tag and tag not in contact.tags:
            contact.tags.append(tag)
    contact.date_updated = utc(call.now)
    return Reply(201, {"tags": list(contact.tags)})


ROUTES: tuple[Route, ...] = (
    Route("GET", "/contacts/{contactId}", get, VERSION_2021_07_28, "Location", "contacts.readonly"),
    Route("GET", "/contacts/{contactId}/notes", list_notes, VERSION_2021_07_28, "Location", "contacts.readonly"),
    Route("GET", "/contacts/{contactId}/tasks", list_tasks, VERSION_2021_07_28, "Location", "contacts.readonly"),
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
