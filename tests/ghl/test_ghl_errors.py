"""The one status→class factory, transport-error mapping, and what an error may show."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ghlbridge.ghl.errors import (
    GHLBadRequestError,
    GHLConflictError,
    GHLConnectError,
    GHLError,
    GHLForbiddenError,
    GHLInvalidGrantError,
    GHLLocationAccessError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLRecordNotFoundError,
    GHLRejectedError,
    GHLRequestRejectedError,
    GHLScopeError,
    GHLServerError,
    GHLSlotUnavailableError,
    GHLStatusError,
    GHLTimeoutError,
    GHLTokenRejectedError,
    GHLTransportError,
    GHLUnauthorizedError,
    GHLUnprocessableError,
    make_status_error,
    make_transport_error,
)
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    AUTH_CODE,
    BASE_URL,
    CLIENT_SECRET,
    JWT,
    REFRESH_TOKEN,
    assert_no_secrets,
)


def answer(
    status: int,
    body: Any = None,
    *,
    method: str = "GET",
    url: str = "/contacts/c1?locationId=l1",
    headers: dict[str, str] | None = None,
    request: httpx.Request | None = None,
) -> httpx.Response:
    request = request or httpx.Request(method, BASE_URL + url)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (
            400,
            {"statusCode": 400, "message": "Bad Request", "traceId": "t-400"},
            GHLRequestRejectedError,
            "Bad Request",
        ),
        (
            401,
            {"statusCode": 401, "message": "Invalid JWT", "error": "Unauthorized", "traceId": "t-401"},
            GHLTokenRejectedError,
            "Invalid JWT",
        ),
        (
            401,
            {"statusCode": 401, "message": "Invalid token: access token is invalid", "traceId": "t-401b"},
            GHLTokenRejectedError,
            "Invalid token: access token is invalid",
        ),
        (
            401,
            {"statusCode": 401, "message": "The token is not authorized for this scope.", "traceId": "t-401c"},
            GHLScopeError,
            "The token is not authorized for this scope.",
        ),
        (
            401,
            {
                "statusCode": 401,
                "message": "This authClass type is not allowed to access this scope. "
                "Please verify your IAM configuration if this is not the case.",
                "traceId": "t-401d",
            },
            GHLUnauthorizedError,
            "This authClass type is not allowed to access this scope. "
            "Please verify your IAM configuration if this is not the case.",
        ),
        (
            401,
            {"message": "The user does not exist.", "statusCode": 401, "traceId": "t-401e"},
            GHLUnauthorizedError,
            "The user does not exist.",
        ),
        (
            403,
            {
                "statusCode": 403,
                "message": "The token does not have access to this location.",
                "traceId": "t-403",
            },
            GHLLocationAccessError,
            "The token does not have access to this location.",
        ),
        (
            404,
            {"statusCode": 404, "message": "Contact not found", "traceId": "t-404"},
            GHLNotFoundError,
            "Contact not found",
        ),
        (409, {"statusCode": 409, "message": "Duplicate", "traceId": "t-409"}, GHLConflictError, "Duplicate"),
        (
            422,
            {
                "statusCode": 422,
                "message": ["body must be a string", "userId is invalid"],
                "traceId": "t-422",
            },
            GHLUnprocessableError,
            "body must be a string; userId is invalid",
        ),
        (
            429,
            {"statusCode": 429, "message": "Too Many Requests", "traceId": "t-429"},
            GHLRateLimitError,
            "Too Many Requests",
        ),
        (
            500,
            {"statusCode": 500, "message": "Internal server error", "traceId": "t-500"},
            GHLServerError,
            "Internal server error",
        ),
        (503, {"message": "Service Unavailable", "traceId": "t-503"}, GHLServerError, "Service Unavailable"),
        (418, {"message": "I'm a teapot", "traceId": "t-418"}, GHLStatusError, "I'm a teapot"),
    ],
)
def test_status_picks_the_class_and_keeps_ghls_details(
    status: int, body: dict[str, Any], cls: type[GHLStatusError], message: str
) -> None:
    error = make_status_error(answer(status, body))

    assert type(error) is cls
    assert error.status == status
    assert error.message == message
    assert error.trace_id == body["traceId"]
    assert (error.method, error.path) == ("GET", "/contacts/c1")


def test_422_keeps_every_message() -> None:
    body = {
        "statusCode": 422,
        "message": ["Unprocessable Entity", "email must be an email"],
        "error": "Unprocessable Entity",
    }
    error = make_status_error(answer(422, body))

    assert error.messages == ["Unprocessable Entity", "email must be an email"]
    assert error.message == "Unprocessable Entity; email must be an email"
    assert error.error == "Unprocessable Entity"


def test_a_single_message_is_a_list_of_one() -> None:
    error = make_status_error(answer(400, {"message": "Bad Request"}))
    assert error.messages == ["Bad Request"]
    assert error.error is None


def test_429_carries_retry_after() -> None:
    error = make_status_error(answer(429, {"message": "slow down"}, headers={"Retry-After": "12"}))
    assert isinstance(error, GHLRateLimitError)
    assert error.retry_after == 12.0
    assert make_status_error(answer(429, {})).retry_after is None  # type: ignore[attr-defined]


def test_trace_id_from_a_header_when_the_body_has_none() -> None:
    error = make_status_error(answer(502, "<html>Bad Gateway</html>", headers={"traceid": "hdr-trace-1"}))
    assert error.trace_id == "hdr-trace-1"
    assert make_status_error(answer(502, {}, headers={"X-Trace-Id": "hdr-trace-2"})).trace_id == "hdr-trace-2"
    assert make_status_error(answer(502, {})).trace_id is None


def test_a_non_json_body_is_never_copied() -> None:
    error = make_status_error(answer(502, "<html><body>upstream said: private detail</body></html>"))
    assert type(error) is GHLServerError
    assert error.message == "Bad Gateway"  # the reason phrase, not the page
    assert "private detail" not in str(error) + repr(error)


def test_oauth_style_body_uses_error_description() -> None:
    body = {"error": "UnAuthorized!", "error_description": "Authorization code not found"}
    error = make_status_error(answer(401, body, method="POST", url="/oauth/token"))

    assert type(error) is GHLUnauthorizedError  # GHL's answer to a bad code: not invalid_grant
    assert error.message == "Authorization code not found"
    assert error.error == "UnAuthorized!"


@pytest.mark.parametrize("status", [400, 401])
def test_invalid_grant_from_the_token_endpoint(status: int) -> None:
    body = {"error": "invalid_grant", "error_description": "Invalid grant: refresh token is invalid"}
    error = make_status_error(answer(status, body, method="POST", url="/oauth/token"))

    assert type(error) is GHLInvalidGrantError
    assert (error.status, error.error) == (status, "invalid_grant")
    assert error.message == "Invalid grant: refresh token is invalid"


@pytest.mark.parametrize(
    ("status", "url", "body", "cls"),
    [
        (
            400,
            "/oauth/locationToken",
            {"error": "invalid_grant"},
            GHLBadRequestError,
        ),  # not the token endpoint
        (403, "/oauth/token", {"error": "invalid_grant"}, GHLForbiddenError),  # not 400/401
        (400, "/oauth/token", {"error": "invalid_request", "error_description": "x"}, GHLBadRequestError),
        (400, "/oauth/token", {"message": "Location is not active"}, GHLBadRequestError),
    ],
)
def test_what_is_not_invalid_grant(status: int, url: str, body: dict[str, Any], cls: type[GHLError]) -> None:
    assert type(make_status_error(answer(status, body, method="POST", url=url))) is cls


# The classification rules of docs/ghl-errors.md, with the GHL bodies they rely on.
NOT_FOUND_BODIES = [
    {"statusCode": 400, "message": f"{what} not found", "error": "Bad Request", "traceId": "t-nf"}
    for what in ("Contact", "Opportunity", "Calendar", "Conversation", "User")
]


@pytest.mark.parametrize("body", NOT_FOUND_BODIES, ids=lambda body: body["message"])
def test_a_400_saying_not_found_is_not_found(body: dict[str, Any]) -> None:
    error = make_status_error(answer(400, body))

    assert type(error) is GHLRecordNotFoundError
    assert isinstance(error, GHLNotFoundError) and isinstance(error, GHLBadRequestError)
    assert (error.status, error.trace_id, error.message) == (400, "t-nf", body["message"])


def test_another_locations_record_is_not_found() -> None:
    body = {"statusCode": 403, "message": "The token does not have access to this location.", "traceId": "t-403"}
    error = make_status_error(answer(403, body, url="/opportunities/o1"))

    assert type(error) is GHLLocationAccessError
    assert isinstance(error, GHLNotFoundError) and isinstance(error, GHLForbiddenError)


def test_a_taken_slot() -> None:
    body = {"statusCode": 400, "message": "The slot you have selected is no longer available.", "error": "Bad Request"}
    error = make_status_error(answer(400, body, method="POST", url="/calendars/events/appointments"))

    assert type(error) is GHLSlotUnavailableError
    assert not isinstance(error, GHLNotFoundError | GHLRejectedError)


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "Bad Request", GHLRequestRejectedError),
        (400, "endTime must be after startTime", GHLRequestRejectedError),
        (400, "Notfound is a word we do not split", GHLRequestRejectedError),  # `\bnot found\b` only
        (422, ["body should not be empty"], GHLUnprocessableError),
        (403, "The token does not have access to this company.", GHLForbiddenError),  # no rule: a 502
        (401, "The user does not exist.", GHLUnauthorizedError),  # a 401 is never read as "not found"
        (404, "Not Found", GHLNotFoundError),
    ],
)
def test_what_else_a_resource_call_gets(status: int, message: Any, cls: type[GHLError]) -> None:
    error = make_status_error(answer(status, {"statusCode": status, "message": message}))

    assert type(error) is cls
    assert isinstance(error, GHLRejectedError) == (status in (400, 422))


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"message": "Location not found"}, GHLBadRequestError),
        (400, {"message": "Location is not active"}, GHLBadRequestError),
        (403, {"message": "The token does not have access to this location."}, GHLForbiddenError),
    ],
)
def test_token_endpoints_keep_the_plain_status_classes(status: int, body: dict[str, Any], cls: type[GHLError]) -> None:
    """What /oauth/... refuses is our credential, never a caller's input: no resource rule applies."""
    error = make_status_error(answer(status, body, method="POST", url="/oauth/locationToken"))

    assert type(error) is cls


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"X-RateLimit-Interval-Milliseconds": "10000", "X-RateLimit-Remaining": "0"}, 10.0),
        ({"X-RateLimit-Interval-Milliseconds": "10000"}, 10.0),
        ({"Retry-After": "3", "X-RateLimit-Interval-Milliseconds": "10000"}, 3.0),
        ({"X-RateLimit-Interval-Milliseconds": "10000", "X-RateLimit-Daily-Remaining": "0"}, None),
        ({}, None),
    ],
)
def test_a_429_carries_the_wait_ghl_asked_for(headers: dict[str, str], retry_after: float | None) -> None:
    error = make_status_error(answer(429, {"message": "Too Many Requests"}, headers=headers))

    assert isinstance(error, GHLRateLimitError) and error.retry_after == retry_after


