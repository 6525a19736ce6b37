"""Locations: a location's details (name, time zone, business) for a Location or a Company token,
and its custom field definitions, which the contacts' custom field values refer to by id."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from ghlsandbox import DEMO_COMPANY_ID, DEMO_LOCATION_ID, OTHER_LOCATION_ID

from tests.sandbox.kit import Ghl, research_contact

NO_ACCESS = "The token does not have access to this location."
FIELD_TYPES = {
    "TEXT",
    "LARGE_TEXT",
    "NUMERICAL",
    "MONETORY",
    "SINGLE_OPTIONS",
    "MULTIPLE_OPTIONS",
    "CHECKBOX",
    "RADIO",
    "DATE",
}
OPTION_TYPES = {"SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "CHECKBOX", "RADIO"}


def _fields(sbx: Ghl, location_id: str = DEMO_LOCATION_ID, **params: str) -> list[dict[str, Any]]:
    response = sbx.get(f"/locations/{location_id}/customFields", params=params)
    assert response.status_code == 200, response.text
    fields: list[dict[str, Any]] = response.json()["customFields"]
    return fields


def test_a_location_token_reads_its_location(sbx: Ghl) -> None:
    response = sbx.get(f"/locations/{DEMO_LOCATION_ID}")

    assert response.status_code == 200
    location = response.json()["location"]
    assert (location["id"], location["companyId"]) == (DEMO_LOCATION_ID, DEMO_COMPANY_ID)
    assert location["name"] == "Demo Sales Team (Sandbox)" and location["timezone"] == "America/Chicago"
    assert location["business"]["name"] == "Demo Sales Team"
    assert location["business"]["timezone"] == "America/Chicago"
    assert (location["city"], location["state"], location["country"]) == ("Austin", "TX", "US")
    assert location["email"] == "sales@demo-sales-team.example" and location["phone"].startswith("+1")


def test_a_company_token_reads_each_approved_location(sbx: Ghl) -> None:
    company = sbx.install(user_type="Company")["access_token"]

    demo = sbx.get(f"/locations/{DEMO_LOCATION_ID}", token=company)
    other = sbx.get(f"/locations/{OTHER_LOCATION_ID}", token=company)
    unknown = sbx.get("/locations/notALocation000000000", token=company)

    assert demo.status_code == other.status_code == 200
    assert demo.json()["location"]["timezone"] == "America/Chicago"
    assert other.json()["location"]["name"] == "Lakeside Dental Studio (Sandbox)"
    assert other.json()["location"]["timezone"] == "America/New_York"
    assert (unknown.status_code, unknown.json()["message"]) == (403, NO_ACCESS)


@pytest.mark.parametrize("location_id", [OTHER_LOCATION_ID, "notALocation000000000"])
def test_a_location_token_sees_no_other_location(sbx: Ghl, location_id: str) -> None:
    for path in (f"/locations/{location_id}", f"/locations/{location_id}/customFields"):
        response = sbx.get(path)

        assert (response.status_code, response.json()["message"]) == (403, NO_ACCESS)


def test_custom_fields_are_contact_fields_unless_another_model_is_asked_for(sbx: Ghl) -> None:
    default = _fields(sbx)
    contact = _fields(sbx, model="contact")
    opportunity = _fields(sbx, model="opportunity")
    everything = _fields(sbx, model="all")

    assert default == contact
    assert {field["model"] for field in contact} == {"contact"} and len(contact) == 10
    assert [field["fieldKey"] for field in opportunity] == ["opportunity.deal_source", "opportunity.expected_close"]
    assert everything == contact + opportunity
    assert {field["locationId"] for field in everything} == {DEMO_LOCATION_ID}
    assert sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields", params={"model": "deal"}).status_code == 422


def test_contact_fields_cover_every_type_a_brief_must_read(sbx: Ghl) -> None:
    fields = _fields(sbx)

    assert {field["dataType"] for field in fields} == FIELD_TYPES
    assert [field["position"] for field in fields] == list(range(len(fields)))
    assert all(field["fieldKey"] == f"contact.{field['fieldKey'].split('.', 1)[1]}" for field in fields)
    for field in fields:
        assert bool(field["picklistOptions"]) == (field["dataType"] in OPTION_TYPES), field["fieldKey"]
    industry = next(field for field in fields if field["fieldKey"] == "contact.industry")
    assert "Software" in industry["picklistOptions"] and industry["name"] == "Industry"


def test_contact_values_refer_to_the_definitions_and_fit_their_types(sbx: Ghl) -> None:
    definitions = {field["id"]: field for field in _fields(sbx)}

    values = sbx.get(f"/contacts/{research_contact(sbx).id}").json()["contact"]["customFields"]

    assert {value["id"] for value in values} == set(definitions), "the research contact has every contact field"
    for value in values:
        definition, text = definitions[value["id"]], value["value"]
        assert isinstance(text, str) and text
        match definition["dataType"]:
            case "NUMERICAL" | "MONETORY":
                assert float(text) >= 0
            case "DATE":
                date.fromisoformat(text)
            case "SINGLE_OPTIONS" | "RADIO":
                assert text in definition["picklistOptions"]
            case "MULTIPLE_OPTIONS" | "CHECKBOX":
                assert set(text.split(", ")) <= set(definition["picklistOptions"])
    every_contact = [
        value["id"]
        for contact in sbx.sandbox.state.data.contacts.values()
        if contact.location_id == DEMO_LOCATION_ID
        for value in contact.api()["customFields"]
    ]
    assert set(every_contact) == set(definitions), "every seeded value refers to a contact field of its location"


def test_one_custom_field_by_id_or_by_key(sbx: Ghl) -> None:
    budget = next(field for field in _fields(sbx) if field["fieldKey"] == "contact.annual_budget")
    other_location_field = next(
        d.id for d in sbx.sandbox.state.data.custom_fields.values() if d.location_id == OTHER_LOCATION_ID
    )

    by_id = sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields/{budget['id']}")
    by_key = sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields/contact.annual_budget")
    opportunity = sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields/opportunity.expected_close")
    unknown = sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields/contact.shoe_size")
    elsewhere = sbx.get(f"/locations/{DEMO_LOCATION_ID}/customFields/{other_location_field}")
    foreign = sbx.get(f"/locations/{OTHER_LOCATION_ID}/customFields/contact.annual_budget")

    assert by_id.json() == by_key.json() == {"customField": budget}
    assert budget["dataType"] == "MONETORY"
    assert opportunity.json()["customField"]["dataType"] == "DATE"
    for response in (unknown, elsewhere):
        assert (response.status_code, response.json()["message"]) == (400, "Custom field not found")
    assert (foreign.status_code, foreign.json()["message"]) == (403, NO_ACCESS)
