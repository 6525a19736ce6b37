"""ContactsAPI against a respx-mocked GHL: requests checked against apps/contacts.json and field by
field, spec-shaped answers parsed into models that keep unknown fields, and the error paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from ghlbridge.ghl.client import BearerAuth, GHLClient
from ghlbridge.ghl.contacts import Contact, ContactAppointment, ContactsAPI, CustomFieldWrite, Note, Task
from ghlbridge.ghl.errors import (
    GHLInvalidResponseError,
    GHLNotFoundError,
    GHLRecordNotFoundError,
    GHLServerError,
    GHLTimeoutError,
    GHLUnprocessableError,
)
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
    contact_appointment_body,
    contact_body,
    json_of,
    note_body,
    spec_response,
    task_body,
)
from tests.ghl_spec import assert_request_conforms

CONTACT_PATH = f"/contacts/{CONTACT_ID}"
NOTES_PATH = f"{CONTACT_PATH}/notes"
TAGS_PATH = f"{CONTACT_PATH}/tags"
TASKS_PATH = f"{CONTACT_PATH}/tasks"
APPOINTMENTS_PATH = f"{CONTACT_PATH}/appointments"
CONTACT_NOT_FOUND = {"statusCode": 400, "message": "Contact not found", "traceId": "trace-400"}
"""BadRequestDTO with the message GHL-NOTES §10.9 expects for an unknown contact id."""
CHICAGO = ZoneInfo("America/Chicago")
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


# --- custom fields (PUT /contacts/{contactId}) --------------------------------------------------

FIELDS_422 = {
    "statusCode": 422,
    "message": ["property gender should not exist", "customFields.0.id must be a string"],
    "error": "Unprocessable Entity",
}
"""UnprocessableDTO with issue #313's message (and a second one)."""
FLEET = CustomFieldWrite("MgobCB14YMVKuE4Ka8p1", "fleet")
FLEET_BODY = {"customFields": [{"id": "MgobCB14YMVKuE4Ka8p1", "field_value": "fleet"}]}


def updated_contact(custom_fields: list[dict[str, Any]]) -> dict[str, Any]:
    """PUT /contacts/{contactId} 200 (UpdateContactsSuccessfulResponseDto, `succeded` sic)."""
    return {"succeded": True, "contact": contact_body(customFields=custom_fields)}


