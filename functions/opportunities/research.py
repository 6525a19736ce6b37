"""Research of the toolkit API: one opportunity's whole context for the research brief and
outreach-plan generator, the contact's histories behind it, and the location's custom fields."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import ChannelFilter, ContactId, Cursor, Limit, LocationId, OpportunityId
from ghlbridge.http.toolkit_resolver import LIST_ERRORS, READ_ERRORS, make_toolkit_resolver, request_context
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import research
from ghlbridge.toolkit.models.base import DEFAULT_LIMIT
from ghlbridge.toolkit.models.custom_fields import CustomFieldDefinitionPage
from ghlbridge.toolkit.models.research import ContactAppointmentPage, MessagePage, ResearchContext
from ghlbridge.toolkit.models.tasks import TaskPage

app = make_toolkit_resolver()


@app.get(
    "/locations/<locationId>/opportunities/<opportunityId>/context",
    operation_id="getResearchContext",
    summary="Everything GHL knows about the opportunity, for a research brief, in one call",
    description=(
        "The opportunity (pipeline, stage and assignee names), its contact (custom fields named), latest notes, "
        "latest messages (e-mail, SMS, calls; e-mails as text), upcoming and recent appointments, open tasks, and "
        "the location's name and time zone. A section GHL fails on carries its own `error` while the others "
        "answer; only an unknown opportunity (or another location's) is a 404. Lists say when they were cut."
    ),
    tags=["research"],
    security=BEARER,
    responses=responses(200, ResearchContext, *READ_ERRORS),
)
def get_context(locationId: LocationId, opportunityId: OpportunityId) -> ResearchContext:
    return research.context(request_context(app), locationId, opportunityId)


@app.get(
    "/locations/<locationId>/contacts/<contactId>/messages",
    operation_id="listMessages",
    summary="The contact's conversation history, newest first, one page at a time",
    description="E-mails come as plain text (`preview`). `nextCursor` is opaque and only valid with the same channel.",
    tags=["research"],
    security=BEARER,
    responses=responses(200, MessagePage, *LIST_ERRORS),
)
def list_messages(
    locationId: LocationId,
    contactId: ContactId,
    channel: ChannelFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> MessagePage:
    return research.messages(request_context(app), locationId, contactId, channel=channel, limit=limit, after=cursor)


@app.get(
    "/locations/<locationId>/contacts/<contactId>/appointments",
    operation_id="listContactAppointments",
    summary="The contact's appointments, latest start first, with calendar and user names",
    tags=["research"],
    security=BEARER,
    responses=responses(200, ContactAppointmentPage, *READ_ERRORS),
)
def list_appointments(locationId: LocationId, contactId: ContactId) -> ContactAppointmentPage:
    return research.appointments(request_context(app), locationId, contactId)


@app.get(
    "/locations/<locationId>/contacts/<contactId>/tasks",
    operation_id="listTasks",
    summary="The contact's tasks: open ones first, soonest due first",
    tags=["research"],
    security=BEARER,
    responses=responses(200, TaskPage, *READ_ERRORS),
)
def list_tasks(locationId: LocationId, contactId: ContactId) -> TaskPage:
    return research.tasks(request_context(app), locationId, contactId)


@app.get(
    "/locations/<locationId>/custom-fields",
    operation_id="listCustomFields",
    summary="The location's contact custom fields: id, key, name, type and options",
    description="Cached per container for 5 minutes (CUSTOM_FIELDS_CACHE_SECONDS).",
    tags=["research"],
    security=BEARER,
    responses=responses(200, CustomFieldDefinitionPage, *READ_ERRORS),
)
def list_custom_fields(locationId: LocationId) -> CustomFieldDefinitionPage:
    return research.field_definitions(request_context(app), locationId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
