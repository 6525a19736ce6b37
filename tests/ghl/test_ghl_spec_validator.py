"""The request validator other tests rely on (`tests/ghl_spec.py`) must catch what it promises."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.ghl.ghl_testkit import BASE_URL
from tests.ghl_spec import assert_request_conforms, assert_response_conforms, find_operation

BEARER = {"Authorization": "Bearer at-1", "Version": "2021-07-28"}
TOKEN_FORM = {"client_id": "id", "client_secret": "s", "grant_type": "refresh_token", "refresh_token": "r"}


def request(method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Request:
    return httpx.Request(method, BASE_URL + path, headers=headers, **kwargs)


@pytest.mark.parametrize(
    "good",
    [
        request(
            "GET",
            "/opportunities/search",
            BEARER,
            params={"location_id": "l1", "status": "open", "limit": 100},
        ),
        request("GET", "/opportunities/pipelines", BEARER, params={"locationId": "l1"}),
        request("PUT", "/opportunities/o1", BEARER, json={"status": "won", "monetaryValue": 120.5}),
        request("POST", "/contacts/c1/notes", BEARER, json={"body": "hello"}),
        request("POST", "/oauth/token", data=TOKEN_FORM),
        request("POST", "/oauth/locationToken", BEARER, data={"companyId": "c1", "locationId": "l1"}),
        request(
            "GET",
            "/calendars/cal1/free-slots",
            {"Authorization": "Bearer at-1", "Version": "2021-04-15"},
            params=[
                ("startDate", "1730000000000"),
                ("endDate", "1730600000000"),
                ("userIds", "u1"),
                ("userIds", "u2"),
            ],
        ),
    ],
    ids=lambda r: f"{r.method} {r.url.path}",
)
def test_accepts_what_the_spec_allows(good: httpx.Request) -> None:
    assert_request_conforms(good)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (
            request("GET", "/opportunities/search", BEARER, params={"locationId": "l1"}),
            "query parameter 'locationId' is not declared",
        ),
        (
            request("GET", "/opportunities/search", BEARER, params={"locationId": "l1"}),
            "required query parameter 'location_id' is missing",
        ),
        (
            request(
                "GET",
                "/opportunities/pipelines",
                {"Authorization": "Bearer at-1"},
                params={"locationId": "l1"},
            ),
            "required header parameter 'Version' is missing",
        ),
        (
            request(
                "GET",
                "/opportunities/pipelines",
                {"Authorization": "Bearer at-1", "Version": "2021-04-15"},
                params={"locationId": "l1"},
            ),
            "'2021-04-15' is not one of ['2021-07-28']",
        ),
        (
            request("GET", "/opportunities/pipelines", {"Version": "2021-07-28"}, params={"locationId": "l1"}),
            "needs 'Authorization: Bearer <token>'",
        ),
        (
            request("GET", "/opportunities/search", BEARER, params={"location_id": "l1", "status": "closed"}),
            "'closed' is not one of",
        ),
        (
            request("GET", "/opportunities/search", BEARER, params={"location_id": "l1", "limit": "many"}),
            "'many' is not of type 'number'",
        ),
        (
            request("POST", "/oauth/token", data={k: v for k, v in TOKEN_FORM.items() if k != "client_secret"}),
            "'client_secret' is a required property",
        ),
        (
            request("POST", "/oauth/token", data=TOKEN_FORM | {"grant_type": "password"}),
            "'password' is not one of",
        ),
        (request("POST", "/oauth/token", json=TOKEN_FORM), "content type 'application/json' not in"),
        (request("POST", "/oauth/token"), "the request body is required but empty"),
        (
            request("POST", "/oauth/locationToken", BEARER, data={"companyId": "c1"}),
            "'locationId' is a required property",
        ),
        (
            request("PUT", "/opportunities/o1", BEARER, json={"monetaryValue": "lots"}),
            "monetaryValue: 'lots' is not of type 'number'",
        ),
        (request("GET", "/opportunities/o1", BEARER, json={"x": 1}), "declares no request body"),
    ],
)
def test_rejects_what_the_spec_does_not_allow(bad: httpx.Request, problem: str) -> None:
    with pytest.raises(AssertionError) as caught:
        assert_request_conforms(bad)
    assert problem in str(caught.value)


def test_rejects_an_unknown_operation() -> None:
    with pytest.raises(AssertionError, match="not an operation"):
        assert_request_conforms(request("GET", "/opportunities/o1/nonsense", BEARER))
    with pytest.raises(AssertionError, match="not an operation"):
        assert_request_conforms(request("PATCH", "/opportunities/o1", BEARER))


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/calendars/events", "/calendars/events"),  # not /calendars/{calendarId}
        ("GET", "/calendars/cal1", "/calendars/{calendarId}"),
        ("GET", "/calendars/", "/calendars/"),
        ("GET", "/opportunities/search", "/opportunities/search"),  # not /opportunities/{id}
        ("POST", "/opportunities/search", "/opportunities/search"),
        ("GET", "/contacts/search/duplicate", "/contacts/search/duplicate"),
        ("GET", "/conversations/messages/m1", "/conversations/messages/{id}"),
    ],
)
def test_literal_segments_win_over_templates(method: str, path: str, template: str) -> None:
    assert find_operation(method, path).template == template


def test_response_check_resolves_the_shared_schemas() -> None:
    """The 422 schema lives in ../common/common-schemas.json, reached by a relative $ref."""
    assert_response_conforms("POST", "/oauth/token", 422, {"statusCode": 422, "message": ["Unprocessable Entity"]})
    with pytest.raises(AssertionError, match="is not of type 'array'"):
        assert_response_conforms("POST", "/oauth/token", 422, {"message": "Unprocessable Entity"})


def test_response_check_rejects_undeclared_statuses_and_shapes() -> None:
    with pytest.raises(AssertionError, match="declares no 201 response"):
        assert_response_conforms("POST", "/oauth/locationToken", 201, {})
    with pytest.raises(AssertionError, match="'userId' is a required property"):
        assert_response_conforms("POST", "/oauth/token", 200, {"access_token": "a"})
