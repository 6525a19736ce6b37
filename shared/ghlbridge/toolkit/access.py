"""Who may act for a location, and the GHL clients to do it with.

`open_location` is the first thing every toolkit route does after validation: the caller must be a
member of the location (`store.get_membership`), else 403 `forbidden` before any GHL call, whatever
the route. Only then does it hand out the location's resource clients, all sharing one
`GHLAuth(token_provider, location_id)`: bearer token from the store (refreshed near expiry), one
refresh and replay on a GHL 401 about the token, 404 `installation_not_found` when nothing serves
the location, 409 `reauthorization_required` when the installation must be reinstalled (raised by
the token provider on the first GHL call).

Memberships are remembered per container for `MEMBERSHIP_CACHE_SECONDS` (60 s by default), so a
warm request makes no store round trip. A refusal is never remembered (a new member can work at
once). A member removed or demoted through THIS container is forgotten at once (`forget`); other
warm containers notice within the cache's lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ghlbridge import factories
from ghlbridge.errors import NOT_FOUND_MESSAGE, CallerForbiddenError, ResourceNotFoundError
from ghlbridge.observability import logger
from ghlbridge.store import MemberRole, Membership

if TYPE_CHECKING:
    from ghlbridge import ghl
    from ghlbridge.ghl import (  # PyJWT loads with the first caller check, not at import
        CalendarsAPI,
        ContactsAPI,
        ConversationsAPI,
        LocationsAPI,
        OpportunitiesAPI,
        UsersAPI,
    )
    from ghlbridge.toolkit.context import Caller


@dataclass(frozen=True)
class LocationClients:
    """One location's GHL resource clients, for a caller who is a member of it (`member`: their
    role and their link to a GHL user, which the writes carry so they show in GHL as theirs)."""

    location_id: str
    member: Membership
    opportunities: OpportunitiesAPI
    contacts: ContactsAPI
    conversations: ConversationsAPI
    calendars: CalendarsAPI
    users: UsersAPI
    locations: LocationsAPI

    @property
    def ghl_user_id(self) -> str | None:
        return self.member.ghl_user_id


def membership(caller: Caller, location_id: str, *, fresh: bool = False) -> Membership:
    """The caller's membership of the location, or 403 `forbidden`. `fresh`: read from the store
    (for decisions about the team itself: a just-promoted owner must not wait for the cache)."""
    found = factories.get_membership_cache().get(caller.user_id, location_id, fresh=fresh)
    if found is None:
        logger.info("Caller is not a member of the location", extra={"location_id": location_id})
        raise CallerForbiddenError("You are not a member of this location")
    return found


def require_owner(member: Membership) -> None:
    if member.role is not MemberRole.OWNER:
        raise CallerForbiddenError("Only an owner of this location can do this")


def open_location(caller: Caller, location_id: str) -> LocationClients:
    """403 unless `caller` is a member of `location_id`; then the location's clients (nothing sent yet)."""
    member = membership(caller, location_id)
    # Imported here, not at module import: the resource models and the token machinery load with
    # the first request that needs GHL, not with every cold start (validation errors never do).
    from ghlbridge.ghl import CalendarsAPI, ContactsAPI, ConversationsAPI, LocationsAPI, OpportunitiesAPI, UsersAPI
    from ghlbridge.tokens.provider import GHLAuth

    auth = GHLAuth(factories.get_token_provider(), location_id)
    client = factories.get_ghl_client()
    return LocationClients(
        location_id=location_id,
        member=member,
        opportunities=OpportunitiesAPI(client, auth),
        contacts=ContactsAPI(client, auth),
        conversations=ConversationsAPI(client, auth),
        calendars=CalendarsAPI(client, auth),
        users=UsersAPI(client, auth),
        locations=LocationsAPI(client, auth, location_id),
    )


# --- records of the location -------------------------------------------------------------------------


def opportunity_in_location(clients: LocationClients, opportunity_id: str) -> ghl.Opportunity:
    """The opportunity, or 404 when it is not this location's (as GHL's 400 and 403 are answered)."""
    found = clients.opportunities.get(opportunity_id)
    if found.locationId != clients.location_id:
        raise ResourceNotFoundError(NOT_FOUND_MESSAGE)
    return found


def contact_in_location(clients: LocationClients, contact_id: str) -> ghl.Contact:
    """The contact, or 404 when it is not this location's (as GHL's 400 and 403 are answered)."""
    found = clients.contacts.get(contact_id)
    if found.locationId is not None and found.locationId != clients.location_id:
        raise ResourceNotFoundError(NOT_FOUND_MESSAGE)
    return found
