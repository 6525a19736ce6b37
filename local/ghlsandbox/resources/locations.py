"""Locations (`apps/locations.json`, Version 2021-07-28): a sub-account's details and its custom
field definitions.

`GET /locations/{locationId}` (`locations.readonly`) takes a Location token (its own location) or
a Company token (a location its install approved), as the spec's `security` lists both; any other
location is a 403 "The token does not have access to this location.".

`GET /locations/{locationId}/customFields` (`locations/customFields.readonly`, Sub-Account token)
lists the definitions without paging (GHL-NOTES §10.3), contact fields first, each model by
`position`. `model` is `contact`, `opportunity` or `all`; without it only contact fields are
listed. That default is the sandbox's choice (the spec does not give one; GHL's custom fields were
contact-only before `model` existed): a client that needs opportunity fields must ask for them.

`GET /locations/{locationId}/customFields/{id}` takes an id or a field key (`contact.industry`);
one the location does not have is a 400 "Custom field not found" (the sandbox's "not found"
convention, GHL-NOTES §10.9). Its spec security lists no scope; the sandbox asks for
`locations/customFields.readonly`, the scope `docs/oauth/Scopes.md` gives it.
"""

from __future__ import annotations

from ghlsandbox.routing import VERSION_2021_07_28, Call, Reply, Route, bad_request
from ghlsandbox.validation import Field

MODELS = ("contact", "opportunity", "all")
CUSTOM_FIELDS_SCOPE = "locations/customFields.readonly"


def get(call: Call) -> Reply:
    location = call.location(call.path_params["locationId"])
    return Reply(200, {"location": location.api()})


def list_custom_fields(call: Call) -> Reply:
    location = call.location(call.path_params["locationId"])
    model = call.query.get("model", "contact")
    found = [
        definition
        for definition in call.data.custom_fields.values()
        if definition.location_id == location.id and model in ("all", definition.model)
    ]
    found.sort(key=lambda definition: (definition.model != "contact", definition.position, definition.id))
    return Reply(200, {"customFields": [definition.api() for definition in found]})


def get_custom_field(call: Call) -> Reply:
    location = call.location(call.path_params["locationId"])
    definition = call.data.custom_field(call.path_params["id"], model=None, location_id=location.id)
    if definition is None:
        raise bad_request("Custom field not found")
    return Reply(200, {"customField": definition.api()})


ROUTES: tuple[Route, ...] = (
    Route("GET", "/locations/{locationId}", get, VERSION_2021_07_28, ("Company", "Location"), "locations.readonly"),
    Route(
        "GET",
        "/locations/{locationId}/customFields",
        list_custom_fields,
        VERSION_2021_07_28,
        "Location",
        CUSTOM_FIELDS_SCOPE,
        (Field("model", enum=MODELS),),
    ),
    Route(
        "GET",
        "/locations/{locationId}/customFields/{id}",
        get_custom_field,
        VERSION_2021_07_28,
        "Location",
        CUSTOM_FIELDS_SCOPE,
    ),
)
