"""OpenAPI documentation shared by every function's routes: the error envelope, every error code
with its status and the shape of its `details`, and the bearer security requirement.

`ERROR_CODES` is the one table of codes: adding a code is one entry (status, description, and the
type of its `details`, if it has any). Routes pass `responses(success_status, SuccessModel, *codes)`
to their decorator, so each operation of the generated document (`scripts/openapi.py`) lists its
success schema and, per error status, a union of the codes it can answer with there, discriminated
by `code` (each code one schema, `Error<Code>`, with its own `details`). `tests/toolkit/test_error_table.py`
checks this table against the error classes and `ghlbridge.http.resolver.describe`, so a code cannot go
undocumented and a `details` cannot differ from its documented type.

Nothing here runs at request time, and nothing is built at import: the `details` shapes are
TypedDicts, turned into JSON schemas only by `error_schemas` when the document is generated, so a
function pays nothing for its documentation at cold start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, NamedTuple, NotRequired, TypedDict

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

BEARER_SCHEME: Final = "supabaseJwt"
BEARER: Final[list[dict[str, list[str]]]] = [{BEARER_SCHEME: []}]
"""`security=` of every route that needs the caller's Supabase Auth JWT."""


def security_schemes() -> dict[str, Any]:
    """The schemes `BEARER` names, for `get_openapi_schema(security_schemes=...)` (documentation only)."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    description = "The signed-in user's Supabase Auth access token (`session.access_token`)."
    return {BEARER_SCHEME: HTTPBearer(bearerFormat="JWT", description=description)}


FieldProblem = TypedDict(
    "FieldProblem",
    {
        "in": Literal["path", "query", "header", "body"],
        "field": str | None,
        "type": str,
        "message": str,
    },
)
"""One invalid field (`ghlbridge.errors.field_problem`): where, which field (null: the body as a whole),
the kind of problem (pydantic's error type, or ours, e.g. `stage_not_in_pipeline`), and a message.
Never the value sent."""


class WebhookFieldProblem(TypedDict):
    """One invalid field of a webhook body."""

    field: str
    problem: str


class GhlDetails(TypedDict, total=False):
    """What GHL said, as far as it said anything: its HTTP status and messages (credentials redacted)
    when it answered with an error status, and its traceId when it gave one."""

    ghlStatus: int
    ghlMessages: list[str]
    ghlTraceId: str


class GhlRejection(TypedDict):
    """What GHL refused and why (`ghl_rejected`, `slot_unavailable`): its status, its messages
    (credentials redacted) and its traceId (null when it sent none)."""

    ghlStatus: int
    ghlMessages: list[str]
    ghlTraceId: str | None


class GhlTrace(TypedDict, total=False):
    """GHL's traceId, when GHL gave one."""

    ghlTraceId: str


class ReauthorizationDetails(TypedDict):
    """Why the installation needs a reinstall (e.g. `missing_scope`, `no_refresh_token`, `invalid_grant: ...`;
    null when the store recorded no reason), and, when given, the route that starts one."""

    reason: str | None
    authorize: NotRequired[Literal["GET /oauth/authorize"]]


class ErrorCode(NamedTuple):
    """One error code: its status, what it means, and the type of its `details` (None: never sent)."""

    status: int
    description: str
    details: Any = None
    details_always: bool = False
    """`details` is on every answer with this code (else it may be absent)."""


ERROR_CODES: Final[dict[str, ErrorCode]] = {
    "invalid_request": ErrorCode(
        400,
        "a path, query, header or body field is invalid; `details` names each one",
        list[FieldProblem],
        details_always=True,
    ),
    "invalid_cursor": ErrorCode(
        400, "`cursor` was not issued by this API, was altered, or was issued for other filters"
    ),
    "idempotency_key_required": ErrorCode(400, "the `Idempotency-Key` header is missing"),
    "invalid_install_ticket": ErrorCode(
        400,
        "the install ticket is unknown, expired, already used, another user's, or its installation changed since",
    ),
    "install_failed": ErrorCode(400, "the OAuth callback cannot complete (answered as a redirect to the toolkit)"),
    "unauthenticated": ErrorCode(401, "no valid Supabase Auth JWT in `Authorization: Bearer ...`"),
    "invalid_signature": ErrorCode(401, "the webhook signature is missing or invalid"),
    "stale_webhook": ErrorCode(401, "the webhook's signed timestamp is outside the accepted window"),
    "forbidden": ErrorCode(
        403, "the caller is not a member of this location, or not an owner where an owner is needed"
    ),
    "not_found": ErrorCode(
        404,
        "GHL has no such resource in this location: an unknown id and another location's id get the same answer",
    ),
    "installation_not_found": ErrorCode(404, "the location has no GHL installation"),
    "route_not_found": ErrorCode(
        404, "no such route: an unknown path or method, or a path id with characters no id can have"
    ),
    "reauthorization_required": ErrorCode(
        409,
        "the location's GHL installation must be reinstalled; `details.authorize` names the route that starts it",
        ReauthorizationDetails,
        details_always=True,
    ),
    "request_in_progress": ErrorCode(409, "a request with the same Idempotency-Key is being processed; retry later"),
    "member_exists": ErrorCode(409, "the user is already a member with another role; change the role with PATCH"),
    "last_owner": ErrorCode(409, "the change would leave the location without an owner"),
    "ghl_user_taken": ErrorCode(409, "another member of the location is linked to that GHL user"),
    "slot_unavailable": ErrorCode(
        409,
        "the appointment's slot is not free: not among the calendar's free slots (no `details`), or GHL refused "
        "it (someone booked it first; `details` has GHL's status, messages and traceId)",
        GhlRejection,
    ),
    "payload_too_large": ErrorCode(413, "the request body is too large"),
    "unsupported_media_type": ErrorCode(415, "the request body is not application/json"),
    "idempotency_key_reused": ErrorCode(422, "the Idempotency-Key was already used for a different request"),
    "ghl_rejected": ErrorCode(
        422,
        "GHL refused what the request said (its 400 or 422); `details` is `{ghlStatus, ghlMessages, ghlTraceId}`, "
        "GHL's messages say why",
        GhlRejection,
        details_always=True,
    ),
    "rate_limited": ErrorCode(
        429, "GHL's rate limit was hit; wait `Retry-After` seconds (the wait GHL asked for)", GhlDetails
    ),
    "ghl_error": ErrorCode(
        502,
        "GHL failed (5xx), answered unreadably, or refused in a way no rule covers; `details` has GHL's status, "
        "messages and traceId",
        GhlDetails,
    ),
    "ghl_unreachable": ErrorCode(502, "GHL could not be reached", GhlTrace),
    "store_unavailable": ErrorCode(503, "the token store is unavailable; retry later"),
    "secrets_unavailable": ErrorCode(503, "the app's secrets are unavailable; retry later"),
    "token_refresh_unavailable": ErrorCode(503, "the location's GHL token could not be refreshed now; retry later"),
    "ghl_timeout": ErrorCode(504, "GHL did not answer in time (a read: safe to retry)", GhlTrace),
    "outcome_unknown": ErrorCode(
        504,
        "the send reached GHL but its outcome is unknown; this answer is replayed for the same Idempotency-Key, "
        "so check GHL before sending again with a new key",
        GhlTrace,
    ),
}

ERROR_VARIANTS: Final[dict[str, tuple[str, ErrorCode]]] = {
    "ErrorInvalidWebhook": (
        "invalid_request",
        ErrorCode(400, "the webhook body is not a JSON object with valid fields", list[WebhookFieldProblem]),
    ),
}
"""A code whose `details` differ on some route: the variant's schema name → (code, entry). A route
names it in `responses(..., variants=...)` instead of the code's own schema."""


def error_schema_name(code: str) -> str:
    """`invalid_request` → `ErrorInvalidRequest`: the schema of the `error` of that code."""
    return "Error" + "".join(part.capitalize() for part in code.split("_"))


def _error_entry(name: str) -> tuple[str, ErrorCode]:
    """The code and entry of a schema name of `error_schema_name` or `ERROR_VARIANTS`."""
    if name in ERROR_VARIANTS:
        return ERROR_VARIANTS[name]
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in name.removeprefix("Error")).lstrip("_")
    return code, ERROR_CODES[code]


