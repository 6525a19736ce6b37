"""The events and context a function receives, built by the local gateway's own builder
(`gateway.events`) so a test gets exactly what API Gateway and EventBridge would send: the route
key and path parameters come from template.yaml's routes, as the gateway picks them."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from gateway.events import IncomingRequest, LambdaContext, http_api_event, log_stream_name, new_request_id
from gateway.events import scheduled_event as gateway_scheduled_event
from gateway.template import DEFAULT_STACK_NAME, Template, match_route

from tests.template_yaml import ROOT

DOMAIN = "abc123.execute-api.us-east-1.amazonaws.com"


@cache
def template() -> Template:
    return Template.read(ROOT / "template.yaml")


def lambda_context(remaining_ms: int = 15_000, *, function_name: str = "test-function") -> LambdaContext:
    """The one fake context: the gateway's, with `remaining_ms` left from now."""
    return LambdaContext(
        function_name=function_name,
        memory_limit_in_mb=512,
        timeout_seconds=remaining_ms / 1000,
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name=log_stream_name(),
    )


def http_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: str | bytes | None = None,
    domain: str = DOMAIN,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The HTTP API v2 event for `method path` on the template's route that API Gateway would pick."""
    target = f"{path}?{urlencode(query)}" if query else path
    sent = [("host", domain), ("user-agent", "pytest"), *(headers or {}).items()]
    raw = body.encode() if isinstance(body, str) else (body or b"")
    found = match_route(template().routes, method, IncomingRequest(method, target, sent).path)
    assert found is not None, f"no route in template.yaml for {method} {path}"
    route, path_parameters = found
    return http_api_event(
        IncomingRequest(method, target, sent, raw, source_ip="203.0.113.7"),
        route_key=route.route_key,
        path_parameters=path_parameters,
        request_id=request_id or new_request_id(),
    )


def scheduled_event(function: str) -> Any:
    """What EventBridge sends `function` (a template function name) on its `Schedule` event."""
    [schedule, *_] = template().functions[function].schedules
    rule = f"{DEFAULT_STACK_NAME}-{function}{schedule.name}"  # as the local gateway names it
    return gateway_scheduled_event(rule, constant_input=schedule.input)
