"""API Gateway's own answers: 404 without a route, 413 over 10 MB (before any function runs),
500 when a function fails, CORS from the template, and the local-only routes."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gateway import MAX_BODY_BYTES, Gateway

from tests.gateway.conftest import FRONT_ORIGIN, EchoApi

CHUNK = 64 * 1024


class CountingBody:
    """A request body produced on demand, counting how much of it the client got to send."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.total:
            chunk = b"x" * min(CHUNK, self.total - self.sent)
            self.sent += len(chunk)
            yield chunk


# --- 404 -----------------------------------------------------------------------------------------
def test_unknown_path_and_wrong_method_are_404_without_a_function(echo: httpx.Client, echo_gateway: Gateway) -> None:
    unknown = echo.get("/nope")
    wrong_method = echo.put("/plain")
    not_a_prefix = echo.get("/plain/extra")

    for response in (unknown, wrong_method, not_a_prefix):
        assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
        assert response.headers["apigw-requestid"]
    assert not any(f.loaded for f in echo_gateway.functions.values())


# --- 413 -----------------------------------------------------------------------------------------
def test_body_over_10_mb_is_413_and_never_reaches_the_function(echo: httpx.Client, echo_api: EchoApi) -> None:
    body = CountingBody(MAX_BODY_BYTES + 1)

    response = echo.post(
        "/upload",
        content=body,
        headers={"content-length": str(body.total), "content-type": "application/octet-stream"},
    )

    assert (response.status_code, response.json()) == (413, {"message": "Request Entity Too Large"})
    assert echo_api.calls("size") == []
    assert echo_api.loads() == []  # not even loaded


def test_body_of_exactly_10_mb_is_passed_on(echo: httpx.Client, echo_api: EchoApi) -> None:
    response = echo.post("/upload", content=b"y" * MAX_BODY_BYTES, headers={"content-type": "application/octet-stream"})

    assert response.json() == {"bytes": MAX_BODY_BYTES}
    assert [call["bytes"] for call in echo_api.calls("size")] == [MAX_BODY_BYTES]


def test_chunked_body_over_10_mb_is_413(echo: httpx.Client, echo_api: EchoApi) -> None:
    body = CountingBody(MAX_BODY_BYTES + 4 * CHUNK)

    response = echo.post("/upload", content=body, headers={"content-type": "application/octet-stream"})

    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert (response.status_code, response.json()) == (413, {"message": "Request Entity Too Large"})
    assert echo_api.calls("size") == []


def test_expect_100_continue_is_refused_before_the_body_is_sent(echo_gateway: Gateway) -> None:
    host, port = echo_gateway.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(
            f"POST /upload HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {20 * MAX_BODY_BYTES}\r\nExpect: 100-continue\r\n\r\n".encode()
        )  # ... and not one byte of the body
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk

    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in head
    assert payload == b'{"message":"Request Entity Too Large"}'


