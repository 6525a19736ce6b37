"""Errors a caller of our API can be told about. One base (`AppError`); each subclass carries its
HTTP status and a stable machine-readable `code`. `ghlbridge.api.register_error_handlers` is the
one table that turns them (and GHL and store errors) into JSON responses.

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
    """A refresh could not be completed now (GHL unreachable, outcome unknown, lease held too long)."""

    status = 503
    code = "token_refresh_unavailable"
