"""The location's GHL users: who a member may be linked to, whose name an assignee has. Fetched
with `GET /users/search` (all pages) and cached per container for `USERS_CACHE_SECONDS`, like pipelines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghlbridge import factories

if TYPE_CHECKING:
    from ghlbridge import ghl
    from ghlbridge.toolkit.access import LocationClients


def location_users(clients: LocationClients, *, refresh: bool = False) -> tuple[ghl.User, ...]:
    """The location's GHL users, from the cache or from GHL."""
    location_id = clients.location_id

    def fetch() -> tuple[ghl.User, ...]:
        company_id = factories.get_token_provider().company_id(location_id) or ""
        return tuple(clients.users.location_users(company_id=company_id, location_id=location_id))

    return factories.get_users_cache().get(location_id, fetch, refresh=refresh)[0]


def ghl_user(clients: LocationClients, ghl_user_id: str | None) -> ghl.User | None:
    """The location's GHL user with this id (the cached list, then a fresh one), or None."""
    if ghl_user_id is None:
        return None
    found = next((u for u in location_users(clients) if u.id == ghl_user_id), None)
    if found is None:
        found = next((u for u in location_users(clients, refresh=True) if u.id == ghl_user_id), None)
    return found


def user_names(clients: LocationClients) -> dict[str, str | None]:
    """The location's GHL users' names by id; empty when GHL cannot say (a name is a nicety)."""
    try:
        return {u.id: u.name for u in location_users(clients)}
    except Exception:
        return {}
