"""For the GHL tests: spec-shaped bodies (apps/oauth.json), the fake credentials the tests hunt for,
and small assertion helpers.

Every credential is distinctive, so "it is not in the log" is a meaningful assertion.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ghlbridge.observability import metrics
from tests.ghl_spec import assert_request_conforms, assert_response_conforms

BASE_URL = "https://services.leadconnectorhq.com"

ACCESS_TOKEN = "at-SECRET-access-7f3a9c"
REFRESH_TOKEN = "rt-SECRET-refresh-51d0e2"
NEW_REFRESH_TOKEN = "rt-SECRET-refresh-rotated-88c1"
CLIENT_ID = "65f0c0ffee-lq1x2y3z"
CLIENT_SECRET = "cs-SECRET-client-4b7e11"
AUTH_CODE = "code-SECRET-9a8b7c"
COMPANY_TOKEN = "ct-SECRET-company-2d4f60"
LOCATION_TOKEN = "lt-SECRET-location-e5a3b9"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2MxIn0.c2lnbmF0dXJlLXNlY3JldA"

SECRETS = (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    NEW_REFRESH_TOKEN,
    CLIENT_SECRET,
    AUTH_CODE,
    COMPANY_TOKEN,
    LOCATION_TOKEN,
    JWT,
)


def token_body(**overrides: Any) -> dict[str, Any]:
    """A `POST /oauth/token` 200 body for a Location token (GetAccessCodeSuccessfulResponseDto)."""
    body: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 86399,
        "refresh_token": NEW_REFRESH_TOKEN,
        "scope": "conversations/message.readonly conversations/message.write",
        "userType": "Location",
        "locationId": "l1C08ntBrFjLS0elLIYU",
        "companyId": "c0MpAnY1d2e3f4g5h6i7",
        "approvedLocations": ["l1C08ntBrFjLS0elLIYU"],
        "userId": "u5Er1d2e3f4g5h6i7j8k",
        "planId": "p1AnId2e3f4g5h6i7j8k",
        "isBulkInstallation": False,
    }
    return body | overrides


def location_token_body(**overrides: Any) -> dict[str, Any]:
    """A `POST /oauth/locationToken` body (GetLocationAccessTokenSuccessfulResponseDto)."""
    body: dict[str, Any] = {
        "access_token": LOCATION_TOKEN,
        "token_type": "Bearer",
        "expires_in": 86399,
        "scope": "opportunities.readonly contacts.readonly oauth.readonly oauth.write",
        "locationId": "l1C08ntBrFjLS0elLIYU",
        "planId": "p1AnId2e3f4g5h6i7j8k",
        "userId": "u5Er1d2e3f4g5h6i7j8k",
        "appId": "6578278e879ad2646715ba9c",
        "versionId": "6578278e879ad2646715ba9c",
    }
    return body | overrides


def assert_no_secrets(*texts: str) -> None:
    """No fake credential above appears in any of the texts."""
    for text in texts:
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"credential leaked: {leaked} in {text!r}"


def log_text(caplog: pytest.LogCaptureFixture, *, logger_name: str | None = None) -> str:
    """Everything the captured records (of one logger, if named) hold: messages and every extra field."""
    records = [r for r in caplog.records if logger_name is None or r.name == logger_name]
    return "\n".join(f"{record.getMessage()} {vars(record)!r}" for record in records)


def assert_sent(
    request: httpx.Request, method: str, path: str, *, version: str, params: dict[str, str] | None = None
) -> None:
    """What every resource call carries: the method and path, its group's `Version`, our bearer
    (and, when given, exactly these query parameters); checked against GHL's spec."""
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["Version"] == version
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    if params is not None:
        assert dict(request.url.params) == params
    assert_request_conforms(request)


def json_of(request: httpx.Request) -> Any:
    """The JSON body a request carried (and said it carried)."""
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.read())


def metric_values(name: str) -> list[float]:
    entry = metrics.metric_set.get(name)
    return list(entry["Value"]) if entry else []