def test_update_custom_fields_sends_only_id_and_field_value(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    read_back = [{"id": "MgobCB14YMVKuE4Ka8p1", "value": "fleet"}]  # the spec types `value` a string
    route = ghl_mock.put(CONTACT_PATH).mock(
        return_value=spec_response("PUT", CONTACT_PATH, 200, updated_contact(read_back))
    )

    contact = api.update_custom_fields(
        CONTACT_ID, [CustomFieldWrite("MgobCB14YMVKuE4Ka8p1", "fleet"), CustomFieldWrite("Kp2cFd9e8TQwLs3bN7xZ", ["a"])]
    )

    request = route.calls.last.request
    assert_sent(request, "PUT", CONTACT_PATH)
    assert json_of(request) == {
        "customFields": [
            {"id": "MgobCB14YMVKuE4Ka8p1", "field_value": "fleet"},
            {"id": "Kp2cFd9e8TQwLs3bN7xZ", "field_value": ["a"]},
        ]
    }  # exactly this: no tags (they would all be overwritten), no key, no other contact field
    assert isinstance(contact, Contact)
    assert contact.id == CONTACT_ID
    assert [(field.id, field.value) for field in contact.customFields] == [("MgobCB14YMVKuE4Ka8p1", "fleet")]


def test_update_custom_fields_sends_numbers_as_json_numbers(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    """GHL-NOTES §10.4: numeric and monetary `field_value`s are typed `object` in the spec, with the
    examples 100 and 100.5, so a number cannot conform. If a newer copy of the spec types them as
    numbers, this test fails: check these requests with `assert_sent` instead."""
    route = ghl_mock.put(CONTACT_PATH).mock(return_value=spec_response("PUT", CONTACT_PATH, 200, updated_contact([])))

    api.update_custom_fields(CONTACT_ID, [CustomFieldWrite("n1", 100), CustomFieldWrite("m1", 100.5)])

    request = route.calls.last.request
    assert (request.method, request.url.path, request.headers["Version"]) == ("PUT", CONTACT_PATH, "2021-07-28")
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert json_of(request) == {"customFields": [{"id": "n1", "field_value": 100}, {"id": "m1", "field_value": 100.5}]}
    with pytest.raises(AssertionError, match=r"customFields/0: .* is not valid under any of the given schemas"):
        assert_request_conforms(request)


def test_update_custom_fields_422_keeps_every_message(
    ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float]
) -> None:
    route = ghl_mock.put(CONTACT_PATH).mock(return_value=spec_response("PUT", CONTACT_PATH, 422, FIELDS_422))

    with pytest.raises(GHLUnprocessableError) as caught:
        api.update_custom_fields(CONTACT_ID, [FLEET])

    assert route.call_count == 1 and sleeps == []  # GHL refused what was said: not resent
    assert caught.value.messages == FIELDS_422["message"]
    assert (caught.value.status, caught.value.path, caught.value.error) == (422, CONTACT_PATH, "Unprocessable Entity")


@pytest.mark.parametrize(
    "body",
    [{"succeded": False, "contact": contact_body()}, {"succeded": True}],
    ids=["succeded-false", "no-contact"],
)
def test_an_update_answer_that_is_no_success_is_an_invalid_response(
    ghl_mock: respx.MockRouter, api: ContactsAPI, body: dict[str, Any]
) -> None:
    ghl_mock.put(CONTACT_PATH).mock(return_value=spec_response("PUT", CONTACT_PATH, 200, body))

    with pytest.raises(GHLInvalidResponseError) as caught:
        api.update_custom_fields(CONTACT_ID, [FLEET])

    assert (caught.value.status, caught.value.path) == (200, CONTACT_PATH)


@pytest.mark.parametrize(
    "failure", [httpx.Response(502), httpx.Response(503), httpx.ReadTimeout("read")], ids=["502", "503", "timeout"]
)
def test_update_custom_fields_is_resent_after_a_timeout_or_5xx(
    ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float], failure: httpx.Response | Exception
) -> None:
    """It sets values, so sending it twice leaves the contact as sending it once."""
    route = ghl_mock.put(CONTACT_PATH)
    route.side_effect = [failure, spec_response("PUT", CONTACT_PATH, 200, updated_contact([]))]

    contact = api.update_custom_fields(CONTACT_ID, [FLEET])

    first, resent = (call.request for call in route.calls)
    assert json_of(resent) == json_of(first) == FLEET_BODY
    assert_sent(resent, "PUT", CONTACT_PATH)
    assert sleeps == [0.375]
    assert contact.id == CONTACT_ID


