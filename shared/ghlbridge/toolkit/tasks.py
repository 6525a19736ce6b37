"""A contact's tasks: as answers (with the assignee's name), and written back: a new task is an
idempotent write (`POST`, Idempotency-Key, `ghlbridge.idempotency.writes`); editing, completing
and reopening (`PUT`) set values, so no key. A task is assigned to the caller's linked GHL user
unless the body names another GHL user of the location, so GHL reminds the rep."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghlbridge.errors import RequestInvalidError, field_problem
from ghlbridge.idempotency.writes import IdempotentWrite
from ghlbridge.toolkit.access import LocationClients, open_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.ghl_users import ghl_user, user_names
from ghlbridge.toolkit.models.tasks import Task

if TYPE_CHECKING:
    from ghlbridge.toolkit.models.tasks import TaskCreate, TaskUpdate

_CREATE_TASK = IdempotentWrite("tasks.create")


def create_task(ctx: RequestContext, location_id: str, contact_id: str, body: TaskCreate) -> WriteAnswer:
    """`POST /locations/{locationId}/contacts/{contactId}/tasks`."""
    clients = open_location(ctx.caller, location_id)
    assignee = assignee_of(clients, body.assigned_to)

    def send() -> WriteAnswer:
        created = clients.contacts.create_task(
            contact_id, title=body.title, body=body.body, due_date=body.due_at, assigned_to=assignee
        )
        return WriteAnswer(ctx.success_status, Task.from_ghl(created, user_names(clients)).model_dump(mode="json"))

    request = {"contactId": contact_id, "body": body.model_dump(mode="json", by_alias=True)}
    return _CREATE_TASK.run(ctx, location_id=location_id, request=request, send=send)


def update_task(ctx: RequestContext, location_id: str, contact_id: str, task_id: str, body: TaskUpdate) -> Task:
    """`PUT /locations/{locationId}/contacts/{contactId}/tasks/{taskId}`: edit, complete, reopen."""
    clients = open_location(ctx.caller, location_id)
    sent = body.model_fields_set
    assignee = assignee_of(clients, body.assigned_to, default=False) if "assigned_to" in sent else None
    edits = sent - {"completed"}
    updated = None
    if edits:
        updated = clients.contacts.update_task(
            contact_id,
            task_id,
            title=body.title,
            body=body.body,
            due_date=body.due_at,
            assigned_to=assignee,
        )
    if body.completed is not None:
        updated = clients.contacts.set_task_completed(contact_id, task_id, body.completed)
    assert updated is not None
    return Task.from_ghl(updated, user_names(clients))


def assignee_of(clients: LocationClients, assigned_to: str | None, *, default: bool = True) -> str | None:
    """`assigned_to` if it is a GHL user of the location (else 400), or by default the caller's link."""
    if assigned_to is None:
        return clients.ghl_user_id if default else None
    if ghl_user(clients, assigned_to) is None:
        message = "assignedTo is not a GHL user of this location"
        raise RequestInvalidError(message, details=[field_problem("body", "assignedTo", "unknown_user", message)])
    return assigned_to
