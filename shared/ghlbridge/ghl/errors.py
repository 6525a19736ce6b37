"""Errors from the GHL boundary: one base (`GHLError`), one status→class table, two factories.

`make_status_error` turns any non-2xx GHL response into a typed error, so callers branch on
types (`except GHLNotFoundError`), never on message text. `make_transport_error` does the same
for "no response": `GHLConnectError` means the request provably never left (safe to resend),
`GHLTimeoutError` means it may have reached GHL (a POST must not be resent).

Every error is safe to log: it keeps the method, the path (never the query string), the status,
GHL's message and traceId, and never a header, a request body, a token, a secret or an
authorization code. As a second guard, the factory blanks out of GHL's message any credential
the request carried, in case GHL echoes one back.

What GHL's answers mean for a resource call (a path without `/oauth/`), rule by rule, with the GHL
bodies each rule relies on and their sources: `docs/ghl-errors.md`. In short:

- "not found" in any of its forms is a `GHLNotFoundError`: a 404; a 400 whose message says
  something is not found (`NOT_FOUND`, e.g. "Contact not found": `GHLRecordNotFoundError`); a 403
  "The token does not have access to this location." (`LOCATION_ACCESS`: another location's
  record, `GHLLocationAccessError`);
- a 400 "The slot you have selected is no longer available." is a `GHLSlotUnavailableError`;
- any other 400, and every 422, is a `GHLRejectedError`: GHL refused what the request said;
- token endpoints (`/oauth/...`) keep the plain status classes (`GHLInvalidGrantError` aside):
  what they refuse is our credential, never a caller's input.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import httpx

from ghlbridge.ghl.retry import TransportErrorKind, rate_limit_wait

# Form fields that carry credentials (GetAccessCodebodyDto in apps/oauth.json).
SECRET_FORM_FIELDS = frozenset({"client_secret", "code", "refresh_token", "access_token"})
# GHL documents traceId in bodies only; these header spellings are looked at just in case.
TRACE_ID_HEADERS = ("traceid", "trace-id", "x-trace-id", "x-traceid")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
SCOPE_MISSING = re.compile(r"not authorized for this scope", re.I)
"""GHL's 401 for a scope the token lacks (GHL-NOTES §9.4)."""
TOKEN_REJECTED = re.compile(r"invalid jwt|invalid token|access token is invalid|(jwt|token) (has )?expired", re.I)
"""The 401 messages that mean "this access token is no good" (GHL-NOTES §6 and §9.4):
`Invalid token: access token is invalid` (common-schemas), `Invalid JWT` (issue #213), and expiry
wordings. Every other 401 (`The token is not authorized for this scope.`, `This authClass type is
not allowed...`, `Token's user type mismatch!`, `The user does not exist.`) is not cured by a
refresh: spending a single-use refresh token on it would only rotate the pair for nothing."""
NOT_FOUND = re.compile(r"\bnot found\b", re.I)
"""A 400 whose message says something is not found: "Contact not found", "Opportunity not found",
"Calendar not found", "Conversation not found" (GHL-NOTES §10.9; the sandbox's `Call.owned`)."""
LOCATION_ACCESS = re.compile(r"does not have access to this location", re.I)
"""GHL's 403 "The token does not have access to this location." (GHL-NOTES §9.4, §10.9): for a
location's own token, the record named belongs to another location."""
SLOT_TAKEN = re.compile(r"slot you have selected is no longer available", re.I)
"""GHL's 400 "The slot you have selected is no longer available." on booking (the sandbox's
`SLOT_TAKEN`, `local/ghlsandbox/resources/calendars.py`)."""
TOKEN_PATHS = "/oauth/"  # noqa: S105 (a path, not a secret)
"""In the path of every token endpoint: their 400/403s are about our credentials, so the resource
rules do not apply."""
_REDACTED = "[redacted]"


