"""Write-back: insights into a contact's custom fields, the contact's tasks, and an opportunity's
status and value. Every change lands in GHL at once and shows there as the rep's (tasks default to
the caller's linked GHL user, so GHL reminds them).

- Insights (`PUT .../custom-fields`) are checked against the fields' definitions before anything is
  sent (`custom_fields.resolve`); only the named fields are in GHL's update (never `tags`, which
  would overwrite them). A PUT: sending it again sets the same values.
- A new task is an idempotent write (`POST`, Idempotency-Key, `ghlbridge.idempotency.writes`).
  Editing, completing and reopening (`PUT`) set values: no key needed.
- Won/lost/abandoned/open goes through GHL's status endpoint (the only one taking a lost reason);
  the answer is the opportunity as GHL then holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghlbridge.errors import RequestInvalidError, field_problem
from ghlbridge.idempotency.writes import IdempotentWrite
from ghlbridge.toolkit import custom_fields, pipelines, team
from ghlbridge.toolkit.access import LocationClients, open_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.models.opportunities import Opportunity
from ghlbridge.toolkit.models.research import Task
from ghlbridge.toolkit.models.writeback import ContactFields, CustomFieldsUpdate, StatusChange, TaskCreate, TaskUpdate
from ghlbridge.toolkit.opportunities import get_in_location, opportunity
from ghlbridge.toolkit.research import task

if TYPE_CHECKING:
    from ghlbridge.toolkit.models.writeback import ValueChange

_CREATE_TASK = IdempotentWrite("tasks.create")


def update_fields(ctx: RequestContext, location_id: str, contact_id: str, body: CustomFieldsUpdate) -> ContactFields:
    """`PUT /locations/{locationId}/contacts/{contactId}/custom-fields`."""
    clients = open_location(ctx.caller, location_id)
    writes = custom_fields.resolve(clients, body.values)  # 400 before anything is sent
    updated = clients.contacts.update_custom_fields(contact_id, writes)
    return ContactFields(
        contact_id=updated.id, custom_fields=custom_fields.named(updated, custom_fields.definitions(clients))
    )


def create_task(ctx: RequestContext, location_id: str, contact_id: str, body: TaskCreate) -> WriteAnswer:
    """`POST /locations/{locationId}/contacts/{contactId}/tasks`."""
    clients = open_location(ctx.caller, location_id)
    assignee = assignee_of(clients, body.assigned_to)

    def send() -> WriteAnswer:
        created = clients.contacts.create_task(
            contact_id, title=body.title, body=body.body, due_date=body.due_at, assigned_to=assignee
        )
        return WriteAnswer(ctx.success_status, task(created, user_names(clients)).model_dump(mode="json"))

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
    return task(updated, user_names(clients))


def change_status(ctx: RequestContext, location_id: str, opportunity_id: str, change: StatusChange) -> Opportunity:
    """`PUT /locations/{locationId}/opportunities/{opportunityId}/status`: open, won, lost, abandoned."""
    clients = open_location(ctx.caller, location_id)
    get_in_location(clients, opportunity_id)  # another location's: 404, nothing sent
    clients.opportunities.update_status(opportunity_id, change.status, lost_reason_id=change.lost_reason_id)
    return opportunity(clients.opportunities.get(opportunity_id), pipelines.load(clients))


def change_value(ctx: RequestContext, location_id: str, opportunity_id: str, change: ValueChange) -> Opportunity:
    """`PUT /locations/{locationId}/opportunities/{opportunityId}/value`: the monetary value."""
    clients = open_location(ctx.caller, location_id)
    get_in_location(clients, opportunity_id)
    updated = clients.opportunities.update(opportunity_id, monetary_value=change.monetary_value)
    return opportunity(updated, pipelines.load(clients))


def assignee_of(clients: LocationClients, assigned_to: str | None, *, default: bool = True) -> str | None:
    """`assigned_to` if it is a GHL user of the location (else 400), or by default the caller's link."""
    if assigned_to is None:
        return clients.ghl_user_id if default else None
    if team.ghl_user(clients, assigned_to) is None:
        message = "assignedTo is not a GHL user of this location"
        raise RequestInvalidError(message, details=[field_problem("body", "assignedTo", "unknown_user", message)])
    return assigned_to


def user_names(clients: LocationClients) -> dict[str, str | None]:
    """The location's GHL users' names by id (cached); empty when GHL cannot say."""
    try:
        return {u.id: u.name for u in team.location_users(clients)}
    except Exception:  # a name is a nicety: the write happened
        return {}
