"""Pydantic models of GHL responses, shaped by the official spec (`apps/oauth.json`).

Why they look like this:

- They KEEP unknown fields (`extra="allow"`, read them with `model_extra`): GHL adds fields
  without notice, and what we don't model yet must still reach whoever stores the response.
- Attributes carry GHL's own field names (`userType`, `locationId`, `expires_in`...), mixed case
  and all, so a field can be looked up in the spec without a translation table.
- Tokens are `SecretStr`, and `repr()` lists unknown fields by name only, so printing or logging
  a model never shows a credential. Call `.get_secret_value()` only where the token is used.
- Only what this project cannot work without is required. The spec marks `userId` required, but
  a code is single-use: rejecting a token response over a field we never read would lose the
  installation, so such fields are optional here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

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


def invalid_response(response: httpx.Response, message: str) -> GHLInvalidResponseError:
    """The error for a 2xx answer whose body is not what the spec says (`message` names no values)."""
    return GHLInvalidResponseError(
        message,
        status=response.status_code,
        trace_id=trace_id_from_headers(response.headers),
        method=response.request.method,
        path=response.request.url.path,
    )
