"""GET /locations: the caller's locations and their connection state, from the store alone."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import AppEnv, make_jwt
from tests.lambda_events import http_event, lambda_context
from tests.seed import seed_installation

USER = str(uuid.uuid4())


def get_locations(user: str = USER, token: str | None = None) -> dict[str, Any]:
    import app

    headers = {"Authorization": f"Bearer {token or make_jwt(user)}"}
    return app.handler(http_event("GET", "/locations", headers=headers), lambda_context())


@pytest.fixture
def store(app_env: AppEnv) -> Any:
    from ghlbridge import factories

    return factories.get_store()


def test_lists_connected_needs_reauth_and_agency_locations(store: Any) -> None:
    from ghlbridge.factories import get_cipher
    from ghlbridge.store import InstallationKind

    cipher = get_cipher()
    ok = seed_installation(
        store, cipher, "locOK", access="at-ok-000000", refresh="rt-ok-000000", expires_in=timedelta(hours=20)
    )
    bad = seed_installation(
        store, cipher, "locBAD", access="at-bad-00000", refresh="rt-bad-00000", expires_in=timedelta(hours=1)
    )
    store.mark_needs_reauth("locBAD", bad.generation, "invalid_grant: refresh token is invalid")
    seed_installation(
        store,
        cipher,
        "compA",
        access="at-comp-0000",
        refresh="rt-comp-0000",
        expires_in=timedelta(hours=20),
        kind=InstallationKind.COMPANY,
        approved_locations=["locVIA"],
    )
    for location_id in ("locOK", "locBAD", "locVIA"):
        store.add_member(location_id, USER, "owner")
    store.add_member("locOTHER", str(uuid.uuid4()), "owner")  # someone else's

    response = get_locations()

    assert response["statusCode"] == 200
    items = {item["id"]: item for item in json.loads(response["body"])["items"]}
    assert set(items) == {"locOK", "locBAD", "locVIA"}
    assert items["locOK"]["status"] == "connected"
    assert items["locOK"]["tokenExpiresAt"] == ok.expires_at.isoformat().replace("+00:00", "Z")
    assert items["locOK"]["scopes"] == ["contacts.readonly"]
    assert items["locBAD"]["status"] == "needs_reauth"
    assert items["locBAD"]["reauthReason"].startswith("invalid_grant")
    assert items["locVIA"] == {
        "id": "locVIA",
        "name": None,
        "role": "owner",
        "ghlUserId": None,
        "status": "connected",
        "reauthReason": None,
        "viaCompanyId": "compA",
        "scopes": ["contacts.readonly"],
        "tokenExpiresAt": None,
    }
    body = response["body"]
    assert "at-ok" not in body and "rt-ok" not in body and "enc" not in body


def test_a_user_with_no_locations_gets_an_empty_list(store: Any) -> None:
    response = get_locations(str(uuid.uuid4()))

    assert json.loads(response["body"]) == {"items": [], "nextCursor": None}


def test_locations_needs_a_valid_jwt(store: Any) -> None:
    store.add_member("locOK", USER, "owner")

    response = get_locations(token=make_jwt(USER, aud="anon"))

    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "unauthenticated"


def test_the_callers_link_and_role_show_and_the_list_is_one_store_call(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge.factories import get_cipher
    from ghlbridge.store import MemberRole

    for n in range(5):
        location_id = f"locM{n}"
        seed_installation(store, get_cipher(), location_id, access=f"at-{n:010}", refresh=f"rt-{n:010}",
                          expires_in=timedelta(hours=20))  # fmt: skip
        store.add_member(location_id, USER, MemberRole.MEMBER if n else MemberRole.OWNER)
    store.link_member("locM0", USER, USER, "ghlUser0001")
    calls: list[str] = []
    real = type(store)
    for name in ("list_locations", "get_installation", "get_token_source", "get_membership"):
        original = getattr(real, name)
        monkeypatch.setattr(
            real, name, lambda self, *a, _o=original, _n=name, **k: calls.append(_n) or _o(self, *a, **k)
        )

    items = json.loads(get_locations()["body"])["items"]

    assert calls == ["list_locations"]
    assert [(i["id"], i["role"], i["ghlUserId"]) for i in items] == [
        ("locM0", "owner", "ghlUser0001"),
        *((f"locM{n}", "member", None) for n in range(1, 5)),
    ]


def test_an_uninstalled_location_is_no_longer_listed(store: Any) -> None:
    from ghlbridge.factories import get_cipher

    seed_installation(store, get_cipher(), "locGONE", access="at-gone-0000", refresh="rt-gone-0000",
                      expires_in=timedelta(hours=20))  # fmt: skip
    store.add_member("locGONE", USER, "owner")
    assert [i["id"] for i in json.loads(get_locations()["body"])["items"]] == ["locGONE"]

    store.uninstall("locGONE")

    assert json.loads(get_locations()["body"])["items"] == []
    assert store.get_membership("locGONE", USER) is None