def test_update_custom_fields_with_nothing_is_refused(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    with pytest.raises(ValueError, match="no custom fields"):
        api.update_custom_fields(CONTACT_ID, [])  # no route: a request would fail assert_all_mocked


def test_a_custom_field_list_is_copied_when_sent() -> None:
    options = ["a"]
    field = CustomFieldWrite("Kp2cFd9e8TQwLs3bN7xZ", options)

    sent = field.to_ghl()
    options.append("b")

    assert sent == {"id": "Kp2cFd9e8TQwLs3bN7xZ", "field_value": ["a"]}
    assert sent["field_value"] is not options


@pytest.mark.parametrize(
    ("field_id", "value", "error"),
    [
        ("", "x", ValueError),
        ("f1", True, TypeError),  # a bool is an int to Python, and no field schema takes one
        ("f1", None, TypeError),
        ("f1", {"doc": {"url": "https://x"}}, TypeError),  # file fields are not written here
        ("f1", ["a", 1], TypeError),
        ("f1", ("a", "b"), TypeError),
        ("f1", float("nan"), ValueError),
        ("f1", float("inf"), ValueError),
    ],
    ids=["empty-id", "bool", "none", "object", "list-of-non-str", "tuple", "nan", "inf"],
)
def test_a_custom_field_value_ghl_cannot_take_is_refused(field_id: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        CustomFieldWrite(field_id, value)


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


# --- tasks --------------------------------------------------------------------------------------


def test_tasks(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    body = {"tasks": [task_body(), task_body(id="t2", title="Send proposal", completed=False, futureField=1)]}
    del body["tasks"][1]["body"]
    route = ghl_mock.get(TASKS_PATH).mock(return_value=spec_response("GET", TASKS_PATH, 200, body))

    tasks = api.tasks(CONTACT_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", TASKS_PATH)
    assert request.content == b""
    assert all(isinstance(task, Task) for task in tasks)
    first, second = tasks
    assert (first.id, first.title, first.body, first.assignedTo, first.completed, first.contactId) == (
        "lJpzYrWdpkC2hX6t2yue",
        "test",
        "testing",
        USER_ID,
        True,
        CONTACT_ID,
    )
    assert first.dueDate == datetime(2021, 7, 8, 2, 30, tzinfo=UTC)
    assert first.dueDate is not None and first.dueDate.utcoffset() == timedelta(0)
    assert (second.id, second.title, second.body, second.completed) == ("t2", "Send proposal", None, False)
    assert (first.model_extra, second.model_extra) == ({}, {"futureField": 1})


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("2021-07-08T02:30:00Z", datetime(2021, 7, 8, 2, 30, tzinfo=UTC)),
        ("2021-07-08T09:30:00+07:00", datetime(2021, 7, 8, 9, 30, tzinfo=timezone(timedelta(hours=7)))),
        ("2021-07-08T02:30:00", datetime(2021, 7, 8, 2, 30, tzinfo=UTC)),  # no offset: UTC, as every spec example
        ("", None),
        (None, None),
    ],
    ids=["Z", "offset-kept", "no-offset-is-utc", "empty", "null"],
)
def test_task_due_dates(ghl_mock: respx.MockRouter, api: ContactsAPI, due: str | None, expected: Any) -> None:
    ghl_mock.get(TASKS_PATH).respond(200, json={"tasks": [task_body(dueDate=due)]})  # null is not spec, but seen

    [task] = api.tasks(CONTACT_ID)

    assert task.dueDate == expected
    if expected is not None:
        assert task.dueDate is not None and task.dueDate.utcoffset() == expected.utcoffset()


def test_a_task_without_a_due_date(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    body = {"tasks": [{"id": "t3", "title": "Call back"}]}
    ghl_mock.get(TASKS_PATH).mock(return_value=spec_response("GET", TASKS_PATH, 200, body))

    [task] = api.tasks(CONTACT_ID)

    assert (task.id, task.dueDate, task.completed, task.assignedTo) == ("t3", None, None, None)


def test_an_unreadable_due_date_is_an_invalid_response(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    ghl_mock.get(TASKS_PATH).respond(200, json={"tasks": [task_body(dueDate="next tuesday")]})

    with pytest.raises(GHLInvalidResponseError, match=r"tasks\.0\.dueDate") as caught:
        api.tasks(CONTACT_ID)

    assert "next tuesday" not in str(caught.value)  # values are never quoted back


def test_no_tasks(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    ghl_mock.get(TASKS_PATH).mock(return_value=spec_response("GET", TASKS_PATH, 200, {"tasks": []}))

    assert api.tasks(CONTACT_ID) == []


# --- writing tasks ------------------------------------------------------------------------------

TASK_ID = "lJpzYrWdpkC2hX6t2yue"
TASK_PATH = f"{TASKS_PATH}/{TASK_ID}"
COMPLETED_PATH = f"{TASK_PATH}/completed"
TASK_422 = {
    "statusCode": 422,
    "message": ["title must be a string", "dueDate should not be empty"],
    "error": "Unprocessable Entity",
}
DUE = datetime(2020, 10, 25, 6, tzinfo=CHICAGO)  # CDT (-05:00): 11:00 UTC, the spec's example "2020-10-25T11:00:00Z"


def task_answer(**overrides: Any) -> dict[str, Any]:
    """`{task}` (TaskByIsSuccessfulResponseDto), the answer of every single-task call."""
    return {"task": task_body(**overrides)}


def test_create_task_sends_the_required_fields(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    answer = task_answer(title="First Task", dueDate="2020-10-25T11:00:00.000Z", completed=False)
    route = ghl_mock.post(TASKS_PATH).mock(return_value=spec_response("POST", TASKS_PATH, 201, answer))

    task = api.create_task(CONTACT_ID, title="First Task", due_date=DUE)

    request = route.calls.last.request
    assert_sent(request, "POST", TASKS_PATH)
    assert json_of(request) == {"title": "First Task", "dueDate": "2020-10-25T11:00:00Z", "completed": False}
    assert isinstance(task, Task)
    assert (task.id, task.title, task.completed, task.contactId) == (TASK_ID, "First Task", False, CONTACT_ID)
    assert task.dueDate == datetime(2020, 10, 25, 11, tzinfo=UTC)


def test_create_task_maps_every_field(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.post(TASKS_PATH).mock(return_value=spec_response("POST", TASKS_PATH, 201, task_answer()))

    api.create_task(
        CONTACT_ID,
        title="Send the proposal",
        due_date=datetime(2020, 10, 25, 11, 0, 0, 999_999, tzinfo=UTC),
        body="Fleet pricing, 40 vehicles",
        assigned_to=USER_ID,
        completed=True,
    )

    request = route.calls.last.request
    assert_sent(request, "POST", TASKS_PATH)
    assert json_of(request) == {
        "title": "Send the proposal",
        "dueDate": "2020-10-25T11:00:00Z",  # whole seconds: the fraction is dropped, not rounded up
        "completed": True,
        "body": "Fleet pricing, 40 vehicles",
        "assignedTo": USER_ID,
    }


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(500), httpx.Response(502), httpx.ReadTimeout("read"), httpx.RemoteProtocolError("dropped")],
    ids=["500", "502", "read-timeout", "dropped"],
)
def test_create_task_is_never_resent_after_a_timeout_or_5xx(
    ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float], failure: httpx.Response | Exception
) -> None:
    """GHL may have created the task before failing to answer: a resend could make a second one."""
    route = ghl_mock.post(TASKS_PATH)
    route.side_effect = [failure, spec_response("POST", TASKS_PATH, 201, task_answer())]

    with pytest.raises((GHLServerError, GHLTimeoutError)):
        api.create_task(CONTACT_ID, title="First Task", due_date=DUE)

    assert route.call_count == 1 and sleeps == []


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(429, json={"message": "Too many requests"}), httpx.ConnectError("refused")],
    ids=["429", "connect-error"],
)
def test_create_task_is_resent_when_ghl_provably_did_not_act(
    ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float], failure: httpx.Response | Exception
) -> None:
    route = ghl_mock.post(TASKS_PATH)
    route.side_effect = [failure, spec_response("POST", TASKS_PATH, 201, task_answer())]

    task = api.create_task(CONTACT_ID, title="First Task", due_date=DUE)

    first, resent = (call.request for call in route.calls)
    assert json_of(resent) == json_of(first)
    assert len(sleeps) == 1 and task.id == TASK_ID


def test_get_task(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.get(TASK_PATH).mock(return_value=spec_response("GET", TASK_PATH, 200, task_answer()))

    task = api.get_task(CONTACT_ID, TASK_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", TASK_PATH)
    assert request.content == b""
    assert (task.id, task.title, task.body, task.assignedTo, task.completed) == (
        TASK_ID,
        "test",
        "testing",
        USER_ID,
        True,
    )
    assert task.dueDate == datetime(2021, 7, 8, 2, 30, tzinfo=UTC)
    assert task.model_extra == {}


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({"completed": False}, {"completed": False}),  # False is sent: only None means "not given"
        ({"title": "Call back"}, {"title": "Call back"}),
        ({"due_date": DUE}, {"dueDate": "2020-10-25T11:00:00Z"}),
        (
            {
                "title": "Call back",
                "body": "About the fleet",
                "due_date": DUE,
                "assigned_to": USER_ID,
                "completed": True,
            },
            {
                "title": "Call back",
                "body": "About the fleet",
                "dueDate": "2020-10-25T11:00:00Z",
                "assignedTo": USER_ID,
                "completed": True,
            },
        ),
    ],
    ids=["completed-false", "title", "due-date", "every-field"],
)
def test_update_task_sends_only_the_given_fields(
    ghl_mock: respx.MockRouter, api: ContactsAPI, kwargs: dict[str, Any], sent: dict[str, Any]
) -> None:
    route = ghl_mock.put(TASK_PATH).mock(return_value=spec_response("PUT", TASK_PATH, 200, task_answer(title="X")))

    task = api.update_task(CONTACT_ID, TASK_ID, **kwargs)

    request = route.calls.last.request
    assert_sent(request, "PUT", TASK_PATH)
    assert json_of(request) == sent
    assert (task.id, task.title) == (TASK_ID, "X")


def test_update_task_with_nothing_is_refused(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    with pytest.raises(ValueError, match="nothing to update"):
        api.update_task(CONTACT_ID, TASK_ID)


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.create_task(CONTACT_ID, title="T", due_date=datetime(2020, 10, 25, 11)),  # naive on purpose
        lambda api: api.update_task(CONTACT_ID, TASK_ID, due_date=datetime(2020, 10, 25, 11)),  # naive on purpose
    ],
    ids=["create", "update"],
)
def test_a_naive_due_date_is_refused(ghl_mock: respx.MockRouter, api: ContactsAPI, call: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(api)  # no route: a request would fail assert_all_mocked


@pytest.mark.parametrize("completed", [True, False])
def test_set_task_completed(ghl_mock: respx.MockRouter, api: ContactsAPI, completed: bool) -> None:
    answer = task_answer(completed=completed)
    route = ghl_mock.put(COMPLETED_PATH).mock(return_value=spec_response("PUT", COMPLETED_PATH, 200, answer))

    task = api.set_task_completed(CONTACT_ID, TASK_ID, completed)

    request = route.calls.last.request
    assert_sent(request, "PUT", COMPLETED_PATH)
    assert json_of(request) == {"completed": completed}
    assert (task.id, task.completed) == (TASK_ID, completed)


def test_delete_task(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.delete(TASK_PATH).mock(return_value=spec_response("DELETE", TASK_PATH, 200, {"succeded": True}))

    assert api.delete_task(CONTACT_ID, TASK_ID) is None

    request = route.calls.last.request
    assert_sent(request, "DELETE", TASK_PATH)
    assert request.content == b""  # the spec declares no body here (unlike DELETE /calendars/events/{eventId})


def test_a_delete_answering_succeded_false_is_an_invalid_response(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    ghl_mock.delete(TASK_PATH).mock(return_value=spec_response("DELETE", TASK_PATH, 200, {"succeded": False}))

    with pytest.raises(GHLInvalidResponseError, match="succeded: false") as caught:
        api.delete_task(CONTACT_ID, TASK_ID)

    assert (caught.value.status, caught.value.method, caught.value.path) == (200, "DELETE", TASK_PATH)


def test_an_unknown_task_is_not_found(ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float]) -> None:
    """What a resent DELETE may meet when the first one took effect (GHL-NOTES §10.9: unsettled)."""
    gone = {"statusCode": 400, "message": "Task not found", "traceId": "trace-task"}
    route = ghl_mock.delete(TASK_PATH).mock(return_value=spec_response("DELETE", TASK_PATH, 400, gone))

    with pytest.raises(GHLRecordNotFoundError) as caught:
        api.delete_task(CONTACT_ID, TASK_ID)

    assert route.call_count == 1 and sleeps == []
    assert (caught.value.message, caught.value.trace_id) == ("Task not found", "trace-task")


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", TASKS_PATH, lambda api: api.create_task(CONTACT_ID, title="", due_date=DUE)),
        ("PUT", TASK_PATH, lambda api: api.update_task(CONTACT_ID, TASK_ID, title="")),
        ("PUT", COMPLETED_PATH, lambda api: api.set_task_completed(CONTACT_ID, TASK_ID, True)),
    ],
    ids=["create", "update", "completed"],
)
def test_a_task_write_422_keeps_every_message(
    ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float], method: str, path: str, call: Any
) -> None:
    route = ghl_mock.route(method=method, path=path).mock(return_value=spec_response(method, path, 422, TASK_422))

    with pytest.raises(GHLUnprocessableError) as caught:
        call(api)

    assert route.call_count == 1 and sleeps == []
    assert caught.value.messages == ["title must be a string", "dueDate should not be empty"]
    assert (caught.value.status, caught.value.method, caught.value.path) == (422, method, path)


