"""OAuthAPI: the exact form each grant sends (checked against apps/oauth.json), the parsed
answers, invalid_grant, the POST retry rule, and that no credential leaks anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from ghlbridge.ghl.client import GHLClient
from ghlbridge.ghl.errors import (
    GHLError,
    GHLInvalidGrantError,
    GHLInvalidResponseError,
    GHLServerError,
    GHLTimeoutError,
    GHLUnauthorizedError,
)
from ghlbridge.ghl.models import LocationTokenResponse, TokenResponse
from ghlbridge.ghl.oauth import OAuthAPI
from tests.ghl.ghl_testkit import (
    AUTH_CODE,
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANY_TOKEN,
    NEW_REFRESH_TOKEN,
    REFRESH_TOKEN,
    assert_no_secrets,
    location_token_body,
    log_text,
    token_body,
)
from tests.ghl_spec import assert_request_conforms, assert_response_conforms

REDIRECT_URI = "https://api.example.com/oauth/callback"


@pytest.fixture
def oauth(client: GHLClient) -> OAuthAPI:
    return OAuthAPI(client, client_id=CLIENT_ID, client_secret=lambda: CLIENT_SECRET)


@pytest.fixture
def token_route(ghl_mock: respx.MockRouter) -> Iterator[respx.Route]:
    yield ghl_mock.post("/oauth/token")


def form_of(request: httpx.Request) -> dict[str, str]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return dict(parse_qsl(request.read().decode(), keep_blank_values=True, strict_parsing=True))


def test_fixtures_follow_the_spec() -> None:
    assert_response_conforms("POST", "/oauth/token", 200, token_body())
    assert_response_conforms("POST", "/oauth/locationToken", 200, location_token_body())


def test_exchange_code_sends_exactly_the_spec_form(token_route: respx.Route, oauth: OAuthAPI) -> None:
    token_route.respond(200, json=token_body())

    answer = oauth.exchange_code(AUTH_CODE, redirect_uri=REDIRECT_URI)

    request = token_route.calls.last.request
    assert form_of(request) == {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "authorization_code",
        "code": AUTH_CODE,
        "redirect_uri": REDIRECT_URI,
    }
    assert "Version" not in request.headers  # the v2 spec declares none for /oauth/token
    assert "Authorization" not in request.headers
    assert request.headers["Accept"] == "application/json"
    assert_request_conforms(request)
    assert isinstance(answer, TokenResponse)
    assert answer.access_token.get_secret_value() == token_body()["access_token"]
    assert answer.refresh_token is not None and answer.refresh_token.get_secret_value() == NEW_REFRESH_TOKEN
    assert (answer.userType, answer.locationId, answer.expires_in) == (
        "Location",
        "l1C08ntBrFjLS0elLIYU",
        86399,
    )


def test_exchange_code_without_redirect_uri_omits_it(token_route: respx.Route, oauth: OAuthAPI) -> None:
    token_route.respond(200, json=token_body())

    oauth.exchange_code(AUTH_CODE)

    form = form_of(token_route.calls.last.request)
    assert set(form) == {"client_id", "client_secret", "grant_type", "code"}
    assert_request_conforms(token_route.calls.last.request)


def test_refresh_sends_exactly_the_spec_form(token_route: respx.Route, oauth: OAuthAPI) -> None:
    token_route.respond(200, json=token_body())

    answer = oauth.refresh(REFRESH_TOKEN)

    request = token_route.calls.last.request
    assert form_of(request) == {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
    }
    assert "user_type" not in form_of(request)
    assert "Version" not in request.headers
    assert_request_conforms(request)
    assert answer.refresh_token is not None and answer.refresh_token.get_secret_value() == NEW_REFRESH_TOKEN


def test_company_token_answer(token_route: respx.Route, oauth: OAuthAPI) -> None:
    body = token_body(userType="Company", approvedLocations=["l1", "l2"], installToFutureLocations=True)
    del body["locationId"]
    token_route.respond(200, json=body)

    answer = oauth.exchange_code(AUTH_CODE)

    assert (answer.userType, answer.locationId, answer.companyId) == ("Company", None, "c0MpAnY1d2e3f4g5h6i7")
    assert answer.approvedLocations == ["l1", "l2"]
    assert answer.installToFutureLocations is True


def test_client_secret_is_read_per_request(token_route: respx.Route, client: GHLClient) -> None:
    secrets = iter(["cs-SECRET-old-000001", "cs-SECRET-rotated-02"])
    oauth = OAuthAPI(client, client_id=CLIENT_ID, client_secret=lambda: next(secrets))
    token_route.respond(200, json=token_body())

    oauth.refresh(REFRESH_TOKEN)
    oauth.refresh(REFRESH_TOKEN)

    assert [form_of(call.request)["client_secret"] for call in token_route.calls] == [
        "cs-SECRET-old-000001",
        "cs-SECRET-rotated-02",
    ]


@pytest.mark.parametrize("status", [200, 201])
def test_location_token(ghl_mock: respx.MockRouter, oauth: OAuthAPI, status: int) -> None:
    route = ghl_mock.post("/oauth/locationToken").respond(status, json=location_token_body())

    answer = oauth.location_token(COMPANY_TOKEN, company_id="c1", location_id="l1")

    request = route.calls.last.request
    assert form_of(request) == {"companyId": "c1", "locationId": "l1"}
    assert request.headers["Version"] == "2021-07-28"
    assert request.headers["Authorization"] == f"Bearer {COMPANY_TOKEN}"
    assert_request_conforms(request)
    assert isinstance(answer, LocationTokenResponse)
    assert answer.access_token.get_secret_value() == location_token_body()["access_token"]
    assert (answer.locationId, answer.appId) == ("l1C08ntBrFjLS0elLIYU", "6578278e879ad2646715ba9c")


@pytest.mark.parametrize("status", [400, 401])
def test_refresh_invalid_grant(token_route: respx.Route, oauth: OAuthAPI, status: int) -> None:
    token_route.respond(status, json={"error": "invalid_grant", "error_description": "Invalid refresh token"})

    with pytest.raises(GHLInvalidGrantError) as caught:
        oauth.refresh(REFRESH_TOKEN)

    assert token_route.call_count == 1
    assert (caught.value.status, caught.value.message, caught.value.path) == (
        status,
        "Invalid refresh token",
        "/oauth/token",
    )


def test_a_bad_code_is_unauthorized_not_invalid_grant(token_route: respx.Route, oauth: OAuthAPI) -> None:
    token_route.respond(401, json={"error": "UnAuthorized!", "error_description": "Authorization code not found"})

    with pytest.raises(GHLUnauthorizedError) as caught:
        oauth.exchange_code(AUTH_CODE)

    assert not isinstance(caught.value, GHLInvalidGrantError)
    assert caught.value.message == "Authorization code not found"


def test_refresh_is_not_resent_after_a_read_timeout(
    token_route: respx.Route, oauth: OAuthAPI, sleeps: list[float]
) -> None:
    token_route.mock(side_effect=httpx.ReadTimeout("read"))

    with pytest.raises(GHLTimeoutError):
        oauth.refresh(REFRESH_TOKEN)

    assert token_route.call_count == 1
    assert sleeps == []


def test_refresh_is_not_resent_after_a_5xx(token_route: respx.Route, oauth: OAuthAPI, sleeps: list[float]) -> None:
    token_route.respond(502)

    with pytest.raises(GHLServerError):
        oauth.refresh(REFRESH_TOKEN)

    assert token_route.call_count == 1


def test_refresh_is_resent_after_a_429_and_a_connect_error(
    token_route: respx.Route, oauth: OAuthAPI, sleeps: list[float]
) -> None:
    token_route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=token_body()),
    ]

    oauth.refresh(REFRESH_TOKEN)

    assert token_route.call_count == 3
    assert sleeps == [1.0, 0.75]
    assert len({call.request.read() for call in token_route.calls}) == 1  # the same form each time
    for call in token_route.calls:
        assert_request_conforms(call.request)


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "Bearer", "refresh_token": NEW_REFRESH_TOKEN, "expires_in": 86399},  # no access_token
        {"access_token": NEW_REFRESH_TOKEN, "expires_in": "a day"},
        [NEW_REFRESH_TOKEN],
    ],
)
def test_an_unusable_answer_is_a_typed_error_that_quotes_nothing(
    token_route: respx.Route, oauth: OAuthAPI, body: object
) -> None:
    token_route.respond(200, json=body)

    with pytest.raises(GHLInvalidResponseError) as caught:
        oauth.refresh(REFRESH_TOKEN)

    assert caught.value.path == "/oauth/token"
    assert_no_secrets(str(caught.value), repr(caught.value))
    assert caught.value.__cause__ is None


def test_an_answer_that_is_not_json(token_route: respx.Route, oauth: OAuthAPI) -> None:
    token_route.respond(200, text="<html>maintenance</html>")

    with pytest.raises(GHLInvalidResponseError):
        oauth.exchange_code(AUTH_CODE)


def test_no_credential_in_errors_or_logs(
    ghl_mock: respx.MockRouter,
    token_route: respx.Route,
    oauth: OAuthAPI,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """Every failure path, with GHL even echoing credentials back: nothing leaks anywhere."""
    token_route.side_effect = [
        httpx.Response(400, json={"error": "invalid_grant", "error_description": f"token {REFRESH_TOKEN} revoked"}),
        httpx.Response(401, json={"error": "UnAuthorized!", "error_description": f"code {AUTH_CODE} not found"}),
        httpx.ReadTimeout("read"),
        httpx.Response(200, json=token_body()),
    ]
    ghl_mock.post("/oauth/locationToken").respond(401, json={"message": f"Invalid JWT {COMPANY_TOKEN}"})
    errors: list[GHLError] = []
    for call in (
        lambda: oauth.refresh(REFRESH_TOKEN),
        lambda: oauth.exchange_code(AUTH_CODE),
        lambda: oauth.refresh(REFRESH_TOKEN),
        lambda: oauth.location_token(COMPANY_TOKEN, company_id="c1", location_id="l1"),
    ):
        with pytest.raises(GHLError) as caught:
            call()
        errors.append(caught.value)
    answer = oauth.exchange_code(AUTH_CODE)

    assert [type(e).__name__ for e in errors] == [
        "GHLInvalidGrantError",
        "GHLUnauthorizedError",
        "GHLTimeoutError",
        "GHLTokenRejectedError",
    ]
    assert_no_secrets(
        *(str(e) for e in errors),
        *(repr(e) for e in errors),
        *(repr(vars(e)) for e in errors),
        repr(answer),
        str(answer),
        log_text(debug_logs),
    )
    assert debug_logs.records, "the client logged nothing: the log check above proved nothing"
