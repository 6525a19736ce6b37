"""OAuth state: installations (grants), authorization codes, access and refresh tokens.

The rules that hurt clients in real life are kept:

- authorization codes are single-use and expire (10 minutes by default);
- refresh tokens are single-use and rotate: every refresh returns a new one, and the spent one
  is refused from then on (GHL-NOTES §1.3);
- access tokens expire (`access_token_ttl_seconds`), and `expire_all()` ends them all at once;
- location tokens minted from a Company token have no refresh token.

Tokens are opaque random strings (`sbx_at_…`, `sbx_rt_…`). They are kept only here, never logged,
and never shown by the control endpoints (which report counts).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ghlsandbox import ids
from ghlsandbox.config import UserType


@dataclass(frozen=True)
class Grant:
    """What an installation authorized: who, for which location or company, with which scopes."""

    client_id: str
    app_id: str
    user_type: UserType
    company_id: str
    location_id: str | None  # None for a Company grant
    approved_locations: tuple[str, ...]  # the locations a Company grant covers
    user_id: str
    scopes: tuple[str, ...]

    @property
    def rate_limit_resource(self) -> str:
        """GHL counts the burst and daily limits per app per Location or Company."""
        return self.location_id or self.company_id


@dataclass(frozen=True)
class AccessToken:
    grant: Grant
    expires_at: float
    minted: bool = False  # from /oauth/locationToken


@dataclass(frozen=True)
class PendingCode:
    grant: Grant
    expires_at: float
    redirect_uri: str


@dataclass(frozen=True)
class RefreshToken:
    grant: Grant
    expires_at: float


@dataclass
class TokenStore:
    """Every live code and token. Not thread-safe on its own: callers hold the state lock."""

    codes: dict[str, PendingCode] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    spent_refresh: set[str] = field(default_factory=set)
    refreshes: int = 0  # successful refresh grants, for the state summary
    changes: int = 0  # every token issued, spent or expired (what `to_json` keeps changed)

    def issue_code(self, grant: Grant, *, redirect_uri: str, now: float, ttl: float) -> str:
        code = ids.authorization_code()
        self.codes[code] = PendingCode(grant, now + ttl, redirect_uri)
        return code

    def live_code(self, code: str, now: float) -> PendingCode | None:
        pending = self.codes.get(code)
        return pending if pending is not None and pending.expires_at > now else None

    def spend_code(self, code: str) -> None:
        self.codes.pop(code, None)

    def live_refresh(self, token: str, now: float) -> RefreshToken | None:
        record = self.refresh.get(token)
        return record if record is not None and record.expires_at > now else None

    def spend_refresh(self, token: str) -> None:
        if self.refresh.pop(token, None) is not None:
            self.spent_refresh.add(token)
            self.refreshes += 1
            self.changes += 1

    def issue_pair(self, grant: Grant, *, now: float, access_ttl: int, refresh_ttl: int) -> dict[str, Any]:
        """A `/oauth/token` 200 body (GetAccessCodeSuccessfulResponseDto) for this grant."""
        access = ids.access_token()
        refresh = ids.refresh_token()
        self.access[access] = AccessToken(grant, now + access_ttl)
        self.refresh[refresh] = RefreshToken(grant, now + refresh_ttl)
        self.changes += 1
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": access_ttl,
            "refresh_token": refresh,
            "scope": " ".join(grant.scopes),
            "userType": grant.user_type,
            "companyId": grant.company_id,
            "userId": grant.user_id,
            "isBulkInstallation": False,
        }
        if grant.location_id is not None:
            body["locationId"] = grant.location_id
        else:
            body["approvedLocations"] = list(grant.approved_locations)
            body["installToFutureLocations"] = False
            body["approveAllLocations"] = False
        return body

    def mint_location_token(self, company: Grant, location_id: str, *, now: float, ttl: int) -> dict[str, Any]:
        """A `/oauth/locationToken` body (GetLocationAccessTokenSuccessfulResponseDto): no refresh token.

        The minted token carries the company grant's scopes plus `oauth.readonly oauth.write`,
        as measured on GHL (GHL-NOTES §1.4).
        """
        scopes = tuple(dict.fromkeys((*company.scopes, "oauth.readonly", "oauth.write")))
        grant = replace(company, user_type="Location", location_id=location_id, approved_locations=(), scopes=scopes)
        access = ids.access_token()
        self.access[access] = AccessToken(grant, now + ttl, minted=True)
        self.changes += 1
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(scopes),
            "locationId": location_id,
            "userId": grant.user_id,
            "appId": grant.app_id,
            "versionId": grant.app_id,
        }

    def expire_all(self, now: float) -> int:
        """Make every access token expire now (refresh tokens stay valid). Returns how many were live."""
        live = [token for token, record in self.access.items() if record.expires_at > now]
        for token in live:
            self.access[token] = replace(self.access[token], expires_at=now)
        self.changes += bool(live)
        return len(live)

    def to_json(self) -> str:
        """Live access and refresh tokens with their grants, so `make dev` can stop and start
        again without losing its installation (codes are not kept: they last minutes)."""

        def grant(g: Grant) -> dict[str, Any]:
            return asdict(g)

        return json.dumps(
            {
                "access": {
                    t: {"grant": grant(r.grant), "expires_at": r.expires_at, "minted": r.minted}
                    for t, r in self.access.items()
                },
                "refresh": {t: {"grant": grant(r.grant), "expires_at": r.expires_at} for t, r in self.refresh.items()},
                "spent_refresh": sorted(self.spent_refresh),
            }
        )

    def load_json(self, text: str) -> None:
        """Take back what `to_json` wrote (adds to the current tokens)."""

        def grant(d: dict[str, Any]) -> Grant:
            return Grant(**{**d, "approved_locations": tuple(d["approved_locations"]), "scopes": tuple(d["scopes"])})

        saved = json.loads(text)
        for token, r in saved["access"].items():
            self.access[token] = AccessToken(grant(r["grant"]), r["expires_at"], r["minted"])
        for token, r in saved["refresh"].items():
            self.refresh[token] = RefreshToken(grant(r["grant"]), r["expires_at"])
        self.spent_refresh.update(saved["spent_refresh"])

    def summary(self, now: float) -> dict[str, int]:
        return {
            "codes_pending": sum(1 for pending in self.codes.values() if pending.expires_at > now),
            "access_tokens_live": sum(1 for record in self.access.values() if record.expires_at > now),
            "access_tokens_expired": sum(1 for record in self.access.values() if record.expires_at <= now),
            "refresh_tokens_live": sum(1 for record in self.refresh.values() if record.expires_at > now),
            "refresh_tokens_spent": len(self.spent_refresh),
            "refreshes": self.refreshes,
        }
