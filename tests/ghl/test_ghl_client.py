"""GHLClient against a respx-mocked GHL: headers, retries, deadline, rate limits, logs, metrics."""

from __future__ import annotations

import httpx
import pytest
import respx

from ghlbridge import deadline
from ghlbridge.ghl.client import VERSION_2021_04_15, VERSION_2021_07_28, BearerAuth, GHLClient
from ghlbridge.ghl.errors import (
    GHLConnectError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLServerError,
    GHLTimeoutError,
    GHLUnprocessableError,
)
from ghlbridge.ghl.retry import RateLimit
from ghlbridge.observability import logger
from tests.ghl.ghl_testkit import ACCESS_TOKEN, assert_no_secrets, log_text, metric_values
from tests.ghl_spec import assert_request_conforms
from tests.lambda_events import lambda_context

PIPELINES = {"pipelines": [{"id": "p1", "name": "Body-Marker-Pipeline"}], "traceId": "trace-ok"}
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit-Daily": "200000",
    "X-RateLimit-Daily-Remaining": "199000",
    "X-RateLimit-Interval-Milliseconds": "10000",
    "X-RateLimit-Max": "100",
    "X-RateLimit-Remaining": "0",
}


def get_pipelines(client: GHLClient) -> httpx.Response:
    return client.request(
        "GET",
        "/opportunities/pipelines",
        version=VERSION_2021_07_28,
        params={"locationId": "loc1"},
        auth=BearerAuth(ACCESS_TOKEN),
    )


def add_note(client: GHLClient) -> httpx.Response:
    return client.request(
        "POST",
        "/contacts/c1/notes",
        version=VERSION_2021_07_28,
        json={"body": "Called, left a voicemail"},
        auth=BearerAuth(ACCESS_TOKEN),
    )


