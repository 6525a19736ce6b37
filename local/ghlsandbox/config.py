"""The sandbox's settings: one frozen `SandboxConfig`, built in code or read from a JSON file.

The JSON file has the same field names as the dataclasses, for example:

    {
      "port": 8100,
      "seed": 7,
      "access_token_ttl_seconds": 300,
      "burst_limit": 25,
      "clients": [{"client_id": "my-app-id-abc", "client_secret": "s3cret", "name": "My app"}],
      "faults": [{"route": "POST /oauth/token", "kind": "status", "value": 503, "count": 1}]
    }

Unknown keys are refused (a typo must not silently leave a default in place).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, cast

from ghlsandbox.faults import FaultRule

DEMO_CLIENT_ID = "66a1f0c2b7d94e0012ab34cd-sbxdemo1"
"""The demo Marketplace app's client id (GHL's shape: `<appId>-<suffix>`)."""
DEMO_CLIENT_SECRET = "sbx-demo-client-secret"  # noqa: S105  (a published sandbox credential)

ALL_SCOPES = (
    "opportunities.readonly opportunities.write contacts.readonly contacts.write "
    "conversations.readonly conversations.write conversations/message.readonly conversations/message.write "
    "calendars.readonly calendars/events.readonly calendars/events.write users.readonly "
    "locations.readonly locations/customFields.readonly "
    "oauth.readonly oauth.write"
)
"""Every scope a sandbox route checks (the demo app's default); an install grants the scopes its
link asks for, whichever they are."""

type UserType = Literal["Location", "Company"]


@dataclass(frozen=True)
class OAuthClient:
    """A Marketplace app the sandbox knows.

    `redirect_uris`: when not empty, the install page only redirects to these (as GHL checks the
    app's registered URLs); empty allows any, which is handier for local development.
    `require_version_id`: refuse installs without `version_id`, like GHL does for private apps.
    """

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    name: str = "Sales Toolkit (sandbox)"
    scopes: str = ALL_SCOPES
    redirect_uris: tuple[str, ...] = ()
    require_version_id: bool = False

    @property
    def app_id(self) -> str:
        """GHL client ids are `<appId>-<suffix>`; the appId alone shows up in webhooks and tokens."""
        return self.client_id.partition("-")[0]

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r}, name={self.name!r}, client_secret='***')"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that can be tuned. Defaults are GHL's published values."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (see `Sandbox.url`)
    seed: int = 20210728  # demo data and ids; the same seed gives the same data
    clients: tuple[OAuthClient, ...] = (OAuthClient(),)
    default_user_type: UserType = "Location"  # preselected on the install page
    access_token_ttl_seconds: int = 86399
    refresh_token_ttl_seconds: int = 365 * 86400
    code_ttl_seconds: int = 600
    burst_limit: int = 100  # requests per window, per (client, location or company)
    burst_window_seconds: float = 10.0
    daily_limit: int = 200_000
    timeout_fault_seconds: float = 30.0  # how long a `timeout` fault stalls unless the rule says
    strict_versions: bool = True  # False: accept any published Version value on every route
    search_meta_nulls: bool = False  # True: `meta` carries nulls as live GHL does (not spec-valid)
    max_body_bytes: int = 1_000_000
    request_log_size: int = 500
    faults: tuple[FaultRule, ...] = ()

    def __post_init__(self) -> None:
        if not self.clients:
            raise ValueError("at least one OAuth client is needed")
        if self.default_user_type not in ("Location", "Company"):
            raise ValueError("default_user_type must be Location or Company")
        for name in ("access_token_ttl_seconds", "code_ttl_seconds", "burst_limit", "daily_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.burst_window_seconds <= 0:
            raise ValueError("burst_window_seconds must be > 0")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be 0-65535")

    def client(self, client_id: str | None) -> OAuthClient | None:
        return next((client for client in self.clients if client.client_id == client_id), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SandboxConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config key(s): {', '.join(unknown)}")
        values = dict(data)
        if "clients" in values:
            values["clients"] = tuple(_client(item) for item in values["clients"])
        if "faults" in values:
            values["faults"] = tuple(FaultRule.from_dict(item) for item in values["faults"])
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> SandboxConfig:
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the config must be a JSON object")
        return cls.from_dict(cast(dict[str, Any], data))


def _client(data: object) -> OAuthClient:
    if not isinstance(data, dict):
        raise ValueError("each client must be a JSON object")
    known = {f.name for f in fields(OAuthClient)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown client key(s): {', '.join(unknown)}")
    values = dict(data)
    if "redirect_uris" in values:
        values["redirect_uris"] = tuple(values["redirect_uris"])
    return OAuthClient(**values)
