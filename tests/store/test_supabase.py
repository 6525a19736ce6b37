"""What is particular to `SupabaseStore`: the requests it sends, and how a failing PostgREST or
network becomes `StoreUnavailableError` without the service-role key (or a row) in the message.

Outbound HTTP faults are simulated with respx; the wire format against the real SQL goes through
the PostgREST double (marked postgres)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from ghlbridge.store import Installation, InstallationKind, MemberRole, StoreUnavailableError
from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus
from ghlbridge.store.supabase import StoreRejectedError, SupabaseStore
from tests.postgrest_double import SERVICE_ROLE_KEY, PostgrestDouble

URL = "https://projref.supabase.co"
KEY = "service-role-key-that-must-never-leak"
RPC = f"{URL}/rest/v1/rpc/get_installation"


@pytest.fixture
def store() -> Iterator[SupabaseStore]:
    opened = SupabaseStore(URL, KEY)
    yield opened
    opened.close()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as mocked:
        yield mocked


def fails(call: Callable[[], object], error: type[Exception]) -> Exception:
    with pytest.raises(error) as caught:
        call()
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    return caught.value


def test_a_call_is_one_post_to_the_function_with_the_service_key(
    store: SupabaseStore, router: respx.MockRouter
) -> None:
    route = router.post(RPC).mock(return_value=httpx.Response(200, content=b"null"))

    assert store.get_installation("loc1") is None

    request = route.calls.last.request
    assert (request.method, request.url) == ("POST", httpx.URL(RPC))
    assert request.headers["apikey"] == KEY and request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Profile"] == "public"
    assert json.loads(request.content) == {"p_installation_id": "loc1"}


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503, json={"code": "PGRST000", "message": "Could not connect", "details": None, "hint": None}),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(500, json={"code": "57014", "message": "canceling statement due to statement timeout"}),
    ],
)
def test_a_5xx_is_unavailable(store: SupabaseStore, router: respx.MockRouter, answer: httpx.Response) -> None:
    router.post(RPC).mock(return_value=answer)

    error = fails(lambda: store.get_installation("loc1"), StoreUnavailableError)

    assert not isinstance(error, StoreRejectedError)
    assert f"HTTP {answer.status_code}" in str(error) and "get_installation" in str(error)


@pytest.mark.parametrize(
    "fault", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")]
)
def test_a_transport_failure_is_unavailable(store: SupabaseStore, router: respx.MockRouter, fault: Exception) -> None:
    router.post(RPC).mock(side_effect=fault)

    error = fails(lambda: store.get_installation("loc1"), StoreUnavailableError)

    assert type(fault).__name__ in str(error)


def test_an_unreachable_store_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    unreachable = SupabaseStore(f"http://127.0.0.1:{port}", KEY, timeout=2)

    fails(lambda: unreachable.record_webhook("wh-1", "INSTALL"), StoreUnavailableError)
    unreachable.close()


def test_a_4xx_is_rejected_without_the_details(store: SupabaseStore, router: respx.MockRouter) -> None:
    """PostgREST's details can hold the failing row, ciphertexts included: never copied."""
    router.post(f"{URL}/rest/v1/rpc/save_installation").mock(
        return_value=httpx.Response(
            400,
            json={
                "code": "23514",
                "message": "new row violates check constraint",
                "hint": None,
                "details": "Failing row contains (loc1, enc:secret-ciphertext, ...)",
            },
        )
    )
    inst = Installation(id="loc1", kind=InstallationKind.LOCATION, user_type="Location", access_token_enc="enc:x")

    error = fails(lambda: store.save_installation(inst), StoreRejectedError)

    assert isinstance(error, StoreUnavailableError)  # callers holding a rotated pair park it
    assert isinstance(error, StoreRejectedError) and error.code == "23514"
    assert "check constraint" in str(error) and "ciphertext" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_an_unexpected_answer_is_unavailable(store: SupabaseStore, router: respx.MockRouter) -> None:
    router.post(f"{URL}/rest/v1/rpc/record_webhook").mock(return_value=httpx.Response(200, text="<html>"))

    fails(lambda: store.record_webhook("wh-1", "INSTALL"), StoreUnavailableError)


@pytest.mark.parametrize("answer", [b"true", b"-1", b"1.5", b"null", b'{"deleted": 3}'])
def test_a_purge_answers_a_count_or_is_unavailable(
    store: SupabaseStore, router: respx.MockRouter, answer: bytes
) -> None:
    route = router.post(f"{URL}/rest/v1/rpc/purge_webhook_receipts")
    route.side_effect = [httpx.Response(200, content=b"3"), httpx.Response(200, content=answer)]

    assert store.purge_webhook_receipts(86700, 1000) == 3
    assert json.loads(route.calls.last.request.content) == {"p_older_than_seconds": 86700.0, "p_limit": 1000}
    fails(lambda: store.purge_webhook_receipts(86700, 1000), StoreUnavailableError)


def test_a_shared_client_gets_the_hook_once_and_stays_open(router: respx.MockRouter) -> None:
    router.post(RPC).mock(return_value=httpx.Response(503, json={"code": "PGRST000"}))
    shared = httpx.Client()

    first, second = SupabaseStore(URL, KEY, http_client=shared), SupabaseStore(URL, KEY, http_client=shared)
    first.close()

    assert len(shared.event_hooks["response"]) == 1 and not shared.is_closed
    fails(lambda: second.get_installation("loc1"), StoreUnavailableError)
    shared.close()


def test_the_key_is_in_no_repr(store: SupabaseStore) -> None:
    assert KEY not in repr(store) and KEY not in str(store)
    with pytest.raises(ValueError, match="empty"):
        SupabaseStore(URL, "")
    with pytest.raises(ValueError, match="URL"):
        SupabaseStore("", KEY)  # an unset SUPABASE_URL