@pytest.mark.parametrize(
    ("method", "path", "call", "answer"),
    [
        ("PUT", TASK_PATH, lambda api: api.update_task(CONTACT_ID, TASK_ID, completed=True), task_answer()),
        ("PUT", COMPLETED_PATH, lambda api: api.set_task_completed(CONTACT_ID, TASK_ID, True), task_answer()),
        ("DELETE", TASK_PATH, lambda api: api.delete_task(CONTACT_ID, TASK_ID), {"succeded": True}),
    ],
    ids=["update", "completed", "delete"],
)
@pytest.mark.parametrize("failure", [httpx.Response(502), httpx.ReadTimeout("read")], ids=["502", "timeout"])
def test_task_puts_and_deletes_are_resent_after_a_timeout_or_5xx(
    ghl_mock: respx.MockRouter,
    api: ContactsAPI,
    sleeps: list[float],
    method: str,
    path: str,
    call: Any,
    answer: dict[str, Any],
    failure: httpx.Response | Exception,
) -> None:
    route = ghl_mock.route(method=method, path=path)
    route.side_effect = [failure, spec_response(method, path, 200, answer)]

    call(api)

    first, resent = (c.request for c in route.calls)
    assert resent.content == first.content
    assert_sent(resent, method, path)
    assert sleeps == [0.375]


