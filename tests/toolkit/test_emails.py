"""POST .../emails through the EmailFunction handler: GHL's send (`POST /conversations/messages`,
type Email, Version 2021-04-15) and every input rule."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from tests.ghl.ghl_testkit import CONTACT_ID, json_of, sent_message_body, spec_response
from tests.toolkit.kit import LOCATION, Toolkit, new_key, sent

FN = "emails"
EMAILS = f"/locations/{LOCATION}/contacts/{CONTACT_ID}/emails"
SEND = "/conversations/messages"
EMAIL = {"subject": "Your fleet proposal", "html": "<p>Hi John,</p><p>Attached.</p>"}


def send_route(ghl_api: respx.MockRouter) -> respx.Route:
    return ghl_api.post(SEND).mock(return_value=spec_response("POST", SEND, 200, sent_message_body()))


def test_sends_an_email_and_answers_the_ids(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = send_route(ghl_api)
    body = EMAIL | {
        "text": "Hi John, attached.",
        "cc": ["manager@example.com"],
        "bcc": ["crm+log@example.co.uk"],
        "replyToMessageId": "rEpLyMeSsAgE00000001",
    }

    reply = toolkit.call(FN, "POST", EMAILS, body=body, key=new_key())

    assert reply.status == 201
    assert reply.body == {"messageId": "t22c6DQcTDf3MjRhwf77", "conversationId": "ABC12h2F6uBrIkfXYazb"}
    request = sent(route)
    assert request.headers["Version"] == "2021-04-15"
    assert json_of(request) == {
        "type": "Email",
        "subType": {},
        "status": "pending",
        "contactId": CONTACT_ID,
        "subject": "Your fleet proposal",
        "html": "<p>Hi John,</p><p>Attached.</p>",
        "message": "Hi John, attached.",
        "emailCc": ["manager@example.com"],
        "emailBcc": ["crm+log@example.co.uk"],
        "replyMessageId": "rEpLyMeSsAgE00000001",
    }


def test_a_minimal_email_sends_no_empty_fields(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = send_route(ghl_api)

    toolkit.call(FN, "POST", EMAILS, body=EMAIL, key=new_key())

    assert set(json_of(sent(route))) == {"type", "subType", "status", "contactId", "subject", "html"}


def test_a_500kb_html_body_is_accepted(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    route = send_route(ghl_api)
    html = "<p>" + "x" * (500_000 - 7) + "</p>"

    reply = toolkit.call(FN, "POST", EMAILS, body=EMAIL | {"html": html}, key=new_key())

    assert reply.status == 201 and len(json_of(sent(route))["html"]) == 500_000


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"subject": ""}, ["subject"]),
        ({"subject": "Hi\r\nBcc: everyone@example.com"}, ["subject"]),
        ({"subject": "s" * 999}, ["subject"]),
        ({"html": ""}, ["html"]),
        ({"html": "h" * 500_001}, ["html"]),
        ({"text": "t" * 100_001}, ["text"]),
        ({"cc": ["not-an-address"]}, ["cc.0"]),
        ({"cc": ["a@b"]}, ["cc.0"]),
        ({"bcc": ["ok@example.com", "x y@example.com"]}, ["bcc.1"]),
        ({"cc": [f"p{i}@example.com" for i in range(11)]}, ["cc"]),
        ({"cc": ["same@example.com", "same@example.com"]}, ["cc"]),
        ({"cc": "manager@example.com"}, ["cc"]),
        ({"replyToMessageId": "../x"}, ["replyToMessageId"]),
        ({"to": "someone@example.com"}, ["to"]),
        ({"attachments": ["https://x"]}, ["attachments"]),
    ],
)
def test_email_rules(toolkit: Toolkit, ghl_api: respx.MockRouter, change: dict[str, Any], fields: list[str]) -> None:
    reply = toolkit.call(FN, "POST", EMAILS, body=EMAIL | change, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert sorted(d["field"] for d in reply.error["details"]) == fields
    assert not ghl_api.calls


def test_a_missing_subject_and_html_are_both_named(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    reply = toolkit.call(FN, "POST", EMAILS, body={}, key=new_key())

    assert sorted(d["field"] for d in reply.error["details"]) == ["html", "subject"]
    assert {d["type"] for d in reply.error["details"]} == {"missing"}
