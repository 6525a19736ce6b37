"""The payload 2.0 event and the context a function gets, and what becomes of its result, over
real HTTP through the gateway (tiny template, handlers that echo what they received)."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import httpx
from gateway import Gateway


def seen(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_event_has_the_http_api_v2_fields(echo: httpx.Client, echo_gateway: Gateway) -> None:
    port = echo_gateway.url.rsplit(":", 1)[1]
    before = int(time.time() * 1000)
    response = echo.get(
        "/items/a%20b?x=1&x=2&y=&z=%C3%A9",
        headers=[
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("User-Agent", "gateway-test/1"),
            ("Cookie", "a=1; b=2"),
        ],
    )
    event = seen(response)["event"]

    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{itemId}"
    assert event["rawPath"] == "/items/a b"  # HTTP APIs hand the path on decoded
    assert event["rawQueryString"] == "x=1&x=2&y=&z=%C3%A9"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "", "z": "é"}
    assert event["pathParameters"] == {"itemId": "a b"}
    assert event["cookies"] == ["a=1", "b=2"]
    headers = event["headers"]
    assert "cookie" not in headers and all(name == name.lower() for name in headers)
    assert headers["x-multi"] == "one,two"
    assert headers["host"] == f"127.0.0.1:{port}"
    assert headers["x-forwarded-for"] == "127.0.0.1" and headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "body" not in event and event["isBase64Encoded"] is False

    ctx = event["requestContext"]
    assert ctx["accountId"] == "123456789012" and ctx["stage"] == "$default"
    assert ctx["domainName"] == f"127.0.0.1:{port}" and ctx["domainPrefix"] == "127"
    assert ctx["http"] == {
        "method": "GET",
        "path": "/items/a b",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "gateway-test/1",
    }
    assert ctx["routeKey"] == "GET /items/{itemId}"
    assert ctx["requestId"] == response.headers["apigw-requestid"]
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", ctx["time"])
    assert before - 1000 <= ctx["timeEpoch"] <= int(time.time() * 1000)


def test_optional_fields_are_absent_and_request_ids_unique(echo: httpx.Client) -> None:
    first, second = seen(echo.get("/plain"))["event"], seen(echo.get("/plain"))["event"]

    for event in (first, second):
        assert not {"queryStringParameters", "pathParameters", "cookies", "body"} & event.keys()
        assert event["rawQueryString"] == ""
    assert first["requestContext"]["requestId"] != second["requestContext"]["requestId"]


def test_greedy_path_on_an_any_route(echo: httpx.Client) -> None:
    event = seen(echo.delete("/files/reports/2026/q4.csv"))["event"]

    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "reports/2026/q4.csv"}
    assert event["requestContext"]["http"]["method"] == "DELETE"


def test_bodies_are_text_or_base64_as_api_gateway_encodes_them(echo: httpx.Client) -> None:
    as_json = seen(echo.post("/echo", json={"name": "Zoë"}))["event"]
    form = seen(echo.post("/echo", data={"a": "1"}))["event"]
    binary = seen(echo.post("/echo", content=b"\x00\xffdata", headers={"content-type": "application/octet-stream"}))
    not_utf8 = seen(echo.post("/echo", content=b"caf\xe9", headers={"content-type": "text/plain"}))["event"]
    untyped = seen(echo.post("/echo", content=b"hello"))["event"]

    assert (json.loads(as_json["body"]), as_json["isBase64Encoded"]) == ({"name": "Zoë"}, False)
    assert (form["body"], form["isBase64Encoded"]) == ("a=1", False)
    assert binary["event"]["isBase64Encoded"] is True
    assert base64.b64decode(binary["event"]["body"]) == b"\x00\xffdata"
    assert not_utf8["isBase64Encoded"] is True and base64.b64decode(not_utf8["body"]) == b"caf\xe9"
    assert untyped["isBase64Encoded"] is True and base64.b64decode(untyped["body"]) == b"hello"


def test_context_is_lambda_like_with_the_template_timeout_and_memory(echo: httpx.Client) -> None:
    echoed = seen(echo.get("/plain"))
    other = seen(echo.get("/other"))
    ctx = echoed["context"]

    assert ctx["function_name"] == "EchoFunction" and ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction"
    assert ctx["memory_limit_in_mb"] == 1024  # its own MemorySize
    assert other["context"]["memory_limit_in_mb"] == 256  # Globals
    assert ctx["log_group_name"] == "/aws/lambda/local/echo"  # LoggingConfig: !Ref of a log group
    assert other["context"]["log_group_name"] == "/aws/lambda/OtherFunction"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert ctx["aws_request_id"] != other["context"]["aws_request_id"]
    first, later = echoed["remaining"]
    assert 6_000 < first <= 7_000  # Timeout: 7 (Globals), counting from the invocation's start
    assert later <= first - 15


def test_structured_result_is_written_back_faithfully(echo: httpx.Client) -> None:
    result = {
        "statusCode": 201,
        "headers": {"content-type": "application/octet-stream", "x-one": "1", "x-flag": True, "content-length": "1"},
        "multiValueHeaders": {"x-many": ["a", "b"]},
        "cookies": ["session=abc; HttpOnly; Path=/", "theme=dark"],
        "body": base64.b64encode(b"\x00\x01\xff").decode(),
        "isBase64Encoded": True,
    }

    response = echo.post("/respond", json=result)

    assert response.status_code == 201
    assert response.content == b"\x00\x01\xff"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-one"] == "1" and response.headers["x-flag"] == "true"
    assert response.headers.get_list("x-many") == ["a", "b"]
    assert response.headers.get_list("set-cookie") == ["session=abc; HttpOnly; Path=/", "theme=dark"]
    assert response.headers["content-length"] == "3"  # the gateway's own, not the handler's


def test_results_without_status_code_are_json_bodies(echo: httpx.Client) -> None:
    mapping = echo.post("/respond", json={"ok": True, "n": 1})
    listing = echo.post("/respond", json=["a", 1])
    text = echo.post("/respond", json="Hello from Lambda!")
    nothing = echo.post("/respond", content=b"null", headers={"content-type": "application/json"})

    for response in (mapping, listing, text, nothing):
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert mapping.json() == {"ok": True, "n": 1}
    assert listing.json() == ["a", 1]
    assert text.text == "Hello from Lambda!"  # a string is the body as it is
    assert nothing.text == "null"


def test_malformed_structured_results_are_500(echo: httpx.Client) -> None:
    bad_status = echo.post("/respond", json={"statusCode": "two hundred"})
    bad_base64 = echo.post("/respond", json={"statusCode": 200, "body": "not base64!", "isBase64Encoded": True})
    bad_body = echo.post("/respond", json={"statusCode": 200, "body": {"nested": True}})

    for response in (bad_status, bad_base64, bad_body):
        assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})
