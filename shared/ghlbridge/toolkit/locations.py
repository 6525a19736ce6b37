"""The caller's GHL locations and how each is connected: the first thing a front end asks.

Read from the store in one round trip (`Store.list_locations`): each membership with the
installation that serves it, the location's own or the agency (Company) installation that approved
it, picked by the same rule as the token provider's, and the location's name.

GHL's token answer has no name, so a name the store does not know yet is fetched from GHL once
(`location_details.fetch_name`, which keeps it in the store): at most `NAMES_PER_REQUEST` per
request, side by side, only for connected locations whose installation has `locations.readonly`.
A fetch that fails leaves the name null for this answer; nothing else depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ghlbridge.observability import logger
from ghlbridge.store import AccessStore, InstallationKind, InstallationStatus, LocationAccess, MemberRole

NAMES_PER_REQUEST: Final = 10
NAME_FETCHES_AT_ONCE: Final = 5
NAME_SCOPE: Final = "locations.readonly"

ConnectionStatus = Literal["connected", "needs_reauth"]
"""An uninstalled location is not listed: its memberships ended with the installation."""


class Location(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, json_schema_serialization_defaults_required=True
    )

    id: str
    name: str | None
    role: MemberRole
    ghl_user_id: str | None = Field(default=None, description="The GHL user the caller is linked to here")
    status: ConnectionStatus
    reauth_reason: str | None = None
    via_company_id: str | None = None
    scopes: list[str]
    token_expires_at: datetime | None


class LocationList(BaseModel):
    """A page like every list answer of the API; all of the caller's locations fit in one."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    items: list[Location]
    next_cursor: str | None = Field(default=None, alias="nextCursor", description="Always null: there is no next page")


_STATUS: dict[InstallationStatus, ConnectionStatus] = {
    InstallationStatus.ACTIVE: "connected",
    InstallationStatus.NEEDS_REAUTH: "needs_reauth",
}


def location(access: LocationAccess) -> Location | None:
    """The caller's view of one location; None when no installation serves it any more."""
    source, member = access.installation, access.membership
    if source is None or source.status not in _STATUS:
        return None
    via = source.id if source.kind is InstallationKind.COMPANY else None
    return Location(
        id=member.location_id,
        name=access.name,
        role=member.role,
        ghl_user_id=member.ghl_user_id,
        status=_STATUS[source.status],
        reauth_reason=source.reauth_reason,
        via_company_id=via,
        scopes=source.scopes,
        # minted location tokens are not stored: their expiry is the container's business
        token_expires_at=None if via else source.expires_at,
    )


def list_locations(
    store: AccessStore,
    user_id: str,
    *,
    only: set[str] | None = None,
    fetch_names: bool = False,
    name_of: Callable[[str], str | None] | None = None,
) -> LocationList:
    """Every location the user is a member of (`only`: of these ids), with its connection state;
    `fetch_names`: with the names the store does not know yet from GHL (`name_of`, by default
    `location_details.fetch_name`)."""
    items = [
        found
        for access in store.list_locations(user_id)
        if (only is None or access.membership.location_id in only) and (found := location(access)) is not None
    ]
    if fetch_names:
        if name_of is None:
            from ghlbridge.toolkit.location_details import fetch_name  # GHL's client: only when asked

            name_of = fetch_name
        items = _named(items, name_of)
    return LocationList(items=items)


def _named(items: list[Location], name_of: Callable[[str], str | None]) -> list[Location]:
    unnamed = [i.id for i in items if i.name is None and i.status == "connected" and NAME_SCOPE in i.scopes]
    if not unnamed:
        return items
    from ghlbridge.toolkit.fanout import Fanout

    with Fanout(NAME_FETCHES_AT_ONCE) as run:
        pending = {location_id: run.submit(name_of, location_id) for location_id in unnamed[:NAMES_PER_REQUEST]}
    names: dict[str, str] = {}
    for location_id, future in pending.items():
        try:
            if name := future.result():
                names[location_id] = name
        except Exception as exc:  # the list answers without it; a later request tries again
            logger.info("Location name unavailable", extra={"location_id": location_id, "error": type(exc).__name__})
    return [i.model_copy(update={"name": names[i.id]}) if i.id in names else i for i in items]