# --- 500 -----------------------------------------------------------------------------------------
def test_handler_exception_is_500_and_its_traceback_is_logged(
    echo: httpx.Client, echo_api: EchoApi, caplog: pytest.LogCaptureFixture
) -> None:
    response = echo.get("/boom")

    assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})
    assert len(echo_api.calls("boom")) == 1
    failures = [r for r in caplog.records if r.name == "gateway" and r.levelno == logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "BoomFunction" in failures[0].getMessage()
    assert str(failures[0].exc_info[1]) == "boom from the test handler"
    assert echo.get("/plain").status_code == 200  # the gateway goes on serving


def test_missing_handler_module_is_500(echo: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    response = echo.get("/missing")

    assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})
    assert any("missing.py does not exist" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


# --- CORS ----------------------------------------------------------------------------------------
def preflight(client: httpx.Client, path: str, origin: str) -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_preflight_from_an_allowed_origin_is_answered_by_the_api(echo: httpx.Client, echo_api: EchoApi) -> None:
    response = preflight(echo, "/items/42", FRONT_ORIGIN)

    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == FRONT_ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert response.headers["access-control-max-age"] == "300"
    assert echo_api.calls() == [] and echo_api.loads() == []  # no function saw it


def test_preflight_from_another_origin_gets_no_cors_headers(echo: httpx.Client, echo_api: EchoApi) -> None:
    response = preflight(echo, "/items/42", "https://evil.example")

    assert response.status_code == 204
    assert not [h for h in response.headers if h.startswith("access-control-")]
    assert echo_api.calls() == []


def test_plain_options_without_a_route_is_404(echo: httpx.Client) -> None:
    assert echo.options("/items/42").status_code == 404  # no Origin / Access-Control-Request-Method


def test_actual_response_to_an_allowed_origin_gets_the_apis_cors_headers(echo: httpx.Client) -> None:
    response = echo.get("/plain", headers={"Origin": FRONT_ORIGIN})

    assert response.status_code == 200
    assert response.headers.get_list("access-control-allow-origin") == [FRONT_ORIGIN]  # the handler's is dropped
    assert response.headers["access-control-expose-headers"] == "X-Trace"
    assert response.headers["vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_actual_response_to_another_origin_has_no_cors_headers(echo: httpx.Client, origin: str | None) -> None:
    response = echo.get("/plain", headers={"Origin": origin} if origin else {})

    assert response.status_code == 200 and response.json()["event"]["rawPath"] == "/plain"
    assert not [h for h in response.headers if h.startswith("access-control-")]  # not even the handler's


def test_cors_origin_parameter_can_be_overridden(echo_api: EchoApi) -> None:
    with (
        Gateway(echo_api.template, port=0, parameters={"FrontOrigin": "http://localhost:5173"}) as gateway,
        httpx.Client(base_url=gateway.url) as client,
    ):
        local = preflight(client, "/echo", "http://localhost:5173")
        default = preflight(client, "/echo", FRONT_ORIGIN)

    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "access-control-allow-origin" not in default.headers


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        ({"FrontOrigin": "http://localhost:5173/"}, "scheme://host"),  # ConstraintDescription
        ({"Flavor": "sour"}, "must be one of plain, spicy"),
        ({"Nope": "1"}, "no parameter Nope"),
    ],
)
def test_parameter_overrides_are_checked_like_cloudformation(
    echo_api: EchoApi, parameters: dict[str, str], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        Gateway(echo_api.template, port=0, parameters=parameters)


# --- local-only routes ---------------------------------------------------------------------------
def test_refresh_route_fires_the_named_scheduled_function(echo: httpx.Client, echo_api: EchoApi) -> None:
    ambiguous = echo.post("/_local/refresh")
    tick = echo.post("/_local/refresh", params={"function": "TickFunction"})
    tock = echo.post("/_local/refresh", params={"function": "TockFunction"})

    assert ambiguous.status_code == 404 and "TickFunction, TockFunction" in ambiguous.json()["message"]
    assert tick.status_code == 200 and tick.json()["function"] == "TickFunction"
    event = tick.json()["ticked"]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["detail"] == {} and event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/local-TickFunctionEveryFiveMinutes"]
    assert tock.json() == {"ticked": {"job": "nightly"}, "function": "TockFunction"}  # the event's Input
    assert len(echo_api.calls("tick")) == 2


def test_extra_local_routes_can_be_registered(echo_gateway: Gateway, echo: httpx.Client) -> None:
    echo_gateway.add_local_route(
        "GET",
        "/_local/docs/{page}",
        lambda event: {
            "statusCode": 200,
            "headers": {"content-type": "text/html"},
            "body": f"<h1>{event['pathParameters']['page']}</h1>",
        },
    )

    response = echo.get("/_local/docs/index")

    assert response.headers["content-type"] == "text/html" and response.text == "<h1>index</h1>"
    assert ("GET", "/_local/docs/{page}") in echo_gateway.local_routes
    assert all(path != "/_local/docs/{page}" for _, path, _ in echo_gateway.routes)  # not a template route
    with pytest.raises(ValueError, match=r"route of template\.yaml"):
        echo_gateway.add_local_route("GET", "/plain", lambda event: None)


def test_each_container_gets_its_functions_template_environment_under_the_process_environment(
    echo_api: EchoApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for key in ("GATEWAY_TEST_SHARED", "GATEWAY_TEST_FLAVOR", "GATEWAY_TEST_OWN", "GATEWAY_TEST_LOG_ARN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GATEWAY_TEST_LOCAL", "from-the-process")
    before = dict(os.environ)

    with Gateway(echo_api.template, port=0, parameters={"Flavor": "spicy"}) as gateway:
        with httpx.Client(base_url=gateway.url, timeout=10) as client:
            echo_env = client.get("/plain").json()["env"]
            other_env = client.get("/other").json()["env"]
        during = dict(os.environ)

    assert echo_env == {
        "GATEWAY_TEST_SHARED": "shared-value",  # Globals
        "GATEWAY_TEST_FLAVOR": "hot",  # !If on a parameter
        "GATEWAY_TEST_OWN": "echo-only",  # its own
        "GATEWAY_TEST_LOCAL": "from-the-process",
    }
    assert other_env == {  # no EchoFunction variable; !GetAtt left out
        "GATEWAY_TEST_SHARED": "shared-value",
        "GATEWAY_TEST_FLAVOR": "hot",
        "GATEWAY_TEST_LOCAL": "from-the-process",
    }
    assert during == before == dict(os.environ)  # the gateway's own environment is never changed
    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 1 and "OtherFunction: GATEWAY_TEST_LOG_ARN" in left_out[0]


def test_the_process_environment_wins_over_the_template(echo_api: EchoApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TEST_SHARED", "local-setting")
    monkeypatch.setenv("GATEWAY_TEST_LOG_ARN", "arn:local")

    with Gateway(echo_api.template, port=0) as gateway, httpx.Client(base_url=gateway.url, timeout=10) as client:
        echo_env = client.get("/plain").json()["env"]
        other_env = client.get("/other").json()["env"]

    assert echo_env["GATEWAY_TEST_SHARED"] == other_env["GATEWAY_TEST_SHARED"] == "local-setting"
    assert other_env["GATEWAY_TEST_LOG_ARN"] == "arn:local" and echo_env["GATEWAY_TEST_FLAVOR"] == "mild"


def test_a_burst_of_200_connections_is_queued_not_reset(echo_gateway: Gateway) -> None:
    host, port = echo_gateway.url.removeprefix("http://").split(":")
    request = f"GET /nope HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    start = threading.Barrier(200)

    def connect(_: int) -> bytes | str:
        start.wait(timeout=30)
        try:
            with socket.create_connection((host, int(port)), timeout=30) as conn:
                conn.sendall(request)
                answer = b""
                while chunk := conn.recv(4096):
                    answer += chunk
                return answer
        except OSError as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(connect, range(200)))

    failures = [a for a in answers if not (isinstance(a, bytes) and a.startswith(b"HTTP/1.1 404 "))]
    assert failures == []
