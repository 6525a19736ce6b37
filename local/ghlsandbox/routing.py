"""The vocabulary every route shares: `Route` (what a path needs), `Call` (one request, checked),
`Reply`, and `ApiError` (an answer in GHL's error shape).

A route declares its `Version` group, the kind of token it takes, its scope and its fields;
`server.py` enforces all of that before the route's handler runs, so handlers hold only the
resource logic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from ghlsandbox.config import SandboxConfig
from ghlsandbox.records import Location
from ghlsandbox.state import Data
from ghlsandbox.tokens import Grant, TokenStore
from ghlsandbox.validation import Field

VERSION_2021_07_28 = "2021-07-28"
"""OAuth (locationToken), Opportunities, Contacts, Users, Locations."""
VERSION_2021_04_15 = "2021-04-15"
"""Conversations, Calendars."""
PUBLISHED_VERSIONS = ("2021-04-15", "2021-07-28", "2023-02-21")
"""Accepted on any route when `strict_versions` is off (GHL accepts these everywhere, GHL-NOTES §0)."""

AUTH_CLASS_MESSAGE = (
    "This authClass type is not allowed to access this scope. "
    "Please verify your IAM configuration if this is not the case."
)
LOCATION_ACCESS_MESSAGE = "The token does not have access to this location."

type AuthClass = Literal["Location", "Company"]
type Handler = Callable[["Call"], "Reply"]

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def reason(status: int) -> str:
    return _REASONS.get(status, "Error")


@dataclass(frozen=True)
class Route:
    """One operation, exactly at the spec's path (`{name}` segments are path parameters).

    `body`: the JSON (or form) fields, or None when the operation takes no body.
    `auth_class`: the token class (GHL's authClass) it takes, or a tuple of them when the spec
    lists both `Agency-Access` and `Location-Access`; None: no bearer token (`/oauth/token`).
    `query`: the declared query parameters; any other is refused with a 422.
    """

    method: str
    template: str
    handler: Handler
    version: str | None = None
    auth_class: AuthClass | tuple[AuthClass, ...] | None = None
    scope: str | None = None
    query: tuple[Field, ...] = ()
    body: tuple[Field, ...] | None = None
    form: bool = False  # the body is form-encoded (OAuth); JSON is accepted too
    raw: bool = False  # the handler reads the query and form itself (the HTML install page)

    @property
    def auth_classes(self) -> tuple[AuthClass, ...]:
        if self.auth_class is None:
            return ()
        return self.auth_class if isinstance(self.auth_class, tuple) else (self.auth_class,)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", self.template)
        regex = "".join(f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts))
        return re.compile(f"^{regex}$")

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        return found.groupdict() if found else None


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list → JSON, str → HTML, None → empty
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def html(cls, status: int, page: str) -> Reply:
        return cls(status, page, {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str) -> Reply:
        return cls(302, None, {"Location": location})

    def encode(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", self.headers.get("Content-Type", "text/plain; charset=utf-8")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


class ApiError(Exception):
    """An error answer. `message` is a list for 422s, as GHL sends it; `body` replaces the
    standard `{statusCode, message, error}` shape (OAuth errors use `{error, error_description}`)."""

    def __init__(
        self,
        status: int,
        message: str | list[str] = "",
        *,
        error: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message
        self.error = error
        self.body = body

    def reply(self, trace_id: str) -> Reply:
        if self.body is not None:
            body = {**self.body, "traceId": trace_id}
        else:
            body = {"statusCode": self.status, "message": self.message}
            if self.error:
                body["error"] = self.error
            body["traceId"] = trace_id
        return Reply(self.status, body)


def unprocessable(messages: list[str]) -> ApiError:
    return ApiError(422, messages, error="Unprocessable Entity")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, error="Bad Request")


@dataclass
class Call:
    """One request that passed the route's checks (version, token, rate limit, fields)."""

    route: Route
    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, Any]  # validated and typed, by the spec's names
    raw_query: Mapping[str, list[str]]
    body: dict[str, Any]
    grant: Grant | None
    data: Data
    tokens: TokenStore
    config: SandboxConfig
    now: float
    trace_id: str
    base_url: str

    def location(self, location_id: str) -> Location:
        """The location a request names, if this token may use it: a Location token its own
        location, a Company token (on the routes that take one) the locations its install approved.

        403 "The token does not have access to this location." for a location the token is not
        for, whether the id exists or not (GHL does not reveal which ids exist).
        """
        grant = self.grant
        if grant is None:
            raise ApiError(403, LOCATION_ACCESS_MESSAGE)
        if grant.location_id is not None:
            allowed = grant.location_id == location_id
        else:
            allowed = location_id in grant.approved_locations
        if not allowed:
            raise ApiError(403, LOCATION_ACCESS_MESSAGE)
        location = self.data.locations.get(location_id)
        if location is None:  # a token for a location the data no longer has (after a reset)
            raise ApiError(403, LOCATION_ACCESS_MESSAGE)
        return location

    def owned[T](self, record: T | None, location_id: str | None, what: str) -> T:
        """A record by id: 400 "<what> not found" when unknown, 403 when it is another location's."""
        if record is None or location_id is None:
            raise bad_request(f"{what} not found")
        self.location(location_id)
        return record
