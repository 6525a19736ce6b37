"""Errors a caller of our API can be told about. One base (`AppError`); each subclass carries its
HTTP status and a stable machine-readable `code`. `ghlbridge.http.resolver.describe` is the one table that
turns them (and GHL and store errors) into JSON answers; `register_error_handlers` installs it.

Messages are written for the caller and never contain a token, secret, code or JWT.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class RequestInvalidError(AppError):
    status = 400
    code = "invalid_request"


def field_problem(where: str, field: str | None, kind: str, message: str) -> dict[str, Any]:
    """One entry of an invalid request's `details`: where (`body`, `query`...), which field (None for
    the whole), the kind of problem and a message. Never the offending value."""
    return {"in": where, "field": field, "type": kind, "message": message}


class CallerUnauthenticatedError(AppError):
    status = 401
    code = "unauthenticated"


class WebhookSignatureError(AppError):
    status = 401
    code = "invalid_signature"


class CallerForbiddenError(AppError):
    status = 403
    code = "forbidden"


class InstallationNotFoundError(AppError):
    status = 404
    code = "installation_not_found"


class ReauthorizationRequiredError(AppError):
    status = 409
    code = "reauthorization_required"


class PayloadTooLargeError(AppError):
    status = 413
    code = "payload_too_large"


class TokenRefreshError(AppError):
    """A refresh could not be completed now (GHL unreachable, outcome unknown, lease held too long).

    `retry_after` (seconds) is when a new attempt can go through, when the refresher knows it; it is
    also in `details` as `retryAfter`."""

    status = 503
    code = "token_refresh_unavailable"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message, details={"retryAfter": retry_after} if retry_after is not None else None)
        self.retry_after = retry_after


# --- the toolkit API ---------------------------------------------------------------------------


NOT_FOUND_MESSAGE = "GHL has no such resource in this location"
"""The message of every GHL `not_found`: an unknown id and another location's id look the same."""


class ResourceNotFoundError(AppError):
    """No such resource in the caller's location: an unknown id, or another location's (which looks
    exactly like one that does not exist). For GHL resources always `NOT_FOUND_MESSAGE`, no details."""

    status = 404
    code = "not_found"


class CursorInvalidError(AppError):
    """A list cursor that we did not issue, was altered, or was issued for other filters."""

    status = 400
    code = "invalid_cursor"


class IdempotencyKeyRequiredError(AppError):
    """A toolkit POST without an `Idempotency-Key` header: without it a retry could send twice."""

    status = 400
    code = "idempotency_key_required"


class RequestInProgressError(AppError):
    """The same Idempotency-Key is being processed by another request right now."""

    status = 409
    code = "request_in_progress"


class IdempotencyKeyReusedError(AppError):
    """The Idempotency-Key was already used for a different request (another body or resource)."""

    status = 422
    code = "idempotency_key_reused"


class OutcomeUnknownError(AppError):
    """A send reached GHL but its outcome is unknown (timeout, 5xx, unreadable answer). This answer
    is stored under the Idempotency-Key: a retry with the same key gets it again, never a resend."""

    status = 504
    code = "outcome_unknown"


class UnsupportedMediaTypeError(AppError):
    """A request body that is not JSON (the toolkit API reads nothing else)."""

    status = 415
    code = "unsupported_media_type"


# --- team access -------------------------------------------------------------------------------


class MemberExistsError(AppError):
    """`POST .../members` for a user who is already a member with ANOTHER role (change it with PATCH)."""

    status = 409
    code = "member_exists"


class LastOwnerError(AppError):
    """The change would leave the location without an owner (the last owner can neither leave nor
    be demoted or removed)."""

    status = 409
    code = "last_owner"


class GhlUserTakenError(AppError):
    """Another member of the location is already linked to that GHL user."""

    status = 409
    code = "ghl_user_taken"


class SlotUnavailableError(AppError):
    """The appointment's new slot is not among the calendar's free slots (checked before sending)."""

    status = 409
    code = "slot_unavailable"
