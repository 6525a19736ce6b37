"""Log a call with a contact for the toolkit API (a note, and a Call message when configured)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import ContactId, IdempotencyKey, LocationId
from ghlbridge.http.toolkit_resolver import REPLAY_HEADERS, SEND_ERRORS, make_toolkit_resolver, request_context, respond
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import calls
from ghlbridge.toolkit.models.calls import CallLogCreate, LoggedCall

app = make_toolkit_resolver()


@app.post(
    "/locations/<locationId>/contacts/<contactId>/calls",
    operation_id="logCall",
    status_code=201,
    summary="Log a call with the contact",
    description=(
        "Always written as a contact note. With a Call conversation provider configured (GHL_CALL_PROVIDER_ID), "
        "an outbound call is also added as a Call message to the contact's conversation; `callMessage` says "
        "whether it was logged, skipped, failed or is unknown (the note stands either way)."
    ),
    tags=["calls"],
    security=BEARER,
    responses=responses(
        201, LoggedCall, *SEND_ERRORS, description="The note and its Call message", headers=REPLAY_HEADERS
    ),
)
def log_call(
    locationId: LocationId,
    contactId: ContactId,
    call: Annotated[CallLogCreate, Body()],
    idempotencyKey: IdempotencyKey,
) -> Response[dict[str, Any]]:
    return respond(calls.log_call(request_context(app, idempotencyKey), locationId, contactId, call))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
