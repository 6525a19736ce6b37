"""The refresh protocol on the request path and on the schedule, against the GHL sandbox."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from ghlsandbox import DEMO_COMPANY_ID, DEMO_LOCATION_ID, DEMO_PIPELINE_IDS, FaultRule

from tests.conftest import AppEnv
from tests.ghl_spec import assert_request_conforms
from tests.lambda_events import lambda_context, scheduled_event
from tests.seed import seed_installation, stored_tokens

EXPIRED = timedelta(seconds=-60)
FRESH = timedelta(hours=20)


class CountingStore:
    """Wraps the real store to count calls and to fail chosen operations (the project's own interface)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.fail: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from ghlbridge.store import StoreUnavailableError

            self.calls.append(name)
            if name in self.fail:
                raise StoreUnavailableError(f"{name} failed (test)")
            return target(*args, **kwargs)

        return wrapper


@pytest.fixture
def parts(app_env: AppEnv) -> Any:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    class Parts:
        store = factories.get_store()
        cipher = get_cipher()
        ghl = app_env.ghl

        def seed(self, installation_id: str = "loc1", *, expires_in: timedelta = EXPIRED, **kw: Any) -> str:
            from ghlbridge.store import InstallationKind

            company = kw.get("kind") is InstallationKind.COMPANY
            company_id = DEMO_COMPANY_ID if installation_id == DEMO_LOCATION_ID else "comp1"
            refresh = self.ghl.refresh_token_for(installation_id, company=company, company_id=company_id)
            seed_installation(
                self.store,
                self.cipher,
                installation_id,
                access="at-old-" + installation_id,
                refresh=refresh,
                expires_in=expires_in,
                **kw,
            )
            return refresh

        def provider(
            self, store: Any = None, *, lease: float = 1.0, parking: Any = None, monotonic: Any = time.monotonic
        ) -> Any:
            from ghlbridge.tokens.provider import TokenProvider
            from ghlbridge.tokens.refresh import Refresher

            refresher = Refresher(
                store or self.store,
                factories.get_oauth_api(),
                self.cipher,
                parking or factories.get_parking(),
                lease_seconds=lease,
            )
            return TokenProvider(refresher, factories.get_oauth_api(), monotonic=monotonic)

    return Parts()


def test_a_fresh_token_is_served_from_memory_without_a_store_round_trip(parts: Any) -> None:
    parts.seed(expires_in=FRESH)
    store = CountingStore(parts.store)
    provider = parts.provider(store)

    first = provider.access_token("loc1")
    calls_after_first = list(store.calls)
    for _ in range(5):
        assert provider.access_token("loc1") == first

    assert first == "at-old-loc1"
    assert calls_after_first == ["get_token_source"]
    assert store.calls == calls_after_first
    assert parts.ghl.token_posts() == 0


def test_an_expired_token_is_refreshed_once_and_the_rotated_pair_stored(parts: Any) -> None:
    old_refresh = parts.seed()
    provider = parts.provider()

    token = provider.access_token("loc1")

    [sent] = parts.ghl.sent_to("/oauth/token")
    assert sent.form == {
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
        "grant_type": "refresh_token",
        "refresh_token": old_refresh,
    }
    assert_request_conforms(sent.as_httpx_request())
    assert token == parts.ghl.last_issued()[0]
    assert old_refresh in parts.ghl.state.tokens.spent_refresh  # rotated: refused from now on
    assert stored_tokens(parts.store, parts.cipher, "loc1") == parts.ghl.last_issued()
    inst = parts.store.get_installation("loc1")
    assert inst.generation == 2 and inst.lease_holder is None


def test_a_token_within_five_minutes_of_expiry_is_refreshed(parts: Any) -> None:
    parts.seed(expires_in=timedelta(minutes=4))

    token = parts.provider().access_token("loc1")

    assert parts.ghl.token_posts("refresh_token") == 1
    assert token != "at-old-loc1"


def test_a_ghl_401_forces_one_refresh_and_one_replay(parts: Any) -> None:
    from ghlbridge import factories
    from ghlbridge.ghl.client import VERSION_2021_07_28
    from ghlbridge.tokens.provider import GHLAuth

    parts.seed(DEMO_LOCATION_ID, expires_in=FRESH)  # GHL does not know the stored (unexpired) token
    provider = parts.provider()
    client = factories.get_ghl_client()

    response = client.request(
        "GET",
        "/opportunities/pipelines",
        version=VERSION_2021_07_28,
        params={"locationId": DEMO_LOCATION_ID},
        auth=GHLAuth(provider, DEMO_LOCATION_ID),
    )

    calls = parts.ghl.sent_to("/opportunities/pipelines")
    assert {p["id"] for p in response.json()["pipelines"]} <= set(DEMO_PIPELINE_IDS)
    assert [c.headers["Authorization"] for c in calls] == [
        f"Bearer at-old-{DEMO_LOCATION_ID}",
        f"Bearer {parts.ghl.last_issued()[0]}",
    ]
    assert [r.status for r in parts.ghl.logged("/opportunities/pipelines")] == [401, 200]
    assert parts.ghl.token_posts("refresh_token") == 1
    for call in calls:
        assert_request_conforms(call.as_httpx_request())


def test_a_second_401_after_the_replay_is_an_error_not_a_loop(parts: Any) -> None:
    from ghlbridge import factories
    from ghlbridge.ghl.client import VERSION_2021_07_28
    from ghlbridge.ghl.errors import GHLUnauthorizedError
    from ghlbridge.tokens.provider import GHLAuth

    parts.seed(expires_in=FRESH)
    parts.ghl.reject_tokens()  # GHL refuses every token, the refreshed one too

    with pytest.raises(GHLUnauthorizedError):
        factories.get_ghl_client().request(
            "GET",
            "/opportunities/pipelines",
            version=VERSION_2021_07_28,
            params={"locationId": "loc1"},
            auth=GHLAuth(parts.provider(), "loc1"),
        )

    assert [r.status for r in parts.ghl.logged("/opportunities/pipelines")] == [401, 401]
    assert parts.ghl.token_posts("refresh_token") == 1


def pipelines(provider: Any, location_id: str = "loc1") -> Any:
    from ghlbridge import factories
    from ghlbridge.ghl.client import VERSION_2021_07_28
    from ghlbridge.tokens.provider import GHLAuth

    return factories.get_ghl_client().request(
        "GET",
        "/opportunities/pipelines",
        version=VERSION_2021_07_28,
        params={"locationId": location_id},
        auth=GHLAuth(provider, location_id),
    )


def test_a_token_refused_again_is_force_refreshed_at_most_once_a_minute(parts: Any) -> None:
    from ghlbridge.ghl.errors import GHLTokenRejectedError

    parts.seed(expires_in=FRESH)
    parts.ghl.reject_tokens()  # GHL keeps answering 401 "Invalid JWT"
    clock = [1000.0]
    provider = parts.provider(monotonic=lambda: clock[0])

    for _ in range(5):
        with pytest.raises(GHLTokenRejectedError):
            pipelines(provider)
        clock[0] += 5

    assert parts.ghl.token_posts("refresh_token") == 1  # the first 401 only; the next four stand as they are
    assert len(parts.ghl.sent_to("/opportunities/pipelines")) == 6  # one replay, after the one refresh
    clock[0] += 60
    with pytest.raises(GHLTokenRejectedError):
        pipelines(provider)
    assert parts.ghl.token_posts("refresh_token") == 2


def test_a_token_is_read_from_the_store_again_after_a_minute_so_an_uninstall_takes_effect(parts: Any) -> None:
    from ghlbridge.errors import InstallationNotFoundError

    parts.seed(expires_in=FRESH)
    store = CountingStore(parts.store)
    clock = [1000.0]
    provider = parts.provider(store, monotonic=lambda: clock[0])
    first = provider.access_token("loc1")
    parts.store.uninstall("loc1")

    clock[0] += 59
    assert provider.access_token("loc1") == first and store.calls == ["get_token_source"]
    clock[0] += 1
    with pytest.raises(InstallationNotFoundError):
        provider.access_token("loc1")
    assert store.calls == ["get_token_source", "get_token_source"]


def test_a_company_id_is_not_a_location_and_never_reaches_ghl(parts: Any) -> None:
    from ghlbridge.errors import InstallationNotFoundError
    from ghlbridge.store import InstallationKind

    parts.seed("compZ", expires_in=FRESH, kind=InstallationKind.COMPANY, approved_locations=["locZ1"])
    provider = parts.provider()

    with pytest.raises(InstallationNotFoundError):
        provider.access_token("compZ")

    assert parts.ghl.sent == [] and not parts.ghl.state.requests  # neither a refresh, nor a mint, nor any other call


def test_invalid_grant_marks_needs_reauth_and_never_deletes(parts: Any) -> None:
    from ghlbridge.errors import ReauthorizationRequiredError

    spent = parts.seed()
    parts.ghl.spend(spent)  # GHL no longer accepts it

    with pytest.raises(ReauthorizationRequiredError) as caught:
        parts.provider().access_token("loc1")

    inst = parts.store.get_installation("loc1")
    assert inst.status.value == "needs_reauth"
    assert inst.reauth_reason.startswith("invalid_grant")
    assert inst.reauth_at is not None
    assert inst.refresh_token_enc is not None  # nothing deleted
    assert caught.value.status == 409
    with pytest.raises(ReauthorizationRequiredError):  # and it stays refused without calling GHL
        parts.provider().access_token("loc1")
    assert parts.ghl.token_posts() == 1


def test_a_timeout_after_ghl_rotated_is_not_needs_reauth_and_the_lease_settles_it(parts: Any) -> None:
    from ghlbridge.errors import ReauthorizationRequiredError, TokenRefreshError

    parts.seed()
    # GHL rotates, the answer never arrives in time
    parts.ghl.add_fault(FaultRule("POST /oauth/token", "latency", value=2.5, after=True, count=1))

    with pytest.raises(TokenRefreshError):
        parts.provider(lease=3.0).access_token("loc1")  # the client gives up after 2 s

    inst = parts.store.get_installation("loc1")
    assert inst.status.value == "active" and inst.generation == 1
    assert inst.lease_holder is not None  # kept: the outcome is unknown
    assert parts.store.claim_refresh_lease("loc1", "someone-else", 5) is None
    time.sleep(1.5)  # the lease (3 s) expires
    with pytest.raises(ReauthorizationRequiredError):
        parts.provider().access_token("loc1")  # GHL had rotated: the later attempt settles it
    assert parts.ghl.token_posts("refresh_token") == 2


def test_a_timeout_before_ghl_rotated_is_settled_by_a_later_success(parts: Any) -> None:
    from ghlbridge.errors import TokenRefreshError

    parts.seed()
    parts.ghl.add_fault(FaultRule("POST /oauth/token", "latency", value=2.5, count=1))  # stalls,
    parts.ghl.add_fault(FaultRule("POST /oauth/token", "status", value=504, count=1))  # then fails: nothing rotated

    with pytest.raises(TokenRefreshError):
        parts.provider().access_token("loc1")
    time.sleep(1.1)
    token = parts.provider().access_token("loc1")

    assert token == parts.ghl.last_issued()[0]
    assert parts.store.get_installation("loc1").status.value == "active"


def test_the_store_failing_after_ghl_rotated_parks_the_pair_then_restores_it(parts: Any) -> None:
    parts.seed()
    failing = CountingStore(parts.store)
    failing.fail.add("complete_refresh")

    token = parts.provider(failing, lease=2.5).access_token("loc1")  # the caller still gets the new token

    new_access, new_refresh = parts.ghl.last_issued()
    assert token == new_access
    from ghlbridge import factories

    files = list(factories.get_parking()._dir.glob("*.json"))  # DirectoryParking in local runs
    assert len(files) == 1
    text = files[0].read_text()
    assert new_access not in text and new_refresh not in text  # parked encrypted
    assert failing.calls.count("complete_refresh") >= 2  # retried before parking
    assert stored_tokens(parts.store, parts.cipher, "loc1")[1] != new_refresh  # the store still has the dead pair

    time.sleep(1.2)  # the failed holder's lease expires
    again = parts.provider().access_token("loc1")  # a new container: restores before calling GHL

    assert again == new_access
    assert parts.ghl.token_posts("refresh_token") == 1  # the dead refresh token was never replayed
    assert stored_tokens(parts.store, parts.cipher, "loc1") == (new_access, new_refresh)
    assert list(factories.get_parking()._dir.glob("*.json")) == []


def test_invalid_grant_checks_the_parking_lot_before_marking_needs_reauth(parts: Any) -> None:
    """A pair parked by another container while our refresh was out is found before the
    installation is marked needs_reauth (the lot was empty when we looked before calling GHL)."""
    from ghlbridge import factories
    from ghlbridge.tokens.parking import ParkedPair
    from ghlbridge.tokens.refresh import aad, utcnow

    spent = parts.seed(expires_in=timedelta(minutes=1))
    parts.ghl.spend(spent)
    live = parts.ghl.refresh_token_for("loc1")
    inst = parts.store.get_installation("loc1")
    parked = ParkedPair(
        installation_id="loc1",
        parked_generation=inst.generation,
        access_token_enc=parts.cipher.encrypt("at-parked", aad=aad("loc1", "access")),
        refresh_token_enc=parts.cipher.encrypt(live, aad=aad("loc1", "refresh")),
        expires_at=utcnow() + timedelta(hours=20),
        parked_at=utcnow(),
    )
    lot = factories.get_parking()

    class ParkedMeanwhile:
        """Empty at the first look (before GHL is asked); the pair is parked while the call is out."""

        looks = 0

        def park(self, pair: ParkedPair) -> None:
            lot.park(pair)

        def drain(self) -> Any:
            self.looks += 1
            if self.looks == 1:
                lot.park(parked)
                return iter(())
            return lot.drain()

    assert parts.provider(parking=ParkedMeanwhile()).access_token("loc1") == "at-parked"
    assert parts.ghl.token_posts("refresh_token") == 1  # GHL said invalid_grant to the spent token
    assert parts.store.get_installation("loc1").status.value == "active"
    assert stored_tokens(parts.store, parts.cipher, "loc1") == ("at-parked", live)


def test_the_scheduled_refresh_handler_refreshes_due_installations_and_reports(
    parts: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import refresh  # functions/oauth/refresh.py

    parts.seed("due1", expires_in=timedelta(hours=1))
    parts.seed("due2", expires_in=timedelta(hours=5))
    parts.seed("later", expires_in=timedelta(hours=10))
    spent = parts.seed("lost", expires_in=timedelta(hours=2))
    parts.ghl.spend(spent)

    summary = refresh.handler(scheduled_event("TokenRefreshFunction"), lambda_context(remaining_ms=300_000))

    assert summary["due"] == 3
    assert summary["refreshed"] == 2 and summary["needs_reauth"] == 1 and summary["failed"] == 0
    assert parts.ghl.token_posts("refresh_token") == 3
    assert parts.store.get_installation("later").generation == 1
    assert parts.store.get_installation("lost").status.value == "needs_reauth"
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = {m["Name"] for blob in emf for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"RefreshSucceeded", "RefreshFailed", "RefreshNeedsReauth"} <= names
    values = {
        k: sum(v) if isinstance(v, list) else v for blob in emf for k, v in blob.items() if k.startswith("Refresh")
    }
    assert values["RefreshSucceeded"] == 2.0 and values["RefreshFailed"] == 0.0


def test_the_scheduled_refresh_goes_on_past_individual_failures(parts: Any) -> None:
    from ghlbridge import factories
    from ghlbridge.tokens.refresh import run_scheduled_refresh

    parts.seed("a", expires_in=timedelta(hours=1))
    parts.seed("b", expires_in=timedelta(hours=1))
    parts.seed("c", expires_in=timedelta(hours=1))
    # the first refresh fails; GHL is a POST: not retried
    parts.ghl.add_fault(FaultRule("POST /oauth/token", "status", value=503, count=1))

    summary = run_scheduled_refresh(factories.get_refresher(), window=timedelta(hours=6), concurrency=1)

    assert summary["due"] == 3
    assert summary["refreshed"] == 2 and summary["failed"] == 1
    assert summary["failures"][0]["error"] == "TokenRefreshError"


def test_the_scheduled_refresh_stops_starting_work_near_its_deadline(parts: Any) -> None:
    from ghlbridge import deadline, factories
    from ghlbridge.tokens.refresh import run_scheduled_refresh

    parts.seed("a", expires_in=timedelta(hours=1))
    deadline.start(None, budget_seconds=5)

    summary = run_scheduled_refresh(
        factories.get_refresher(), window=timedelta(hours=6), concurrency=2, per_item_seconds=10
    )

    assert summary["not_attempted"] == 1 and summary["refreshed"] == 0
    assert parts.ghl.token_posts() == 0
