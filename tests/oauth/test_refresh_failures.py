"""A failed `POST /oauth/token`: release the lease at once when GHL certainly did not rotate,
keep it (briefly) when it may have. The classification is `ghlbridge.tokens.refresh.rotation_possible`."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from ghlsandbox import FaultRule

from tests.conftest import AppEnv
from tests.seed import seed_installation

TOKEN_URL = "https://services.leadconnectorhq.com/oauth/token"


def status_error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """The typed error the GHL client raises for this answer to `POST /oauth/token`."""
    from ghlbridge.ghl.errors import make_status_error

    request = httpx.Request("POST", TOKEN_URL, data={"grant_type": "refresh_token"})
    return make_status_error(httpx.Response(status, json=body, headers=headers, request=request))


def transport_error(exc: httpx.TransportError) -> Any:
    from ghlbridge.ghl.errors import make_transport_error

    return make_transport_error(exc, method="POST", path="/oauth/token")


def unreadable_2xx() -> Any:
    from ghlbridge.ghl.models import invalid_response

    request = httpx.Request("POST", TOKEN_URL)
    return invalid_response(httpx.Response(200, text="<html>", request=request), "unexpected TokenResponse body")


# (case, error factory, rotation possible?)
TABLE: list[tuple[str, Any, bool]] = [
    ("connect error: never sent", lambda: transport_error(httpx.ConnectError("refused")), False),
    ("connect timeout: never sent", lambda: transport_error(httpx.ConnectTimeout("slow")), False),
    ("pool timeout: never sent", lambda: transport_error(httpx.PoolTimeout("busy")), False),
    (
        "429: refused before processing",
        lambda: status_error(429, {"statusCode": 429, "message": "Too many requests"}, {"retry-after": "3"}),
        False,
    ),
    (
        "401 invalid_client: client credentials",
        lambda: status_error(401, {"error": "invalid_client", "error_description": "Invalid client credentials"}),
        False,
    ),
    (
        "400 unsupported_grant_type: the request itself",
        lambda: status_error(400, {"error": "unsupported_grant_type", "error_description": "not supported"}),
        False,
    ),
    ("400 invalid_request", lambda: status_error(400, {"error": "invalid_request"}), False),
    (
        "400 Location is not active (issue #249)",
        lambda: status_error(400, {"statusCode": 400, "message": "Location is not active"}),
        False,
    ),
    (
        "400 invalid_grant: refused token",
        lambda: status_error(400, {"error": "invalid_grant", "error_description": "refresh token is invalid"}),
        False,
    ),
    ("403", lambda: status_error(403, {"statusCode": 403, "message": "Forbidden"}), False),
    ("404: wrong base URL", lambda: status_error(404, {"statusCode": 404, "message": "Cannot POST"}), False),
    ("422", lambda: status_error(422, {"statusCode": 422, "message": ["Unprocessable Entity"]}), False),
    ("read timeout: may have arrived", lambda: transport_error(httpx.ReadTimeout("no answer")), True),
    ("write timeout: may have arrived", lambda: transport_error(httpx.WriteTimeout("stalled")), True),
    ("connection reset after sending", lambda: transport_error(httpx.ReadError("reset")), True),
    ("server closed without answer", lambda: transport_error(httpx.RemoteProtocolError("eof")), True),
    ("unknown transport failure", lambda: transport_error(httpx.UnsupportedProtocol("?")), True),
    ("500: maybe after the rotation", lambda: status_error(500, {"statusCode": 500, "message": "boom"}), True),
    ("502: a gateway", lambda: status_error(502, {"message": "Bad Gateway"}), True),
    ("503", lambda: status_error(503, {"message": "Service Unavailable"}), True),
    ("504: the work may go on", lambda: status_error(504, {"message": "Gateway Timeout"}), True),
    ("2xx we cannot read: rotated, pair lost", unreadable_2xx, True),
    ("3xx: unexplained", lambda: status_error(302, {}), True),
]


@pytest.mark.parametrize(("case", "make", "expected"), TABLE, ids=[case for case, _, _ in TABLE])
def test_rotation_possible(case: str, make: Any, expected: bool) -> None:
    from ghlbridge.tokens.refresh import rotation_possible

    assert rotation_possible(make()) is expected


class FailingOAuth:
    """The project's OAuthAPI, failing its refresh with a given GHL error (as the client raises it)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def refresh(self, refresh_token: str) -> Any:
        self.calls += 1
        raise self.error