# --- resource clients (opportunities, contacts, conversations, calendars, locations) -----------
# Bodies shaped by apps/{opportunities,contacts,conversations,calendars,locations}.json (their
# examples where the spec has them); each test file validates the ones it uses with
# `assert_response_conforms`.

LOCATION_ID = "ve9EPM428h8vShlRW1KT"
CONTACT_ID = "byMEV0NQinDhq8ZfiOi2"
OPPORTUNITY_ID = "yWQobCRIhRguQtD2llvk"
PIPELINE_ID = "VDm7RPYC2GLUvdpKmBfC"
STAGE_ID = "e93ba61a-53b3-45e7-985a-c7732dbcdb69"
USER_ID = "zT46WSCPbudrq4zhWMk6"
CONVERSATION_ID = "ABC12h2F6uBrIkfXYazb"
CALENDAR_ID = "ocQHyuzHvysMo5N5VsXc"
COMPANY_ID = "5DP4iH6HLkQsiKESj6rh"
EMAIL_MESSAGE_ID = "rnGyqh2F6uBrIkfhFo9A"

NOT_FOUND_BODY = {"statusCode": 404, "message": "Not Found", "traceId": "trace-404"}
"""GHL's error shape (BadRequestDTO's fields). The opportunity and contact specs declare no 404 at all."""
UNPROCESSABLE_BODY = {
    "statusCode": 422,
    "message": ["pipelineStageId must be a string", "status must be one of the following values"],
    "error": "Unprocessable Entity",
}
"""UnprocessableDTO: `message` is an array on 422."""
INVALID_TOKEN_BODY = {"statusCode": 401, "message": "Invalid JWT"}
"""UnauthorizedDTO's shape, with the message of issue #213."""


def opportunity_body(**overrides: Any) -> dict[str, Any]:
    """One opportunity (the item shape of GET /opportunities/search and of get/update)."""
    body: dict[str, Any] = {
        "id": OPPORTUNITY_ID,
        "name": "Tesla deal",
        "monetaryValue": 500,
        "pipelineId": PIPELINE_ID,
        "pipelineStageId": STAGE_ID,
        "assignedTo": USER_ID,
        "status": "open",
        "source": "",
        "lastStatusChangeAt": "2021-08-03T04:55:17.355Z",
        "lastStageChangeAt": "2021-08-03T04:55:17.355Z",
        "lastActionDate": "2021-08-03T04:55:17.355Z",
        "indexVersion": "1",
        "createdAt": "2021-08-03T04:55:17.355Z",
        "updatedAt": "2021-08-03T04:55:17.355Z",
        "contactId": CONTACT_ID,
        "locationId": LOCATION_ID,
        "contact": {
            "id": CONTACT_ID,
            "name": "John Deo",
            "companyName": "Tesla Inc",
            "email": "john@deo.com",
            "phone": "+1202-555-0107",
            "tags": ["hot", "q3"],
        },
        "notes": [],
        "tasks": [],
        "calendarEvents": [],
        "lostReasonId": "lR0sTrEaSoN000000001",
        "customFields": [
            {"id": "MgobCB14YMVKuE4Ka8p1", "fieldValue": "fleet"},
            {"id": "Kp2cFd9e8TQwLs3bN7xZ", "fieldValue": ["a", "b"]},
        ],
        "followers": [],
        "externalObjectId": "ext-42",
    }
    return body | overrides


def opportunity_search_body(
    opportunities: list[dict[str, Any]] | None = None, *, without_meta: tuple[str, ...] = (), **meta_overrides: Any
) -> dict[str, Any]:
    """A GET /opportunities/search page; `meta` has the cursor of a next page unless overridden.

    The spec declares no meta field nullable, so a spec-shaped last page leaves `nextPage` out
    (`without_meta`); `nextPage=None` gives the null GHL is reported to send instead."""
    meta: dict[str, Any] = {
        "total": 3,
        "nextPageUrl": (
            "https://services.leadconnectorhq.com/opportunities/search?location_id=ve9EPM428h8vShlRW1KT"
            "&startAfter=1625203104328&startAfterId=yWQobCRIhRguQtD2llvk&limit=1&page=1"
        ),
        "startAfterId": OPPORTUNITY_ID,
        "startAfter": 1625203104328,
        "currentPage": 1,
        "nextPage": 2,
    }
    meta |= meta_overrides
    return {
        "opportunities": [opportunity_body()] if opportunities is None else opportunities,
        "meta": {name: value for name, value in meta.items() if name not in without_meta},
        "aggregations": {},
    }