# --- against the PostgREST double and the real SQL ---------------------------------------------------
@pytest.mark.postgres
def test_each_operation_is_one_rpc(supabase_store: SupabaseStore, postgrest_double: PostgrestDouble) -> None:
    user, when = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e", datetime(2026, 12, 1, tzinfo=UTC)
    other = "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
    inst = Installation(id="loc1", kind=InstallationKind.LOCATION, user_type="Location", refresh_token_enc="r")
    record = IdempotencyRecord(key="k1", status=IdempotencyStatus.INPROGRESS, expires_at=when)
    done = IdempotencyStatus.COMPLETED
    calls: list[tuple[str, Callable[[], object]]] = [
        ("save_installation", lambda: supabase_store.save_installation(inst)),
        ("get_installation", lambda: supabase_store.get_installation("loc1")),
        ("get_token_source", lambda: supabase_store.get_token_source("loc1")),
        ("list_expiring", lambda: supabase_store.list_expiring(when)),
        ("claim_refresh_lease", lambda: supabase_store.claim_refresh_lease("loc1", "h", 30)),
        ("complete_refresh", lambda: supabase_store.complete_refresh("loc1", "h", 1, "a", "r", when, ["s"])),
        ("release_lease", lambda: supabase_store.release_lease("loc1", "h")),
        ("mark_needs_reauth", lambda: supabase_store.mark_needs_reauth("loc1", 2, "invalid_grant")),
        ("restore_parked", lambda: supabase_store.restore_parked("loc1", 2, "a", None, when)),
        ("set_location_name", lambda: supabase_store.set_location_name("loc1", "Main Street")),
        ("uninstall_installation", lambda: supabase_store.uninstall("loc1")),
        ("add_member", lambda: supabase_store.add_member("loc1", user, MemberRole.OWNER, added_by=user)),
        ("get_membership", lambda: supabase_store.get_membership("loc1", user)),
        ("list_members", lambda: supabase_store.list_members("loc1")),
        ("list_locations", lambda: supabase_store.list_locations(user)),
        ("put_member", lambda: supabase_store.put_member("loc1", user, other, MemberRole.MEMBER)),
        ("put_member", lambda: supabase_store.put_member("loc1", "not-a-user", other, MemberRole.MEMBER)),
        ("set_member_role", lambda: supabase_store.set_member_role("loc1", user, other, MemberRole.OWNER)),
        ("link_member", lambda: supabase_store.link_member("loc1", user, other, "ghl-1")),
        ("remove_member", lambda: supabase_store.remove_member("loc1", user, other)),
        ("create_install_ticket", lambda: supabase_store.create_install_ticket("t", user, "loc1", when)),
        ("redeem_install_ticket", lambda: supabase_store.redeem_install_ticket("t", user)),
        ("create_oauth_state", lambda: supabase_store.create_oauth_state("n", user, when)),
        ("consume_oauth_state", lambda: supabase_store.consume_oauth_state("n", user)),
        ("record_webhook", lambda: supabase_store.record_webhook("wh-1", "INSTALL")),
        ("put_idempotency_record", lambda: supabase_store.put_idempotency_record(record)),
        ("put_idempotency_record", lambda: supabase_store.put_idempotency_record(record)),  # the conflict too
        ("get_idempotency_record", lambda: supabase_store.get_idempotency_record(record.key)),
        ("update_idempotency_record", lambda: supabase_store.update_idempotency_record(record.key, done, when, "{}")),
        ("settle_idempotency_record", lambda: supabase_store.settle_idempotency_record(record.key, when, when, "{}")),
        ("delete_idempotency_record", lambda: supabase_store.delete_idempotency_record(record.key)),
        ("purge_idempotency_records", lambda: supabase_store.purge_idempotency_records(1000)),
        ("purge_oauth_states", lambda: supabase_store.purge_oauth_states(1000)),
        ("purge_install_tickets", lambda: supabase_store.purge_install_tickets(1000)),
        ("purge_webhook_receipts", lambda: supabase_store.purge_webhook_receipts(86700, 1000)),
    ]
    for function, call in calls:
        postgrest_double.reset()
        call()
        assert postgrest_double.calls == [function]


@pytest.mark.postgres
def test_the_locations_of_a_user_and_their_names_are_one_rpc(
    supabase_store: SupabaseStore, postgrest_double: PostgrestDouble
) -> None:
    user = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
    approved = [f"locA{n}" for n in range(10)]
    supabase_store.save_installation(
        Installation(id="comp1", kind=InstallationKind.COMPANY, user_type="Company", approved_locations=approved)
    )
    for n in range(10):
        own = Installation(id=f"loc{n}", kind=InstallationKind.LOCATION, user_type="Location")
        supabase_store.save_installation(own)
    for location_id in (*approved, *(f"loc{n}" for n in range(10))):
        supabase_store.add_member(location_id, user, MemberRole.MEMBER)
        assert supabase_store.set_location_name(location_id, f"{location_id} name")
    postgrest_double.reset()

    listed = supabase_store.list_locations(user)

    assert postgrest_double.calls == ["list_locations"]
    assert len(listed) == 20 and all(a.name == f"{a.membership.location_id} name" for a in listed)


@pytest.mark.postgres
def test_a_wrong_key_is_refused(postgrest_url: str) -> None:
    wrong = SupabaseStore(postgrest_url, f"{SERVICE_ROLE_KEY}-wrong")

    with pytest.raises(StoreRejectedError) as caught:
        wrong.get_installation("loc1")

    assert caught.value.code == "PGRST301" and SERVICE_ROLE_KEY not in str(caught.value)
    wrong.close()
