"""What API Gateway makes of a Lambda function's result (payload format 2.0), and the answers it
gives on its own (`{"message": "Not Found"}` ...).

Why a module of its own: the same translation serves the template's functions and the local-only
routes, and it is where a malformed handler result turns into the 500 a deployed API would give.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

# Hop-by-hop and framing headers: the server writes its own.
_DROPPED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class MalformedResultError(Exception):
    """The function returned something API Gateway cannot turn into a response (it answers 500)."""


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def drop_headers(self, predicate: Any) -> None:
        self.headers = [(k, v) for k, v in self.headers if not predicate(k.lower())]


def gateway_message(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    """An answer API Gateway gives itself, e.g. 404 `{"message":"Not Found"}`."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", "application/json"), *(headers or [])], body)


def internal_error() -> HttpResponse:
    """API Gateway's answer when the function failed (an exception, a timeout, a bad result)."""
    return gateway_message(500, "Internal Server Error")


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def from_lambda_result(result: Any) -> HttpResponse:
    """The HTTP response for a function's result.

    A mapping with `statusCode` is a structured response: `headers`, `multiValueHeaders` (each
    value its own header line), `cookies` (one `Set-Cookie` each), `body` (base64-decoded when
    `isBase64Encoded`). Anything else is the body itself, as HTTP API payload 2.0 does it: 200,
    `content-type: application/json`, a string as is, other values as JSON.
    """
    if isinstance(result, dict) and "statusCode" in result:
        return _structured(result)
    try:
        body = result if isinstance(result, str) else json.dumps(result)
    except (TypeError, ValueError) as exc:
        raise MalformedResultError(f"the result is not JSON-serializable: {exc}") from exc
    return HttpResponse(200, [("content-type", "application/json")], body.encode())


def _structured(result: dict[str, Any]) -> HttpResponse:
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResultError(f"statusCode must be an HTTP status, not {status!r}")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in _DROPPED:
            headers.append((name, _header_value(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name.lower() in _DROPPED:
            continue
        for value in values if isinstance(values, list) else [values]:
            if (name, _header_value(value)) not in headers:
                headers.append((name, _header_value(value)))
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))

    body = result.get("body")
    if body is None:
        return HttpResponse(status, headers)
    if not isinstance(body, str):
        raise MalformedResultError(f"body must be a string, not {type(body).__name__}")
    if result.get("isBase64Encoded"):
        try:
            return HttpResponse(status, headers, base64.b64decode(body, validate=True))
        except binascii.Error as exc:
            raise MalformedResultError("isBase64Encoded is set but the body is not base64") from exc
    return HttpResponse(status, headers, body.encode())
