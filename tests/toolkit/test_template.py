"""The toolkit's seven functions in template.yaml: code, handler, routes, settings, least privilege."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template_yaml import resources, template

FUNCTIONS = resources("AWS::Serverless::Function")
EXPECTED: dict[str, tuple[str, str, str, set[tuple[str, str]]]] = {
    "OpportunitiesFunction": (
        "functions/opportunities/",
        "opportunities.handler",
        "opportunities",
        {
            ("GET", "/locations/{locationId}/pipelines"),
            ("GET", "/locations/{locationId}/opportunities"),
            ("GET", "/locations/{locationId}/opportunities/{opportunityId}"),
        },
    ),
    "StageFunction": (
        "functions/opportunities/",
        "stage.handler",
        "stage",
        {("PUT", "/locations/{locationId}/opportunities/{opportunityId}/stage")},
    ),
    "NotesFunction": (
        "functions/outreach/",
        "notes.handler",
        "notes",
        {
            ("GET", "/locations/{locationId}/contacts/{contactId}/notes"),
            ("POST", "/locations/{locationId}/contacts/{contactId}/notes"),
            ("POST", "/locations/{locationId}/contacts/{contactId}/tags"),
        },
    ),
    "CallLogFunction": (
        "functions/outreach/",
        "calls.handler",
        "calls",
        {("POST", "/locations/{locationId}/contacts/{contactId}/calls")},
    ),
    "EmailFunction": (
        "functions/outreach/",
        "emails.handler",
        "emails",
        {("POST", "/locations/{locationId}/contacts/{contactId}/emails")},
    ),
    "TeamFunction": (
        "functions/oauth/",
        "team.handler",
        "team",
        {
            ("GET", "/locations/{locationId}/members"),
            ("POST", "/locations/{locationId}/members"),
            ("PATCH", "/locations/{locationId}/members/{userId}"),
            ("DELETE", "/locations/{locationId}/members/{userId}"),
            ("GET", "/locations/{locationId}/users"),
        },
    ),
    "CalendarsFunction": (
        "functions/outreach/",
        "calendars.handler",
        "calendars",
        {
            ("GET", "/locations/{locationId}/calendars"),
            ("GET", "/locations/{locationId}/calendars/{calendarId}/free-slots"),
            ("POST", "/locations/{locationId}/appointments"),
        },
    ),
}


def props(name: str) -> dict[str, Any]:
    return dict(FUNCTIONS[name]["Properties"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_code_handler_service_and_routes(name: str) -> None:
    code_uri, handler, service, routes = EXPECTED[name]
    p = props(name)

    assert (p["CodeUri"], p["Handler"]) == (code_uri, handler)
    variables = p["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == service
    assert variables["PARKING_QUEUE_URL"] == {"Ref": "ParkingQueue"}
    events = p["Events"].values()
    assert {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events} == routes
    assert all(e["Type"] == "HttpApi" and e["Properties"]["ApiId"] == {"Ref": "HttpApi"} for e in events)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_least_privilege(name: str) -> None:
    """The app secret, and the parking queue (the request path may park or restore a token pair)."""
    [policy] = props(name)["Policies"]
    grants = {(s["Effect"], str(s["Action"]), str(s["Resource"])) for s in policy["Statement"]}

    assert grants == {
        ("Allow", "secretsmanager:GetSecretValue", str({"Ref": "AppSecretArn"})),
        (
            "Allow",
            str(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]),
            str({"GetAtt": "ParkingQueue.Arn"}),
        ),
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_function_logs_to_its_own_group(name: str) -> None:
    group = props(name)["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = template()["Resources"][group]

    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["LogGroupName"] == {"Sub": f"/aws/lambda/${{AWS::StackName}}/{EXPECTED[name][2]}"}
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_new_settings_reach_their_functions() -> None:
    parameters = template()["Parameters"]

    assert props("CallLogFunction")["Environment"]["Variables"]["GHL_CALL_PROVIDER_ID"] == {"Ref": "GhlCallProviderId"}
    assert props("CalendarsFunction")["Environment"]["Variables"]["BOOKING_URL_BASE"] == {"Ref": "BookingUrlBase"}
    assert parameters["GhlCallProviderId"]["Default"] == ""
    assert parameters["BookingUrlBase"]["Default"] == "https://api.leadconnectorhq.com/widget/booking"


def test_cors_lets_the_toolkit_send_the_key_and_read_the_headers() -> None:
    cors = template()["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]

    assert "Idempotency-Key" in cors["AllowHeaders"]
    assert {"PUT", "PATCH", "DELETE"} <= set(cors["AllowMethods"])
    assert set(cors["ExposeHeaders"]) == {"Retry-After", "Idempotency-Replayed"}
