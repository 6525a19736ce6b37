"""OAuth routes of the toolkit API: start the GHL install, GHL's redirect back to us, finishing the
install under the user's JWT, and the caller's connected locations."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline, factories
from ghlbridge.http import resolver
from ghlbridge.http.document import BEARER, responses
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.tokens import install
from ghlbridge.toolkit import locations

app = resolver.make_resolver(validate=True)


@app.get(
    "/oauth/authorize",
    operation_id="startInstall",
    summary="Start the GHL install: the URL of GHL's install page, with a signed single-use state",
    tags=["oauth"],
    security=BEARER,
    responses=responses(
        200,
        {
            "type": "object",
            "properties": {"authorizeUrl": {"type": "string", "format": "uri"}},
            "required": ["authorizeUrl"],
        },
        "unauthenticated",
        "store_unavailable",
        "secrets_unavailable",
    ),
)
def authorize() -> dict[str, str]:
    caller = resolver.current_caller(app)
    return {"authorizeUrl": install.start_install(caller, redirect_uri=resolver.callback_url(app))}


@app.get(
    "/locations",
    operation_id="listLocations",
    summary="The caller's locations and the state of their GHL connection",
    tags=["oauth"],
    security=BEARER,
    responses=responses(200, locations.LocationList, "unauthenticated", "store_unavailable", "secrets_unavailable"),
)
def my_locations() -> dict[str, Any]:
    caller = resolver.current_caller(app)
    listing = locations.list_locations(factories.get_store(), caller.user_id, fetch_names=True)
    return listing.model_dump(by_alias=True, mode="json")


@app.post(
    "/oauth/complete",
    operation_id="completeInstall",
    summary="Finish the GHL install: the ticket from the callback's redirect makes the caller an owner",
    description=(
        "Only the user who started the install (`GET /oauth/authorize`) can complete it, once, within 10 minutes. "
        "Answers the locations the caller now owns."
    ),
    tags=["oauth"],
    security=BEARER,
    responses=responses(
        200,
        locations.LocationList,
        "invalid_request",
        "invalid_install_ticket",
        "unauthenticated",
        "payload_too_large",
        "store_unavailable",
        "secrets_unavailable",
    ),
)
def complete(body: Annotated[install.InstallTicket, Body()]) -> dict[str, Any]:
    caller = resolver.current_caller(app)
    granted = install.finish_for(caller, body.ticket)
    store = factories.get_store()
    return locations.list_locations(store, caller.user_id, only=set(granted)).model_dump(by_alias=True, mode="json")


@app.get(
    "/oauth/callback",
    operation_id="installCallback",
    summary="GHL's redirect after the install: exchanges the code, then redirects to the toolkit",
    description=(
        "Always a redirect to TOOLKIT_URL, with `?ghl=installed&ticket=...&locationId=...` (finish with "
        "`POST /oauth/complete`) or `?ghl=error&reason=...`."
    ),
    tags=["oauth"],
    responses=responses(
        302,
        None,
        "store_unavailable",
        "secrets_unavailable",
        description="To the toolkit",
        headers={"Location": {"description": "The toolkit URL with the outcome", "schema": {"type": "string"}}},
    ),
)
def callback() -> Response[Any]:
    query = app.current_event.query_string_parameters or {}
    return resolver.redirect(install.finish_install(query, redirect_uri=resolver.callback_url(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
