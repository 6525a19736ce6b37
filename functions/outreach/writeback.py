"""Write-back of the toolkit API: insights into the contact's custom fields, the contact's tasks, and
the generator's outreach plan (a note, a task per step, the insights), each landing in GHL at once."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import ContactId, IdempotencyKey, LocationId, OpportunityId, TaskId
from ghlbridge.http.toolkit_resolver import (
    REPLAY_HEADERS,
    SEND_ERRORS,
    UPDATE_ERRORS,
    make_toolkit_resolver,
    request_context,
    respond,
)
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import custom_fields, plans, tasks
from ghlbridge.toolkit.models.custom_fields import ContactFields, CustomFieldsUpdate
from ghlbridge.toolkit.models.plans import OutreachPlanCreate, OutreachPlanResult
from ghlbridge.toolkit.models.tasks import Task, TaskCreate, TaskUpdate

app = make_toolkit_resolver()


@app.put(
    "/locations/<locationId>/contacts/<contactId>/custom-fields",
    operation_id="updateCustomFields",
    summary="Write insights into the contact's custom fields (only the fields named change)",
    description=(
        "`values` maps a field's key (`contact.budget` or `budget`) or id to its value, checked against the "
        "field's type and options before anything is sent: an unknown field or an unsuitable value is a 400 "
        "naming each one. Setting values twice is harmless, so no Idempotency-Key."
    ),
    tags=["write-back"],
    security=BEARER,
    responses=responses(200, ContactFields, *UPDATE_ERRORS),
)
def update_custom_fields(
    locationId: LocationId, contactId: ContactId, body: Annotated[CustomFieldsUpdate, Body()]
) -> ContactFields:
    return custom_fields.update_values(request_context(app), locationId, contactId, body)


@app.post(
    "/locations/<locationId>/contacts/<contactId>/tasks",
    operation_id="createTask",
    status_code=201,
    summary="Add a task to the contact (assigned to the caller's linked GHL user by default)",
    tags=["write-back"],
    security=BEARER,
    responses=responses(201, Task, *SEND_ERRORS, description="The task", headers=REPLAY_HEADERS),
)
def create_task(
    locationId: LocationId,
    contactId: ContactId,
    body: Annotated[TaskCreate, Body()],
    idempotencyKey: IdempotencyKey,
) -> Response[dict[str, Any]]:
    return respond(tasks.create_task(request_context(app, idempotencyKey), locationId, contactId, body))


@app.put(
    "/locations/<locationId>/contacts/<contactId>/tasks/<taskId>",
    operation_id="updateTask",
    summary="Edit, complete (`completed: true`) or reopen (`false`) a task; only the fields sent change",
    tags=["write-back"],
    security=BEARER,
    responses=responses(200, Task, *UPDATE_ERRORS),
)
def update_task(
    locationId: LocationId, contactId: ContactId, taskId: TaskId, body: Annotated[TaskUpdate, Body()]
) -> Task:
    return tasks.update_task(request_context(app), locationId, contactId, taskId, body)


@app.post(
    "/locations/<locationId>/opportunities/<opportunityId>/outreach-plan",
    operation_id="writeOutreachPlan",
    status_code=201,
    summary="Write the generator's outreach plan: a note, one task per step, the insights",
    description=(
        "Every part happens once whatever the retries. 201: all of it is in GHL. 207: a part failed; each part "
        "says `done` or `failed` (with the error). That answer is not kept: send the same request with the same "
        "Idempotency-Key again, and only what is missing is written."
    ),
    tags=["write-back"],
    security=BEARER,
    responses=responses(
        201,
        OutreachPlanResult,
        *SEND_ERRORS,
        description="The whole plan is in GHL",
        headers=REPLAY_HEADERS,
        also={207: "A part failed (see each part); the same request with the same key finishes it"},
    ),
)
def write_outreach_plan(
    locationId: LocationId,
    opportunityId: OpportunityId,
    plan: Annotated[OutreachPlanCreate, Body()],
    idempotencyKey: IdempotencyKey,
) -> Response[dict[str, Any]]:
    return respond(plans.write_plan(request_context(app, idempotencyKey), locationId, opportunityId, plan))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