def test_sends_accept_version_bearer_and_query(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    route = ghl_mock.get("/opportunities/pipelines").respond(200, json=PIPELINES)

    response = get_pipelines(client)

    assert response.json() == PIPELINES
    request = route.calls.last.request
    assert (request.method, request.url.path, dict(request.url.params)) == (
        "GET",
        "/opportunities/pipelines",
        {"locationId": "loc1"},
    )
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Version"] == "2021-07-28"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert_request_conforms(request)


def test_sends_a_json_body(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    route = ghl_mock.post("/contacts/c1/notes").respond(201, json={"note": {"id": "n1"}})

    assert add_note(client).status_code == 201

    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.read() == b'{"body":"Called, left a voicemail"}'
    assert_request_conforms(request)


def test_a_delete_carries_a_json_body_when_given_and_again_when_resent(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    """`DELETE /calendars/events/{eventId}` requires `{}` (httpx's `delete()` takes no body)."""
    route = ghl_mock.delete("/calendars/events/e1")
    route.side_effect = [httpx.ReadTimeout("read"), httpx.Response(201, json={"succeeded": True})]

    client.request("DELETE", "/calendars/events/e1", version=VERSION_2021_04_15, json={}, auth=BearerAuth(ACCESS_TOKEN))

    first, resent = (call.request for call in route.calls)
    for request in (first, resent):
        assert request.headers["Content-Type"] == "application/json"
        assert request.read() == b"{}"
    assert_request_conforms(resent)
    assert sleeps == [0.375]


def test_a_delete_without_json_has_no_body(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    route = ghl_mock.delete("/contacts/c1/tasks/t1").respond(200, json={"succeded": True})

    client.request("DELETE", "/contacts/c1/tasks/t1", version=VERSION_2021_07_28, auth=BearerAuth(ACCESS_TOKEN))

    request = route.calls.last.request
    assert request.read() == b""
    assert "Content-Type" not in request.headers
    assert_request_conforms(request)  # the spec declares no body for this DELETE


def test_no_version_header_when_none(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    route = ghl_mock.get("/ping").respond(200)

    client.request("GET", "/ping", version=None)

    assert "Version" not in route.calls.last.request.headers
    assert "Authorization" not in route.calls.last.request.headers


def test_429_then_200_waits_the_burst_window(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    deadline.start(None, budget_seconds=30.0, rate_limit_wait_seconds=60.0)  # the scheduled refresh's budget
    route = ghl_mock.get("/opportunities/pipelines")
    route.side_effect = [
        httpx.Response(429, json={"message": "Too many requests"}, headers=RATE_LIMIT_HEADERS),
        httpx.Response(200, json=PIPELINES),
    ]

    assert get_pipelines(client).status_code == 200

    assert route.call_count == 2
    assert sleeps == [10.0]
    assert metric_values("GHLRateLimited") == [1.0]
    assert metric_values("GHLRetry") == [1.0]
    for call in route.calls:
        assert_request_conforms(call.request)


def test_an_interactive_request_does_not_wait_out_the_burst_window(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    deadline.start(lambda_context(remaining_ms=15_000))  # as every API handler does: the 2 s default budget
    route = ghl_mock.get("/opportunities/pipelines").respond(
        429, json={"message": "Too many requests"}, headers=RATE_LIMIT_HEADERS
    )

    with pytest.raises(GHLRateLimitError) as caught:
        get_pipelines(client)

    assert route.call_count == 1
    assert sleeps == []
    assert caught.value.retry_after == 10.0  # the wait GHL asked for, told to the caller


def test_the_scheduled_refresh_waits_out_the_burst_window(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge.settings import reset_settings
    from tests.template_yaml import resources

    function = resources("AWS::Serverless::Function")["TokenRefreshFunction"]
    monkeypatch.setenv(
        "GHL_RATE_LIMIT_WAIT_SECONDS", function["Properties"]["Environment"]["Variables"]["GHL_RATE_LIMIT_WAIT_SECONDS"]
    )
    reset_settings()
    deadline.start(lambda_context(remaining_ms=300_000))  # as functions/oauth/refresh.py does
    route = ghl_mock.get("/opportunities/pipelines")
    route.side_effect = [
        httpx.Response(429, json={"message": "Too many requests"}, headers=RATE_LIMIT_HEADERS),
        httpx.Response(429, json={"message": "Too many requests"}, headers=RATE_LIMIT_HEADERS),
        httpx.Response(200, json=PIPELINES),
    ]

    assert get_pipelines(client).status_code == 200
    assert sleeps == [10.0, 10.0]
    reset_settings()


def test_get_survives_three_5xx(ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]) -> None:
    route = ghl_mock.get("/opportunities/pipelines")
    route.side_effect = [
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(200, json=PIPELINES),
    ]

    assert get_pipelines(client).json() == PIPELINES

    assert route.call_count == 4
    assert sleeps == [0.375, 0.75, 1.5]
    assert metric_values("GHLRetry") == [1.0, 1.0, 1.0]


def test_get_gives_up_after_four_tries(ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]) -> None:
    route = ghl_mock.get("/opportunities/pipelines").respond(503, json={"message": "down", "traceId": "t-503"})

    with pytest.raises(GHLServerError) as caught:
        get_pipelines(client)

    assert route.call_count == 4
    assert len(sleeps) == 3
    assert (caught.value.status, caught.value.trace_id) == (503, "t-503")


def test_get_is_retried_after_a_read_timeout(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    route = ghl_mock.get("/opportunities/pipelines")
    route.side_effect = [httpx.ReadTimeout("read"), httpx.Response(200, json=PIPELINES)]

    assert get_pipelines(client).status_code == 200
    assert route.call_count == 2
    assert sleeps == [0.375]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_idempotent_writes_are_retried_after_a_timeout(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float], method: str
) -> None:
    route = ghl_mock.route(method=method, path="/opportunities/o1")
    route.side_effect = [httpx.ReadTimeout("read"), httpx.Response(502), httpx.Response(200, json={})]

    client.request(method, "/opportunities/o1", version=VERSION_2021_07_28, auth=BearerAuth(ACCESS_TOKEN))

    assert route.call_count == 3
    assert sleeps == [0.375, 0.75]


def test_post_is_not_resent_after_a_read_timeout(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    route = ghl_mock.post("/contacts/c1/notes").mock(side_effect=httpx.ReadTimeout("read"))

    with pytest.raises(GHLTimeoutError) as caught:
        add_note(client)

    assert route.call_count == 1
    assert sleeps == []
    assert (caught.value.method, caught.value.path) == ("POST", "/contacts/c1/notes")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_is_not_resent_after_a_5xx(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float], status: int
) -> None:
    route = ghl_mock.post("/contacts/c1/notes").respond(status, json={"message": "oops"})

    with pytest.raises(GHLServerError):
        add_note(client)

    assert route.call_count == 1
    assert sleeps == []


def test_post_is_resent_after_a_connect_error(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    route = ghl_mock.post("/contacts/c1/notes")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json={"note": {"id": "n1"}})]

    assert add_note(client).status_code == 201

    assert route.call_count == 2
    assert sleeps == [0.375]
    assert route.calls[0].request.read() == route.calls[1].request.read()  # the same note, sent once


def test_post_is_resent_after_a_429(ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]) -> None:
    route = ghl_mock.post("/contacts/c1/notes")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(201, json={"note": {"id": "n1"}}),
    ]

    assert add_note(client).status_code == 201
    assert route.call_count == 2
    assert sleeps == [2.0]


def test_post_gives_up_on_connect_errors_after_four_tries(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    route = ghl_mock.post("/contacts/c1/notes").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(GHLConnectError):
        add_note(client)

    assert route.call_count == 4
    assert sleeps == [0.375, 0.75, 1.5]


def test_client_errors_are_raised_at_once(ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]) -> None:
    route = ghl_mock.get("/contacts/missing").respond(404, json={"message": "Contact not found", "traceId": "t-1"})

    with pytest.raises(GHLNotFoundError) as caught:
        client.request("GET", "/contacts/missing", version=VERSION_2021_07_28, auth=BearerAuth(ACCESS_TOKEN))

    assert route.call_count == 1
    assert sleeps == []
    assert (caught.value.path, caught.value.trace_id, caught.value.message) == (
        "/contacts/missing",
        "t-1",
        "Contact not found",
    )


def test_422_message_array_through_the_client(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    body = {"statusCode": 422, "message": ["body should not be empty"], "error": "Unprocessable Entity"}
    ghl_mock.post("/contacts/c1/notes").respond(422, json=body)

    with pytest.raises(GHLUnprocessableError) as caught:
        add_note(client)

    assert caught.value.messages == ["body should not be empty"]


def test_a_429_that_would_outlast_the_deadline_is_raised(
    ghl_mock: respx.MockRouter, client: GHLClient, sleeps: list[float]
) -> None:
    deadline.start(None, budget_seconds=5.0)
    route = ghl_mock.get("/opportunities/pipelines").respond(429, headers={"Retry-After": "10"})

    with pytest.raises(GHLRateLimitError) as caught:
        get_pipelines(client)

    assert route.call_count == 1
    assert sleeps == []
    assert caught.value.retry_after == 10.0


def test_timeout_is_shortened_to_fit_the_deadline(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    deadline.start(None, budget_seconds=3.0)
    route = ghl_mock.get("/opportunities/pipelines").respond(200, json=PIPELINES)

    get_pipelines(client)

    timeout = route.calls.last.request.extensions["timeout"]
    assert 2.0 < timeout["read"] <= 2.5  # 3 s left, minus the 0.5 s reserve
    assert timeout["connect"] == timeout["read"]


def test_timeout_is_the_configured_one_with_time_to_spare(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    route = ghl_mock.get("/opportunities/pipelines").respond(200, json=PIPELINES)

    get_pipelines(client)

    assert route.calls.last.request.extensions["timeout"]["read"] == 10.0


def test_nothing_is_sent_when_the_deadline_is_too_close(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    deadline.start(None, budget_seconds=0.8)  # no route: any request would fail the router

    with pytest.raises(GHLConnectError) as caught:
        add_note(client)

    assert ghl_mock.calls.call_count == 0
    assert "deadline" in caught.value.message


def test_rate_limit_headers_are_kept_and_measured(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    headers = RATE_LIMIT_HEADERS | {"X-RateLimit-Remaining": "97"}
    ghl_mock.get("/opportunities/pipelines").respond(200, json=PIPELINES, headers=headers)

    assert client.last_rate_limit is None
    get_pipelines(client)

    assert client.last_rate_limit == RateLimit(
        daily_limit=200000, daily_remaining=199000, interval_ms=10000, burst_limit=100, burst_remaining=97
    )
    assert metric_values("GHLRateLimitRemaining") == [97.0]
    assert metric_values("GHLDailyRemaining") == [199000.0]
    assert metric_values("GHLRateLimited") == []


def test_a_response_without_rate_limit_headers_keeps_the_last_known(
    ghl_mock: respx.MockRouter, client: GHLClient
) -> None:
    route = ghl_mock.get("/opportunities/pipelines")
    route.side_effect = [
        httpx.Response(200, json=PIPELINES, headers=RATE_LIMIT_HEADERS),
        httpx.Response(200, json=PIPELINES),
    ]

    get_pipelines(client)
    get_pipelines(client)

    assert client.last_rate_limit is not None and client.last_rate_limit.burst_remaining == 0


def test_one_log_line_per_attempt_without_query_headers_or_body(
    ghl_mock: respx.MockRouter, client: GHLClient, debug_logs: pytest.LogCaptureFixture
) -> None:
    route = ghl_mock.get("/opportunities/pipelines")
    route.side_effect = [
        httpx.Response(503, json={"message": "Body-Marker-Down", "traceId": "trace-503"}),
        httpx.Response(200, json=PIPELINES, headers={"traceid": "trace-200"}),
    ]

    get_pipelines(client)

    lines = [r for r in debug_logs.records if getattr(r, "path", None) == "/opportunities/pipelines"]
    assert [(r.levelname, r.method, r.status, r.attempt, r.trace_id) for r in lines] == [  # type: ignore[attr-defined]
        ("INFO", "GET", 503, 1, "trace-503"),
        ("DEBUG", "GET", 200, 2, "trace-200"),
    ]
    assert lines[0].retry_in == 0.375  # type: ignore[attr-defined]
    ours = log_text(debug_logs, logger_name=logger.name)  # (httpx's own INFO line has the full URL)
    assert "loc1" not in ours  # the query string is never logged
    assert "/opportunities/pipelines" in ours and "Body-Marker" not in ours  # nor bodies
    assert_no_secrets(log_text(debug_logs))


def test_a_transport_error_is_logged_by_class_name(
    ghl_mock: respx.MockRouter, client: GHLClient, debug_logs: pytest.LogCaptureFixture
) -> None:
    ghl_mock.post("/contacts/c1/notes").mock(side_effect=httpx.ReadTimeout("read"))

    with pytest.raises(GHLTimeoutError):
        add_note(client)

    [line] = [r for r in debug_logs.records if getattr(r, "path", None) == "/contacts/c1/notes"]
    assert (line.error, line.status, line.retry_in) == ("ReadTimeout", None, None)  # type: ignore[attr-defined]
    assert "voicemail" not in log_text(debug_logs)
    assert_no_secrets(log_text(debug_logs))


def test_base_url_is_configurable(sleeps: list[float]) -> None:
    with respx.mock(base_url="https://ghl.example.test", assert_all_called=True, assert_all_mocked=True) as mock:
        route = mock.get("/ping").respond(200)
        with GHLClient(base_url="https://ghl.example.test", timeout=5.0, sleep=sleeps.append) as client:
            client.request("GET", "/ping", version=None)

    assert route.calls.last.request.url == httpx.URL("https://ghl.example.test/ping")


def test_bearer_auth_hides_its_token() -> None:
    assert ACCESS_TOKEN not in repr(BearerAuth(ACCESS_TOKEN))


WIRE_CASES = [
    ("GET", "/opportunities/search", VERSION_2021_07_28, {"location_id": "l1", "limit": 20, "q": "Acme & Sons, 50%"}),
    (
        "GET",
        "/opportunities/search",
        VERSION_2021_07_28,
        {"startAfter": 1793000000000, "startAfterId": "o", "on": True},
    ),
    ("GET", "/calendars/c1/free-slots", VERSION_2021_04_15, {"userIds": ["u1", "u2"], "timezone": "Europe/Berlin"}),
    ("GET", "/contacts/c%2F1/notes", VERSION_2021_07_28, None),
    ("PUT", "/opportunities/o1", VERSION_2021_07_28, None),
    ("POST", "/oauth/token", None, None),
]


@pytest.mark.parametrize(("method", "path", "version", "params"), WIRE_CASES)
@pytest.mark.parametrize("base_url", ["https://services.leadconnectorhq.com", "http://127.0.0.1:3001/v2/"])
def test_builds_the_request_httpx_would(
    method: str, path: str, version: str | None, params: dict[str, object] | None, base_url: str
) -> None:
    """`GHLClient` builds its requests itself (a third of the cost): the wire request must be httpx's own."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    body = {"json": {"pipelineStageId": "s1"}} if method == "PUT" else {}
    body |= {"data": {"grant_type": "refresh_token"}} if path == "/oauth/token" else {}
    with GHLClient(base_url=base_url, timeout=7.0, transport=transport) as client:
        client.request(method, path, version=version, params=params, **body)  # type: ignore[arg-type]
    reference = httpx.Client(base_url=base_url, headers={"Accept": "application/json"}).build_request(
        method, path, params=params, headers={"Version": version} if version else None, timeout=7.0, **body
    )

    (request,) = sent
    assert (request.method, request.url) == (reference.method, reference.url)
    assert request.headers.multi_items() == reference.headers.multi_items()
    assert request.read() == reference.read()
    assert request.extensions["timeout"] == reference.extensions["timeout"]


def test_a_path_must_be_absolute(client: GHLClient) -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        client.request("GET", "opportunities/search", version=VERSION_2021_07_28)


def test_a_cookie_set_by_one_answer_is_never_sent_again(ghl_mock: respx.MockRouter, client: GHLClient) -> None:
    """One client serves every location of the container: no cookie may carry over between them."""
    route = ghl_mock.get("/opportunities/pipelines").respond(
        200, json=PIPELINES, headers={"Set-Cookie": "__cf_bm=location-a-session; Path=/; Secure"}
    )

    get_pipelines(client)
    get_pipelines(client)

    assert [call.request.headers.get("Cookie") for call in route.calls] == [None, None]
    assert not client._http.cookies
    with pytest.raises(AttributeError):
        client._http.cookies = {"a": "b"}  # type: ignore[assignment]
