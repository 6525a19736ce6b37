"""ContactsAPI against a respx-mocked GHL: requests checked against apps/contacts.json and field by
field, spec-shaped answers parsed into models that keep unknown fields, and the error paths."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
import respx

from ghlbridge.ghl.client import BearerAuth, GHLClient
from ghlbridge.ghl.contacts import Contact, ContactsAPI, Note
from ghlbridge.ghl.errors import GHLInvalidResponseError, GHLNotFoundError, GHLUnprocessableError
from ghlbridge.tokens.provider import GHLAuth, TokenProvider
from tests.ghl import ghl_testkit
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    CONTACT_ID,
    INVALID_TOKEN_BODY,
    LOCATION_ID,
    LOCATION_TOKEN,
    NOT_FOUND_BODY,
    USER_ID,
    FakeTokenProvider,
    contact_body,
    json_of,
    note_body,
    spec_response,
)
from tests.ghl_spec import assert_request_conforms

CONTACT_PATH = f"/contacts/{CONTACT_ID}"
NOTES_PATH = f"{CONTACT_PATH}/notes"
TAGS_PATH = f"{CONTACT_PATH}/tags"
NOTE_422 = {
    "statusCode": 422,
    "message": ["body should not be empty", "body must be a string"],
    "error": "Unprocessable Entity",
}


@pytest.fixture
def api(client: GHLClient) -> ContactsAPI:
    return ContactsAPI(client, BearerAuth(ACCESS_TOKEN))


def assert_sent(request: httpx.Request, method: str, path: str) -> None:
    ghl_testkit.assert_sent(request, method, path, version="2021-07-28", params={})


# --- get ----------------------------------------------------------------------------------------


def test_get(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.get(CONTACT_PATH).mock(
        return_value=spec_response("GET", CONTACT_PATH, 200, {"contact": contact_body()})
    )

    contact = api.get(CONTACT_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", CONTACT_PATH)
    assert request.content == b""
    assert isinstance(contact, Contact)
    assert (contact.id, contact.name, contact.firstName, contact.lastName) == (CONTACT_ID, "rosan Deo", "rosan", "Deo")
    assert (contact.email, contact.phone, contact.companyName, contact.website) == (
        "rosan@deos.com",
        "+1 888-888-8888",
        "DGS VolMAX",
        "https://www.tesla.com",
    )
    assert contact.tags == ["nisi sint commodo amet", "consequat"]
    assert [(field.id, field.value) for field in contact.customFields] == [("MgobCB14YMVKuE4Ka8p1", "name")]
    assert (contact.locationId, contact.timezone, contact.assignedTo, contact.dnd) == (
        LOCATION_ID,
        "America/Chihuahua",
        USER_ID,
        False,
    )
    extra = contact.model_extra or {}
    assert extra["dndSettings"] == {"Email": {"status": "active", "message": "", "code": ""}}
    assert set(extra) == {"emailLowerCase", "dndSettings", "businessId", "attributionSource"}  # the rest is modelled


def test_custom_fields_keep_any_value_shape(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    """The spec types `value` as a string; GHL also sends numbers and lists, which must not fail a read."""
    fields = [{"id": "f1", "value": 42}, {"id": "f2", "value": ["a", "b"]}, {"id": "f3"}]
    ghl_mock.get(CONTACT_PATH).respond(200, json={"contact": contact_body(customFields=fields)})

    contact = api.get(CONTACT_ID)

    assert [(field.id, field.value) for field in contact.customFields] == [("f1", 42), ("f2", ["a", "b"]), ("f3", None)]


def test_get_unknown_contact_is_not_found(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    ghl_mock.get(CONTACT_PATH).respond(404, json=NOT_FOUND_BODY)  # the contacts spec declares no 404

    with pytest.raises(GHLNotFoundError) as caught:
        api.get(CONTACT_ID)

    assert (caught.value.status, caught.value.path, caught.value.message) == (404, CONTACT_PATH, "Not Found")


def test_a_body_without_contact_is_an_invalid_response(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    ghl_mock.get(CONTACT_PATH).respond(200, json={"succeded": True})

    with pytest.raises(GHLInvalidResponseError, match="contact"):
        api.get(CONTACT_ID)


# --- notes --------------------------------------------------------------------------------------


def test_notes(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    body = {"notes": [note_body(), note_body(id="n2", body="Second", title=None, pinned=True)]}
    del body["notes"][1]["title"]
    route = ghl_mock.get(NOTES_PATH).mock(return_value=spec_response("GET", NOTES_PATH, 200, body))

    notes = api.notes(CONTACT_ID)

    assert_sent(route.calls.last.request, "GET", NOTES_PATH)
    assert all(isinstance(note, Note) for note in notes)
    assert [(n.id, n.body, n.title, n.pinned) for n in notes] == [
        ("HGPcayliwcdoUFzvbTok", "Called, left a voicemail", "Follow-up summary", False),
        ("n2", "Second", None, True),
    ]
    assert notes[0].model_extra == {}
    assert (notes[0].userId, notes[0].contactId, notes[0].dateAdded) == (
        "TUcmRxWrjqzJS8EjkxNK",
        CONTACT_ID,
        "2021-07-08T12:02:11.285Z",
    )


def test_create_note_sends_body_and_author_only(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.post(NOTES_PATH).mock(return_value=spec_response("POST", NOTES_PATH, 201, {"note": note_body()}))

    note = api.create_note(CONTACT_ID, body="Called, left a voicemail", user_id="TUcmRxWrjqzJS8EjkxNK")

    request = route.calls.last.request
    assert_sent(request, "POST", NOTES_PATH)
    assert json_of(request) == {"body": "Called, left a voicemail", "userId": "TUcmRxWrjqzJS8EjkxNK"}
    assert (note.id, note.body) == ("HGPcayliwcdoUFzvbTok", "Called, left a voicemail")


def test_create_note_with_a_title(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.post(NOTES_PATH).mock(return_value=spec_response("POST", NOTES_PATH, 201, {"note": note_body()}))

    api.create_note(CONTACT_ID, body="Budget approved", title="Follow-up summary")

    request = route.calls.last.request
    assert_sent(request, "POST", NOTES_PATH)
    assert json_of(request) == {"body": "Budget approved", "title": "Follow-up summary"}


def test_create_note_422_keeps_every_message(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.post(NOTES_PATH).mock(return_value=spec_response("POST", NOTES_PATH, 422, NOTE_422))

    with pytest.raises(GHLUnprocessableError) as caught:
        api.create_note(CONTACT_ID, body="")

    assert route.call_count == 1
    assert caught.value.messages == ["body should not be empty", "body must be a string"]
    assert json_of(route.calls.last.request) == {"body": ""}


# --- tags ---------------------------------------------------------------------------------------


def test_add_tags_posts_to_the_add_endpoint(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    answer = {"tags": ["consequat", "hot lead", "q3"]}
    route = ghl_mock.post(TAGS_PATH).mock(return_value=spec_response("POST", TAGS_PATH, 201, answer))

    tags = api.add_tags(CONTACT_ID, ["hot lead", "q3"])

    request = route.calls.last.request
    assert_sent(request, "POST", TAGS_PATH)
    assert json_of(request) == {"tags": ["hot lead", "q3"]}
    assert tags == ["consequat", "hot lead", "q3"]


def test_add_tags_accepts_any_sequence(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.post(TAGS_PATH).mock(return_value=spec_response("POST", TAGS_PATH, 201, {"tags": ["a"]}))

    api.add_tags(CONTACT_ID, ("a",))

    assert json_of(route.calls.last.request) == {"tags": ["a"]}


@pytest.mark.parametrize(("tags", "error"), [("vip", TypeError), ([], ValueError)])
def test_add_tags_refuses_a_string_or_nothing(
    ghl_mock: respx.MockRouter, api: ContactsAPI, tags: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        api.add_tags(CONTACT_ID, tags)


# --- 401: refresh and replay once ---------------------------------------------------------------


def test_401_refreshes_and_replays_the_same_note(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    provider = FakeTokenProvider(ACCESS_TOKEN, LOCATION_TOKEN)
    api = ContactsAPI(client, GHLAuth(cast(TokenProvider, provider), LOCATION_ID))
    route = ghl_mock.post(NOTES_PATH)
    route.side_effect = [
        spec_response("POST", NOTES_PATH, 401, INVALID_TOKEN_BODY),
        spec_response("POST", NOTES_PATH, 201, {"note": note_body()}),
    ]

    note = api.create_note(CONTACT_ID, body="Called, left a voicemail")

    first, replay = (call.request for call in route.calls)
    assert (first.headers["Authorization"], replay.headers["Authorization"]) == (
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {LOCATION_TOKEN}",
    )
    assert provider.rejected == [ACCESS_TOKEN]
    assert json_of(replay) == json_of(first) == {"body": "Called, left a voicemail"}
    assert_request_conforms(replay)
    assert note.id == "HGPcayliwcdoUFzvbTok"