def test_a_task_id_stays_one_path_segment(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    route = ghl_mock.route(method="PUT", path__startswith="/contacts/").respond(200, json=task_answer())

    api.set_task_completed(CONTACT_ID, "../../notes?x=1", True)

    assert route.calls.last.request.url.raw_path == f"{TASKS_PATH}/%2E%2E%2F%2E%2E%2Fnotes%3Fx%3D1/completed".encode()


# --- appointments -------------------------------------------------------------------------------


def test_appointments(ghl_mock: respx.MockRouter, api: ContactsAPI) -> None:
    body = {"events": [contact_appointment_body()]}
    route = ghl_mock.get(APPOINTMENTS_PATH).mock(return_value=spec_response("GET", APPOINTMENTS_PATH, 200, body))

    appointments = api.appointments(CONTACT_ID)

    request = route.calls.last.request
    assert_sent(request, "GET", APPOINTMENTS_PATH)
    assert request.content == b""
    [appointment] = appointments
    assert isinstance(appointment, ContactAppointment)
    assert (appointment.id, appointment.calendarId, appointment.contactId, appointment.locationId) == (
        "YS3jaqqeehkR2Is80miy",
        "ocQHyuzHvysMo5N5VsXc",
        CONTACT_ID,
        LOCATION_ID,
    )
    assert (appointment.status, appointment.appointmentStatus) == ("booked", "booked")  # outside the calendars enum
    assert (appointment.title, appointment.notes, appointment.address, appointment.assignedUserId) == (
        "Test",
        "test",
        "Address",
        USER_ID,
    )
    assert (appointment.startTime, appointment.endTime) == ("2021-07-16 11:00:00", "2021-07-16 11:30:00")  # as sent
    assert (appointment.dateAdded, appointment.dateUpdated) == ("2021-07-16 11:00:00", "2021-07-16 11:30:00")
    assert appointment.users == [USER_ID, "YlWd2wuCAZQzh2cH1fVZ"]
    assert (appointment.groupId, appointment.assignedResources) == ("YlWd2wuCAZQzh2cH1fVZ", ["YlWd2wuCAZQzh2cH1fVZ"])
    assert appointment.model_extra == {}


def test_appointment_times_without_an_offset_are_read_in_the_callers_zone() -> None:
    appointment = ContactAppointment.model_validate(contact_appointment_body())

    start, end = appointment.starts_at(CHICAGO), appointment.ends_at(CHICAGO)

    assert start == datetime(2021, 7, 16, 11, tzinfo=CHICAGO)
    assert start is not None and start.utcoffset() == timedelta(hours=-5)  # CDT that day
    assert end is not None and end - start == timedelta(minutes=30)
    assert appointment.starts_at(UTC) == datetime(2021, 7, 16, 11, tzinfo=UTC)


def test_appointment_times_with_an_offset_keep_it() -> None:
    appointment = ContactAppointment.model_validate(
        contact_appointment_body(startTime="2024-10-28T10:00:00-05:00", endTime="2024-10-28T15:30:00Z")
    )

    start, end = appointment.starts_at(ZoneInfo("Asia/Kolkata")), appointment.ends_at(ZoneInfo("Asia/Kolkata"))

    assert start is not None and start.utcoffset() == timedelta(hours=-5)
    assert end == datetime(2024, 10, 28, 15, 30, tzinfo=UTC) and end.utcoffset() == timedelta(0)


def test_an_appointment_without_times() -> None:
    appointment = ContactAppointment.model_validate({"id": "YS3jaqqeehkR2Is80miy", "status": "cancelled"})

    assert (appointment.starts_at(CHICAGO), appointment.ends_at(CHICAGO)) == (None, None)
    assert (appointment.startTime, appointment.users) == (None, [])


def test_an_unreadable_appointment_time_is_refused_when_read() -> None:
    appointment = ContactAppointment.model_validate(contact_appointment_body(startTime="16/07/2021 11am"))

    assert appointment.startTime == "16/07/2021 11am"  # kept as sent
    with pytest.raises(ValueError):
        appointment.starts_at(CHICAGO)


# --- an unknown contact -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "call"),
    [(TASKS_PATH, ContactsAPI.tasks), (APPOINTMENTS_PATH, ContactsAPI.appointments)],
    ids=["tasks", "appointments"],
)
def test_an_unknown_contact_is_not_found(
    ghl_mock: respx.MockRouter, api: ContactsAPI, sleeps: list[float], path: str, call: Any
) -> None:
    route = ghl_mock.get(path).mock(return_value=spec_response("GET", path, 400, CONTACT_NOT_FOUND))

    with pytest.raises(GHLRecordNotFoundError) as caught:
        call(api, CONTACT_ID)

    assert isinstance(caught.value, GHLNotFoundError)
    assert route.call_count == 1 and sleeps == []  # a 400 is not retried
    assert (caught.value.status, caught.value.path, caught.value.message, caught.value.trace_id) == (
        400,
        path,
        "Contact not found",
        "trace-400",
    )


@pytest.mark.parametrize(
    ("call", "tail"),
    [(ContactsAPI.tasks, b"/tasks"), (ContactsAPI.appointments, b"/appointments")],
    ids=["tasks", "appointments"],
)
def test_a_contact_id_stays_one_path_segment(
    ghl_mock: respx.MockRouter, api: ContactsAPI, call: Any, tail: bytes
) -> None:
    route = ghl_mock.route(method="GET", path__startswith="/contacts/").respond(200, json={"tasks": [], "events": []})

    call(api, "../opportunities/x?y=1")

    assert route.calls.last.request.url.raw_path == b"/contacts/%2E%2E%2Fopportunities%2Fx%3Fy%3D1" + tail


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
