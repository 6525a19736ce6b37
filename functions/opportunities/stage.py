"""Move an opportunity along: another pipeline stage (the toolkit's drag and drop), won, lost,
abandoned or open again, and its monetary value."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import LocationId, OpportunityId
from ghlbridge.http.toolkit_resolver import UPDATE_ERRORS, make_toolkit_resolver, request_context
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import opportunities
from ghlbridge.toolkit.models.opportunities import Opportunity, StageChange, StatusChange, ValueChange

app = make_toolkit_resolver()


@app.put(
    "/locations/<locationId>/opportunities/<opportunityId>/stage",
    operation_id="changeStage",
    summary="Move the opportunity to a stage",
    description=(
        "The stage must belong to `pipelineId`, or to the opportunity's own pipeline when it is absent: "
        "otherwise 400, and nothing is sent to GHL. Setting a stage twice is harmless, so no Idempotency-Key."
    ),
    tags=["opportunities"],
    security=BEARER,
    responses=responses(200, Opportunity, *UPDATE_ERRORS),
)
def change_stage(
    locationId: LocationId, opportunityId: OpportunityId, change: Annotated[StageChange, Body()]
) -> Opportunity:
    return opportunities.change_stage(request_context(app), locationId, opportunityId, change)


@app.put(
    "/locations/<locationId>/opportunities/<opportunityId>/status",
    operation_id="changeStatus",
    summary="Mark the opportunity won, lost (with a lost reason), abandoned, or open again",
    description="Answers the opportunity as GHL then holds it. Setting a status twice is harmless: no Idempotency-Key.",
    tags=["opportunities"],
    security=BEARER,
    responses=responses(200, Opportunity, *UPDATE_ERRORS),
)
def change_status(
    locationId: LocationId, opportunityId: OpportunityId, change: Annotated[StatusChange, Body()]
) -> Opportunity:
    return opportunities.change_status(request_context(app), locationId, opportunityId, change)


@app.put(
    "/locations/<locationId>/opportunities/<opportunityId>/value",
    operation_id="changeValue",
    summary="Set the opportunity's monetary value",
    tags=["opportunities"],
    security=BEARER,
    responses=responses(200, Opportunity, *UPDATE_ERRORS),
)
def change_value(
    locationId: LocationId, opportunityId: OpportunityId, change: Annotated[ValueChange, Body()]
) -> Opportunity:
    return opportunities.change_value(request_context(app), locationId, opportunityId, change)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
