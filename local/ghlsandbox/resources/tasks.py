"""A contact's tasks (`apps/contacts.json`, Version 2021-07-28, Sub-Account token, GHL-NOTES
§10.5): list, create, get, update, complete or reopen, delete.

Tasks are records of their own (`Data.tasks`). The list (`contacts.readonly`, no paging) comes by
due date, then id; `dueDate` is UTC with milliseconds (`2026-12-10T15:00:00.000Z`); `assignedTo` is
left out when the task has no owner.

Writes (`contacts.write`):

- `POST /contacts/{contactId}/tasks` (`CreateTaskParams`: `title`*, `dueDate`*, `completed`*,
  `body`, `assignedTo`) → **201** `{task}`; the task is listed at once.
- `PUT /contacts/{contactId}/tasks/{taskId}` (`UpdateTaskBody`, nothing required) → 200 `{task}`;
  only the properties sent change.
- `PUT /contacts/{contactId}/tasks/{taskId}/completed` (`{completed}`*) → 200 `{task}`: `true`
  completes it, `false` reopens it.
- `DELETE /contacts/{contactId}/tasks/{taskId}` → 200 `{succeded: true}` (sic, the spec's spelling).

Checks, all before anything changes:

- `dueDate` is an ISO 8601 date-time with an offset or `Z` (the spec's example
  `2020-10-25T11:00:00Z`), else 422 "dueDate must be a valid ISO 8601 date string with a time
  zone offset"; a past date is fine (an overdue task). `title` must not be blank (422).
- `assignedTo`, when given, must be a user of the contact's location, else **400**
  "assignedTo is not a user of this location". The spec does not say what GHL does with another id;
  refusing it is the sandbox's choice (a stale user link shows at once). The message avoids the
  words "not found", which clients read as "the contact or task does not exist". On update, `""`
  removes the owner.
- The task must be this contact's: an unknown task id, or another contact's task, is a 400 "Task
  not found" (the sandbox's "not found" convention, GHL-NOTES §10.9). Another location's contact
  is a 403, as on every contact route.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ghlsandbox.clock import parse_iso, utc
from ghlsandbox.records import Contact, Task
from ghlsandbox.resources.contacts import path_contact
from ghlsandbox.routing import VERSION_2021_07_28, Call, Reply, Route, bad_request, unprocessable
from ghlsandbox.validation import Field, FieldType

NOT_A_USER = "assignedTo is not a user of this location"
BAD_DUE_DATE = "dueDate must be a valid ISO 8601 date string with a time zone offset"


def list_tasks(call: Call) -> Reply:
    contact = path_contact(call)
    return Reply(200, {"tasks": [task.api() for task in call.data.tasks_of(contact.id)]})


def create(call: Call) -> Reply:
    contact = path_contact(call)
    checked = _checked(call, contact, call.body)
    now = utc(call.now)
    task = Task(
        id=call.data.new_id(),
        contact_id=contact.id,
        location_id=contact.location_id,
        title=checked["title"],
        body=checked.get("body", ""),
        assigned_to=checked.get("assigned_to", ""),
        due_date=checked["due_date"],
        completed=checked["completed"],
        date_added=now,
        date_updated=now,
    )
    call.data.tasks[task.id] = task
    return Reply(201, {"task": task.api()})


def get(call: Call) -> Reply:
    return Reply(200, {"task": _task(call, path_contact(call)).api()})


def update(call: Call) -> Reply:
    contact = path_contact(call)
    task = _task(call, contact)
    for attribute, value in _checked(call, contact, call.body).items():
        setattr(task, attribute, value)
    task.date_updated = utc(call.now)
    return Reply(200, {"task": task.api()})


def set_completed(call: Call) -> Reply:
    task = _task(call, path_contact(call))
    task.completed = call.body["completed"]
    task.date_updated = utc(call.now)
    return Reply(200, {"task": task.api()})


def delete(call: Call) -> Reply:
    task = _task(call, path_contact(call))
    del call.data.tasks[task.id]
    return Reply(200, {"succeded": True})


def _task(call: Call, contact: Contact) -> Task:
    task = call.data.tasks.get(call.path_params["taskId"])
    if task is None or task.contact_id != contact.id:
        raise bad_request("Task not found")
    return task


def _checked(call: Call, contact: Contact, body: dict[str, Any]) -> dict[str, Any]:
    """The `Task` attributes the body sets, checked (422 for the body's form, 400 for the owner).
    A `null` property is left out, as class-validator's `@IsOptional` treats it."""
    body = {name: value for name, value in body.items() if value is not None}
    problems: list[str] = []
    changes: dict[str, Any] = {}
    if "title" in body:
        if not body["title"].strip():
            problems.append("title should not be empty")
        changes["title"] = body["title"]
    if "body" in body:
        changes["body"] = body["body"]
    if "dueDate" in body:
        due: datetime | None = parse_iso(body["dueDate"])
        if due is None:
            problems.append(BAD_DUE_DATE)
        changes["due_date"] = due
    if "completed" in body:
        changes["completed"] = body["completed"]
    if problems:
        raise unprocessable(problems)
    if "assignedTo" in body:
        owner = body["assignedTo"]
        if owner and call.data.location_user(contact.location_id, user_id=owner) is None:
            raise bad_request(NOT_A_USER)
        changes["assigned_to"] = owner
    return changes


_TASK_FIELDS = ("title", "body", "dueDate", "completed", "assignedTo")


def _task_body(*, required: tuple[str, ...]) -> tuple[Field, ...]:
    types: dict[str, FieldType] = {"completed": "boolean"}
    return tuple(Field(name, types.get(name, "string"), required=name in required) for name in _TASK_FIELDS)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/contacts/{contactId}/tasks", list_tasks, VERSION_2021_07_28, "Location", "contacts.readonly"),
    Route(
        "POST",
        "/contacts/{contactId}/tasks",
        create,
        VERSION_2021_07_28,
        "Location",
        "contacts.write",
        body=_task_body(required=("title", "dueDate", "completed")),
    ),
    Route("GET", "/contacts/{contactId}/tasks/{taskId}", get, VERSION_2021_07_28, "Location", "contacts.readonly"),
    Route(
        "PUT",
        "/contacts/{contactId}/tasks/{taskId}",
        update,
        VERSION_2021_07_28,
        "Location",
        "contacts.write",
        body=_task_body(required=()),
    ),
    Route(
        "PUT",
        "/contacts/{contactId}/tasks/{taskId}/completed",
        set_completed,
        VERSION_2021_07_28,
        "Location",
        "contacts.write",
        body=(Field("completed", "boolean", required=True),),
    ),
    Route("DELETE", "/contacts/{contactId}/tasks/{taskId}", delete, VERSION_2021_07_28, "Location", "contacts.write"),
)
