"""A location's own details from GHL (`GET /locations/{locationId}`): its name and time zone.

GHL's token answer names no location, so the name is fetched once and kept in the store
(`set_location_name`) for the location picker (`GET /locations`, one store round trip); the
research context reads name and time zone through a per-container cache
(`LOCATION_CACHE_SECONDS`). Keeping the name is best effort: a store failure never fails the
request that fetched it (the next one tries again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghlbridge import factories
from ghlbridge.observability import logger
from ghlbridge.toolkit.models.research import LocationInfo

if TYPE_CHECKING:
    from ghlbridge.ghl import LocationsAPI
    from ghlbridge.toolkit.access import LocationClients


def location_info(clients: LocationClients) -> LocationInfo:
    """The location's name and time zone, from the container's cache or from GHL."""
    location_id = clients.location_id
    return factories.get_location_cache().get(location_id, lambda: _fetch(clients.locations, location_id))[0]


def fetch_name(location_id: str) -> str | None:
    """The location's name from GHL, kept in the store (for a caller the store already lists as a
    member: no membership check here)."""
    from ghlbridge.ghl import LocationsAPI
    from ghlbridge.tokens.provider import GHLAuth

    auth = GHLAuth(factories.get_token_provider(), location_id)
    api = LocationsAPI(factories.get_ghl_client(), auth, location_id)
    return factories.get_location_cache().get(location_id, lambda: _fetch(api, location_id))[0].name


def _fetch(api: LocationsAPI, location_id: str) -> LocationInfo:
    found = api.get()
    info = LocationInfo(id=location_id, name=found.name, timezone=found.timezone)
    if info.name and info.name.strip():
        try:
            factories.get_store().set_location_name(location_id, info.name)
        except Exception:  # the answer does not depend on it; the next request tries again
            logger.warning("Could not keep the location's name", extra={"location_id": location_id})
    return info
