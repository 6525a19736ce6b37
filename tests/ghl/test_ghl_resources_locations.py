"""LocationsAPI against a respx-mocked GHL: requests checked against apps/locations.json (Version
2021-07-28, `locationId` in the path only) and field by field, spec-shaped answers parsed into
models that keep unknown fields, the `business` fallbacks, and the error paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from ghlbridge.ghl.client import BearerAuth, GHLClient
from ghlbridge.ghl.errors import GHLInvalidResponseError, GHLLocationAccessError, GHLNotFoundError
from ghlbridge.ghl.locations import CustomFieldDefinition, Location, LocationsAPI
from tests.ghl import ghl_testkit
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    COMPANY_ID,
    LOCATION_ID,
    custom_field_body,
    location_body,
    spec_response,
)
from tests.ghl_spec import assert_request_conforms

LOCATION_PATH = f"/locations/{LOCATION_ID}"
CUSTOM_FIELDS = f"{LOCATION_PATH}/customFields"
FOREIGN_LOCATION = {"statusCode": 403, "message": "The token does not have access to this location."}


@pytest.fixture
def api(client: GHLClient) -> LocationsAPI:
    return LocationsAPI(client, BearerAuth(ACCESS_TOKEN), LOCATION_ID)


def assert_sent(request: httpx.Request, path: str, params: dict[str, str]) -> None:
    ghl_testkit.assert_sent(request, "GET", path, version="2021-07-28", params=params)
    assert request.content == b""


# --- get ----------------------------------------------------------------------------------------


def test_get(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    route = ghl_mock.get(LOCATION_PATH).mock(
        return_value=spec_response("GET", LOCATION_PATH, 200, {"location": location_body()})
    )

    location = api.get()

    assert_sent(route.calls.last.request, LOCATION_PATH, {})
    assert isinstance(location, Location)
    assert (location.id, location.companyId, location.name, location.timezone) == (
        LOCATION_ID,
        COMPANY_ID,
        "dentist",  # the location's own, not business.name
        "America/Chicago",  # nor business.timezone
    )
    assert location.business is not None
    assert (location.business.name, location.business.timezone) == ("Rane Dental Clinic", "Asia/Kolkata")
    extra = location.model_extra or {}
    assert extra["settings"] == {"allowDuplicateContact": False, "allowDuplicateOpportunity": False}
    assert {"domain", "email", "phone", "social", "reseller", "address"} <= set(extra)


@pytest.mark.parametrize(
    "missing",
    [{"name": None, "timezone": None}, {"name": "", "timezone": ""}],
    ids=["absent", "empty"],
)
def test_get_falls_back_to_the_business_name_and_timezone(
    ghl_mock: respx.MockRouter, api: LocationsAPI, missing: dict[str, Any]
) -> None:
    body = {name: value for name, value in location_body().items() if name not in missing}
    body |= {name: value for name, value in missing.items() if value is not None}
    ghl_mock.get(LOCATION_PATH).mock(return_value=spec_response("GET", LOCATION_PATH, 200, {"location": body}))

    location = api.get()

    assert (location.name, location.timezone) == ("Rane Dental Clinic", "Asia/Kolkata")
    assert location.business is not None and location.business.name == "Rane Dental Clinic"


def test_get_without_a_name_anywhere(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    body = {"id": LOCATION_ID, "business": {"city": "delhi"}}
    ghl_mock.get(LOCATION_PATH).mock(return_value=spec_response("GET", LOCATION_PATH, 200, {"location": body}))

    location = api.get()

    assert (location.id, location.name, location.timezone, location.companyId) == (LOCATION_ID, None, None, None)


def test_a_body_without_location_is_an_invalid_response(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    ghl_mock.get(LOCATION_PATH).mock(return_value=spec_response("GET", LOCATION_PATH, 200, {}))  # the spec allows it

    with pytest.raises(GHLInvalidResponseError, match="location"):
        api.get()


def test_another_locations_id_is_not_found(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    route = ghl_mock.get(LOCATION_PATH).respond(403, json=FOREIGN_LOCATION)  # the spec lists no 403

    with pytest.raises(GHLLocationAccessError) as caught:
        api.get()

    assert isinstance(caught.value, GHLNotFoundError)
    assert (route.call_count, caught.value.status, caught.value.path) == (1, 403, LOCATION_PATH)


# --- the location id ----------------------------------------------------------------------------


def test_the_location_id_stays_one_path_segment(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    route = ghl_mock.route(method="GET", path__startswith="/locations/").mock(
        return_value=spec_response("GET", LOCATION_PATH, 200, {"location": location_body()})
    )

    LocationsAPI(client, BearerAuth(ACCESS_TOKEN), "../contacts/x?y=1").get()

    assert route.calls.last.request.url.raw_path == b"/locations/%2E%2E%2Fcontacts%2Fx%3Fy%3D1"


def test_an_empty_location_id_is_refused_when_built(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    with pytest.raises(ValueError, match="empty"):
        LocationsAPI(client, BearerAuth(ACCESS_TOKEN), "")


# --- custom fields ------------------------------------------------------------------------------


def test_custom_fields_of_contacts_by_default(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    body = {
        "customFields": [
            custom_field_body(),
            custom_field_body(
                id="Kp2cFd9e8TQwLs3bN7xZ",
                name="Fleet size",
                fieldKey="contact.fleet_size",
                dataType="SINGLE_OPTIONS",
                placeholder="",
                position=50,
                picklistOptions=["1-10", "11-50", "51+"],
            ),
        ]
    }
    route = ghl_mock.get(CUSTOM_FIELDS).mock(return_value=spec_response("GET", CUSTOM_FIELDS, 200, body))

    fields = api.custom_fields()

    assert_sent(route.calls.last.request, CUSTOM_FIELDS, {"model": "contact"})  # and no locationId in the query
    assert all(isinstance(field, CustomFieldDefinition) for field in fields)
    first, second = fields
    assert (first.id, first.name, first.fieldKey, first.dataType, first.placeholder, first.position) == (
        "3sv6UEo51C9Bmpo1cKTq",
        "pincode",
        "contact.pincode",
        "TEXT",
        "Pin code",
        0,
    )
    assert (first.model, first.locationId, first.picklistOptions) == ("contact", LOCATION_ID, [])
    assert (second.fieldKey, second.dataType, second.picklistOptions) == (
        "contact.fleet_size",
        "SINGLE_OPTIONS",
        ["1-10", "11-50", "51+"],
    )
    assert set(first.model_extra or {}) == {
        "picklistImageOptions",
        "isAllowedCustomOption",
        "isMultiFileAllowed",
        "maxFileLimit",
    }


@pytest.mark.parametrize("model", ["opportunity", "all"])
def test_custom_fields_of_another_model(ghl_mock: respx.MockRouter, api: LocationsAPI, model: Any) -> None:
    body = {"customFields": [custom_field_body(fieldKey="opportunity.region", model="opportunity", position=1.5)]}
    route = ghl_mock.get(CUSTOM_FIELDS).mock(return_value=spec_response("GET", CUSTOM_FIELDS, 200, body))

    [field] = api.custom_fields(model)

    assert_sent(route.calls.last.request, CUSTOM_FIELDS, {"model": model})
    assert (field.fieldKey, field.model, field.position) == ("opportunity.region", "opportunity", 1.5)


def test_custom_fields_none(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    ghl_mock.get(CUSTOM_FIELDS).mock(return_value=spec_response("GET", CUSTOM_FIELDS, 200, {"customFields": []}))

    assert api.custom_fields() == []


def test_the_spec_has_no_location_id_in_the_query(ghl_mock: respx.MockRouter, api: LocationsAPI) -> None:
    """Why the id travels in the path only: the spec declares no `locationId` query parameter (and
    GHL answered the SDK that sent one 422 "property locationId should not exist")."""
    route = ghl_mock.get(CUSTOM_FIELDS).mock(
        return_value=spec_response("GET", CUSTOM_FIELDS, 200, {"customFields": []})
    )
    api.custom_fields()
    sent = route.calls.last.request

    with_id = httpx.Request("GET", sent.url.copy_add_param("locationId", LOCATION_ID), headers=sent.headers)
    with pytest.raises(AssertionError, match="query parameter 'locationId' is not declared"):
        assert_request_conforms(with_id)
