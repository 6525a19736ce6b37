"""A location's team through the TeamFunction handler: members (owners, members, GHL user links)
and the location's GHL users, with every rule checked against the store's state afterwards."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from ghlbridge.store import MemberRole
from tests.ghl.ghl_testkit import spec_response
from tests.toolkit.kit import LOCATION, OTHER_USER, USER, Toolkit, sent

FN = "team"
MEMBERS = f"/locations/{LOCATION}/members"
THIRD = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
ANN = {"id": "AnnUser0000000000001", "name": "Ann Lee", "email": "Ann.Lee@Example.com"}
BOB = {"id": "BobUser0000000000001", "name": "Bob Ray", "email": "bob@example.com"}


def user_body(found: dict[str, str], role: str = "user") -> dict[str, Any]:
    first, last = found["name"].split()
    return {
        **found,
        "firstName": first,
        "lastName": last,
        "phone": "+1 808-868-8888",
        "extension": "",
        "roles": {"type": "account", "role": role, "locationIds": [LOCATION], "restrictSubAccount": False},
        "deleted": False,
    }


@pytest.fixture
def users(ghl_api: respx.MockRouter) -> respx.Route:
    body = {"users": [user_body(ANN, "admin"), user_body(BOB)], "count": 2}
    return ghl_api.get("/users/search").mock(return_value=spec_response("GET", "/users/search", 200, body))


def as_owner(toolkit: Toolkit) -> None:
    toolkit.store.add_member(LOCATION, USER, MemberRole.OWNER)


def stored(toolkit: Toolkit, user: str) -> Any:
    return toolkit.store.get_membership(LOCATION, user)


def test_any_member_lists_the_members(toolkit: Toolkit) -> None:
    toolkit.store.add_member(LOCATION, OTHER_USER, MemberRole.OWNER, added_by=OTHER_USER)

    reply = toolkit.call(FN, "GET", MEMBERS)

    assert reply.status == 200
    by_user = {item["userId"]: item for item in reply.body["items"]}
    assert set(by_user) == {USER, OTHER_USER}
    assert by_user[OTHER_USER]["role"] == "owner" and by_user[OTHER_USER]["addedBy"] == OTHER_USER
    assert by_user[USER]["role"] == "member" and by_user[USER]["ghlUserId"] is None
    assert by_user[USER]["addedAt"]


def test_only_an_owner_adds_members_and_a_repeat_is_harmless(toolkit: Toolkit) -> None:
    refused = toolkit.call(FN, "POST", MEMBERS, body={"userId": THIRD})
    assert refused.status == 403 and stored(toolkit, THIRD) is None
    as_owner(toolkit)

    created = toolkit.call(FN, "POST", MEMBERS, body={"userId": THIRD})
    again = toolkit.call(FN, "POST", MEMBERS, body={"userId": THIRD, "role": "member"})
    other_role = toolkit.call(FN, "POST", MEMBERS, body={"userId": THIRD, "role": "owner"})

    assert created.status == 201 and created.body["role"] == "member" and created.body["addedBy"] == USER
    assert again.status == 200 and again.body == created.body  # no Idempotency-Key needed: idempotent by nature
    assert other_role.status == 409 and other_role.code == "member_exists"
    assert stored(toolkit, THIRD).role is MemberRole.MEMBER


@pytest.mark.parametrize(
    "body",
    [{}, {"userId": "not-a-uuid"}, {"userId": THIRD, "role": "admin"}, {"userId": THIRD, "extra": 1}],
    ids=["empty", "not-a-uuid", "unknown-role", "unknown-field"],
)
def test_a_bad_member_body_is_a_400_and_stores_nothing(toolkit: Toolkit, body: dict[str, Any]) -> None:
    as_owner(toolkit)

    reply = toolkit.call(FN, "POST", MEMBERS, body=body)

    assert reply.status == 400 and reply.code == "invalid_request"
    assert [m.user_id for m in toolkit.store.list_members(LOCATION)] == [USER]


def test_roles_change_only_by_owners_and_never_leave_the_location_without_one(toolkit: Toolkit) -> None:
    as_owner(toolkit)
    toolkit.store.add_member(LOCATION, OTHER_USER, MemberRole.MEMBER)

    refused = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", user=OTHER_USER, body={"role": "member"})
    last = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", body={"role": "member"})
    promoted = toolkit.call(FN, "PATCH", f"{MEMBERS}/{OTHER_USER}", body={"role": "owner"})
    demoted = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", body={"role": "member"})
    missing = toolkit.call(FN, "PATCH", f"{MEMBERS}/{THIRD}", user=OTHER_USER, body={"role": "owner"})

    assert refused.status == 403
    assert last.status == 409 and last.code == "last_owner"
    assert promoted.status == 200 and promoted.body["role"] == "owner"
    assert demoted.status == 200 and demoted.body["role"] == "member"
    assert missing.status == 404 and missing.code == "not_found"
    assert stored(toolkit, USER).role is MemberRole.MEMBER and stored(toolkit, OTHER_USER).role is MemberRole.OWNER


def test_a_member_may_leave_but_not_remove_others(toolkit: Toolkit) -> None:
    toolkit.store.add_member(LOCATION, OTHER_USER, MemberRole.OWNER)
    toolkit.store.add_member(LOCATION, THIRD, MemberRole.MEMBER)

    refused = toolkit.call(FN, "DELETE", f"{MEMBERS}/{THIRD}")
    left = toolkit.call(FN, "DELETE", f"{MEMBERS}/{USER}")

    assert refused.status == 403 and stored(toolkit, THIRD) is not None
    assert left.status == 204 and left.body is None and stored(toolkit, USER) is None
    assert toolkit.call(FN, "GET", MEMBERS).status == 403


def test_an_owner_links_any_member_to_a_user_of_the_location(toolkit: Toolkit, users: respx.Route) -> None:
    as_owner(toolkit)
    toolkit.store.add_member(LOCATION, OTHER_USER, MemberRole.MEMBER)

    linked = toolkit.call(FN, "PATCH", f"{MEMBERS}/{OTHER_USER}", body={"ghlUserId": BOB["id"]})
    taken = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", body={"ghlUserId": BOB["id"]})
    unknown = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", body={"ghlUserId": "NoSuchUser0000000001"})

    assert linked.status == 200 and linked.body["ghlUserId"] == BOB["id"]
    assert taken.status == 409 and taken.code == "ghl_user_taken"
    assert unknown.status == 400 and unknown.error["details"][0]["field"] == "ghlUserId"
    assert stored(toolkit, OTHER_USER).ghl_user_id == BOB["id"] and stored(toolkit, USER).ghl_user_id is None
    request = sent(users)
    assert dict(request.url.params) == {"companyId": "comp1", "locationId": LOCATION, "skip": "0", "limit": "100"}
    assert users.call_count == 2  # the cached list missed the unknown id once: asked again, once


def test_a_member_links_only_themself_and_only_to_their_own_email(toolkit: Toolkit, users: respx.Route) -> None:
    from tests.conftest import make_jwt

    toolkit.store.add_member(LOCATION, OTHER_USER, MemberRole.MEMBER)
    mine = make_jwt(USER, email="ann.lee@example.com")  # the e-mail matches Ann's, case aside

    someone_else = toolkit.call(FN, "PATCH", f"{MEMBERS}/{OTHER_USER}", token=mine, body={"ghlUserId": ANN["id"]})
    not_mine = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", token=mine, body={"ghlUserId": BOB["id"]})
    role = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", token=mine, body={"role": "owner"})
    ok = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", token=mine, body={"ghlUserId": ANN["id"]})

    assert (someone_else.status, not_mine.status, role.status) == (403, 403, 403)
    assert ok.status == 200 and ok.body["ghlUserId"] == ANN["id"]
    unlinked = toolkit.call(FN, "PATCH", f"{MEMBERS}/{USER}", token=mine, body={"ghlUserId": None})
    assert unlinked.status == 200 and stored(toolkit, USER).ghl_user_id is None
    assert stored(toolkit, USER).role is MemberRole.MEMBER


def test_the_locations_ghl_users_are_listed_and_cached(toolkit: Toolkit, users: respx.Route) -> None:
    first = toolkit.call(FN, "GET", f"/locations/{LOCATION}/users")
    second = toolkit.call(FN, "GET", f"/locations/{LOCATION}/users")

    assert first.status == 200 and first.body == second.body
    assert first.body["items"] == [
        {"id": ANN["id"], "name": ANN["name"], "email": ANN["email"], "role": "admin"},
        {"id": BOB["id"], "name": BOB["name"], "email": BOB["email"], "role": "user"},
    ]
    assert users.call_count == 1
    assert sent(users).headers["Version"] == "2021-07-28"


def test_a_missing_users_scope_asks_for_a_reinstall(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    body = {"statusCode": 401, "message": "The token is not authorized for this scope."}
    route = ghl_api.get("/users/search").mock(return_value=spec_response("GET", "/users/search", 401, body))

    reply = toolkit.call(FN, "GET", f"/locations/{LOCATION}/users")

    assert reply.status == 409 and reply.code == "reauthorization_required"
    assert reply.error["details"]["reason"] == "missing_scope"
    assert route.call_count == 1  # no refresh and no replay: a new token would lack the scope too
