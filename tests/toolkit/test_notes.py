"""A contact's notes and tags through the NotesFunction handler: what GHL is sent, what the toolkit
gets back, and every input rule (checked before GHL is called)."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from tests.ghl.ghl_testkit import CONTACT_ID, json_of, note_body, spec_response
from tests.toolkit.kit import LOCATION, Toolkit, new_key, sent

FN = "notes"
NOTES = f"/locations/{LOCATION}/contacts/{CONTACT_ID}/notes"
TAGS = f"/locations/{LOCATION}/contacts/{CONTACT_ID}/tags"
GHL_NOTES = f"/contacts/{CONTACT_ID}/notes"
GHL_TAGS = f"/contacts/{CONTACT_ID}/tags"


def test_lists_the_notes_newest_first(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    notes = [
        note_body(id="oLdNoTe0000000000001", dateAdded="2024-01-01T09:00:00.000Z"),
        note_body(id="nEwNoTe0000000000001", dateAdded="2024-03-01T09:00:00.000Z"),
        note_body(id="mIdNoTe0000000000001", dateAdded="2024-02-01T09:00:00.000Z"),
    ]
    route = ghl_api.get(GHL_NOTES).mock(return_value=spec_response("GET", GHL_NOTES, 200, {"notes": notes}))

    reply = toolkit.call(FN, "GET", NOTES)

    assert reply.status == 200
    assert [n["id"] for n in reply.body["items"]] == [
        "nEwNoTe0000000000001",
        "mIdNoTe0000000000001",
        "oLdNoTe0000000000001",
    ]
    assert reply.body["items"][0] == {
        "id": "nEwNoTe0000000000001",
        "body": "Called, left a voicemail",
        "title": "Follow-up summary",
        "userId": "TUcmRxWrjqzJS8EjkxNK",
        "dateAdded": "2024-03-01T09:00:00.000Z",
        "pinned": False,
    }
    assert reply.body["nextCursor"] is None
    assert sent(route).headers["Version"] == "2021-07-28"


def test_creates_a_note(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    created = note_body(body="Booked a demo for Friday", title="Demo")
    route = ghl_api.post(GHL_NOTES).mock(return_value=spec_response("POST", GHL_NOTES, 201, {"note": created}))

    reply = toolkit.call(FN, "POST", NOTES, body={"body": "Booked a demo for Friday", "title": "Demo"}, key=new_key())

    assert reply.status == 201
    assert reply.body["body"] == "Booked a demo for Friday" and reply.body["id"] == created["id"]
    assert "Idempotency-Replayed" not in reply.headers
    assert json_of(sent(route)) == {"body": "Booked a demo for Friday", "title": "Demo"}


def test_adds_tags_trimmed_and_once_each(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_TAGS).mock(
        return_value=spec_response("POST", GHL_TAGS, 201, {"tags": ["hot", "q3", "fleet"]})
    )

    reply = toolkit.call(FN, "POST", TAGS, body={"tags": [" hot", "q3", "hot ", "fleet"]}, key=new_key())

    assert (reply.status, reply.body) == (200, {"tags": ["hot", "q3", "fleet"]})
    request = sent(route)
    assert json_of(request) == {"tags": ["hot", "q3", "fleet"]}
    assert request.method == "POST"  # the add endpoint: never PUT /contacts/{id}, which would overwrite


LONG = "x" * 20_001


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["body"]),
        ({"body": ""}, ["body"]),
        ({"body": "   \n "}, ["body"]),
        ({"body": LONG}, ["body"]),
        ({"body": "ok", "title": "t" * 201}, ["title"]),
        ({"body": "ok", "pinned": True}, ["pinned"]),
        ({"body": 12}, ["body"]),
        ({"body": ["a"]}, ["body"]),
        ({"body": "ok", "title": None, "userId": "u"}, ["userId"]),
    ],
)
def test_note_rules(toolkit: Toolkit, ghl_api: respx.MockRouter, body: dict[str, Any], fields: list[str]) -> None:
    reply = toolkit.call(FN, "POST", NOTES, body=body, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert sorted(d["field"] for d in reply.error["details"]) == fields
    assert LONG not in str(reply.body)  # the input is never echoed
    assert not ghl_api.calls


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"tags": []}, ["tags"]),
        ({"tags": [f"t{i}" for i in range(51)]}, ["tags"]),
        ({"tags": ["ok", "t" * 101]}, ["tags.1"]),
        ({"tags": ["ok", "  "]}, ["tags.1"]),
        ({"tags": "hot"}, ["tags"]),
        ({"tags": [1]}, ["tags.0"]),
        ({"tag": ["hot"]}, ["tag", "tags"]),
    ],
)
def test_tag_rules(toolkit: Toolkit, ghl_api: respx.MockRouter, body: dict[str, Any], fields: list[str]) -> None:
    reply = toolkit.call(FN, "POST", TAGS, body=body, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert sorted(d["field"] for d in reply.error["details"]) == fields
    assert not ghl_api.calls


@pytest.mark.parametrize(
    "raw",
    ["{not json", "", "[]", '"a note"', "null", "42", '{"body": "x"', b"\xff\xfe{}", '{"body": ' + "9" * 5000 + "}"],
    ids=["broken", "empty", "array", "string", "null", "number", "truncated", "not-utf8", "huge-integer"],
)
def test_bodies_that_are_not_a_json_object_are_400s(toolkit: Toolkit, ghl_api: respx.MockRouter, raw: Any) -> None:
    headers = {"Content-Type": "application/json"}

    reply = toolkit.call(FN, "POST", NOTES, body=raw, headers=headers, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert reply.error["details"] and all(d["in"] == "body" for d in reply.error["details"])
    assert not ghl_api.calls


def test_json_nested_too_deeply_is_a_400(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    deep = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"

    reply = toolkit.call(FN, "POST", NOTES, body=deep, headers={"Content-Type": "application/json"}, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert reply.error["details"][0]["type"] == "body_too_deep"
    assert not ghl_api.calls


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_json_is_a_415(toolkit: Toolkit, ghl_api: respx.MockRouter, content_type: str) -> None:
    reply = toolkit.call(FN, "POST", NOTES, body="body=hi", headers={"Content-Type": content_type}, key=new_key())

    assert (reply.status, reply.code) == (415, "unsupported_media_type")
    assert not ghl_api.calls


def test_json_with_a_charset_is_json(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_NOTES).mock(return_value=spec_response("POST", GHL_NOTES, 201, {"note": note_body()}))
    headers = {"Content-Type": "application/json; charset=utf-8"}

    reply = toolkit.call(FN, "POST", NOTES, body='{"body": "Left a voicemail"}', headers=headers, key=new_key())

    assert reply.status == 201 and route.call_count == 1


def test_a_huge_body_is_refused_unparsed(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    huge = '{"body": "' + "x" * (1024 * 1024) + '"}'

    reply = toolkit.call(FN, "POST", NOTES, body=huge, headers={"Content-Type": "application/json"}, key=new_key())

    assert (reply.status, reply.code) == (413, "payload_too_large")
    assert not ghl_api.calls


def test_a_huge_base64_body_is_refused_too(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    huge = ('{"body": "' + "x" * (1100 * 1024) + '"}').encode()

    reply = toolkit.call(FN, "POST", NOTES, body=huge, headers={"Content-Type": "application/json"}, key=new_key())

    assert (reply.status, reply.code) == (413, "payload_too_large")


def test_a_base64_body_is_read(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = ghl_api.post(GHL_NOTES).mock(return_value=spec_response("POST", GHL_NOTES, 201, {"note": note_body()}))

    reply = toolkit.call(
        FN, "POST", NOTES, body=b'{"body": "Left a voicemail"}', headers={"Content-Type": "application/json"},
        key=new_key(),
    )  # fmt: skip

    assert reply.status == 201
    assert json_of(sent(route)) == {"body": "Left a voicemail"}
