"""A location's team for the toolkit API: its members (owners and members, each maybe linked to a
GHL user) and the location's GHL users to link them to."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http.document import BEARER, responses
from ghlbridge.http.params import LocationId, MemberUserId
from ghlbridge.http.toolkit_resolver import READ_ERRORS, UPDATE_ERRORS, make_toolkit_resolver, request_context
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.toolkit import team
from ghlbridge.toolkit.models.team import GhlUserPage, Member, MemberCreate, MemberPage, MemberUpdate

app = make_toolkit_resolver(keyed_posts=False)  # adding a member is idempotent by nature: no Idempotency-Key


@app.get(
    "/locations/<locationId>/members",
    operation_id="listMembers",
    summary="The location's members: role, linked GHL user, who added them and when",
    tags=["team"],
    security=BEARER,
    responses=responses(200, MemberPage, *READ_ERRORS),
)
def list_members(locationId: LocationId) -> MemberPage:
    return team.list_members(request_context(app), locationId)


@app.post(
    "/locations/<locationId>/members",
    operation_id="addMember",
    status_code=201,
    summary="Add a member (owners only)",
    description="201 with the new member; 200 with the member when they already are one with this role.",
    tags=["team"],
    security=BEARER,
    responses=responses(
        201,
        Member,
        *UPDATE_ERRORS,
        "member_exists",
        description="Added: the member",
        also={200: "Already a member with this role: the member, unchanged"},
    ),
)
def add_member(locationId: LocationId, body: Annotated[MemberCreate, Body()]) -> Response[Member]:
    status, added = team.add_member(request_context(app), locationId, body)
    return Response(status, content_types.APPLICATION_JSON, added)


@app.patch(
    "/locations/<locationId>/members/<userId>",
    operation_id="updateMember",
    summary="Change a member's role (owners only) or GHL user link",
    description=(
        "Owners may change roles and link any member; a member may link only themself, to the GHL user "
        "whose e-mail is the `email` of their JWT. `ghlUserId: null` unlinks. The last owner cannot be demoted."
    ),
    tags=["team"],
    security=BEARER,
    responses=responses(200, Member, *UPDATE_ERRORS, "last_owner", "ghl_user_taken"),
)
def update_member(locationId: LocationId, userId: MemberUserId, body: Annotated[MemberUpdate, Body()]) -> Member:
    return team.update_member(request_context(app), locationId, userId, body)


@app.delete(
    "/locations/<locationId>/members/<userId>",
    operation_id="removeMember",
    summary="Remove a member (owners), or leave (yourself)",
    description="The last owner can neither leave nor be removed. The removed member is refused at once.",
    tags=["team"],
    security=BEARER,
    responses=responses(204, None, *READ_ERRORS, "last_owner", description="Removed"),
)
def remove_member(locationId: LocationId, userId: MemberUserId) -> Response[str]:
    team.remove_member(request_context(app), locationId, userId)
    return Response(204, content_types.TEXT_PLAIN, "")


@app.get(
    "/locations/<locationId>/users",
    operation_id="listGhlUsers",
    summary="The location's GHL users (id, name, e-mail, role), to link members to",
    description="Cached per container for 5 minutes (USERS_CACHE_SECONDS).",
    tags=["team"],
    security=BEARER,
    responses=responses(200, GhlUserPage, *READ_ERRORS),
)
def list_users(locationId: LocationId) -> GhlUserPage:
    return team.list_users(request_context(app), locationId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
