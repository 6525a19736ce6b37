"""OAuth routes of the toolkit API: start the GHL install, GHL's redirect back to us, and the
caller's connected locations."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import api, deadline, factories, install, locations
from ghlbridge.observability import logger, metrics, traced

app = api.make_resolver()


@app.get("/oauth/authorize")
def authorize() -> dict[str, str]:
    caller = api.current_caller(app)
    return {"authorizeUrl": install.start_install(caller, redirect_uri=api.callback_url(app))}


@app.get("/locations")
def my_locations() -> dict[str, Any]:
    caller = api.current_caller(app)
    return locations.list_locations(factories.get_store(), caller.user_id).model_dump(by_alias=True, mode="json")


@app.get("/oauth/callback")
def callback() -> Response[Any]:
    query = app.current_event.query_string_parameters or {}
    return api.redirect(install.finish_install(query, redirect_uri=api.callback_url(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