@pytest.fixture
def seeded(app_env: AppEnv) -> Any:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    store, cipher = factories.get_store(), get_cipher()
    refresh = app_env.ghl.refresh_token_for("loc1")
    seed_installation(store, cipher, "loc1", access="at-old", refresh=refresh, expires_in=timedelta(minutes=-1))
    return store, cipher


@pytest.mark.parametrize(("case", "make", "expected"), TABLE, ids=[case for case, _, _ in TABLE])
def test_the_refresher_releases_or_keeps_the_lease_by_the_table(
    seeded: Any, case: str, make: Any, expected: bool
) -> None:
    from ghlbridge import factories
    from ghlbridge.errors import ReauthorizationRequiredError, TokenRefreshError
    from ghlbridge.ghl.errors import GHLInvalidGrantError, GHLRateLimitError
    from ghlbridge.tokens.refresh import Refresher

    store, cipher = seeded
    error = make()
    parking = factories.get_parking()
    refresher = Refresher(store, FailingOAuth(error), cipher, parking, lease_seconds=30, settle_seconds=2)

    with pytest.raises(Exception) as caught:
        refresher.refresh("loc1", seen_generation=1)

    inst = store.get_installation("loc1")
    if isinstance(error, GHLInvalidGrantError):  # the needs_reauth path, which also releases
        assert caught.type is ReauthorizationRequiredError
        assert inst.lease_holder is None
    elif expected:  # kept, but only for the settle time
        assert caught.type is TokenRefreshError and caught.value.retry_after == 2
        assert caught.value.details == {"retryAfter": 2}
        assert inst.lease_holder is not None
        assert store.claim_refresh_lease("loc1", "someone-else", 5) is None
        left = (inst.lease_expires_at - inst.updated_at).total_seconds()
        assert 0 < left <= 2.5
    else:  # released: the next request tries again at once
        assert caught.value is error if isinstance(error, GHLRateLimitError) else caught.type is TokenRefreshError
        assert inst.lease_holder is None
        assert store.claim_refresh_lease("loc1", "someone-else", 5) is not None
    assert inst.status.value == "active" or isinstance(error, GHLInvalidGrantError)


def test_a_429_on_the_token_endpoint_is_answered_429_with_ghls_retry_after(seeded: Any) -> None:
    from ghlbridge import factories
    from ghlbridge.http.resolver import describe
    from ghlbridge.tokens.refresh import Refresher

    store, cipher = seeded
    rate_limited = status_error(429, {"statusCode": 429, "message": "Too many requests"}, {"retry-after": "3"})
    refresher = Refresher(store, FailingOAuth(rate_limited), cipher, factories.get_parking())

    with pytest.raises(Exception) as caught:
        refresher.refresh("loc1", seen_generation=1)

    reply = describe(caught.value)
    assert (reply.status, reply.code, dict(reply.headers or {})) == (429, "rate_limited", {"Retry-After": "3"})


