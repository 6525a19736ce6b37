"""GHL Locations (`apps/locations.json`, `Version: 2021-07-28`): the location itself and its
custom-field definitions.

Every operation here names the location in its PATH, and a resource client serves one location
with that location's auth, so `LocationsAPI` is built with the location's id
(`LocationsAPI(client, auth, location_id)`, the id `toolkit.access.open_location` builds the auth
with) and its methods take none.

Spec facts this module relies on:

- `GET /locations/{locationId}` (scope `locations.readonly`) answers `{location: {...}}`
  (`GetLocationByIdSchema`): `name` and `timezone` at the top and again under `business`
  (`BusinessSchema`); nothing in it is required (GHL-NOTES §10.2). Timezones are kept as given:
  GHL has been seen answering legacy aliases such as "US/Central" (issue #154).
- `GET /locations/{locationId}/customFields` (scope `locations/customFields.readonly`, Sub-Account
  token) takes one optional query parameter, `model` ∈ contact/opportunity/all, has no paging and
  answers `{customFields: [CustomFieldSchema]}`. `dataType` has no enum in this file (the TEXT,
  LARGE_TEXT, ... list belongs to `apps/custom-fields.json`), so it is an open string here.
- `locationId` is sent in the path only, never in the query: the official SDK's query
  `locationId` was answered 422 "property locationId should not exist" (GHL-NOTES §10.3).
- `apps/custom-fields.json` ("Custom Fields V2") is another API, for custom objects and companies
  only: contact and opportunity fields are defined here.
- Neither operation lists a 404: an unknown location is a 400, 401 or 403 (GHL-NOTES §10.9), which
  `ghlbridge.ghl.errors` maps.

Thin on purpose: no business rules, one method per GHL operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import GHLModel, parse_response, path_segment
from ghlbridge.ghl.resource import GHLResource

if TYPE_CHECKING:
    import httpx

    from ghlbridge.ghl.client import GHLClient

CustomFieldModel = Literal["contact", "opportunity", "all"]
"""`model` filter of `GET /locations/{locationId}/customFields`."""


# --- response models (apps/locations.json) --------------------------------------------------------


class LocationBusiness(GHLModel):
    """`business` of a location (`BusinessSchema`)."""

    name: str | None = None
    timezone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postalCode: str | None = None
    website: str | None = None


class Location(GHLModel):
    """`location` of `GET /locations/{locationId}` (`GetLocationByIdSchema`).

    `name` and `timezone` are the location's own, else (absent or empty) `business.name` and
    `business.timezone`; `business` stays as GHL sent it. Address, contact details, `social`,
    `settings` and the rest stay in `model_extra`.
    """

    id: str
    companyId: str | None = None
    name: str | None = None
    timezone: str | None = None
    business: LocationBusiness | None = None

    @model_validator(mode="before")
    @classmethod
    def _business_fallbacks(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("business"), dict):
            return data
        business = data["business"]
        fallbacks = {
            field: business[field] for field in ("name", "timezone") if not data.get(field) and business.get(field)
        }
        return data | fallbacks


class CustomFieldDefinition(GHLModel):
    """An item of `GET /locations/{locationId}/customFields` (`CustomFieldSchema`): how a contact's
    `customFields[{id, value}]` (or an opportunity's `{id, fieldValue}`) is named and typed.
    `fieldKey` looks like "contact.pincode"; `dataType` is GHL's (TEXT, SINGLE_OPTIONS, ...)."""

    id: str
    name: str | None = None
    fieldKey: str | None = None
    dataType: str | None = None
    placeholder: str | None = None
    position: int | float | None = None  # the spec's "number"
    picklistOptions: list[str] = Field(default_factory=list)
    model: str | None = None  # contact or opportunity
    locationId: str | None = None


class LocationEnvelope(GHLModel):
    location: Location


class CustomFieldsEnvelope(GHLModel):
    customFields: list[CustomFieldDefinition]


# --- the resource ---------------------------------------------------------------------------------


class LocationsAPI(GHLResource):
    """Calls about one location, `location_id` (`GHLResource`; see the module docstring)."""

    version = VERSION_2021_07_28

    def __init__(self, client: GHLClient, auth: httpx.Auth, location_id: str) -> None:
        super().__init__(client, auth)
        self._path = f"/locations/{path_segment(location_id)}"  # an empty id is refused here, not at the first call
        self.location_id = location_id

    def get(self) -> Location:
        """`GET /locations/{locationId}`: the location's name, timezone and company."""
        response = self._request("GET", self._path)
        return parse_response(response, LocationEnvelope).location

    def custom_fields(self, model: CustomFieldModel = "contact") -> list[CustomFieldDefinition]:
        """`GET /locations/{locationId}/customFields?model=`: every custom-field definition of the
        model ("all": contact and opportunity ones), in GHL's order (no paging)."""
        response = self._request("GET", f"{self._path}/customFields", params={"model": model})
        return parse_response(response, CustomFieldsEnvelope).customFields
