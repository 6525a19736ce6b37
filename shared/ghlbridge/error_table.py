"""The one error table: every error type → (status, code, message, details), and the envelope.

`describe` IS the table. The HTTP edge's exception handler (`ghlbridge.http.resolver`) answers with it, and
the toolkit uses the same function for the errors it must return rather than raise (an outcome
stored under an Idempotency-Key, a step that failed after a write succeeded), so no status is
chosen anywhere else. This module imports nothing of the HTTP framework: the toolkit domain can use
it, and the framework's own request errors are added by `ghlbridge.http.resolver.describe`.

Error envelope: `{"error": {"code", "message", "requestId", "details"?}}`. Messages are ours, never
a token, secret, code or JWT; GHL errors keep GHL's traceId, status and (credential-redacted)
messages, so a caller can tell what GHL refused. Every code is documented in `ghlbridge.http.document`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ghlbridge.errors import NOT_FOUND_MESSAGE, AppError, ResourceNotFoundError, TokenRefreshError
from ghlbridge.ghl.errors import (
    GHLError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLRejectedError,
    GHLScopeError,
    GHLSlotUnavailableError,
    GHLStatusError,
    GHLTimeoutError,
    GHLTransportError,
)
from ghlbridge.observability import logger
from ghlbridge.store import StoreUnavailableError

DEFAULT_RETRY_AFTER_SECONDS = 10


@dataclass(frozen=True)
class ErrorReply:
    """What a caller is told about one error."""

    status: int
    code: str
    message: str
    details: Any = None
    headers: Mapping[str, str] | None = None


def describe(exc: Exception) -> ErrorReply:
    """The one table: the status, code and message a caller gets for an error (the HTTP edge,
    `ghlbridge.http.resolver.describe`, adds the two that only its framework raises)."""
    if isinstance(exc, TokenRefreshError) and exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}  # when the refresher knows a new attempt can go through
        return ErrorReply(exc.status, exc.code, exc.message, exc.details, headers)
    if isinstance(exc, AppError):
        return ErrorReply(exc.status, exc.code, exc.message, exc.details)
    if isinstance(exc, GHLError):
        return _describe_ghl(exc)
    if isinstance(exc, StoreUnavailableError):
        return ErrorReply(503, "store_unavailable", "The token store is unavailable; retry later")
    from ghlbridge.secrets import SecretsUnavailableError  # only an error path pays for the import

    if isinstance(exc, SecretsUnavailableError):
        return ErrorReply(503, "secrets_unavailable", "The app's secrets are unavailable; retry later")
    return ErrorReply(500, "internal_error", "Something went wrong on our side")


def _describe_ghl(exc: GHLError) -> ErrorReply:
    """GHL's answer as ours; the classes come from `ghlbridge.ghl.errors.make_status_error`, and the
    rules with the GHL bodies they rely on are in `docs/ghl-errors.md`."""
    if isinstance(exc, GHLNotFoundError):
        # A 404, a 400 "<What> not found", another location's record (403): one answer for all,
        # so a caller cannot tell whether an id exists in another location.
        return describe(ResourceNotFoundError(NOT_FOUND_MESSAGE))
    details: dict[str, Any] = {"ghlTraceId": exc.trace_id} if exc.trace_id else {}
    if isinstance(exc, GHLStatusError):
        details = {"ghlStatus": exc.status, "ghlMessages": exc.messages} | details
    found = details or None  # `GhlDetails`: what GHL said, as far as it said anything
    if isinstance(exc, GHLSlotUnavailableError | GHLRejectedError):  # `GhlRejection`: all three, always
        rejection = {"ghlStatus": exc.status, "ghlMessages": exc.messages, "ghlTraceId": exc.trace_id}
        if isinstance(exc, GHLSlotUnavailableError):
            return ErrorReply(409, "slot_unavailable", "The slot is no longer available; pick another one", rejection)
        return ErrorReply(422, "ghl_rejected", "GHL refused the request; details.ghlMessages says why", rejection)
    if isinstance(exc, GHLScopeError):
        # The installation predates a scope this call needs: only a reinstall grants it.
        reason = {"reason": "missing_scope", "authorize": "GET /oauth/authorize"}
        return ErrorReply(409, "reauthorization_required", "The GHL installation lacks a scope; reinstall it", reason)
    if isinstance(exc, GHLRateLimitError):
        retry_after = str(math.ceil(exc.retry_after or DEFAULT_RETRY_AFTER_SECONDS))
        message = "GHL's rate limit was hit; retry later"
        return ErrorReply(429, "rate_limited", message, found, {"Retry-After": retry_after})
    if isinstance(exc, GHLTimeoutError):
        return ErrorReply(504, "ghl_timeout", "GHL did not answer in time", found)
    if isinstance(exc, GHLTransportError):
        return ErrorReply(502, "ghl_unreachable", "GHL could not be reached", found)
    status = f" ({exc.status})" if exc.status else ""
    return ErrorReply(502, "ghl_error", f"GHL answered with an error{status}", found)


def error_body(reply: ErrorReply, request_id: str | None) -> dict[str, Any]:
    """The envelope `{"error": {...}}` of `reply`."""
    body: dict[str, Any] = {"code": reply.code, "message": reply.message, "requestId": request_id}
    if reply.details is not None:
        body["details"] = reply.details
    return {"error": body}


def log_error(exc: Exception, reply: ErrorReply) -> None:
    """One log line per refused or failed request: ids and classes, never payloads."""
    fields: dict[str, Any] = {"code": reply.code, "status": reply.status, "error": type(exc).__name__}
    if isinstance(exc, GHLError):
        logger.warning("GHL error", extra=fields | {"ghl_status": exc.status, "trace_id": exc.trace_id})
    elif reply.status == 500:
        logger.exception("Unhandled error", extra=fields)
    elif reply.status == 503:
        logger.error("Dependency unavailable", extra=fields)
    else:
        logger.info("Request refused", extra=fields)
