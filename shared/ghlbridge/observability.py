"""Logging, metrics and (opt-in) tracing. One Logger and one Metrics object per container.

Powertools Logger + Metrics cost about 2 ms to import; the Tracer pulls in aws-xray-sdk (+270 ms),
so it is only imported when `ENABLE_TRACER` is on. Lambda active tracing (template.yaml) covers
the rest.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(use_rfc3339=True)  # service name: POWERTOOLS_SERVICE_NAME, set per function
metrics = Metrics(namespace="GHLBridge")

__all__ = ["MetricUnit", "count", "logger", "metrics", "tracer_decorator"]


def count(name: str, value: float = 1) -> None:
    """Add one count metric to this invocation's EMF blob."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def tracer_decorator() -> Any:
    """`@tracer_decorator()` on a handler: the Powertools Tracer when enabled, else a no-op."""
    from ghlbridge.settings import get_settings

    if not get_settings().enable_tracer:
        return lambda fn: fn
    from aws_lambda_powertools import Tracer  # noqa: PLC0415  (opt-in: +270 ms cold import)

    return Tracer().capture_lambda_handler(capture_response=False)
