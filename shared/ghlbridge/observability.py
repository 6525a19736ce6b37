"""Logging, metrics and (opt-in) tracing. One Logger and one Metrics object per container.

Powertools Logger + Metrics cost about 2 ms to import; the Tracer pulls in aws-xray-sdk (+270 ms),
so it is only imported when `ENABLE_TRACER` is on. Lambda active tracing (template.yaml) covers
the rest.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

# httpx logs every request's full URL (query string included) at INFO: keep it to warnings.
logging.getLogger("httpx").setLevel(logging.WARNING)

logger = Logger(use_rfc3339=True)  # service name: POWERTOOLS_SERVICE_NAME, set per function
metrics = Metrics(namespace="GHLBridge")

__all__ = ["MetricUnit", "count", "logger", "metrics", "traced"]


def count(name: str, value: float = 1) -> None:
    """Add one count metric to this invocation's EMF blob."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def traced(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a Lambda handler in the Powertools Tracer when `ENABLE_TRACER` is on.

    Decided on the first invocation, not at import: importing a function module reads no config.
    """
    chosen: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        if not chosen:
            from ghlbridge.settings import get_settings

            if get_settings().enable_tracer:
                from aws_lambda_powertools import Tracer  # opt-in: aws-xray-sdk costs +270 ms

                chosen.append(Tracer().capture_lambda_handler(capture_response=False)(handler))
            else:
                chosen.append(handler)
        return chosen[0](event, context)

    return wrapper
