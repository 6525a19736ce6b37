"""OpenAPI documentation shared by every function's routes: the error envelope, every error code
with its status, and the bearer security requirement.

Routes pass `responses(success_status, SuccessModel, *codes)` to their decorator, so each
operation of the generated document (`scripts/openapi.py`) lists its success schema and, per
status, the error codes it can answer with. `tests/project/test_openapi.py` checks this table
against the error classes and `ghlbridge.api.describe`, so a code cannot go undocumented.

Nothing here runs at request time; the models are built lazily (`defer_build`), so a function
pays nothing for its documentation at cold start.
"""

from __future__ import annotations

from typing import Any, Final

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

BEARER_SCHEME: Final = "supabaseJwt"
BEARER: Final[list[dict[str, list[str]]]] = [{BEARER_SCHEME: []}]
"""`security=` of every route that needs the caller's Supabase Auth JWT."""


def security_schemes() -> dict[str, Any]:
    """The schemes `BEARER` names, for `get_openapi_schema(security_schemes=...)` (documentation only)."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    description = "The signed-in user's Supabase Auth access token (`session.access_token`)."
    return {BEARER_SCHEME: HTTPBearer(bearerFormat="JWT", description=description)}


ERROR_CODES: Final[dict[str, tuple[int, str]]] = {
    "invalid_request": (400, "a path, query, header or body field is invalid; `details` names each one"),
    "invalid_cursor": (400, "`cursor` was not issued by this API, was altered, or was issued for other filters"),
    "idempotency_key_required": (400, "the `Idempotency-Key` header is missing"),
    "invalid_install_ticket": (
        400,
        "the install ticket is unknown, expired, already used, another user's, or its installation changed since",
    ),
    "install_failed": (400, "the OAuth callback cannot complete (answered as a redirect to the toolkit)"),
    "unauthenticated": (401, "no valid Supabase Auth JWT in `Authorization: Bearer ...`"),
    "invalid_signature": (401, "the webhook signature is missing or invalid"),
    "stale_webhook": (401, "the webhook's signed timestamp is outside the accepted window"),
    "forbidden": (403, "the caller is not a member of this location, or not an owner where an owner is needed"),
    "not_found": (
        404,
        "GHL has no such resource in this location: an unknown id and another location's id get the same answer",
    ),
    "installation_not_found": (404, "the location has no GHL installation"),
    "route_not_found": (404, "no such route"),
    "reauthorization_required": (
        409,
        "the location's GHL installation must be reinstalled; `details.authorize` names the route that starts it",
    ),
    "request_in_progress": (409, "a request with the same Idempotency-Key is being processed; retry later"),
    "member_exists": (409, "the user is already a member with another role; change the role with PATCH"),
    "last_owner": (409, "the change would leave the location without an owner"),
    "ghl_user_taken": (409, "another member of the location is linked to that GHL user"),
    "slot_unavailable": (
        409,
        "the appointment's slot is no longer available (GHL: someone booked it); `details` has GHL's status, "
        "messages and traceId",
    ),
    "payload_too_large": (413, "the request body is too large"),
    "unsupported_media_type": (415, "the request body is not application/json"),
    "idempotency_key_reused": (422, "the Idempotency-Key was already used for a different request"),
    "ghl_rejected": (
        422,
        "GHL refused what the request said (its 400 or 422); `details` is "
        "`{ghlStatus, ghlMessages, ghlTraceId}`, GHL's messages say why",
    ),
    "rate_limited": (429, "GHL's rate limit was hit; wait `Retry-After` seconds (the wait GHL asked for)"),
    "ghl_error": (
        502,
        "GHL failed (5xx), answered unreadably, or refused in a way no rule covers; `details` has GHL's status, "
        "messages and traceId",
    ),
    "ghl_unreachable": (502, "GHL could not be reached"),
    "store_unavailable": (503, "the token store is unavailable; retry later"),
    "secrets_unavailable": (503, "the app's secrets are unavailable; retry later"),
    "token_refresh_unavailable": (503, "the location's GHL token could not be refreshed now; retry later"),
    "ghl_timeout": (504, "GHL did not answer in time (a read: safe to retry)"),
    "outcome_unknown": (
        504,
        "the send reached GHL but its outcome is unknown; this answer is replayed for the same Idempotency-Key, "
        "so check GHL before sending again with a new key",
    ),
}


class ErrorBody(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str = Field(description="Stable machine-readable code (see the descriptions per status)")
    message: str = Field(description="For people; never contains a token or secret")
    requestId: str | None = Field(description="API Gateway's request id, for support")
    details: Any = Field(default=None, description="Per code: field errors, GHL's traceId/status/messages, ...")


class ErrorEnvelope(BaseModel):
    """Every error answer of this API."""

    model_config = ConfigDict(defer_build=True)

    error: ErrorBody


def responses(
    status: int,
    model: Any,
    *codes: str,
    description: str = "Success",
    headers: dict[str, Any] | None = None,
) -> dict[int, OpenAPIResponse]:
    """`responses=` of a route: the success (`model` a pydantic model, a JSON schema dict, or None
    for an empty text/plain body, as a redirect has) and each error status of `codes`, described
    by the codes it can carry."""
    success: OpenAPIResponse = {"description": description}
    if isinstance(model, dict):  # a JSON schema, for an answer without a model of its own
        success["content"] = {"application/json": {"schema": model}}
    elif model is not None:
        success["content"] = {"application/json": {"model": model}}
    else:  # said explicitly: Powertools would document the return annotation as JSON otherwise
        success["content"] = {"text/plain": {"schema": {"type": "string", "maxLength": 0}}}
    if headers:
        success["headers"] = headers
    documented: dict[int, OpenAPIResponse] = {status: success}
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_CODES[code][0], []).append(code)
    for error_status, error_codes in sorted(by_status.items()):
        lines = "; ".join(f"`{code}`: {ERROR_CODES[code][1]}" for code in error_codes)
        answer: OpenAPIResponse = {
            "description": lines,
            "content": {"application/json": {"model": ErrorEnvelope}},
        }
        if error_status == 429:
            answer["headers"] = {
                "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
            }
        documented[error_status] = answer
    return documented
