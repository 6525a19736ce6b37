"""The resolver of every toolkit function, and what a route hands to the layer.

Powertools validation is on (`enable_validation=True`): path, query, header and body parameters are
parsed into the declared types and models before a route runs, and the OpenAPI document is generated
from the same declarations. Its request-validation middleware runs FIRST in Powertools' stack, so
the toolkit resolver replaces it (`ghlbridge.http.powertools_patches`, with every other reach into
Powertools' private parts) with one that does three cheap checks before validating:

1. the caller's Supabase JWT (401), so nobody learns anything about a route without one;
2. the body size (413), so a huge body is refused before it is parsed;
3. on a POST, the presence of `Idempotency-Key` (400 `idempotency_key_required`): every toolkit POST
   is a write that must not happen twice.

Membership (403) is checked next, by the layer (`access.open_location`), before any GHL call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
    OpenAPIResponseValidationMiddleware,
)
from pydantic import BaseModel

from ghlbridge.errors import (
    IdempotencyKeyRequiredError,
)
from ghlbridge.http import powertools_patches, resolver
from ghlbridge.toolkit.context import RequestContext, WriteAnswer

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.event_handler.types import EventHandlerInstance

    from ghlbridge.toolkit.context import Caller

MAX_BODY_BYTES: Final = 1024 * 1024
"""Request bodies above 1 MiB are refused (413) unparsed; the largest valid one, an e-mail with
500,000 characters of HTML, fits even JSON-escaped."""
REPLAYED_HEADER: Final = "Idempotency-Replayed"

# Error codes each kind of route can answer with (documented per route, see `ghlbridge.http.document`).
_ACCESS = (
    "invalid_request",
    "unauthenticated",
    "forbidden",
    "installation_not_found",
    "reauthorization_required",
    "route_not_found",  # a path id with characters no id has: the router matches no route for it
)
_GHL = ("ghl_rejected", "rate_limited", "ghl_error", "ghl_unreachable", "ghl_timeout")
_DEPENDENCIES = ("store_unavailable", "secrets_unavailable", "token_refresh_unavailable")
READ_ERRORS: Final = (*_ACCESS, "not_found", *_GHL, *_DEPENDENCIES)
LIST_ERRORS: Final = (*READ_ERRORS, "invalid_cursor")
UPDATE_ERRORS: Final = (*READ_ERRORS, "payload_too_large", "unsupported_media_type")
SEND_ERRORS: Final = (
    *UPDATE_ERRORS,
    "idempotency_key_required",
    "request_in_progress",
    "idempotency_key_reused",
    "outcome_unknown",
)
REPLAY_HEADERS: Final[dict[str, Any]] = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored answer of an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


class _CheckThenValidate(OpenAPIRequestValidationMiddleware):
    """Caller (401), body size (413) and Idempotency-Key presence (400), then Powertools' validation."""

    def __init__(self, *, keyed_posts: bool) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
        self._keyed_posts = keyed_posts

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        assert isinstance(app, APIGatewayHttpResolver)
        app.context["caller"] = resolver.current_caller(app)  # cleared by Powertools after each request
        event = app.current_event
        resolver.check_body(event, MAX_BODY_BYTES)
        method = event.request_context.http.method
        if self._keyed_posts and method == "POST" and not (event.headers.get("idempotency-key") or "").strip():
            raise IdempotencyKeyRequiredError("Send an Idempotency-Key header (e.g. a UUID) with every POST")
        return super().handler(app, next_middleware)


powertools_patches.remember_scalar_checks()  # Powertools' per-request scalar checks, remembered


class _SerializeAnswer(OpenAPIResponseValidationMiddleware):
    """How a route's answer becomes JSON:

    - an instance of the route's declared answer model is serialized once by pydantic
      (`model_dump_json`). It was validated when it was built; Powertools would validate it again,
      turn it into a dict and `json.dumps` that (three passes over every item of a page);
    - a JSON answer the layer wrote itself (`written`) goes out as it is;
    - anything else (a `Response` with a dict body) goes through Powertools' validation as before.
    """

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        route = app.context["_route"]
        response = next_middleware(app)
        answer_type = route.dependant.return_param.type_ if route.dependant.return_param else None
        if isinstance(response.body, BaseModel) and type(response.body) is answer_type:
            response.body = response.body.model_dump_json(by_alias=True)
            return response
        if isinstance(response.body, str) and response.is_json():
            return response
        return self._handle_response(route=route, response=response)  # type: ignore[no-any-return]


class ToolkitResolver(APIGatewayHttpResolver):
    """`APIGatewayHttpResolver(enable_validation=True)` whose validation starts with `_CheckThenValidate`
    and whose answers are serialized by `_SerializeAnswer`. `keyed_posts`: every POST is a write to
    GHL that needs an Idempotency-Key (False for a function whose POSTs are idempotent by nature,
    such as adding a member)."""

    def __init__(self, *, keyed_posts: bool = True) -> None:
        super().__init__(enable_validation=True)
        powertools_patches.use_request_validation(self, _CheckThenValidate(keyed_posts=keyed_posts))
        powertools_patches.use_response_validation(self, _SerializeAnswer())


def make_toolkit_resolver(*, keyed_posts: bool = True) -> ToolkitResolver:
    app = ToolkitResolver(keyed_posts=keyed_posts)
    resolver.register_error_handlers(app)
    return app


def request_context(app: APIGatewayHttpResolver, idempotency_key: str | None = None) -> RequestContext:
    """This request's context; the caller was authenticated before validation (`_CheckThenValidate`)."""
    caller: Caller = app.context["caller"]
    event = app.current_event
    route = event.route_key or f"{event.request_context.http.method} {event.raw_path}"
    declared = app.context["_route"].status_code  # the one statement of the route's success status
    return RequestContext(caller, resolver.request_id(app), route, declared, app.lambda_context, idempotency_key)


def written(body: str) -> Response[Any]:
    """A 200 whose JSON the layer wrote itself, sent as it is (its shape is the layer's promise)."""
    return Response(200, content_types.APPLICATION_JSON, body)


def respond(outcome: WriteAnswer) -> Response[dict[str, Any]]:
    """The HTTP answer of a write's outcome (fresh or replayed)."""
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
    return Response(outcome.status, content_types.APPLICATION_JSON, outcome.body, headers=headers)
