"""Who may act for a location, and the GHL clients to do it with.

`open_location` is the first thing every toolkit route does after validation: the caller must be a
member of the location (`store.get_membership`), else 403 `forbidden` before any GHL call, whatever
the route. Only then does it hand out the location's resource clients, all sharing one
`GHLAuth(token_provider, location_id)`: bearer token from the store (refreshed near expiry), one
refresh and replay on a GHL 401, 409 `reauthorization_required` when the installation must be
reinstalled (raised by the token provider on the first GHL call).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ghlbridge import factories
from ghlbridge.errors import CallerForbiddenError
from ghlbridge.observability import logger
from ghlbridge.settings import get_settings

if TYPE_CHECKING:
    from ghlbridge.auth import Caller
    from ghlbridge.ghl import (  # PyJWT loads with the first caller check, not at import
        CalendarsAPI,
        ContactsAPI,
        ConversationsAPI,
        OpportunitiesAPI,
    )


@dataclass(frozen=True)
class LocationClients:
    """One location's GHL resource clients, for a caller who is a member of it."""

    location_id: str
    opportunities: OpportunitiesAPI
    contacts: ContactsAPI
    conversations: ConversationsAPI
    calendars: CalendarsAPI


_members: dict[tuple[str, str], float] = {}  # (user, location) -> until (monotonic), per container
_members_settings: list[object] = []  # the settings the cache was filled under (tests reset them)


def is_member(user_id: str, location_id: str) -> bool:
    """Membership from the store, remembered per container for `MEMBERSHIP_CACHE_SECONDS` when it
    holds, so a warm request with a fresh token makes no store round trip. A refusal is never
    remembered (a new install is usable at once); a removed membership lasts at most the TTL."""
    settings = get_settings()
    if not _members_settings or _members_settings[0] is not settings:
        _members.clear()
        _members_settings[:] = [settings]
    key = (user_id, location_id)
    if _members.get(key, 0.0) > time.monotonic():
        return True
    if factories.get_store().get_membership(location_id, user_id) is None:
        _members.pop(key, None)
        return False
    _members[key] = time.monotonic() + settings.membership_cache_seconds
    return True


def open_location(caller: Caller, location_id: str) -> LocationClients:
    """403 unless `caller` is a member of `location_id`; then the location's clients (nothing sent yet)."""
    if not is_member(caller.user_id, location_id):
        logger.info("Caller is not a member of the location", extra={"location_id": location_id})
        raise CallerForbiddenError("You are not a member of this location")
    # Imported here, not at module import: the resource models and the token machinery load with
    # the first request that needs GHL, not with every cold start (validation errors never do).
    from ghlbridge.ghl import CalendarsAPI, ContactsAPI, ConversationsAPI, OpportunitiesAPI
    from ghlbridge.tokens import GHLAuth

    auth = GHLAuth(factories.get_token_provider(), location_id)
    client = factories.get_ghl_client()
    return LocationClients(
        location_id=location_id,
        opportunities=OpportunitiesAPI(client, auth),
        contacts=ContactsAPI(client, auth),
        conversations=ConversationsAPI(client, auth),
        calendars=CalendarsAPI(client, auth),
    )
