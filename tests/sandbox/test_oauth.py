"""OAuth: the install page, codes, refresh-token rotation, token expiry, Company installs and
location tokens. Error bodies are the ones measured on GHL (GHL-NOTES §9.5)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from ghlsandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_COMPANY_ID,
    DEMO_LOCATION_ID,
    DEMO_USER_ID,
    OTHER_LOCATION_ID,
    OAuthClient,
)

from tests import leak_guard
from tests.sandbox.kit import Ghl

CALLBACK = "https://toolkit.example.com/oauth/callback?from=marketplace"
CREDENTIALS = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Invalid grant: refresh token is invalid"}


def _install_url(**overrides: str) -> str:
    query = {
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "client_id": DEMO_CLIENT_ID,
        "scope": "opportunities.readonly contacts.write",
        "state": "st-123",
        **overrides,
    }
    return "/v2/oauth/chooselocation?" + urlencode({k: v for k, v in query.items() if v != ""})


def _exchange(sbx: Ghl, code: str, **form: str) -> httpx.Response:
    return sbx.http.post("/oauth/token", data={**CREDENTIALS, "grant_type": "authorization_code", "code": code, **form})


def _refresh(sbx: Ghl, refresh_token: str, **form: str) -> httpx.Response:
    response = sbx.http.post(
        "/oauth/token", data={**CREDENTIALS, "grant_type": "refresh_token", "refresh_token": refresh_token, **form}
    )
    if response.status_code == 200:
        leak_guard.register(response.json()["access_token"], response.json()["refresh_token"])
    return response


def _pipelines(sbx: Ghl, token: str, location_id: str = DEMO_LOCATION_ID) -> httpx.Response:
    return sbx.get("/opportunities/pipelines", params={"locationId": location_id}, token=token)


# --- install page ------------------------------------------------------------------------------------


def test_install_page_shows_the_app_the_scopes_and_the_locations(sbx: Ghl) -> None:
    response = sbx.http.get(_install_url())

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Sales Toolkit (sandbox)" in page
    assert "<code>opportunities.readonly</code>" in page and "<code>contacts.write</code>" in page
    assert "Demo Sales Team (Sandbox)" in page and DEMO_LOCATION_ID in page
    assert page.count("<form") == 1 and 'value="approve"' in page and 'value="deny"' in page


def test_approving_redirects_with_a_code_and_the_state(sbx: Ghl) -> None:
    response = sbx.http.post(_install_url(), data={"locationId": DEMO_LOCATION_ID, "decision": "approve"})

    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == CALLBACK.split("?")[0]
    query = parse_qs(target.query)
    assert query["from"] == ["marketplace"], "the redirect URI's own query is kept"
    assert query["state"] == ["st-123"]
    code = query["code"][0]
    leak_guard.register(code)
    tokens = _exchange(sbx, code).json()
    leak_guard.register(tokens["access_token"])
    assert tokens["userType"] == "Location"
    assert tokens["locationId"] == DEMO_LOCATION_ID
    assert tokens["scope"] == "opportunities.readonly contacts.write"
    assert tokens["userId"] == DEMO_USER_ID


def test_denying_redirects_with_access_denied_and_issues_nothing(sbx: Ghl) -> None:
    codes_before = dict(sbx.sandbox.state.tokens.codes)

    response = sbx.http.post(_install_url(), data={"decision": "deny"})

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query == {"from": ["marketplace"], "error": ["access_denied"], "state": ["st-123"]}
    assert sbx.sandbox.state.tokens.codes == codes_before


def test_installing_for_the_company_from_the_form(sbx: Ghl) -> None:
    response = sbx.http.post(_install_url(), data={"userType": "Company", "decision": "approve"})

    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    leak_guard.register(code)
    tokens = _exchange(sbx, code).json()
    leak_guard.register(tokens["access_token"], tokens["refresh_token"])
    assert tokens["userType"] == "Company"
    assert tokens["companyId"] == DEMO_COMPANY_ID
    assert "locationId" not in tokens
    assert tokens["approvedLocations"] == [DEMO_LOCATION_ID, OTHER_LOCATION_ID]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"client_id": "who-is-this"}, "Invalid client_id"),
        ({"response_type": "token"}, "response_type must be"),
        ({"redirect_uri": ""}, "redirect_uri is required"),
    ],
)
def test_install_page_refuses_bad_install_links(sbx: Ghl, overrides: dict[str, str], problem: str) -> None:
    page = sbx.http.get(_install_url(**overrides))
    submit = sbx.http.post(_install_url(**overrides), data={"decision": "approve"})

    assert page.status_code == submit.status_code == 400
    assert problem in page.text and problem in submit.text
    assert sbx.sandbox.state.tokens.codes == {}, "no code was issued"


def test_registered_redirect_uris_and_version_id_are_enforced(start_sandbox: Callable[..., Ghl]) -> None:
    client = OAuthClient(redirect_uris=(CALLBACK,), require_version_id=True)
    sbx = start_sandbox(install=False, clients=(client,))

    other_callback = sbx.http.get(_install_url(redirect_uri="https://evil.example/cb", version_id="v1"))
    no_version = sbx.http.get(_install_url())
    fine = sbx.http.get(_install_url(version_id="v1"))

    assert other_callback.status_code == 400 and "is not one of the app&#x27;s redirect URLs" in other_callback.text
    assert no_version.status_code == 400 and "noversionid" in no_version.text
    assert fine.status_code == 200


# --- codes ---------------------------------------------------------------------------------------------


def test_a_code_works_once(sbx: Ghl) -> None:
    code = sbx.sandbox.authorize()
    leak_guard.register(code)

    first = _exchange(sbx, code)
    second = _exchange(sbx, code)

    assert first.status_code == 200
    leak_guard.register(first.json()["access_token"], first.json()["refresh_token"])
    assert second.status_code == 401
    assert {k: v for k, v in second.json().items() if k != "traceId"} == {
        "error": "UnAuthorized!",
        "error_description": "Authorization code not found",
    }


def test_a_code_expires_after_ten_minutes(sbx: Ghl) -> None:
    code = sbx.sandbox.authorize()
    leak_guard.register(code)

    sbx.clock.advance(601)
    response = _exchange(sbx, code)

    assert response.status_code == 401
    assert response.json()["error"] == "UnAuthorized!"


def test_the_code_is_checked_before_the_client_credentials(sbx: Ghl) -> None:
    """As measured on GHL: a bad code hides bad credentials; a good code with bad credentials is
    invalid_client, and the code stays usable."""
    code = sbx.sandbox.authorize()
    leak_guard.register(code)

    bad_both = _exchange(sbx, "no-such-code", client_secret="wrong")
    bad_secret = _exchange(sbx, code, client_secret="wrong")
    then_good = _exchange(sbx, code)

    assert (bad_both.status_code, bad_both.json()["error"]) == (401, "UnAuthorized!")
    assert (bad_secret.status_code, bad_secret.json()["error"]) == (401, "invalid_client")
    assert then_good.status_code == 200
    leak_guard.register(then_good.json()["access_token"], then_good.json()["refresh_token"])


def test_a_redirect_uri_that_does_not_match_the_install_is_refused(sbx: Ghl) -> None:
    code = sbx.sandbox.authorize(redirect_uri=CALLBACK)
    leak_guard.register(code)

    response = _exchange(sbx, code, redirect_uri="https://elsewhere.example/cb")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert code in sbx.sandbox.state.tokens.codes, "a refused exchange does not spend the code"


def test_token_form_is_validated_like_ghl(sbx: Ghl) -> None:
    response = sbx.http.post("/oauth/token", data={"grant_type": "password", "client_id": DEMO_CLIENT_ID})

    assert response.status_code == 422
    assert response.json()["message"] == [
        "client_secret should not be empty",
        "grant_type must be one of the following values: authorization_code, refresh_token, client_credentials",
    ]


def test_client_credentials_grant_is_not_supported(sbx: Ghl) -> None:
    response = sbx.http.post("/oauth/token", data={**CREDENTIALS, "grant_type": "client_credentials"})

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# --- refresh tokens ------------------------------------------------------------------------------------


def test_refresh_rotates_and_each_refresh_token_works_once(sbx: Ghl) -> None:
    first_refresh = sbx.tokens["refresh_token"]

    rotated = _refresh(sbx, first_refresh)
    replay = _refresh(sbx, first_refresh)
    next_rotation = _refresh(sbx, rotated.json()["refresh_token"])

    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != first_refresh and new["access_token"] != sbx.token
    assert new["refresh_token"].startswith("sbx_rt_") and new["access_token"].startswith("sbx_at_")
    assert (new["locationId"], new["userType"], new["expires_in"]) == (DEMO_LOCATION_ID, "Location", 86399)
    assert replay.status_code == 400
    assert {k: v for k, v in replay.json().items() if k != "traceId"} == INVALID_GRANT
    assert next_rotation.status_code == 200
    assert sbx.sandbox.state.tokens.summary(sbx.clock())["refresh_tokens_spent"] == 2


def test_unknown_refresh_token_and_bad_client_credentials(sbx: Ghl) -> None:
    unknown = _refresh(sbx, "sbx_rt_made-up")
    wrong_secret = _refresh(sbx, sbx.tokens["refresh_token"], client_secret="wrong")

    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")
    assert sbx.tokens["refresh_token"] in sbx.sandbox.state.tokens.refresh, "a refused refresh spends nothing"


def test_the_new_access_token_works_and_the_old_one_lives_until_it_expires(sbx: Ghl) -> None:
    new = _refresh(sbx, sbx.tokens["refresh_token"]).json()

    assert len(_pipelines(sbx, new["access_token"]).json()["pipelines"]) == 3
    assert len(_pipelines(sbx, sbx.token).json()["pipelines"]) == 3


# --- access token expiry -------------------------------------------------------------------------------


def test_access_tokens_expire_after_their_lifetime(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(access_token_ttl_seconds=60)
    assert sbx.tokens["expires_in"] == 60

    sbx.clock.advance(59)
    still_fine = _pipelines(sbx, sbx.token)
    sbx.clock.advance(1)
    expired = _pipelines(sbx, sbx.token)
    refreshed = _refresh(sbx, sbx.tokens["refresh_token"])

    assert still_fine.status_code == 200
    assert expired.status_code == 401
    assert expired.json()["message"] == "Invalid token: access token is invalid"
    assert refreshed.status_code == 200, "the refresh token outlives the access token"
    assert _pipelines(sbx, refreshed.json()["access_token"]).status_code == 200


def test_expire_tokens_control_endpoint_ends_every_access_token_now(sbx: Ghl) -> None:
    second = sbx.install()

    response = sbx.http.post("/_sandbox/expire-tokens")

    assert response.json() == {"expired": 2}
    for token in (sbx.token, second["access_token"]):
        assert _pipelines(sbx, token).json()["message"] == "Invalid token: access token is invalid"
    assert _refresh(sbx, sbx.tokens["refresh_token"]).status_code == 200


# --- Company installs and location tokens ----------------------------------------------------------------


def test_a_company_token_mints_a_location_token_without_refresh_token(sbx: Ghl) -> None:
    company = sbx.install(user_type="Company")

    minted = sbx.location_token_from(company["access_token"], OTHER_LOCATION_ID)

    assert minted.status_code == 201
    body = minted.json()
    assert body["locationId"] == OTHER_LOCATION_ID
    assert "refresh_token" not in body
    assert {"oauth.readonly", "oauth.write"} <= set(body["scope"].split())
    assert body["appId"] == DEMO_CLIENT_ID.split("-")[0]
    assert _pipelines(sbx, body["access_token"], OTHER_LOCATION_ID).status_code == 200
    assert _pipelines(sbx, body["access_token"], DEMO_LOCATION_ID).status_code == 403


def test_location_token_refusals(sbx: Ghl) -> None:
    company = sbx.install(user_type="Company")["access_token"]

    with_location_token = sbx.location_token_from(sbx.token)
    wrong_company = sbx.http.post(
        "/oauth/locationToken",
        data={"companyId": "someOtherCompany0000", "locationId": DEMO_LOCATION_ID},
        headers={"Authorization": f"Bearer {company}", "Version": "2021-07-28"},
    )
    unknown_location = sbx.location_token_from(company, "unknownLocation00000")
    missing_fields = sbx.http.post(
        "/oauth/locationToken", data={}, headers={"Authorization": f"Bearer {company}", "Version": "2021-07-28"}
    )

    assert with_location_token.status_code == 401
    assert with_location_token.json()["message"].startswith("This authClass type is not allowed")
    assert wrong_company.status_code == 403
    assert wrong_company.json()["message"] == "The token does not have access to this company."
    assert unknown_location.status_code == 403
    assert unknown_location.json()["message"] == "The token does not have access to this location."
    assert missing_fields.status_code == 422
    assert missing_fields.json()["message"] == ["companyId should not be empty", "locationId should not be empty"]
    assert len([t for t in sbx.sandbox.state.tokens.access.values() if t.minted]) == 0


def test_tokens_and_codes_never_reach_the_logs(sbx: Ghl, caplog: pytest.LogCaptureFixture) -> None:
    """The sandbox logs method, path, status and traceId only (the suite-wide leak guard also
    checks every record against every token the tests registered)."""
    caplog.set_level(logging.INFO, logger="ghlsandbox")
    refreshed = _refresh(sbx, sbx.tokens["refresh_token"]).json()
    _pipelines(sbx, refreshed["access_token"])

    lines = [record.getMessage() for record in caplog.records if record.name == "ghlsandbox"]
    assert any(line.startswith("POST /oauth/token -> 200") for line in lines)
    assert any(line.startswith("GET /opportunities/pipelines -> 200") for line in lines)
    for secret in (refreshed["access_token"], refreshed["refresh_token"], sbx.tokens["refresh_token"]):
        assert all(secret not in line for line in lines)
    assert all("locationId=" not in line for line in lines), "query strings are not logged"
