"""Hourly (EventBridge) refresh of every installation whose access token expires soon."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ghlbridge import deadline
from ghlbridge.observability import logger, metrics, traced
from ghlbridge.schedules import refresh_due


@logger.inject_lambda_context
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    deadline.start(context)
    return refresh_due()
