"""GHL Users (`apps/users.json`, `Version: 2021-07-28`, scope `users.readonly`).

`GET /users/search` is the spec's way to list a location's users: `GET /users/` is marked
deprecated ("Use GET /users/search instead. Pass locationId ... along with the required companyId",
GHL-NOTES §10.1). It needs the company (agency) id, which the location's installation knows, and
pages by `skip`/`limit` (strings in the spec) until `skip >= count`.

An unknown user id answers 401 "The user does not exist." on `GET /users/{userId}`: a 401 that is
not a token problem (`GHLUnauthorizedError`, never refreshed), which is why this module only lists.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import GHLModel, parse_response
from ghlbridge.ghl.resource import GHLResource

PAGE_SIZE: Final = 100
MAX_PAGES: Final = 20
"""A bound on one listing (2,000 users): the iterator never runs away on a `count` that lies."""


# --- response models (apps/users.json) ------------------------------------------------------------


class UserRoles(GHLModel):
    """`roles` of a user: ONE object despite the plural (GHL-NOTES §10.1)."""

    type: str | None = None  # e.g. "account", "agency"
    role: str | None = None  # e.g. "admin", "user"
    locationIds: list[str] = Field(default_factory=list)


class User(GHLModel):
    """A user of the company (`UserSchema`)."""

    id: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    roles: UserRoles | None = None
    deleted: bool | None = None


class UserSearchPage(GHLModel):
    """`GET /users/search` (`SearchUserSuccessfulResponseDto`): one page and the total."""

    users: list[User] = Field(default_factory=list)
    count: int | None = None


# --- the resource ---------------------------------------------------------------------------------


class UsersAPI(GHLResource):
    """User calls for one location (`GHLResource`)."""

    version = VERSION_2021_07_28

    def location_users(self, *, company_id: str, location_id: str) -> list[User]:
        """Every user of the location (`GET /users/search?companyId&locationId`, all pages), deleted
        ones left out."""
        found: list[User] = []
        for page in range(MAX_PAGES):
            query = {"companyId": company_id, "locationId": location_id, "skip": str(page * PAGE_SIZE),
                     "limit": str(PAGE_SIZE)}  # fmt: skip
            response = self._request("GET", "/users/search", params=query)
            answer = parse_response(response, UserSearchPage)
            found += answer.users
            total = answer.count if answer.count is not None else len(found)
            if not answer.users or len(found) >= total:
                break
        return [user for user in found if not user.deleted]
