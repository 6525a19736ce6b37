"""The toolkit's nine functions in template.yaml: code, handler, routes, settings, least privilege."""

from __future__ import annotations

from typing import Any

import pytest

from tests.template_yaml import declared_routes, resources, template

FUNCTIONS = resources("AWS::Serverless::Function")
EXPECTED: dict[str, tuple[str, str, str]] = {
    # code, handler, service: the routes come from the function file itself (`declared_routes`)
    "OpportunitiesFunction": (
        "functions/opportunities/",
        "opportunities.handler",
        "opportunities",
    ),
    "ResearchFunction": (
        "functions/opportunities/",
        "research.handler",
        "research",
    ),
    "StageFunction": (
        "functions/opportunities/",
        "stage.handler",
        "stage",
    ),
    "WriteBackFunction": (
        "functions/outreach/",
        "writeback.handler",
        "writeback",
    ),
    "NotesFunction": (
        "functions/outreach/",
        "notes.handler",
        "notes",
    ),
    "CallLogFunction": (
        "functions/outreach/",
        "calls.handler",
        "calls",
    ),
    "EmailFunction": (
        "functions/outreach/",
        "emails.handler",
        "emails",
    ),
    "TeamFunction": (
        "functions/oauth/",
        "team.handler",
        "team",
    ),
    "CalendarsFunction": (
        "functions/outreach/",
        "calendars.handler",
        "calendars",
    ),
}


def props(name: str) -> dict[str, Any]:
    return dict(FUNCTIONS[name]["Properties"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_code_handler_service_and_routes(name: str) -> None:
    code_uri, handler, service = EXPECTED[name]
    routes = declared_routes(name)  # the one declaration: the template must route exactly these
    p = props(name)

    assert (p["CodeUri"], p["Handler"]) == (code_uri, handler)
    variables = p["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == service
    assert variables["PARKING_QUEUE_URL"] == {"Ref": "ParkingQueue"}
    events = p["Events"].values()
    assert {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events} == routes
    assert all(e["Type"] == "HttpApi" and e["Properties"]["ApiId"] == {"Ref": "HttpApi"} for e in events)


ANNOUNCE_REAUTH = {
    "If": [
        "HasReauthEventBus",
        {
            "Sid": "AnnounceReauth",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": {
                "Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${ReauthEventBus}"
            },
        },
        {"Ref": "AWS::NoValue"},
    ]
}
"""events:PutEvents on the one configured bus only, and no statement at all when it is empty."""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_least_privilege(name: str) -> None:
    """The app secret, the parking queue (the request path may park or restore a token pair) and the
    reauthorization event (the request path may mark an installation needs_reauth)."""
    [policy] = props(name)["Policies"]
    conditional = [s for s in policy["Statement"] if "If" in s]
    grants = {(s["Effect"], str(s["Action"]), str(s["Resource"])) for s in policy["Statement"] if "If" not in s}

    assert grants == {
        ("Allow", "secretsmanager:GetSecretValue", str({"Ref": "AppSecretArn"})),
        (
            "Allow",
            str(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]),
            str({"GetAtt": "ParkingQueue.Arn"}),
        ),
    }
    assert conditional == [ANNOUNCE_REAUTH]


REFRESHING = [
    name for name, f in FUNCTIONS.items() if "PARKING_QUEUE_URL" in f["Properties"]["Environment"]["Variables"]
]


def test_every_function_that_refreshes_may_announce_a_reauthorization_and_no_other() -> None:
    assert sorted(REFRESHING) == sorted([*EXPECTED, "TokenRefreshFunction"])
    for name, function in FUNCTIONS.items():
        statements = function["Properties"]["Policies"][0]["Statement"]
        variables = function["Properties"]["Environment"]["Variables"]
        if name in REFRESHING:
            assert ANNOUNCE_REAUTH in statements, name
            assert variables["REAUTH_EVENT_BUS"] == {"Ref": "ReauthEventBus"}, name
        else:
            assert "events:PutEvents" not in str(statements), name
            assert "REAUTH_EVENT_BUS" not in variables, name
    parameter = template()["Parameters"]["ReauthEventBus"]
    assert parameter["Default"] == "default"
    assert template()["Conditions"]["HasReauthEventBus"] == {"Not": [{"Equals": [{"Ref": "ReauthEventBus"}, ""]}]}


@pytest.mark.parametrize("metric", ["RefreshNeedsReauth", "TokenParked", "TokenLost", "ReauthEventFailed"])
def test_refresher_alarms_see_every_service(metric: str) -> None:
    """The Refresher counts these in whichever function refreshes, under that function's service
    dimension: the alarm sums the metric over every service, not just token-refresh's."""
    alarms = resources("AWS::CloudWatch::Alarm").values()
    [alarm] = [r for r in alarms if f"SUM({metric})" in str(r["Properties"].get("Metrics"))]
    properties = alarm["Properties"]
    [query] = properties["Metrics"]

    assert query["Expression"] == f"SELECT SUM({metric}) FROM SCHEMA(GHLBridge, service)"
    assert query["ReturnData"] is True and query["Period"] == 300
    assert "Dimensions" not in properties and "MetricName" not in properties
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    services = {
        FUNCTIONS[name]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] for name in REFRESHING
    }
    assert len(services) == len(REFRESHING)  # one service dimension each, all inside SCHEMA(GHLBridge, service)


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
