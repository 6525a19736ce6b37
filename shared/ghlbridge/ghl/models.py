"""Pydantic models of GHL responses: `GHLModel`, the base of every one of them, the OAuth token
responses (`apps/oauth.json`), and what every resource module shares to build requests and read
answers (`path_segment`, `present`, `parse_response`, `refuse_unsuccessful`). Each resource's own
models live in its resource module (`ghlbridge.ghl.opportunities`, `.contacts`, ...), so a function
imports only the models of the resources it calls.

Why they look like this:

- They KEEP unknown fields (`extra="allow"`, read them with `model_extra`): GHL adds fields
  without notice, and what we don't model yet must still reach whoever stores the response.
- Attributes carry GHL's own field names (`userType`, `locationId`, `pipelineStageId`,
  `expires_in`...), mixed case and all, so a field can be looked up in the spec without a
  translation table.
- Tokens are `SecretStr`, and `repr()` lists unknown fields by name only, so printing or logging
  a model never shows a credential. Call `.get_secret_value()` only where the token is used.
- Only what this project cannot work without is required (usually just `id`). The specs'
  `required` lists are unreliable (the HEAD spec marks generator artifacts required, and issue #246
  shows answers without documented fields), and a write that already took effect must not look like
  a failure because a field we never read was missing. The token spec marks `userId` required, but
  a code is single-use: rejecting a token response over a field we never read would lose the
  installation, so such fields are optional here.
- Ids are strings. Timestamps stay GHL's ISO strings unless a model says otherwise: the specs type
  them as plain strings, and most of this layer does no arithmetic on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ghlbridge.ghl.errors import GHLInvalidResponseError, trace_id_from_headers


class GHLModel(BaseModel):
    """Base of every GHL response model (see the module docstring for why)."""

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        hide_input_in_errors=True,  # a ValidationError must not quote a token back
        defer_build=True,  # validators are built on first use: a function pays only for the models it uses
    )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        extra = self.model_extra or {}
        yield from ((name, value) for name, value in super().__repr_args__() if name not in extra)
        if extra:
            yield "extra_fields", sorted(extra)


def path_segment(value: str) -> str:
    """A GHL id as exactly one URL path segment.

    Ids come from callers, so they must not be able to reach another endpoint: `/`, `?`, `#`, `%`
    are percent-encoded, and so are dots (httpx would resolve a `..` segment). An empty id would
    turn `GET /contacts/{id}` into the (deprecated) contact listing, so it is refused.
    """
    if not value:
        raise ValueError("a GHL id must not be empty")
    return quote(value, safe="").replace(".", "%2E")


def present[V](fields: Mapping[str, V | None]) -> dict[str, V]:
    """The fields that were given, for a query or a body: None means "not given", never "send null"
    (no request field of these specs is nullable, and an absent field is left as it is)."""
    return {name: value for name, value in fields.items() if value is not None}


class _AccessToken(GHLModel):
    """Fields shared by both token responses."""

    access_token: SecretStr
    token_type: str = "Bearer"  # noqa: S105  (a scheme name, not a secret)
    expires_in: int  # seconds; GHL sends 86399
    scope: str = ""  # space-separated
    locationId: str | None = None
    userId: str | None = None
    planId: str | None = None

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    def expires_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.expires_in)


class TokenResponse(_AccessToken):
    """`POST /oauth/token` 200 (GetAccessCodeSuccessfulResponseDto): a Location or Company token.

    `locationId` is present only for a Sub-Account (Location) token. GHL rotates the refresh
    token on every refresh: store the new one each time.
    """

    refresh_token: SecretStr | None = None
    userType: str | None = None  # "Location" or "Company"
    companyId: str | None = None
    approvedLocations: list[str] = Field(default_factory=list)
    isBulkInstallation: bool | None = None
    installToFutureLocations: bool | None = None
    approveAllLocations: bool | None = None


class LocationTokenResponse(_AccessToken):
    """`POST /oauth/locationToken` 200/201 (GetLocationAccessTokenSuccessfulResponseDto).

    It has no refresh token: mint a new one from the company token when it expires.
    """

    appId: str | None = None
    versionId: str | None = None


def parse_response[M: BaseModel](response: httpx.Response, model: type[M]) -> M:
    """Validate a 2xx body as `model`; a body that does not fit raises `GHLInvalidResponseError`.

    The error names the offending fields only, never their values (which may be tokens).
    """
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        problems = sorted({".".join(str(part) for part in err["loc"]) or err["type"] for err in exc.errors()})
        raise invalid_response(response, f"unexpected {model.__name__} body (check: {', '.join(problems)})") from None


def refuse_unsuccessful(response: httpx.Response, flag: str, value: bool | None) -> None:
    """Raise `GHLInvalidResponseError` when a write's 2xx answer carries its success flag as `false`.

    Some writes answer only `{succeded: true}` (sic; `{succeeded: true}` on calendars). The specs
    show `true` alone and say nothing of `false`: a 2xx that says it did not succeed is not read as
    success. An absent flag is accepted (only what we cannot work without is required: the module docstring)."""
    if value is False:
        raise invalid_response(response, f"GHL answered 2xx with {flag}: false")


def invalid_response(response: httpx.Response, message: str) -> GHLInvalidResponseError:
    """The error for a 2xx answer whose body is not what the spec says (`message` names no values)."""
    return GHLInvalidResponseError(
        message,
        status=response.status_code,
        trace_id=trace_id_from_headers(response.headers),
        method=response.request.method,
        path=response.request.url.path,
    )