def pipelines_body() -> dict[str, Any]:
    """GET /opportunities/pipelines. Stages are objects, as GHL sends them; the spec's
    `stages: {items: {type: array}}` is an artifact (see `pipelines_body_for_the_spec`)."""
    return {
        "pipelines": [
            {
                "id": PIPELINE_ID,
                "name": "Sales",
                "stages": [
                    {"id": "5f1c6e2a-0c1e-4a8e-9d1b-2b3c4d5e6f70", "name": "New lead", "position": 0},
                    {"id": STAGE_ID, "name": "Proposal sent", "position": 1, "showInFunnel": True},
                ],
                "showInFunnel": True,
                "showInPieChart": False,
                "locationId": LOCATION_ID,
                "colorRenderMode": "dot",
            }
        ]
    }


def pipelines_body_for_the_spec() -> dict[str, Any]:
    """`pipelines_body()` with the stage items left out: everything the spec can check."""
    body = pipelines_body()
    return {"pipelines": [{**pipeline, "stages": []} for pipeline in body["pipelines"]]}


def contact_body(**overrides: Any) -> dict[str, Any]:
    """The `contact` of GET /contacts/{contactId}."""
    body: dict[str, Any] = {
        "id": CONTACT_ID,
        "name": "rosan Deo",
        "locationId": LOCATION_ID,
        "firstName": "rosan",
        "lastName": "Deo",
        "email": "rosan@deos.com",
        "emailLowerCase": "rosan@deos.com",
        "timezone": "America/Chihuahua",
        "companyName": "DGS VolMAX",
        "phone": "+1 888-888-8888",
        "dnd": False,
        "dndSettings": {"Email": {"status": "active", "message": "", "code": ""}},
        "type": "lead",
        "source": "public api",
        "assignedTo": USER_ID,
        "address1": "3535 1st St N",
        "city": "Dolomite",
        "state": "AL",
        "country": "US",
        "postalCode": "35061",
        "website": "https://www.tesla.com",
        "tags": ["nisi sint commodo amet", "consequat"],
        "dateAdded": "2021-07-02T05:18:26.704Z",
        "dateUpdated": "2021-07-02T05:18:26.704Z",
        "customFields": [{"id": "MgobCB14YMVKuE4Ka8p1", "value": "name"}],
        "businessId": "641c094001436dbc2081e642",
        "attributionSource": {"url": "https://example.com/landing", "campaign": None},
    }
    return body | overrides


def note_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "HGPcayliwcdoUFzvbTok",
        "body": "Called, left a voicemail",
        "userId": "TUcmRxWrjqzJS8EjkxNK",
        "dateAdded": "2021-07-08T12:02:11.285Z",
        "contactId": CONTACT_ID,
        "title": "Follow-up summary",
        "color": "#FFAA00",
        "pinned": False,
    }
    return body | overrides


def sent_message_body(**overrides: Any) -> dict[str, Any]:
    """POST /conversations/messages 200 (SendMessageResponseDto)."""
    body: dict[str, Any] = {
        "conversationId": CONVERSATION_ID,
        "emailMessageId": "rnGyqh2F6uBrIkfhFo9A",
        "messageId": "t22c6DQcTDf3MjRhwf77",
        "msg": "Message queued successfully.",
        "status": "pending",
    }
    return body | overrides


