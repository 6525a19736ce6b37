"""Daily (EventBridge) purge of what is no longer needed: expired idempotency records, used or
expired OAuth states and install tickets, webhook receipts past the replay window."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.schedules import purge_expired


@logger.inject_lambda_context
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    deadline.start(context)
    return purge_expired()