class GHLError(Exception):
    """Anything that went wrong talking to GHL."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: list[str] | None = None,
        error: str | None = None,
        trace_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.messages = messages if messages is not None else [message]
        self.status = status
        self.error = error
        self.trace_id = trace_id
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = " ".join(str(part) for part in (self.method, self.path, self.status) if part is not None)
        trace = f" (traceId {self.trace_id})" if self.trace_id else ""
        return f"GHL {where}: {self.message}{trace}" if where else f"GHL: {self.message}{trace}"

    def __repr__(self) -> str:
        fields = ("status", "method", "path", "message", "error", "trace_id")
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in fields)})"


class GHLStatusError(GHLError):
    """GHL answered with a non-2xx status (the base of every status error, and the fallback class)."""

    status: int


class GHLRejectedError(GHLStatusError):
    """GHL refused what a resource call said (a 400 no narrower rule covers, or a 422): the caller
    can correct the request. `messages` says why."""


class GHLBadRequestError(GHLStatusError):
    """400."""


class GHLRequestRejectedError(GHLBadRequestError, GHLRejectedError):
    """400 on a resource call that is neither "not found" nor a taken slot (e.g. "endTime must be
    after startTime")."""


class GHLSlotUnavailableError(GHLBadRequestError):
    """400 "The slot you have selected is no longer available." (`SLOT_TAKEN`): someone booked it first."""


class GHLUnauthorizedError(GHLStatusError):
    """401 that is NOT about the token's validity: a missing scope, the wrong token class
    ("authClass"), a user type mismatch, or an unknown user (GHL-NOTES §9.4, §10.1). A refresh
    cannot help, so none is attempted."""


class GHLScopeError(GHLUnauthorizedError):
    """401 "The token is not authorized for this scope.": the installation lacks a scope this call
    needs (an install from before the app asked for it). Only a reinstall grants it."""


class GHLTokenRejectedError(GHLUnauthorizedError):
    """401 whose message says the access token itself is invalid or expired (`TOKEN_REJECTED`):
    the one 401 a refresh can cure."""


class GHLForbiddenError(GHLStatusError):
    """403, e.g. "The token does not have access to this location."."""


class GHLNotFoundError(GHLStatusError):
    """GHL has no such resource for this token: a 404, and the base of the other forms "not found"
    takes (`GHLRecordNotFoundError`, `GHLLocationAccessError`)."""


class GHLRecordNotFoundError(GHLBadRequestError, GHLNotFoundError):
    """400 whose message says the thing named is not found (`NOT_FOUND`), e.g. "Contact not found"."""


class GHLLocationAccessError(GHLForbiddenError, GHLNotFoundError):
    """403 "The token does not have access to this location." on a resource call: the record is
    another location's, which to the caller is the same as not existing."""


class GHLConflictError(GHLStatusError):
    """409."""


class GHLUnprocessableError(GHLRejectedError):
    """422; GHL sends `message` as an array here, kept whole in `messages`. GHL documents it only
    on resource routes (`common/common-schemas.json`)."""


class GHLRateLimitError(GHLStatusError):
    """429 that was not (or no longer) worth retrying. `retry_after` is the wait GHL asked for in
    seconds (`Retry-After`, else its burst window), if any (`retry.rate_limit_wait`)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class GHLServerError(GHLStatusError):
    """5xx."""


class GHLInvalidGrantError(GHLStatusError):
    """`/oauth/token` refused the code or refresh token (`"error": "invalid_grant"`, at 400 or 401).

    For a refresh this means the installation must be authorized again: retrying cannot help.
    """


class GHLInvalidResponseError(GHLError):
    """GHL answered 2xx with a body we cannot use (not JSON, or not the documented shape)."""


class GHLTransportError(GHLError):
    """No HTTP response at all. `kind` tells the retry policy whether the request may have been sent."""

    kind: ClassVar[TransportErrorKind | None] = None


class GHLConnectError(GHLTransportError):
    """The request provably never reached GHL (connect failed or timed out, no pooled connection)."""

    kind = "connect"


class GHLTimeoutError(GHLTransportError):
    """The request was (maybe partly) sent but no answer came: its outcome is unknown."""

    kind = "timeout"


_STATUS_ERRORS: Mapping[int, type[GHLStatusError]] = {
    400: GHLBadRequestError,
    401: GHLUnauthorizedError,
    403: GHLForbiddenError,
    404: GHLNotFoundError,
    409: GHLConflictError,
    422: GHLUnprocessableError,
    429: GHLRateLimitError,
}


def make_status_error(response: httpx.Response) -> GHLStatusError:
    """The one status→class table: a typed error for a non-2xx GHL response."""
    body = _json_object(response)
    secrets = _credentials_of(response.request)
    messages = [_redact(text, secrets) for text in _messages(body) or [response.reason_phrase or "HTTP error"]]
    error = _redact(body["error"], secrets) if isinstance(body.get("error"), str) else None
    path = response.request.url.path
    cls = _error_class(response.status_code, path, error, messages)
    kwargs: dict[str, Any] = {}
    if cls is GHLRateLimitError:
        kwargs["retry_after"] = rate_limit_wait(response.headers, now=time.time())
    return cls(
        "; ".join(messages),
        status=response.status_code,
        messages=messages,
        error=error,
        trace_id=_trace_id(body, response.headers),
        method=response.request.method,
        path=path,
        **kwargs,
    )


def _error_class(status: int, path: str, error: str | None, messages: list[str]) -> type[GHLStatusError]:
    if status in (400, 401) and path.endswith("/oauth/token") and (error or "").lower() == "invalid_grant":
        return GHLInvalidGrantError
    if status == 401 and any(TOKEN_REJECTED.search(text) for text in messages):
        return GHLTokenRejectedError
    if status == 401 and any(SCOPE_MISSING.search(text) for text in messages):
        return GHLScopeError
    if TOKEN_PATHS not in path:
        if status == 400 and any(NOT_FOUND.search(text) for text in messages):
            return GHLRecordNotFoundError
        if status == 400 and any(SLOT_TAKEN.search(text) for text in messages):
            return GHLSlotUnavailableError
        if status == 400:
            return GHLRequestRejectedError
        if status == 403 and any(LOCATION_ACCESS.search(text) for text in messages):
            return GHLLocationAccessError
    return _STATUS_ERRORS.get(status) or (GHLServerError if status >= 500 else GHLStatusError)


def rejects_token(response: httpx.Response) -> bool:
    """Whether GHL answered 401 because the access token is invalid or expired (`TOKEN_REJECTED`);
    the response body must have been read."""
    if response.status_code != 401:
        return False
    return any(TOKEN_REJECTED.search(text) for text in _messages(_json_object(response)))


def make_transport_error(exc: httpx.TransportError, *, method: str, path: str) -> GHLTransportError:
    """A typed error for an httpx transport failure; the message names only the httpx class."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return GHLConnectError(f"not sent ({kind})", method=method, path=path)
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return GHLTimeoutError(f"no response, outcome unknown ({kind})", method=method, path=path)
    return GHLTransportError(f"transport failure ({kind})", method=method, path=path)


def trace_id_from_headers(headers: Mapping[str, str]) -> str | None:
    """GHL's traceId if a response header carries one (the body is the documented place)."""
    lower = {key.lower(): value for key, value in headers.items()}
    return next((lower[name] for name in TRACE_ID_HEADERS if lower.get(name)), None)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:  # not JSON (e.g. a gateway's HTML page): never copy raw text into an error
        return {}
    return body if isinstance(body, dict) else {}


def _messages(body: Mapping[str, Any]) -> list[str]:
    """GHL's `message` (a string, or an array of strings on 422), else an OAuth error description."""
    for key in ("message", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return [value]
        if isinstance(value, list) and value:
            return [str(item) for item in value]
    return [body["error"]] if isinstance(body.get("error"), str) else []


def _trace_id(body: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    value = body.get("traceId")
    return str(value) if value else trace_id_from_headers(headers)


def _credentials_of(request: httpx.Request) -> list[str]:
    """The credentials a request carried: its bearer token and any secret form field."""
    found: list[str] = []
    token = request.headers.get("authorization", "").partition(" ")[2]
    if token:
        found.append(token)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qsl(request.content.decode(errors="replace"), keep_blank_values=True)
        found += [value for name, value in fields if name in SECRET_FORM_FIELDS and value]
    return found


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, _REDACTED)
    return _JWT.sub(_REDACTED, text)
