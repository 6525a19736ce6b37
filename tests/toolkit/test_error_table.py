"""`ghlbridge.http.resolver.describe`, the one error table: every error a request can meet has a status, a
stable code and a message without secrets, and every code is documented (`ghlbridge.http.document`)."""

from __future__ import annotations

import importlib
import pkgutil

import httpx
import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import TypeAdapter

import ghlbridge
from ghlbridge import errors
from ghlbridge.ghl import errors as ghl_errors
from ghlbridge.http import resolver
from ghlbridge.http.document import ERROR_CODES
from ghlbridge.secrets import SecretsUnavailableError
from ghlbridge.store import StoreUnavailableError
from tests.ghl.ghl_testkit import ACCESS_TOKEN


def all_app_errors() -> list[type[errors.AppError]]:
    for module in pkgutil.walk_packages(ghlbridge.__path__, "ghlbridge."):
        importlib.import_module(module.name)
    found: list[type[errors.AppError]] = []
    pending = list(errors.AppError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def ghl_error(status: int, body: object = None, headers: dict[str, str] | None = None) -> ghl_errors.GHLStatusError:
    request = httpx.Request("POST", "https://services.leadconnectorhq.com/contacts/c1/notes")
    request.headers["Authorization"] = f"Bearer {ACCESS_TOKEN}"
    return ghl_errors.make_status_error(httpx.Response(status, json=body or {}, headers=headers, request=request))


@pytest.mark.parametrize("cls", all_app_errors(), ids=lambda cls: cls.__name__)
def test_every_app_error_code_is_documented_with_its_status(cls: type[errors.AppError]) -> None:
    assert cls.code in ERROR_CODES, f"{cls.__name__}.code {cls.code!r} is not in ghlbridge.http.document.ERROR_CODES"
    assert ERROR_CODES[cls.code][0] == cls.status


CASES = [
    (ghl_error(404, {"message": "Not Found", "traceId": "t-1"}), 404, "not_found"),
    (ghl_error(403, {"message": "The token does not have access to this location."}), 404, "not_found"),
    (ghl_error(429, {"message": "slow"}, {"Retry-After": "12"}), 429, "rate_limited"),
    (ghl_error(400, {"message": "Contact not found"}), 404, "not_found"),
    (ghl_error(400, {"message": "Opportunity not found"}), 404, "not_found"),
    (ghl_error(400, {"message": "The slot you have selected is no longer available."}), 409, "slot_unavailable"),
    (ghl_error(400, {"message": "Bad Request"}), 422, "ghl_rejected"),
    (ghl_error(422, {"message": ["a", "b"]}), 422, "ghl_rejected"),
    (ghl_error(401, {"message": "Invalid JWT"}), 502, "ghl_error"),
    (ghl_error(401, {"message": "This authClass type is not allowed to access this scope."}), 502, "ghl_error"),
    (ghl_error(401, {"message": "The token is not authorized for this scope."}), 409, "reauthorization_required"),
    (ghl_error(403, {"message": "The token does not have access to this company."}), 502, "ghl_error"),
    (ghl_error(409, {"message": "Duplicate"}), 502, "ghl_error"),
    (ghl_error(500, {"message": "boom"}), 502, "ghl_error"),
    (ghl_errors.GHLTimeoutError("no answer", method="GET", path="/x"), 504, "ghl_timeout"),
    (ghl_errors.GHLConnectError("refused", method="GET", path="/x"), 502, "ghl_unreachable"),
    (ghl_errors.GHLInvalidResponseError("not JSON", status=200), 502, "ghl_error"),
    (StoreUnavailableError("down"), 503, "store_unavailable"),
    (SecretsUnavailableError("extension down"), 503, "secrets_unavailable"),
    (
        RequestValidationError([{"loc": ("query", "limit"), "type": "int_parsing", "msg": "m", "input": "x"}]),
        400,
        "invalid_request",
    ),
    (errors.OutcomeUnknownError("unknown"), 504, "outcome_unknown"),
    (errors.OutcomeUnknownError("unknown", details={"ghlTraceId": "t-2"}), 504, "outcome_unknown"),
    (ghl_error(401, {"message": "scope"}, {}), 502, "ghl_error"),
    (
        errors.ReauthorizationRequiredError("x", details={"reason": None, "authorize": "GET /oauth/authorize"}),
        409,
        "reauthorization_required",
    ),
    (errors.ReauthorizationRequiredError("x", details={"reason": "no_refresh_token"}), 409, "reauthorization_required"),
    (
        errors.RequestInvalidError("x", details=[errors.field_problem("body", None, "json_invalid", "m")]),
        400,
        "invalid_request",
    ),
]


@pytest.mark.parametrize(
    ("exc", "status", "code"), CASES, ids=[f"{type(c[0]).__name__}-{c[2]}-{n}" for n, c in enumerate(CASES)]
)
def test_the_table(exc: Exception, status: int, code: str) -> None:
    reply = resolver.describe(exc)

    assert (reply.status, reply.code) == (status, code)
    assert ERROR_CODES[code][0] == status
    assert ACCESS_TOKEN not in f"{reply.message} {reply.details}"
    documented = ERROR_CODES[code]
    if reply.details is None:
        assert not documented.details_always, f"{code} always carries details"
    else:
        assert documented.details is not None, f"{code} is documented without details"
        shape = TypeAdapter(documented.details)
        assert shape.validate_python(reply.details, strict=True) == reply.details  # nothing undocumented dropped


def test_every_form_of_not_found_gets_the_same_answer() -> None:
    """An unknown id (GHL 400 "<What> not found", or a 404) and another location's id (GHL 403) must
    not be told apart: same status, code and message, no details naming GHL's status or message."""
    forms = [
        ghl_error(400, {"statusCode": 400, "message": "Contact not found", "traceId": "t-1"}),
        ghl_error(400, {"statusCode": 400, "message": "Opportunity not found"}),
        ghl_error(
            403, {"statusCode": 403, "message": "The token does not have access to this location.", "traceId": "t-2"}
        ),
        ghl_error(404, {"statusCode": 404, "message": "Not Found", "traceId": "t-3"}),
        errors.ResourceNotFoundError(errors.NOT_FOUND_MESSAGE),  # GHL's 200 for a record of another location
    ]

    bodies = {repr(resolver.error_body(resolver.describe(form), "req-1")) for form in forms}

    assert bodies == {repr({"error": {"code": "not_found", "message": errors.NOT_FOUND_MESSAGE, "requestId": "req-1"}})}


def test_a_rate_limit_retry_after_is_rounded_up() -> None:
    assert resolver.describe(ghl_error(429, headers={"Retry-After": "0.2"})).headers == {"Retry-After": "1"}
    assert resolver.describe(ghl_error(429, headers={"X-RateLimit-Interval-Milliseconds": "10000"})).headers == {
        "Retry-After": "10"
    }


def test_a_rate_limit_without_a_hint_still_says_when_to_retry() -> None:
    assert resolver.describe(ghl_error(429)).headers == {"Retry-After": "10"}


def test_validation_details_never_echo_the_input() -> None:
    exc = RequestValidationError(
        [{"loc": ("body", "html"), "type": "string_too_long", "msg": "too long", "input": "SECRET-INPUT"}]
    )

    assert resolver.describe(exc).details == [
        {"in": "body", "field": "html", "type": "string_too_long", "message": "too long"}
    ]


def test_ghl_details_keep_status_messages_and_trace_id() -> None:
    reply = resolver.describe(ghl_error(422, {"message": ["x must be y"], "traceId": "t-9"}))

    assert reply.details == {"ghlTraceId": "t-9", "ghlStatus": 422, "ghlMessages": ["x must be y"]}


def test_anything_else_is_a_500_without_its_text() -> None:
    reply = resolver.describe(RuntimeError("db password is hunter2"))

    assert (reply.status, reply.code) == (500, "internal_error") and "hunter2" not in reply.message
