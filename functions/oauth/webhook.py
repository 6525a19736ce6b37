"""GHL Marketplace webhooks (INSTALL, UNINSTALL): signature first, then anything else."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.http import resolver
from ghlbridge.http.document import responses
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.tokens import webhooks

app = resolver.make_resolver()


@app.post(
    "/webhooks/ghl",
    operation_id="receiveWebhook",
    summary="GHL Marketplace webhooks (INSTALL, UNINSTALL), signature-verified before anything else",
    tags=["webhooks"],
    responses=responses(
        200,
        webhooks.WebhookResult,
        "invalid_request",
        "invalid_signature",
        "stale_webhook",
        "payload_too_large",
        "store_unavailable",
        "secrets_unavailable",
        variants=["ErrorInvalidWebhook"],
    ),
)
def receive() -> dict[str, Any]:
    event = app.current_event
    result = webhooks.receive(webhooks.body_bytes(event.body, event.is_base64_encoded), event.headers)
    return result.model_dump(by_alias=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.start(context)
    return app.resolve(event, context)