@pytest.mark.parametrize(
    ("exc", "cls", "kind"),
    [
        (httpx.ConnectError("refused"), GHLConnectError, "connect"),
        (httpx.ConnectTimeout("slow dns"), GHLConnectError, "connect"),
        (httpx.PoolTimeout("no connection"), GHLConnectError, "connect"),
        (httpx.ReadTimeout("read"), GHLTimeoutError, "timeout"),
        (httpx.WriteTimeout("write"), GHLTimeoutError, "timeout"),
        (httpx.RemoteProtocolError("Server disconnected"), GHLTimeoutError, "timeout"),
        (httpx.ReadError("reset"), GHLTimeoutError, "timeout"),
        (httpx.UnsupportedProtocol("ftp"), GHLTransportError, None),
    ],
)
def test_transport_errors(exc: httpx.TransportError, cls: type[GHLTransportError], kind: str | None) -> None:
    error = make_transport_error(exc, method="POST", path="/oauth/token")

    assert type(error) is cls
    assert error.kind == kind
    assert (error.status, error.method, error.path) == (None, "POST", "/oauth/token")
    assert type(exc).__name__ in error.message


def test_str_and_repr_show_ids_not_query_or_body() -> None:
    request = httpx.Request("PUT", BASE_URL + "/contacts/c1?locationId=l1", json={"email": "pat@example.com"})
    error = make_status_error(answer(404, {"message": "Contact not found", "traceId": "abc123"}, request=request))

    assert str(error) == "GHL PUT /contacts/c1 404: Contact not found (traceId abc123)"
    assert repr(error) == (
        "GHLNotFoundError(status=404, method='PUT', path='/contacts/c1', message='Contact not found', "
        "error=None, trace_id='abc123')"
    )
    assert "locationId" not in str(error) + repr(error)
    assert "pat@example.com" not in str(error) + repr(error)


def test_credentials_echoed_by_ghl_are_blanked() -> None:
    """If GHL ever quotes a credential back, it still never reaches str(), repr() or attributes."""
    request = httpx.Request(
        "POST",
        BASE_URL + "/oauth/token",
        data={
            "client_id": "id",
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": REFRESH_TOKEN,
        },
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    )
    body = {
        "error": f"invalid_grant {REFRESH_TOKEN}",
        "message": [f"bad secret {CLIENT_SECRET}", f"token {ACCESS_TOKEN}", f"jwt {JWT}"],
    }
    error = make_status_error(answer(400, body, request=request))

    assert_no_secrets(str(error), repr(error), error.message, *error.messages, error.error or "")
    assert error.messages[0] == "bad secret [redacted]"
    assert f"jwt {JWT}" not in error.message


def test_an_authorization_code_in_a_form_is_blanked() -> None:
    request = httpx.Request(
        "POST", BASE_URL + "/oauth/token", data={"grant_type": "authorization_code", "code": AUTH_CODE}
    )
    error = make_status_error(
        answer(401, {"error_description": f"Authorization code {AUTH_CODE} not found"}, request=request)
    )
    assert error.message == "Authorization code [redacted] not found"
