"""Users: search (filters, paging, location scope), the deprecated location list, get by id, and
what each token class may see."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ghlsandbox import (
    DEMO_COMPANY_ID,
    DEMO_LOCATION_ID,
    DEMO_USER_ID,
    DEMO_USER_IDS,
    DEV_USER_EMAIL,
    DEV_USER_ID,
    OTHER_LOCATION_ID,
    OTHER_USER_ID,
)

from tests.sandbox.kit import Ghl

NO_ACCESS = "The token does not have access to this location."
NO_USER = {"statusCode": 401, "message": "The user does not exist.", "error": "Unauthorized"}
DEMO_LOCATION_USERS = {*DEMO_USER_IDS, DEV_USER_ID}
MARCUS, RENEE, TOM = DEMO_USER_IDS[1:]


def _without_trace(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "traceId"}


def _search(sbx: Ghl, token: str | None = None, **params: str) -> httpx.Response:
    return sbx.get("/users/search", params={"companyId": DEMO_COMPANY_ID, **params}, token=token)


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [user["id"] for user in response.json()["users"]]


def test_the_demo_location_has_five_users_one_admin_and_the_dev_user(sbx: Ghl) -> None:
    body = _search(sbx).json()

    users = {user["id"]: user for user in body["users"]}
    assert set(users) == DEMO_LOCATION_USERS and body["count"] == 5
    assert len({user["email"] for user in users.values()}) == 5
    assert [uid for uid, user in users.items() if user["roles"]["role"] == "admin"] == [DEMO_USER_ID]
    assert {users[uid]["roles"]["role"] for uid in DEMO_LOCATION_USERS - {DEMO_USER_ID}} == {"user"}
    dev = users[DEV_USER_ID]
    assert (dev["name"], dev["firstName"], dev["lastName"], dev["email"]) == ("Dev User", "Dev", "User", DEV_USER_EMAIL)
    assert dev["roles"] == {
        "type": "account",
        "role": "user",
        "locationIds": [DEMO_LOCATION_ID],
        "restrictSubAccount": False,
    }
    dana = users[DEMO_USER_ID]
    assert (dana["email"], dana["roles"]["type"]) == ("dana@sandbox-agency.example", "agency")
    assert dana["roles"]["locationIds"] == [DEMO_LOCATION_ID, OTHER_LOCATION_ID]
    assert all(user["deleted"] is False and user["permissions"]["contactsEnabled"] for user in users.values())


def test_search_is_sorted_by_name_and_pages_without_gaps_or_duplicates(sbx: Ghl) -> None:
    everyone = _ids(_search(sbx, limit="25"))
    pages = [_search(sbx, skip=str(skip), limit="2") for skip in (0, 2, 4, 6)]

    names = [sbx.sandbox.state.data.users[uid].name for uid in everyone]
    assert names == ["Dana Whitfield", "Dev User", "Marcus Bell", "Renee Alvarez", "Tom Okoro"]
    assert [_ids(page) for page in pages] == [everyone[0:2], everyone[2:4], everyone[4:5], []]
    assert {page.json()["count"] for page in pages} == {5}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"query": "RENEE"}, [RENEE]),
        ({"query": "tom@sandbox"}, [TOM]),
        ({"query": "5550101"}, [MARCUS]),
        ({"query": "sandbox-agency"}, [DEMO_USER_ID, MARCUS, RENEE, TOM]),
        ({"role": "admin"}, [DEMO_USER_ID]),
        ({"type": "agency"}, [DEMO_USER_ID]),
        ({"type": "account", "role": "user", "limit": "2"}, [DEV_USER_ID, MARCUS]),
        ({"ids": f"{TOM}, {DEV_USER_ID},{OTHER_USER_ID}"}, [DEV_USER_ID, TOM]),
        ({"enabled2waySync": "true"}, [DEMO_USER_ID]),
        ({"sort": "email", "sortDirection": "desc", "limit": "3"}, [TOM, RENEE, MARCUS]),
        ({"sort": "dateAdded", "limit": "2"}, [DEMO_USER_ID, MARCUS]),
        ({"query": "nobody"}, []),
    ],
)
def test_search_filters(sbx: Ghl, params: dict[str, str], expected: list[str]) -> None:
    response = _search(sbx, **params)

    assert _ids(response) == expected
    unpaged = {name: value for name, value in params.items() if name != "limit"}
    assert response.json()["count"] == len(_ids(_search(sbx, **unpaged)))


def test_a_location_token_searches_only_its_own_location_and_company(sbx: Ghl) -> None:
    own = _search(sbx, locationId=DEMO_LOCATION_ID)
    other_location = _search(sbx, locationId=OTHER_LOCATION_ID)
    other_company = sbx.get("/users/search", params={"companyId": "someOtherCompany0000"})
    grace = _search(sbx, query="grace")

    assert set(_ids(own)) == DEMO_LOCATION_USERS
    for refused in (other_location, other_company):
        assert refused.status_code == 403
        assert _without_trace(refused.json()) == {"statusCode": 403, "message": NO_ACCESS}
    assert _ids(grace) == [] and grace.json()["count"] == 0, "the other location's user is not visible"


def test_a_company_token_searches_the_whole_company_or_one_approved_location(sbx: Ghl) -> None:
    company = sbx.install(user_type="Company")["access_token"]

    everyone = _search(sbx, token=company)
    other = _search(sbx, token=company, locationId=OTHER_LOCATION_ID)
    unknown = _search(sbx, token=company, locationId="notAnApprovedLocId00")
    grace = sbx.get(f"/users/{OTHER_USER_ID}", token=company)

    assert set(_ids(everyone)) == DEMO_LOCATION_USERS | {OTHER_USER_ID}
    assert _ids(other) == [DEMO_USER_ID, OTHER_USER_ID]
    assert unknown.status_code == 403 and unknown.json()["message"] == NO_ACCESS
    assert grace.status_code == 200 and grace.json()["email"] == "grace@sandbox-agency.example"


def test_the_deprecated_location_list_has_every_user_and_no_count(sbx: Ghl) -> None:
    listed = sbx.get("/users/", params={"locationId": DEMO_LOCATION_ID})
    other = sbx.get("/users/", params={"locationId": OTHER_LOCATION_ID})
    missing = sbx.get("/users/")
    company = sbx.get(
        "/users/", params={"locationId": DEMO_LOCATION_ID}, token=sbx.install(user_type="Company")["access_token"]
    )

    assert listed.status_code == 200 and set(listed.json()) == {"users"}
    assert _ids(listed) == _ids(_search(sbx))
    assert other.status_code == 403 and other.json()["message"] == NO_ACCESS
    assert missing.status_code == 422 and missing.json()["message"] == ["locationId should not be empty"]
    assert company.status_code == 401 and company.json()["message"].startswith("This authClass type is not allowed")


def test_get_a_user_by_id(sbx: Ghl) -> None:
    response = sbx.get(f"/users/{MARCUS}")

    assert response.status_code == 200
    user = response.json()
    assert (user["id"], user["name"], user["email"], user["phone"]) == (
        MARCUS,
        "Marcus Bell",
        "marcus@sandbox-agency.example",
        "+15125550101",
    )
    assert user["roles"]["role"] == "user" and user["roles"]["locationIds"] == [DEMO_LOCATION_ID]
    assert "users" not in user and "deleted" not in user, "a flat UserSuccessfulResponseDto"


@pytest.mark.parametrize("user_id", ["doesNotExist00000000", OTHER_USER_ID])
def test_an_unknown_or_invisible_user_is_a_401_user_does_not_exist(sbx: Ghl, user_id: str) -> None:
    response = sbx.get(f"/users/{user_id}")

    assert response.status_code == 401
    assert _without_trace(response.json()) == NO_USER
    assert response.json()["traceId"] == response.headers["traceId"]


def test_a_deleted_user_is_gone_from_get_search_and_list(sbx: Ghl) -> None:
    with sbx.sandbox.state.lock:
        sbx.sandbox.state.data.users[RENEE].deleted = True

    got = sbx.get(f"/users/{RENEE}")

    assert got.status_code == 401 and _without_trace(got.json()) == NO_USER
    assert set(_ids(_search(sbx))) == DEMO_LOCATION_USERS - {RENEE}
    assert RENEE not in _ids(sbx.get("/users/", params={"locationId": DEMO_LOCATION_ID}))


def test_installs_get_the_users_scope_and_a_token_without_it_is_refused(sbx: Ghl) -> None:
    narrow = sbx.install(scope="contacts.readonly")["access_token"]

    refused = [
        _search(sbx, token=narrow),
        sbx.get("/users/", params={"locationId": DEMO_LOCATION_ID}, token=narrow),
        sbx.get(f"/users/{DEMO_USER_ID}", token=narrow),
    ]

    assert "users.readonly" in sbx.tokens["scope"].split()
    for response in refused:
        assert response.status_code == 401
        assert _without_trace(response.json()) == {
            "statusCode": 401,
            "message": "The token is not authorized for this scope.",
        }


def test_users_need_version_2021_07_28(sbx: Ghl) -> None:
    wrong = sbx.get("/users/search", params={"companyId": DEMO_COMPANY_ID}, headers={"Version": "2021-04-15"})
    missing = sbx.http.get(f"/users/{DEMO_USER_ID}", headers={"Authorization": f"Bearer {sbx.token}"})

    assert wrong.status_code == 400 and wrong.json()["message"] == "Invalid API version segment: 2021-04-15"
    assert missing.status_code == 401
    assert _without_trace(missing.json()) == {"statusCode": 401, "message": "version header was not found."}


@pytest.mark.parametrize(
    ("params", "messages"),
    [
        ({"companyId": ""}, ["companyId should not be empty"]),
        ({"skip": "-1"}, ["skip must be a number string"]),
        ({"limit": "ten"}, ["limit must be a number string"]),
        ({"limit": "0"}, ["limit must not be less than 1"]),
        ({"sort": "age"}, ["sort must be one of the following values: name, firstName, lastName, email, dateAdded"]),
        ({"sortDirection": "up"}, ["sortDirection must be one of the following values: asc, desc"]),
        ({"enabled2waySync": "yes"}, ["enabled2waySync must be a boolean value"]),
        ({"location_id": DEMO_LOCATION_ID}, ["property location_id should not exist"]),
    ],
)
def test_malformed_searches_are_422s(sbx: Ghl, params: dict[str, str], messages: list[str]) -> None:
    response = _search(sbx, **params)

    assert response.status_code == 422
    assert response.json()["message"] == messages
