"""`PUT /contacts/{contactId}`: custom field values by id or key (merged, checked against their
type, stored in the read shape), the contact's own properties, tags that overwrite, and refusals
that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from ghlsandbox import DEMO_LOCATION_ID, DEMO_USER_IDS, OTHER_LOCATION_ID, OTHER_USER_ID
from ghlsandbox.clock import iso_z, utc

from tests.sandbox.kit import Ghl, contact_field, demo_contacts, research_contact


def _values(sbx: Ghl, contact_id: str) -> dict[str, str]:
    """The contact's custom field values as `GET /contacts/{id}` reads them, by field id."""
    response = sbx.get(f"/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    return {item["id"]: item["value"] for item in response.json()["contact"]["customFields"]}


def _update(sbx: Ghl, contact_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = sbx.put(f"/contacts/{contact_id}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["succeded"] is True
    return answer


def test_only_the_named_custom_fields_change_and_the_others_survive(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    before = _values(sbx, contact.id)
    industry, score = contact_field(sbx, "contact.industry"), contact_field(sbx, "contact.lead_score")
    products = contact_field(sbx, "contact.products_of_interest")
    new_industry = next(option for option in industry.picklist_options if option != before[industry.id])

    answer = _update(
        sbx,
        contact.id,
        {
            "customFields": [
                {"id": industry.id, "field_value": new_industry},
                {"key": "lead_score", "fieldValue": 87},
                {"key": "contact.products_of_interest", "field_value": ["Reporting", "CRM"]},
            ]
        },
    )

    expected = {**before, industry.id: new_industry, score.id: "87", products.id: "CRM, Reporting"}
    echoed = {item["id"]: item["value"] for item in answer["contact"]["customFields"]}
    assert echoed == expected == _values(sbx, contact.id)
    assert len(before) == 10, "every other field of the research contact kept its value"


@pytest.mark.parametrize(
    ("key", "sent", "stored"),
    [
        ("contact.lead_score", 126000, "126000"),
        ("contact.lead_score", 12.5, "12.5"),
        ("contact.lead_score", "300", "300"),
        ("contact.annual_budget", 45000.0, "45000"),
        ("contact.preferred_channels", ["SMS", "Email", "SMS"], "Email, SMS"),
        ("contact.decision_role", "Champion", "Champion"),
        ("contact.next_renewal", "2027-03-01", "2027-03-01"),
        ("contact.pain_points", "Line one\nLine two", "Line one\nLine two"),
    ],
)
def test_values_are_stored_in_the_shape_they_are_read(sbx: Ghl, key: str, sent: Any, stored: str) -> None:
    contact = demo_contacts(sbx)[3]

    _update(sbx, contact.id, {"customFields": [{"key": key, "field_value": sent}]})

    assert _values(sbx, contact.id)[contact_field(sbx, key).id] == stored


def test_an_empty_value_clears_one_field(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    title, budget = contact_field(sbx, "contact.job_title"), contact_field(sbx, "contact.annual_budget")
    before = _values(sbx, contact.id)

    _update(
        sbx, contact.id, {"customFields": [{"id": title.id, "field_value": ""}, {"id": budget.id, "field_value": None}]}
    )

    after = _values(sbx, contact.id)
    assert title.id not in after and budget.id not in after
    assert after == {k: v for k, v in before.items() if k not in (title.id, budget.id)}


def _item(sbx: Ghl, key: str, value: Any) -> dict[str, Any]:
    return {"id": contact_field(sbx, key).id, "field_value": value}


def _refusals(sbx: Ghl) -> list[tuple[list[dict[str, Any]], str]]:
    """Items a real GHL could not show as sent, and the 422 sentence each gets."""
    sizes = ", ".join(contact_field(sbx, "contact.company_size").picklist_options)
    roles = ", ".join(contact_field(sbx, "contact.decision_role").picklist_options)
    products = ", ".join(contact_field(sbx, "contact.products_of_interest").picklist_options)
    other_location_field = contact_field(sbx, "contact.industry", OTHER_LOCATION_ID).id
    deal_source = sbx.sandbox.state.data.custom_field(
        "opportunity.deal_source", model=None, location_id=DEMO_LOCATION_ID
    )
    assert deal_source is not None
    title = contact_field(sbx, "contact.job_title")
    return [
        (
            [_item(sbx, "contact.company_size", "500+")],
            f"customFields.0.field_value must be one of the options of contact.company_size: {sizes}",
        ),
        (
            [_item(sbx, "contact.decision_role", "champion")],
            f"customFields.0.field_value must be one of the options of contact.decision_role: {roles}",
        ),
        (
            [_item(sbx, "contact.lead_score", "high")],
            "customFields.0.field_value must be a number (contact.lead_score is NUMERICAL)",
        ),
        (
            [_item(sbx, "contact.lead_score", True)],
            "customFields.0.field_value must be a number (contact.lead_score is NUMERICAL)",
        ),
        (
            [_item(sbx, "contact.annual_budget", [1000])],
            "customFields.0.field_value must be a number (contact.annual_budget is MONETORY)",
        ),
        (
            [_item(sbx, "contact.products_of_interest", ["CRM", "Payroll"])],
            f"customFields.0.field_value must be an array of options of contact.products_of_interest: {products}",
        ),
        (
            [_item(sbx, "contact.products_of_interest", "CRM")],
            f"customFields.0.field_value must be an array of options of contact.products_of_interest: {products}",
        ),
        (
            [_item(sbx, "contact.job_title", 42)],
            "customFields.0.field_value must be a string (contact.job_title is TEXT)",
        ),
        (
            [_item(sbx, "contact.next_renewal", "03/01/2027")],
            "customFields.0.field_value must be a date YYYY-MM-DD (contact.next_renewal is DATE)",
        ),
        ([{"id": "x" * 20, "field_value": "a"}], f"customFields.0: no contact custom field has the id {'x' * 20}"),
        (
            [{"id": other_location_field, "field_value": "Legal"}],
            f"customFields.0: no contact custom field has the id {other_location_field}",
        ),
        (
            [{"key": "opportunity.deal_source", "field_value": "Referral"}],
            "customFields.0: no contact custom field has the key opportunity.deal_source",
        ),
        (
            [{"id": deal_source.id, "field_value": "Referral"}],
            f"customFields.0: no contact custom field has the id {deal_source.id}",
        ),
        (
            [{"id": title.id, "key": "contact.pain_points", "field_value": "a"}],
            f"customFields.0: id {title.id} and key contact.pain_points name different fields",
        ),
        ([{"field_value": "a"}], "customFields.0 must have an id or a key"),
        ([{"id": title.id}], "customFields.0.field_value should not be empty"),
        (
            [{"id": title.id, "field_value": "a", "fieldValue": "b"}],
            "customFields.0: field_value and fieldValue differ",
        ),
        (
            [_item(sbx, "contact.job_title", "a"), {"key": "job_title", "field_value": "b"}],
            "customFields.1: contact.job_title is given more than once",
        ),
        (["contact.job_title"], "customFields.0 must be an object"),
    ]


def test_values_a_field_cannot_hold_are_refused_and_change_nothing(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    before = sbx.sandbox.state.snapshot()

    for items, message in _refusals(sbx):
        response = sbx.put(f"/contacts/{contact.id}", json={"firstName": "Changed", "customFields": items})

        assert response.status_code == 422, (items, response.text)
        assert response.json()["message"] == [message]
        assert response.json()["error"] == "Unprocessable Entity"
    assert sbx.sandbox.state.snapshot() == before


def test_value_is_not_an_item_property_and_every_problem_is_listed(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    title = contact_field(sbx, "contact.job_title")
    before = sbx.sandbox.state.snapshot()

    response = sbx.put(
        f"/contacts/{contact.id}",
        json={
            "email": "not an address",
            "customFields": [{"id": title.id, "value": "CTO"}, _item(sbx, "contact.lead_score", "high")],
        },
    )

    assert response.status_code == 422
    assert response.json()["message"] == [
        "email must be an email",
        "customFields.0.property value should not exist",
        "customFields.0.field_value should not be empty",
        "customFields.1.field_value must be a number (contact.lead_score is NUMERICAL)",
    ]
    assert sbx.sandbox.state.snapshot() == before


def test_the_contacts_own_properties_change_and_tags_are_overwritten(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[5]
    values = dict(contact.custom_fields)
    sbx.clock.advance(90)
    body = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@analytical.example",
        "phone": "+15125550123",
        "companyName": "Analytical Engines",
        "website": "https://analytical.example",
        "address1": "1 Loom St",
        "city": "Austin",
        "postalCode": "78702",
        "source": "Toolkit",
        "assignedTo": DEMO_USER_IDS[2],
        "dnd": True,
        "dateOfBirth": "12/10/1985",
        "tags": ["VIP ", "vip", "Renewal 2027"],
    }

    answer = _update(sbx, contact.id, body)["contact"]

    read = sbx.get(f"/contacts/{contact.id}").json()["contact"]
    assert answer == read
    assert (read["name"], read["fullNameLowerCase"], read["emailLowerCase"]) == (
        "Ada Lovelace",
        "ada lovelace",
        "ada@analytical.example",
    )
    for name in ("phone", "companyName", "website", "address1", "city", "postalCode", "source", "assignedTo", "dnd"):
        assert read[name] == body[name], name
    assert read["dateOfBirth"] == "1985-12-10"
    assert read["tags"] == ["vip", "renewal 2027"], "the old tags are gone, the new ones stored as GHL stores tags"
    assert read["dateUpdated"] == iso_z(utc(sbx.clock())) != read["dateAdded"]
    assert contact.custom_fields == values, "no customFields: no value changed"


def test_name_alone_is_split_and_null_clears_a_text_property(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[6]

    named = _update(sbx, contact.id, {"name": "Grace Brewster Hopper", "website": None, "tags": []})["contact"]
    both = _update(sbx, contact.id, {"name": "Ignored Name", "firstName": "Amazing"})["contact"]

    assert (named["firstName"], named["lastName"], named["website"], named["tags"]) == (
        "Grace",
        "Brewster Hopper",
        "",
        [],
    )
    assert (both["firstName"], both["lastName"]) == ("Amazing", "Brewster Hopper")


def test_properties_update_contact_dto_lacks_are_refused_as_ghl_does(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[0]
    before = sbx.sandbox.state.snapshot()

    response = sbx.put(
        f"/contacts/{contact.id}",
        json={"gender": "male", "locationId": contact.location_id, "id": contact.id, "emailLowerCase": "x@y.z"},
    )

    assert response.status_code == 422
    assert response.json()["message"] == [
        "property gender should not exist",
        "property locationId should not exist",
        "property id should not exist",
        "property emailLowerCase should not exist",
    ]
    assert sbx.sandbox.state.snapshot() == before


def test_bad_property_values_are_refused_and_change_nothing(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[0]
    before = sbx.sandbox.state.snapshot()

    response = sbx.put(
        f"/contacts/{contact.id}",
        json={
            "firstName": "Changed",
            "timezone": "Mars/Olympus_Mons",
            "assignedTo": OTHER_USER_ID,
            "dateOfBirth": "1985-13-40",
            "tags": "vip",
        },
    )
    typed = sbx.put(f"/contacts/{contact.id}", json={"dnd": "yes", "customFields": {"id": "x"}})

    assert response.status_code == 422
    assert response.json()["message"] == ["tags must be an array"]
    assert typed.status_code == 422
    assert typed.json()["message"] == ["dnd must be a boolean value", "customFields must be an array"]
    semantic = sbx.put(
        f"/contacts/{contact.id}",
        json={
            "firstName": "Changed",
            "timezone": "Mars/Olympus_Mons",
            "assignedTo": OTHER_USER_ID,
            "dateOfBirth": "1985-13-40",
        },
    )
    assert semantic.status_code == 422
    assert semantic.json()["message"] == [
        "timezone must be a valid IANA time zone",
        f"assignedTo {OTHER_USER_ID} is not a user of this location",
        "dateOfBirth must be a date in one of the formats YYYY-MM-DD, MM-DD-YYYY (or with / . _)",
    ]
    assert sbx.sandbox.state.snapshot() == before


def test_unknown_and_foreign_contacts(sbx: Ghl) -> None:
    foreign = next(c for c in sbx.sandbox.state.data.contacts.values() if c.location_id == OTHER_LOCATION_ID)
    before = sbx.sandbox.state.snapshot()

    unknown = sbx.put(f"/contacts/{'x' * 20}", json={"firstName": "Nobody"})
    other = sbx.put(f"/contacts/{foreign.id}", json={"firstName": "Not yours"})

    assert (unknown.status_code, unknown.json()["message"]) == (400, "Contact not found")
    assert (other.status_code, other.json()["message"]) == (403, "The token does not have access to this location.")
    assert sbx.sandbox.state.snapshot() == before
