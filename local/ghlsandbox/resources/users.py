"""Users (`apps/users.json`, Version 2021-07-28, scope `users.readonly`): search a company's users,
list a location's users (deprecated in the spec), get one user.

The app links each team member to a GHL user of the location, then sends that user's id on notes
and their e-mail as `emailFrom` (see `contacts.py` and `conversations.py` for those rules).

Token classes: the spec lets `GET /users/search` and `GET /users/{userId}` take an Agency or a
Location token, and `GET /users/` a Location token only; the routes here take exactly that
(`Route.auth_class` is a tuple where both are allowed). What each token sees (the sandbox's choice
where GHL's behaviour is not documented):

- A Location token sees the users of its own location. `companyId` must be the token's company
  and `locationId`, when given, its location; otherwise 403 "The token does not have access to
  this location." (as for every other location-scoped parameter). Without `locationId` a search
  is still limited to the token's location, so another location's users never show through it.
- A Company (agency) token sees every user of its company; `locationId` narrows the search to
  one of the locations the install approved (another one is a 403).
- `GET /users/{userId}` answers 401 "The user does not exist." for an unknown or deleted id and
  for a user the token cannot see (another company's, or another location's for a Location
  token): GHL answers an unknown id that way (GHL-NOTES §10.1, issue #205), and one answer for
  both does not reveal which ids exist. Deleted users are left out of searches and lists.

Search (`GET /users/search`): `query` matches the full name, e-mail or phone (case-insensitive,
substring); `type` and `role` match `roles.type` / `roles.role`; `ids` is comma-separated;
`enabled2waySync` matches the user's calendar two-way sync flag. `sort` is one of `name` (the
default: first then last name), `firstName`, `lastName`, `email`, `dateAdded`, and the id breaks
ties, so paging by `skip`+`limit` (strings in the spec, defaults "0" and "25") returns every match
once; `count` is the number of matches. An unknown `sort` or a `skip`/`limit` that is not a
whole number is a 422 (the spec gives no enum or bounds; the sandbox refuses what it cannot honour).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ghlsandbox.records import User
from ghlsandbox.routing import (
    LOCATION_ACCESS_MESSAGE,
    VERSION_2021_07_28,
    ApiError,
    Call,
    Reply,
    Route,
    unprocessable,
)
from ghlsandbox.validation import Field

USER_NOT_FOUND_MESSAGE = "The user does not exist."
SCOPE = "users.readonly"

_SORT_KEYS: dict[str, Callable[[User], Any]] = {
    "name": lambda user: (user.first_name.lower(), user.last_name.lower()),
    "firstName": lambda user: user.first_name.lower(),
    "lastName": lambda user: user.last_name.lower(),
    "email": lambda user: user.email.lower(),
    "dateAdded": lambda user: user.date_added,
}


def search(call: Call) -> Reply:
    """`GET /users/search` → `{users, count}` (SearchUserSuccessfulResponseDto)."""
    query = call.query
    skip = _whole_number(query, "skip", default=0, least=0)
    limit = _whole_number(query, "limit", default=25, least=1)
    location_id = _search_scope(call, query["companyId"], query.get("locationId"))
    text = str(query.get("query", "")).lower()
    wanted_ids = {part.strip() for part in str(query.get("ids", "")).split(",") if part.strip()}
    found = []
    for user in call.data.users.values():
        if user.deleted or user.company_id != query["companyId"]:
            continue
        if location_id is not None and location_id not in user.location_ids:
            continue
        if text and not any(text in value.lower() for value in (user.name, user.email, user.phone)):
            continue
        if wanted_ids and user.id not in wanted_ids:
            continue
        if any(
            name in query and str(query[name]).lower() != value
            for name, value in (("type", user.type), ("role", user.role))
        ):
            continue
        if "enabled2waySync" in query and query["enabled2waySync"] != user.enabled_2way_sync:
            continue
        found.append(user)
    key = _SORT_KEYS[query.get("sort", "name")]
    found.sort(key=lambda user: (key(user), user.id), reverse=query.get("sortDirection") == "desc")
    page = found[skip : skip + limit]
    return Reply(200, {"users": [user.api(listed=True) for user in page], "count": len(found)})


def list_by_location(call: Call) -> Reply:
    """`GET /users/?locationId=` (deprecated in the spec) → `{users}` (LocationSuccessfulResponseDto),
    every user of the location, without paging (GHL-NOTES §10.1)."""
    location = call.location(call.query["locationId"])
    users = [user for user in call.data.users.values() if not user.deleted and location.id in user.location_ids]
    users.sort(key=lambda user: (_SORT_KEYS["name"](user), user.id))
    return Reply(200, {"users": [user.api(listed=True) for user in users]})


def get(call: Call) -> Reply:
    """`GET /users/{userId}` → the user itself, no wrapper key (UserSuccessfulResponseDto)."""
    user = call.data.users.get(call.path_params["userId"])
    if user is None or user.deleted or not _visible(call, user):
        raise ApiError(401, USER_NOT_FOUND_MESSAGE, error="Unauthorized")
    return Reply(200, user.api(listed=False))


def _search_scope(call: Call, company_id: str, location_id: str | None) -> str | None:
    """The one location a search is limited to (None: the whole company), or a 403."""
    grant = call.grant
    assert grant is not None  # the route takes a bearer token
    if company_id != grant.company_id:
        raise ApiError(403, LOCATION_ACCESS_MESSAGE)
    if grant.user_type == "Location":
        return call.location(location_id or grant.location_id or "").id
    if location_id is not None and location_id not in grant.approved_locations:
        raise ApiError(403, LOCATION_ACCESS_MESSAGE)
    return location_id


def _visible(call: Call, user: User) -> bool:
    grant = call.grant
    assert grant is not None
    if user.company_id != grant.company_id:
        return False
    return grant.location_id is None or grant.location_id in user.location_ids


def _whole_number(query: dict[str, Any], name: str, *, default: int, least: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not str(text).isdigit():
        raise unprocessable([f"{name} must be a number string"])
    if int(text) < least:
        raise unprocessable([f"{name} must not be less than {least}"])
    return int(text)


_SEARCH_QUERY = (
    Field("companyId", required=True),
    Field("query"),
    Field("skip"),
    Field("limit"),
    Field("locationId"),
    Field("type"),
    Field("role"),
    Field("ids"),
    Field("sort", enum=tuple(_SORT_KEYS)),
    Field("sortDirection", enum=("asc", "desc")),
    Field("enabled2waySync", "boolean"),
)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/users/search", search, VERSION_2021_07_28, ("Company", "Location"), SCOPE, _SEARCH_QUERY),
    Route(
        "GET",
        "/users",
        list_by_location,
        VERSION_2021_07_28,
        "Location",
        SCOPE,
        (Field("locationId", required=True),),
    ),
    Route("GET", "/users/{userId}", get, VERSION_2021_07_28, ("Company", "Location"), SCOPE),
)
"""Literal `/users/search` before `/users/{userId}` (the first match wins)."""
