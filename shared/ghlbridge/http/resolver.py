"""The HTTP edge every function shares: the resolver, the caller's identity, the body checks, and
the answers of the one error table (`ghlbridge.error_table`) as JSON responses.

`describe` is the one table (`ghlbridge.error_table.describe`) plus the request errors only the
HTTP framework raises. Errors of Powertools' idempotency utility never get here:
`ghlbridge.idempotency.writes` turns them into `AppError`s at that boundary.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from ghlbridge import error_table, factories
from ghlbridge.error_table import ErrorReply, error_body, log_error
from ghlbridge.errors import (
    PayloadTooLargeError,
    RequestInvalidError,
    UnsupportedMediaTypeError,
    field_problem,
)
from ghlbridge.http import powertools_patches
from ghlbridge.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.event_handler.types import EventHandlerInstance
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    from ghlbridge.toolkit.context import Caller

MAX_BODY_BYTES = 64 * 1024
"""Bodies of the non-toolkit routes that read one (`POST /oauth/complete`: a ticket) are small."""


class _ReadableBodyThenValidate(OpenAPIRequestValidationMiddleware):
    """The body's size, media type and JSON (`check_body`) before Powertools' validation, which
    would answer a malformed JSON or multipart body with a 500."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        assert isinstance(app, APIGatewayHttpResolver)
        check_body(app.current_event, MAX_BODY_BYTES)
        return super().handler(app, next_middleware)


def make_resolver(*, validate: bool = False) -> APIGatewayHttpResolver:
    """A resolver with the one error table; `validate`: Powertools parses declared bodies and
    parameters (400 `invalid_request` otherwise) and documents them, after `check_body`."""
    app = APIGatewayHttpResolver(enable_validation=validate)
    if validate:
        powertools_patches.use_request_validation(app, _ReadableBodyThenValidate())
    register_error_handlers(app)
    return app


def describe(exc: Exception) -> ErrorReply:
    """The one table (`ghlbridge.error_table.describe`), plus the request errors only the HTTP
    framework raises (Powertools' validation and media type)."""
    if isinstance(exc, RequestValidationError):
        message = "The request is invalid: details names each problem"
        return ErrorReply(400, "invalid_request", message, field_errors(exc.errors()))
    if isinstance(exc, RequestUnsupportedContentType):
        return ErrorReply(415, "unsupported_media_type", "Send the request body as application/json")
    return error_table.describe(exc)


def field_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Powertools/pydantic validation errors as `{in, field, type, message}`, one per problem.

    The offending input is never echoed back (it can be a 500 KB email body, or personal data).
    """
    problems = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:]) if error.get("type") != "json_invalid" else None
        message = "The body is not valid JSON" if error.get("type") == "json_invalid" else error.get("msg")
        problems.append(field_problem(where, field or None, error.get("type"), message))
    return problems


def error_response(
    app: APIGatewayHttpResolver,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    reply = ErrorReply(status, code, message, details, headers)
    return reply_response(reply, request_id(app))


def reply_response(reply: ErrorReply, request_id: str | None) -> Response[Any]:
    headers = dict(reply.headers) if reply.headers else None
    return Response(reply.status, content_types.APPLICATION_JSON, error_body(reply, request_id), headers=headers)


def request_id(app: APIGatewayHttpResolver) -> str | None:
    try:
        return str(app.current_event.request_context.request_id)
    except (AttributeError, KeyError):
        return None


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Every error goes through `describe`, the one place where an error type becomes an HTTP status."""

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _any_error(exc: Exception) -> Response[Any]:
        reply = describe(exc)
        log_error(exc, reply)
        return reply_response(reply, request_id(app))

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response[Any]:
        return error_response(app, 404, "route_not_found", "No such route")


def current_caller(app: APIGatewayHttpResolver) -> Caller:
    """The authenticated Supabase user of this request (401 otherwise)."""
    return factories.get_verified_callers().verify(app.current_event.headers.get("authorization"))


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


def check_body(event: APIGatewayProxyEventV2, max_bytes: int) -> None:
    """413 above `max_bytes`; 415 unless JSON (a multipart or form body is never parsed); 400 for a
    JSON body that cannot be read (not UTF-8, not JSON, nested past Python's recursion limit, an
    integer past its digit limit): Powertools' parse would let the last two through as 500s. Parsed
    once here; validation reuses the parse."""
    body = event.body
    if not body:
        return
    size = len(body) * 3 // 4 if event.is_base64_encoded else len(body.encode())
    if size > max_bytes:
        raise PayloadTooLargeError(f"Request bodies are limited to {max_bytes // 1024} KiB")
    content_type = event.headers.get("content-type", "").strip().lower()
    if content_type and not content_type.startswith("application/json"):
        # Powertools would also parse forms and multipart (and answer a malformed multipart with a 500).
        raise UnsupportedMediaTypeError("Send the request body as application/json")
    try:
        event.json_body  # noqa: B018 - a cached property: validation reads this very parse
    except (binascii.Error, UnicodeDecodeError):
        raise _unreadable("body_encoding", "The body is not UTF-8 JSON") from None
    except RecursionError:
        raise _unreadable("body_too_deep", "The body's JSON is nested too deeply") from None
    except ValueError:  # JSONDecodeError, and the int-digits limit json.loads enforces
        raise _unreadable("json_invalid", "The body is not valid JSON") from None


def _unreadable(kind: str, message: str) -> RequestInvalidError:
    return RequestInvalidError(message, details=[field_problem("body", None, kind, message)])