def test_invalid_client_releases_the_lease_and_the_next_request_goes_through_at_once(app_env: AppEnv) -> None:
    """Against the GHL sandbox: one 401 invalid_client on /oauth/token, then GHL answers again."""
    from ghlbridge import factories
    from ghlbridge.errors import TokenRefreshError
    from ghlbridge.factories import get_cipher
    from ghlbridge.http.resolver import describe

    store, cipher = factories.get_store(), get_cipher()
    refresh = app_env.ghl.refresh_token_for("loc1")
    seed_installation(store, cipher, "loc1", access="at-old", refresh=refresh, expires_in=timedelta(minutes=-1))
    invalid_client = {"error": "invalid_client", "error_description": "Invalid client credentials"}
    app_env.ghl.add_fault(FaultRule("POST /oauth/token", "status", value=401, body=invalid_client, count=1))
    provider = factories.get_token_provider()

    with pytest.raises(TokenRefreshError) as caught:
        provider.access_token("loc1")
    reply = describe(caught.value)
    assert (reply.status, reply.code, reply.details) == (503, "token_refresh_unavailable", {"retryAfter": 1})
    assert reply.headers == {"Retry-After": "1"}
    inst = store.get_installation("loc1")
    assert inst.lease_holder is None and inst.generation == 1

    started = time.monotonic()
    token = provider.access_token("loc1")  # no lease to wait out

    assert time.monotonic() - started < 2  # not the 5 s lease of this test environment
    assert token == app_env.ghl.last_issued()[0]
    [first, second] = app_env.ghl.sent_to("/oauth/token")
    assert first.form["refresh_token"] == second.form["refresh_token"] == refresh  # nothing was spent
    assert [r.status for r in app_env.ghl.logged("/oauth/token")] == [401, 200]
    assert store.get_installation("loc1").generation == 2


def test_a_5xx_keeps_the_lease_only_for_the_settle_time(app_env: AppEnv) -> None:
    from ghlbridge import factories
    from ghlbridge.errors import TokenRefreshError
    from ghlbridge.factories import get_cipher
    from ghlbridge.tokens.provider import TokenProvider
    from ghlbridge.tokens.refresh import Refresher

    store, cipher = factories.get_store(), get_cipher()
    refresh = app_env.ghl.refresh_token_for("loc1")
    seed_installation(store, cipher, "loc1", access="at-old", refresh=refresh, expires_in=timedelta(minutes=-1))
    app_env.ghl.add_fault(
        FaultRule("POST /oauth/token", "status", value=500, count=1)
    )  # before the work: nothing rotated,
    # but the app cannot know
    oauth = factories.get_oauth_api()
    refresher = Refresher(store, oauth, cipher, factories.get_parking(), lease_seconds=30, settle_seconds=0.5)

    with pytest.raises(TokenRefreshError) as caught:
        TokenProvider(refresher, oauth).access_token("loc1")
    assert caught.value.retry_after == 1
    assert store.claim_refresh_lease("loc1", "someone-else", 5) is None  # kept
    time.sleep(0.6)  # the settle time, not the 30 s lease

    token = TokenProvider(refresher, oauth).access_token("loc1")
    assert token == app_env.ghl.last_issued()[0]
    assert app_env.ghl.token_posts("refresh_token") == 2


def test_the_request_path_lease_ends_with_the_invocation(seeded: Any) -> None:
    """A holder cannot act after its invocation's deadline: the lease need not outlast it by more
    than the margin (API functions run 15 s, the lease setting is 30 s)."""
    from ghlbridge import deadline, factories
    from ghlbridge.errors import TokenRefreshError
    from ghlbridge.tokens.refresh import Refresher

    store, cipher = seeded
    outcome_unknown = status_error(503, {"message": "Service Unavailable"})
    refresher = Refresher(
        store, FailingOAuth(outcome_unknown), cipher, factories.get_parking(), lease_seconds=30, settle_seconds=30
    )
    deadline.start(None, budget_seconds=4.0)

    with pytest.raises(TokenRefreshError):
        refresher.refresh("loc1", seen_generation=1)

    inst = store.get_installation("loc1")
    assert inst.lease_holder is not None
    assert (inst.lease_expires_at - inst.updated_at).total_seconds() <= 4.0 + 1.0
