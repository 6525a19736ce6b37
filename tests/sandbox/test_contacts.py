"""Contacts: the contact record, notes (list, add, by a location user), tags (add, never remove)."""

from __future__ import annotations

from ghlsandbox import DEMO_LOCATION_ID, DEMO_USER_IDS, DEV_USER_ID, OTHER_USER_ID

from tests.sandbox.kit import Ghl, demo_contacts


def test_a_contact_has_realistic_details(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[0]

    body = sbx.get(f"/contacts/{contact.id}").json()["contact"]

    assert body["id"] == contact.id and body["locationId"] == DEMO_LOCATION_ID
    assert body["name"] == f"{body['firstName']} {body['lastName']}"
    assert body["email"].endswith(body["website"].removeprefix("https://www."))
    assert body["phone"].startswith("+1") and len(body["phone"]) == 12
    assert body["companyName"] and body["timezone"] == "America/Chicago"
    assert {field["id"] for field in body["customFields"]} == set(contact.custom_fields)
    assert all(isinstance(field["value"], str) for field in body["customFields"])


def test_seeded_data_is_the_same_for_the_same_seed(sbx: Ghl) -> None:
    from ghlsandbox import Sandbox, SandboxConfig

    again = Sandbox(SandboxConfig(), clock=sbx.clock)
    different = Sandbox(SandboxConfig(seed=7), clock=sbx.clock)

    assert again.state.data.contacts.keys() == sbx.sandbox.state.data.contacts.keys()
    assert [c.email for c in again.state.data.contacts.values()] == [
        c.email for c in sbx.sandbox.state.data.contacts.values()
    ]
    assert different.state.data.contacts.keys().isdisjoint(sbx.sandbox.state.data.contacts.keys())


def test_notes_are_listed_newest_first(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[0]

    notes = sbx.get(f"/contacts/{contact.id}/notes").json()["notes"]

    assert notes, "the first demo contacts have notes"
    assert [note["dateAdded"] for note in notes] == sorted((note["dateAdded"] for note in notes), reverse=True)
    assert {note["contactId"] for note in notes} == {contact.id}


def test_adding_a_note_stores_it_and_lists_it_first(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[1]
    sbx.clock.advance(60)

    created = sbx.post(
        f"/contacts/{contact.id}/notes",
        json={"body": "Demo went well; send the proposal.", "userId": DEMO_USER_IDS[1], "pinned": True},
    )

    assert created.status_code == 201
    note = created.json()["note"]
    assert (note["body"], note["userId"], note["pinned"], note["contactId"]) == (
        "Demo went well; send the proposal.",
        DEMO_USER_IDS[1],
        True,
        contact.id,
    )
    assert note["id"] in sbx.sandbox.state.data.notes
    assert sbx.get(f"/contacts/{contact.id}/notes").json()["notes"][0]["id"] == note["id"]


def test_adding_tags_keeps_existing_ones_and_normalises_like_ghl(sbx: Ghl) -> None:
    contact = next(c for c in demo_contacts(sbx) if c.tags)
    existing = list(contact.tags)

    response = sbx.post(f"/contacts/{contact.id}/tags", json={"tags": ["  Toolkit Lead ", existing[0].upper(), "Q3"]})

    assert response.status_code == 201
    assert response.json()["tags"] == [*existing, "toolkit lead", "q3"]
    assert sbx.sandbox.state.data.contacts[contact.id].tags == [*existing, "toolkit lead", "q3"]
    assert sbx.get(f"/contacts/{contact.id}").json()["contact"]["tags"] == [*existing, "toolkit lead", "q3"]


def test_a_note_author_must_be_a_user_of_the_contacts_location(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[2]
    before = sbx.sandbox.state.snapshot()

    refused = [
        sbx.post(f"/contacts/{contact.id}/notes", json={"body": "Hi", "userId": user_id})
        for user_id in (OTHER_USER_ID, "doesNotExist00000000", "")
    ]

    for response in refused:
        assert response.status_code == 400
        assert {k: v for k, v in response.json().items() if k != "traceId"} == {
            "statusCode": 400,
            "message": "User not found",
            "error": "Bad Request",
        }
    assert sbx.sandbox.state.snapshot() == before, "a refused note changes nothing"
    by_dev = sbx.post(f"/contacts/{contact.id}/notes", json={"body": "Linked myself.", "userId": DEV_USER_ID})
    anonymous = sbx.post(f"/contacts/{contact.id}/notes", json={"body": "No author."})
    assert by_dev.status_code == 201 and by_dev.json()["note"]["userId"] == DEV_USER_ID
    assert sbx.sandbox.state.data.notes[by_dev.json()["note"]["id"]].user_id == DEV_USER_ID
    assert anonymous.status_code == 201 and anonymous.json()["note"]["userId"] == ""