def error_schemas(names: Iterable[str]) -> dict[str, Any]:
    """The component schemas `names` (`Error<Code>` or a variant) refer to, with their details' shapes.
    Called by `scripts/openapi.py` only: this is where pydantic builds the JSON schemas."""
    from pydantic import TypeAdapter

    ref_template = "#/components/schemas/{model}"
    found: dict[str, Any] = {}
    for name in sorted(set(names)):
        code, entry = _error_entry(name)
        properties: dict[str, Any] = {
            "code": {"type": "string", "enum": [code]},
            "message": {"type": "string", "description": "For people; never contains a token or secret"},
            "requestId": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "API Gateway's request id, for support",
            },
        }
        required = ["code", "message", "requestId"]
        if entry.details is not None:
            details = TypeAdapter(entry.details).json_schema(ref_template=ref_template)
            found.update(details.pop("$defs", {}))
            if "title" in details:  # a shape of its own (not a list of them): a schema of its own too
                found[details["title"]] = details
                details = {"$ref": ref_template.format(model=details["title"])}
            properties["details"] = details
            if entry.details_always:
                required.append("details")
        found[name] = {
            "title": name,
            "description": f"`{code}` ({entry.status}): {entry.description}",
            "type": "object",
            "properties": properties,
            "required": required,
        }
    return found


