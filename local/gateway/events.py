"""What a Lambda function receives: the HTTP API payload format 2.0 event, the EventBridge
"Scheduled Event", and a Lambda-like context.

Why exact shapes: the handlers are Powertools resolvers that read `rawPath`, `requestContext`,
`cookies`, `isBase64Encoded`... A local event that differs from API Gateway's (a `cookie` header
left in `headers`, an empty `queryStringParameters` instead of none) would let code pass locally
and fail deployed. Where API Gateway's behavior is observed rather than documented, the choice is
noted on the field.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gateway.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, decode_path

LOCAL_API_ID = "local"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/xml", "application/javascript")


@dataclass(frozen=True)
class IncomingRequest:
    """An HTTP request as it arrived, before any API Gateway processing."""

    method: str
    target: str  # the request target: "/path?query" (or an absolute URL)
    headers: list[tuple[str, str]]  # in arrival order, names as sent
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        """The path as sent, still percent-encoded."""
        path = self.target.split("#", 1)[0].partition("?")[0]
        if "://" in path:  # absolute-form target (proxies send it)
            path = urlsplit(path).path
        return path or "/"

    @property
    def path(self) -> str:
        return decode_path(self.raw_path)

    @property
    def raw_query(self) -> str:
        return self.target.split("#", 1)[0].partition("?")[2]

    def header(self, name: str) -> str | None:
        """All values of one header joined with commas (as API Gateway joins repeated headers)."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


def new_request_id() -> str:
    """An id shaped like API Gateway's (`JvW2Tj5PoAMEVJw=`): 15 base64 characters and a `=`."""
    return base64.b64encode(os.urandom(11)).decode()


def is_textual(content_type: str | None) -> bool:
    """Whether API Gateway hands this body on as text (else base64, `isBase64Encoded: true`)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def _clf_time(now: datetime) -> str:
    """`28/Nov/2026:15:00:00 +0000`, independent of the locale."""
    return f"{now:%d}/{_MONTHS[now.month - 1]}/{now:%Y:%H:%M:%S} +0000"


def http_api_event(
    request: IncomingRequest,
    *,
    route_key: str,
    path_parameters: dict[str, str],
    request_id: str,
    now: datetime | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    api_id: str = LOCAL_API_ID,
) -> dict[str, Any]:
    """The HTTP API payload format 2.0 event for `request` on the route `route_key`.

    - header names lower-cased, repeated headers joined with `,`; `cookie` moves to `cookies`;
      API Gateway's own `x-forwarded-*` and `x-amzn-trace-id` are added;
    - `queryStringParameters` values decoded, repeated keys joined with `,`; absent when none,
      as are `pathParameters` and `cookies`;
    - `body` is absent without a body; text for textual content types that decode as UTF-8, else
      base64 with `isBase64Encoded: true`;
    - `rawPath` and `requestContext.http.path` are percent-decoded, as live HTTP APIs deliver them.
    """
    now = now or datetime.now(UTC)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers.setdefault("x-forwarded-proto", "http")
    host = headers.get("host", "")
    if ":" in host:
        headers.setdefault("x-forwarded-port", host.rsplit(":", 1)[1])
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{uuid.uuid4().hex[:24]}")

    query: dict[str, str] = {}
    for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value

    path = request.path
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(":", 1)[0].split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": _clf_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if request.body:
        text = _as_text(request.body, headers.get("content-type"))
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


def _as_text(body: bytes, content_type: str | None) -> str | None:
    if not is_textual(content_type):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scheduled_event(
    rule_name: str,
    *,
    now: datetime | None = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    constant_input: str | None = None,
) -> Any:
    """What EventBridge sends a function on a `Schedule` event: a "Scheduled Event", or the event's
    constant `Input` (JSON text) when the template sets one, as rules and Scheduler both do."""
    if constant_input is not None:
        return json.loads(constant_input)
    now = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"],
        "detail": {},
    }


@dataclass
class LambdaContext:
    """The context object of one invocation, with the attributes of the Python runtime's and a
    clock counting down from the function's `Timeout` (its start is the invocation's start)."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: float
    log_group_name: str
    log_stream_name: str
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def log_stream_name(now: datetime | None = None) -> str:
    """A name like Lambda gives a container's log stream: `2026/11/28/[$LATEST]<32 hex>`."""
    now = now or datetime.now(UTC)
    return f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