def conversation_search_body(conversations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """GET /conversations/search 200 (every item field is required by the spec)."""
    item = {
        "id": CONVERSATION_ID,
        "contactId": CONTACT_ID,
        "locationId": LOCATION_ID,
        "lastMessageBody": "This is a sample message body",
        "lastMessageType": "TYPE_EMAIL",
        "type": "TYPE_EMAIL",
        "unreadCount": 1,
        "fullName": "John Doe",
        "contactName": "John Doe Company",
        "email": "johndoe@mailingdomain.com",
        "phone": "+15550001234",
    }
    found = [item] if conversations is None else conversations
    return {"conversations": found, "total": len(found)}


def created_conversation_body() -> dict[str, Any]:
    """POST /conversations/ 201."""
    return {
        "success": True,
        "conversation": {
            "id": "tDtDnQdgm2LXpyiqYvZ6",
            "dateUpdated": "2023-10-01T12:00:00Z",
            "dateAdded": "2023-10-01T12:00:00Z",
            "deleted": False,
            "contactId": CONTACT_ID,
            "locationId": LOCATION_ID,
            "lastMessageDate": "2023-10-01T12:00:00Z",
        },
    }


def logged_call_body() -> dict[str, Any]:
    """POST /conversations/messages/outbound 200."""
    return {
        "success": True,
        "conversationId": CONVERSATION_ID,
        "messageId": "cAlLmEsSaGe000000001",
        "message": "Message added successfully",
        "contactId": CONTACT_ID,
        "dateAdded": "2024-10-28T15:04:05.000Z",
    }


def calendar_body(**overrides: Any) -> dict[str, Any]:
    """An item of GET /calendars/ (CalendarDTO; `id`, `name`, `locationId` are required)."""
    body: dict[str, Any] = {
        "id": CALENDAR_ID,
        "name": "Discovery call",
        "locationId": LOCATION_ID,
        "description": "30 minutes to see whether we fit",
        "slug": "discovery-call",
        "widgetSlug": "discovery-call-widget",
        "calendarType": "round_robin",
        "widgetType": "classic",
        "isActive": True,
        "groupId": "BqTwX8QFwXzpegMve9EQ",
        "slotDuration": 30,
        "slotDurationUnit": "mins",
        "eventColor": "#039be5",
        "teamMembers": [{"userId": USER_ID, "priority": 0.5, "isPrimary": True}],
    }
    return body | overrides


def free_slots_body() -> dict[str, Any]:
    """GET /calendars/{calendarId}/free-slots 200, exactly the spec's example."""
    return {
        "2024-10-28": {"slots": ["2024-10-28T10:00:00-05:00", "2024-10-28T11:00:00-05:00"]},
        "2024-10-29": {"slots": ["2024-10-29T10:00:00-05:00", "2024-10-29T14:30:00-05:00"]},
    }


def appointment_body(**overrides: Any) -> dict[str, Any]:
    """POST /calendars/events/appointments 200 (`id`, `calendarId`, `locationId`, `contactId` required)."""
    body: dict[str, Any] = {
        "id": "0TkCdp9PfvLeWKYRRvIz",
        "calendarId": CALENDAR_ID,
        "locationId": LOCATION_ID,
        "contactId": CONTACT_ID,
        "startTime": "2024-10-28T10:00:00-05:00",
        "endTime": "2024-10-28T10:30:00-05:00",
        "title": "Discovery call with John",
        "meetingLocationType": "default",
        "appointmentStatus": "confirmed",
        "assignedUserId": USER_ID,
        "address": "https://meet.example.com/abc",
        "isRecurring": False,
    }
    return body | overrides


def location_body(**overrides: Any) -> dict[str, Any]:
    """The `location` of GET /locations/{locationId} (GetLocationByIdSchema, the spec's examples;
    `business.name` differs from `name` so the two can be told apart)."""
    body: dict[str, Any] = {
        "id": LOCATION_ID,
        "companyId": COMPANY_ID,
        "name": "dentist",
        "domain": "test.msgsndr.com",
        "address": "ganthi nagar, gyanbabu chauk motihati",
        "city": "motihari",
        "state": "Loca",
        "logoUrl": "https://dummyimage.com/o/locationPhotos%2Fve9EPM428h8vShlRW1KT.jpeg",
        "country": "IN",
        "postalCode": "567654",
        "website": "https://gohighlevel.com/",
        "timezone": "America/Chicago",
        "firstName": "Dr. Rane",
        "lastName": "deo",
        "email": "rane@due.com",
        "phone": "+919039160788",
        "business": {
            "name": "Rane Dental Clinic",
            "address": "MIG 14, Delhi",
            "city": "delhi",
            "state": "delhi",
            "country": "IN",
            "postalCode": "567654",
            "website": "https://gohighlevel.com/",
            "timezone": "Asia/Kolkata",
            "logoUrl": "https://dummyimage.com/o/locationPhotos%2Fve9EPM428h8vShlRW1KT.jpeg",
        },
        "social": {"facebookUrl": "https://www.facebook.com/", "googlePlacesId": "ChIJJGPdVbQTrjsRGUkefteUeFk"},
        "settings": {"allowDuplicateContact": False, "allowDuplicateOpportunity": False},
        "reseller": {},
    }
    return body | overrides


def custom_field_body(**overrides: Any) -> dict[str, Any]:
    """An item of GET /locations/{locationId}/customFields (CustomFieldSchema, the spec's example)."""
    body: dict[str, Any] = {
        "id": "3sv6UEo51C9Bmpo1cKTq",
        "name": "pincode",
        "fieldKey": "contact.pincode",
        "placeholder": "Pin code",
        "dataType": "TEXT",
        "position": 0,
        "picklistOptions": [],
        "picklistImageOptions": [],
        "isAllowedCustomOption": False,
        "isMultiFileAllowed": True,
        "maxFileLimit": 4,
        "locationId": LOCATION_ID,
        "model": "contact",
    }
    return body | overrides


def task_body(**overrides: Any) -> dict[str, Any]:
    """An item of GET /contacts/{contactId}/tasks (TaskSchema, the spec's example)."""
    body: dict[str, Any] = {
        "id": "lJpzYrWdpkC2hX6t2yue",
        "title": "test",
        "body": "testing",
        "assignedTo": USER_ID,
        "dueDate": "2021-07-08T02:30:00.000Z",
        "completed": True,
        "contactId": CONTACT_ID,
    }
    return body | overrides


def contact_appointment_body(**overrides: Any) -> dict[str, Any]:
    """An item of GET /contacts/{contactId}/appointments (GetEventSchema, the spec's example:
    times without an offset, status "booked")."""
    body: dict[str, Any] = {
        "id": "YS3jaqqeehkR2Is80miy",
        "calendarId": CALENDAR_ID,
        "status": "booked",
        "title": "Test",
        "assignedUserId": USER_ID,
        "notes": "test",
        "startTime": "2021-07-16 11:00:00",
        "endTime": "2021-07-16 11:30:00",
        "address": "Address",
        "locationId": LOCATION_ID,
        "contactId": CONTACT_ID,
        "groupId": "YlWd2wuCAZQzh2cH1fVZ",
        "appointmentStatus": "booked",
        "users": [USER_ID, "YlWd2wuCAZQzh2cH1fVZ"],
        "dateAdded": "2021-07-16 11:00:00",
        "dateUpdated": "2021-07-16 11:30:00",
        "assignedResources": ["YlWd2wuCAZQzh2cH1fVZ"],
    }
    return body | overrides


def message_body(**overrides: Any) -> dict[str, Any]:
    """A message of GET /conversations/{conversationId}/messages (GetMessageResponseDto; the spec's
    `messageType` example "SMS" is outside its own enum, so "TYPE_SMS")."""
    body: dict[str, Any] = {
        "id": "ve9EPM428h8vShlRW1KT",
        "type": 2,
        "messageType": "TYPE_SMS",
        "locationId": LOCATION_ID,
        "contactId": CONTACT_ID,
        "conversationId": CONVERSATION_ID,
        "dateAdded": "2024-03-27T18:13:49.000Z",
        "body": "Hi there",
        "direction": "inbound",
        "status": "delivered",
        "contentType": "text/plain",
        "attachments": [],
        "source": "app",
        "userId": USER_ID,
        "conversationProviderId": "ve9EPM428kjkvShlRW1KT",
    }
    return body | overrides


def email_list_message_body(**overrides: Any) -> dict[str, Any]:
    """An email as the message listing shows it: no `body`, the thread's email ids in `meta`."""
    body = message_body(
        id="eMaIlLiStInG00000001",
        type=3,
        messageType="TYPE_EMAIL",
        direction="outbound",
        contentType="text/html",
        status="opened",
        meta={"email": {"messageIds": [EMAIL_MESSAGE_ID, "ve9EPs1028kjkvShlRW1KT"]}},
    )
    del body["body"]
    return body | overrides


def call_message_body(**overrides: Any) -> dict[str, Any]:
    """A call as the message listing shows it (type 1; `callDuration` typed string, example 120)."""
    body = message_body(
        id="cAlLlIsTiNg000000001",
        type=1,
        messageType="TYPE_CALL",
        direction="outbound",
        status="delivered",
        meta={"callDuration": "120", "callStatus": "completed"},
    )
    del body["body"]
    return body | overrides


def messages_body(messages: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """GET /conversations/{conversationId}/messages as the SPEC shapes it: flat
    (GetMessagesByConversationResponseDto; `live_messages_body` is what GHL sends)."""
    found = [message_body(), email_list_message_body(), call_message_body()] if messages is None else messages
    body: dict[str, Any] = {"lastMessageId": found[-1]["id"] if found else "p1mRSHeLDhAms5q0LMr4", "nextPage": True}
    return body | {"messages": found} | overrides


def live_messages_body(messages: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """The same page as the live API nests it: `{messages: {lastMessageId, nextPage, messages}}`
    (GHL-NOTES §10.7, issue #54), with a `traceId` next to it."""
    return {"messages": messages_body(messages, **overrides), "traceId": "trace-messages-1"}


def email_message_body(**overrides: Any) -> dict[str, Any]:
    """GET /conversations/messages/email/{id} 200 (GetEmailMessageResponseDto; every required field)."""
    body: dict[str, Any] = {
        "id": EMAIL_MESSAGE_ID,
        "altId": "ve9EPM428h8vShlRW1KT",
        "threadId": "ve9EPM428h8vShlRW1KT",
        "locationId": LOCATION_ID,
        "contactId": CONTACT_ID,
        "conversationId": CONVERSATION_ID,
        "dateAdded": "2024-03-27T18:13:49.000Z",
        "subject": "Order confirm",
        "body": "<p>Hi there</p>",
        "direction": "outbound",
        "status": "opened",
        "contentType": "text/html",
        "attachments": [],
        "provider": "Leadconnector Gmail",
        "from": "Rane Deo <rane@due.com>",
        "to": ["rosan@deos.com"],
        "cc": ["cc1@company.com"],
        "bcc": [],
        "source": "app",
        "conversationProviderId": "cI08i1Bls3iTB9bKgF01",
    }
    return body | overrides


def spec_response(method: str, path: str, status: int, body: Any) -> httpx.Response:
    """A mocked GHL answer whose body the spec allows for this operation and status (else the test fails)."""
    assert_response_conforms(method, path, status, body)
    return httpx.Response(status, json=body)


class FakeTokenProvider:
    """Stands in for `ghlbridge.tokens.provider.TokenProvider` under the real `GHLAuth` flow: hands out
    `tokens[0]` and, on each forced refresh, the next one (recording which token was rejected)."""

    def __init__(self, *tokens: str) -> None:
        self._tokens = list(tokens)
        self.rejected: list[str] = []

    def access_token(self, location_id: str) -> str:
        return self._tokens[0]

    def force_refresh(self, location_id: str, *, rejected: str) -> str:
        self.rejected.append(rejected)
        self._tokens.pop(0)
        return self._tokens[0]
