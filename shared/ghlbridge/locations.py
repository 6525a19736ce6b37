"""The caller's GHL locations and how each is connected: the first thing a front end asks.

Read from the store only (no GHL call): a location is reachable through its own installation or
through an agency (Company) installation that approved it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from ghlbridge.store import Installation, InstallationStatus, TokenStore

ConnectionStatus = Literal["connected", "needs_reauth", "uninstalled"]


class Location(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    id: str
    name: str | None
    role: str
    status: ConnectionStatus
    reauth_reason: str | None = None
    via_company_id: str | None = None
    scopes: list[str]
    token_expires_at: datetime | None


class LocationList(BaseModel):
    items: list[Location]


_STATUS: dict[InstallationStatus, ConnectionStatus] = {
    InstallationStatus.ACTIVE: "connected",
    InstallationStatus.NEEDS_REAUTH: "needs_reauth",
    InstallationStatus.UNINSTALLED: "uninstalled",
}


def list_locations(store: TokenStore, user_id: str) -> LocationList:
    """Every location (and agency) the user is a member of, with its connection state."""
    items = []
    for membership in sorted(store.list_memberships(user_id), key=lambda m: m.location_id):
        inst = store.get_installation(membership.location_id)
        via: Installation | None = None
        if inst is None or inst.status is InstallationStatus.UNINSTALLED:
            via = store.find_company_for_location(membership.location_id)
        source = via or inst
        if source is None:
            continue  # a membership whose installation is gone: nothing to show
        items.append(
            Location(
                id=membership.location_id,
                name=inst.name if inst else None,
                role=membership.role,
                status=_STATUS[source.status],
                reauth_reason=source.reauth_reason,
                via_company_id=via.id if via else None,
                scopes=source.scopes,
                # minted location tokens are not stored: their expiry is the container's business
                token_expires_at=None if via else source.expires_at,
            )
        )
    return LocationList(items=items)
