"""The project's own GHL client (`ghlbridge.ghl`: `GHLClient`, `OAuthAPI`, the error table)
against the sandbox over real HTTP: the sandbox answers in the shapes the client was built for,
and its failures land in the client's typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ghlsandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_COMPANY_ID,
    DEMO_LOCATION_ID,
    OTHER_LOCATION_ID,
    FaultRule,
)

from ghlbridge.ghl import (
    VERSION_2021_04_15,
    VERSION_2021_07_28,
    BearerAuth,
    GHLClient,
    GHLForbiddenError,
    GHLInvalidGrantError,
    GHLRateLimitError,
    GHLServerError,
    GHLTimeoutError,
    GHLUnauthorizedError,
    GHLUnprocessableError,
    OAuthAPI,
)
from tests import leak_guard
from tests.sandbox.kit import Ghl, demo_contacts


@pytest.fixture
def client(sbx: Ghl) -> Iterator[GHLClient]:
    sleeps: list[float] = []
    with GHLClient(base_url=sbx.sandbox.url, timeout=1, sleep=sleeps.append, rng=lambda: 0.5) as ghl_client:
        yield ghl_client


@pytest.fixture
def oauth(client: GHLClient) -> OAuthAPI:
    return OAuthAPI(client, client_id=DEMO_CLIENT_ID, client_secret=lambda: DEMO_CLIENT_SECRET)


def _code(sbx: Ghl, **authorize: Any) -> str:
    code = sbx.sandbox.authorize(**authorize)
    leak_guard.register(code)
    return code


def test_install_refresh_and_replay(sbx: Ghl, oauth: OAuthAPI) -> None:
    first = oauth.exchange_code(_code(sbx))
    refresh_token = first.refresh_token.get_secret_value() if first.refresh_token else ""
    leak_guard.register(first.access_token.get_secret_value(), refresh_token)

    rotated = oauth.refresh(refresh_token)
    leak_guard.register(rotated.access_token.get_secret_value())
    with pytest.raises(GHLInvalidGrantError) as replay:
        oauth.refresh(refresh_token)

    assert (first.userType, first.locationId, first.companyId) == ("Location", DEMO_LOCATION_ID, DEMO_COMPANY_ID)
    assert first.expires_in == 86399 and "opportunities.readonly" in first.scopes
    assert rotated.refresh_token is not None and rotated.refresh_token.get_secret_value() != refresh_token
    assert replay.value.status == 400 and replay.value.trace_id


def test_company_install_and_location_token(sbx: Ghl, oauth: OAuthAPI) -> None:
    company = oauth.exchange_code(_code(sbx, user_type="Company"))
    leak_guard.register(company.access_token.get_secret_value())

    minted = oauth.location_token(
        company.access_token.get_secret_value(), company_id=DEMO_COMPANY_ID, location_id=OTHER_LOCATION_ID
    )
    leak_guard.register(minted.access_token.get_secret_value())

    assert company.approvedLocations == [DEMO_LOCATION_ID, OTHER_LOCATION_ID] and company.locationId is None
    assert minted.locationId == OTHER_LOCATION_ID and minted.appId == DEMO_CLIENT_ID.split("-")[0]


def test_resource_calls_and_typed_errors(sbx: Ghl, client: GHLClient) -> None:
    auth = BearerAuth(sbx.token)

    pipelines = client.request(
        "GET",
        "/opportunities/pipelines",
        version=VERSION_2021_07_28,
        params={"locationId": DEMO_LOCATION_ID},
        auth=auth,
    )
    with pytest.raises(GHLForbiddenError) as forbidden:
        client.request(
            "GET", "/calendars/", version=VERSION_2021_04_15, params={"locationId": OTHER_LOCATION_ID}, auth=auth
        )
    with pytest.raises(GHLUnprocessableError) as unprocessable:
        client.request("GET", "/opportunities/search", version=VERSION_2021_07_28, params={"limit": 1}, auth=auth)
    with pytest.raises(GHLUnauthorizedError) as wrong_version:
        client.request("GET", "/calendars/", version=None, params={"locationId": DEMO_LOCATION_ID}, auth=auth)

    assert len(pipelines.json()["pipelines"]) == 3
    assert client.last_rate_limit is not None and client.last_rate_limit.burst_remaining is not None
    assert forbidden.value.message == "The token does not have access to this location."
    assert forbidden.value.trace_id, "the client keeps GHL's traceId from the body"
    assert unprocessable.value.messages == ["location_id should not be empty"]
    assert wrong_version.value.message == "version header was not found."


def test_the_client_retries_a_get_through_faults_but_never_resends_a_post(sbx: Ghl, client: GHLClient) -> None:
    auth = BearerAuth(sbx.token)
    sbx.sandbox.add_fault(FaultRule("GET /calendars*", "status", value=503, count=2))
    sbx.sandbox.add_fault(FaultRule("POST /contacts/*/notes", "timeout", value=3, count=1, after=True))
    sbx.sandbox.add_fault(FaultRule("GET /contacts/*", "rate_limit"))

    calendars = client.request(
        "GET", "/calendars/", version=VERSION_2021_04_15, params={"locationId": DEMO_LOCATION_ID}, auth=auth
    )
    contact = demo_contacts(sbx)[0]
    with pytest.raises(GHLTimeoutError):
        client.request(
            "POST", f"/contacts/{contact.id}/notes", version=VERSION_2021_07_28, json={"body": "once"}, auth=auth
        )
    with pytest.raises(GHLRateLimitError) as limited:
        client.request("GET", f"/contacts/{contact.id}", version=VERSION_2021_07_28, auth=auth)

    assert len(calendars.json()["calendars"]) == 3, "two 503s, then the answer"
    assert [r.status for r in sbx.sandbox.state.requests if r.path == "/calendars/"] == [503, 503, 200]
    assert sum(note.body == "once" for note in sbx.sandbox.state.data.notes.values()) == 1, "stored, not resent"
    assert limited.value.retry_after == 10.0, "no Retry-After: the wait GHL asks for is its 10 s burst window"
    assert not isinstance(limited.value, GHLServerError)