def error_envelope(schemas: dict[str, str]) -> dict[str, Any]:
    """The schema of an error answer that can carry the codes of `schemas` (code → schema name): the
    envelope around a union of their `error` schemas, discriminated by `code`."""
    mapping = {code: f"#/components/schemas/{name}" for code, name in schemas.items()}
    return {
        "type": "object",
        "properties": {
            "error": {
                "oneOf": [{"$ref": ref} for ref in mapping.values()],
                "discriminator": {"propertyName": "code", "mapping": mapping},
            }
        },
        "required": ["error"],
    }


def responses(
    status: int,
    model: Any,
    *codes: str,
    description: str = "Success",
    headers: dict[str, Any] | None = None,
    variants: Iterable[str] = (),
    also: Mapping[int, str] | None = None,
) -> dict[int, OpenAPIResponse]:
    """`responses=` of a route: the success (`model` a pydantic model, a JSON schema dict, or None
    for an empty text/plain body, as a redirect has) and each error status of `codes`, described
    by the codes it can carry, its schema the union of theirs. `variants` (names in `ERROR_VARIANTS`)
    replace the schema of their code on this route. `also`: other success statuses with the same
    answer, and what each means (e.g. 200 "already a member" beside a 201)."""
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
    for other, meaning in (also or {}).items():
        documented[other] = {**success, "description": meaning}
    instead = {ERROR_VARIANTS[name][0]: name for name in variants}
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_CODES[code].status, []).append(code)
    for error_status, error_codes in sorted(by_status.items()):
        schemas = {code: instead.get(code) or error_schema_name(code) for code in error_codes}
        lines = "; ".join(f"`{code}`: {_error_entry(schemas[code])[1].description}" for code in error_codes)
        answer: OpenAPIResponse = {
            "description": lines,
            "content": {"application/json": {"schema": error_envelope(schemas)}},
        }
        if error_status == 429:
            answer["headers"] = {
                "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
            }
        documented[error_status] = answer
    return documented
