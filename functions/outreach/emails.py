"""Send an e-mail to a contact through GHL Conversations for the toolkit API."""

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
from ghlbridge.toolkit import emails
from ghlbridge.toolkit.models.emails import EmailCreate, SentEmail

app = make_toolkit_resolver()


@app.post(
    "/locations/<locationId>/contacts/<contactId>/emails",
    operation_id="sendEmail",
    status_code=201,
    summary="Send an e-mail to the contact",
    description=(
        "Sent to the contact's primary address from the location's default sender. One Idempotency-Key sends at "
        "most one e-mail: a timeout or GHL 5xx answers 504 `outcome_unknown`, and so does every retry with that key."
    ),
    tags=["emails"],
    security=BEARER,
    responses=responses(201, SentEmail, *SEND_ERRORS, description="Queued by GHL", headers=REPLAY_HEADERS),
)
def send_email(
    locationId: LocationId,
    contactId: ContactId,
    email: Annotated[EmailCreate, Body()],
    idempotencyKey: IdempotencyKey,
) -> Response[dict[str, Any]]:
    return respond(emails.send_email(request_context(app, idempotencyKey), locationId, contactId, email))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
