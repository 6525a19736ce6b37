"""Opportunities of the toolkit API: the location's pipelines, the opportunity search, and one
opportunity with everything research needs."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import (
    AssigneeFilter,
    Cursor,
    Limit,
    LocationId,
    OpportunityId,
    PipelineFilter,
    SearchText,
    StageFilter,
    StatusFilter,
)
from ghlbridge.http.toolkit_resolver import LIST_ERRORS, READ_ERRORS, make_toolkit_resolver, request_context, written
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import opportunities
from ghlbridge.toolkit.models.base import DEFAULT_LIMIT
from ghlbridge.toolkit.models.opportunities import OpportunityDetail, OpportunityPage, PipelinePage

app = make_toolkit_resolver()


@app.get(
    "/locations/<locationId>/pipelines",
    operation_id="listPipelines",
    summary="The location's pipelines with their stages",
    description="Cached per container for 5 minutes (PIPELINES_CACHE_SECONDS).",
    tags=["opportunities"],
    security=BEARER,
    responses=responses(200, PipelinePage, *READ_ERRORS),
)
def list_pipelines(locationId: LocationId) -> PipelinePage:
    return opportunities.list_pipelines(request_context(app), locationId)


@app.get(
    "/locations/<locationId>/opportunities",
    operation_id="listOpportunities",
    summary="Search the location's opportunities, one page at a time",
    description="Each item names its pipeline and stage. `nextCursor` is opaque and only valid with the same filters.",
    tags=["opportunities"],
    security=BEARER,
    responses=responses(200, OpportunityPage, *LIST_ERRORS),
)
def search_opportunities(
    locationId: LocationId,
    pipelineId: PipelineFilter = None,
    stageId: StageFilter = None,
    status: StatusFilter = None,
    q: SearchText = None,
    assignedTo: AssigneeFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[OpportunityPage]:
    query = opportunities.OpportunityQuery(
        pipeline_id=pipelineId, stage_id=stageId, status=status, q=q, assigned_to=assignedTo, limit=limit, cursor=cursor
    )
    return written(opportunities.search(request_context(app), locationId, query))


@app.get(
    "/locations/<locationId>/opportunities/<opportunityId>",
    operation_id="getOpportunity",
    summary="One opportunity with its contact and the contact's latest notes",
    description="404 when the opportunity belongs to another location.",
    tags=["opportunities"],
    security=BEARER,
    responses=responses(200, OpportunityDetail, *READ_ERRORS),
)
def get_opportunity(locationId: LocationId, opportunityId: OpportunityId) -> OpportunityDetail:
    return opportunities.detail(request_context(app), locationId, opportunityId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
