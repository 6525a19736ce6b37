"""The caller's GHL locations and how each is connected: the first thing a front end asks.

Read from the store only (no GHL call), in one round trip (`Store.list_locations`): each
membership with the installation that serves it, the location's own or the agency (Company)
installation that approved it, picked by the same rule as the token provider's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ghlbridge.store import AccessStore, InstallationKind, InstallationStatus, LocationAccess, MemberRole

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


def list_locations(store: AccessStore, user_id: str, *, only: set[str] | None = None) -> LocationList:
    """Every location the user is a member of (`only`: of these ids), with its connection state."""
    items = [
        found
        for access in store.list_locations(user_id)
        if (only is None or access.membership.location_id in only) and (found := location(access)) is not None
    ]
    return LocationList(items=items)
