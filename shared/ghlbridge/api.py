"""What every HTTP function shares: the resolver, the caller's identity, and the one table that
turns errors into JSON responses.

Error envelope: `{"error": {"code", "message", "requestId", "details"?}}`. Messages are ours, never
a token, secret, code or JWT; GHL errors keep only GHL's traceId.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from ghlbridge.errors import AppError
from ghlbridge.ghl.errors import (
    GHLError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLTimeoutError,
    GHLTransportError,
)
from ghlbridge.observability import logger
from ghlbridge.settings import get_settings
from ghlbridge.store import StoreUnavailableError

if TYPE_CHECKING:
    from ghlbridge.auth import Caller


def make_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()
    register_error_handlers(app)
    return app


def error_response(
    app: APIGatewayHttpResolver,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body: dict[str, Any] = {"code": code, "message": message, "requestId": request_id(app)}
    if details is not None:
        body["details"] = details
    return Response(status, content_types.APPLICATION_JSON, {"error": body}, headers=headers)


def request_id(app: APIGatewayHttpResolver) -> str | None:
    try:
        return str(app.current_event.request_context.request_id)
    except (AttributeError, KeyError):
        return None


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """The one place where an error type becomes an HTTP status."""

    @app.exception_handler(AppError)  # type: ignore[untyped-decorator]
    def _app_error(exc: AppError) -> Response[Any]:
        logger.info("Request refused", extra={"code": exc.code, "status": exc.status})
        return error_response(app, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(GHLError)  # type: ignore[untyped-decorator]
    def _ghl_error(exc: GHLError) -> Response[Any]:
        logger.warning(
            "GHL error", extra={"ghl_status": exc.status, "trace_id": exc.trace_id, "error": type(exc).__name__}
        )
        details = {"ghlTraceId": exc.trace_id} if exc.trace_id else None
        if isinstance(exc, GHLNotFoundError):
            return error_response(app, 404, "not_found", "GHL has no such resource", details)
        if isinstance(exc, GHLRateLimitError):
            retry_after = str(int(exc.retry_after or 10))
            return error_response(
                app, 429, "rate_limited", "GHL's rate limit was hit; retry later", details, {"Retry-After": retry_after}
            )
        if isinstance(exc, GHLTimeoutError):
            return error_response(app, 504, "ghl_timeout", "GHL did not answer in time", details)
        if isinstance(exc, GHLTransportError):
            return error_response(app, 502, "ghl_unreachable", "GHL could not be reached", details)
        return error_response(app, 502, "ghl_error", f"GHL answered with an error ({exc.status})", details)

    @app.exception_handler(StoreUnavailableError)  # type: ignore[untyped-decorator]
    def _store_down(exc: StoreUnavailableError) -> Response[Any]:
        logger.error("Token store unavailable", extra={"error": type(exc).__name__})
        return error_response(app, 503, "store_unavailable", "The token store is unavailable; retry later")

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response[Any]:
        return error_response(app, 404, "route_not_found", "No such route")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("Unhandled error")
        return error_response(app, 500, "internal_error", "Something went wrong on our side")


def current_caller(app: APIGatewayHttpResolver) -> Caller:
    """The authenticated Supabase user of this request (401 otherwise)."""
    from ghlbridge.auth import verify_caller  # PyJWT: only functions with caller routes pay for it

    return verify_caller(app.current_event.headers.get("authorization"))


def callback_url(app: APIGatewayHttpResolver) -> str:
    """`GHL_REDIRECT_URI` if set, else this API's own `/oauth/callback` (avoids a template cycle)."""
    configured = get_settings().ghl_redirect_uri
    if configured:
        return configured
    ctx = app.current_event.request_context
    stage = "" if ctx.stage in ("$default", "", None) else f"/{ctx.stage}"
    return f"https://{ctx.domain_name}{stage}/oauth/callback"


def redirect(location: str) -> Response[Any]:
    return Response(302, content_types.TEXT_PLAIN, "", headers={"Location": location, "Cache-Control": "no-store"})
