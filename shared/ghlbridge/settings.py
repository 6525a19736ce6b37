"""The one settings object. Built lazily (never at import) and cached per container.

Plain settings come from environment variables (the upper-cased field name); secrets come by
reference (a Secrets Manager secret id in `APP_SECRET_ID`, see `ghlbridge.secrets`) or, for local
runs only, straight from the environment.

A plain pydantic model read from `os.environ`, not pydantic-settings: that package costs about
40 ms of cold import (measured with `-X importtime`) for features we do not use (dotenv files,
nested sources, CLI parsing).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEFAULT_SCOPES = (
    "opportunities.readonly opportunities.write contacts.readonly contacts.write "
    "conversations.readonly conversations.write conversations/message.readonly conversations/message.write "
    "calendars.readonly calendars/events.readonly calendars/events.write oauth.readonly oauth.write users.readonly "
    "locations.readonly locations/customFields.readonly"
)

# GHL's published webhook keys (../shared/GHL-NOTES.md §7.2). Configurable: GHL rotates them.
GHL_ED25519_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
"""
GHL_RSA_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
"""


class Settings(BaseModel):
    """Every setting of the project. See the README's settings table."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_env(cls) -> Settings:
        """Each field from the environment variable of the same name, upper-cased."""
        return cls.model_validate(
            {name: os.environ[name.upper()] for name in cls.model_fields if name.upper() in os.environ}
        )

    # GHL
    ghl_base_url: str = "https://services.leadconnectorhq.com"
    ghl_client_id: str = ""
    ghl_authorize_host: str = "https://marketplace.gohighlevel.com"
    ghl_version_id: str | None = None
    ghl_scopes: str = DEFAULT_SCOPES
    ghl_redirect_uri: str = ""
    ghl_timeout_seconds: float = 10.0
    # Seconds of waiting on GHL 429s allowed per invocation; past it a request answers 429 rate_limited
    ghl_rate_limit_wait_seconds: float = Field(default=2.0, ge=0)
    ghl_webhook_ed25519_public_key: str = GHL_ED25519_PUBLIC_KEY
    ghl_webhook_rsa_public_key: str = GHL_RSA_PUBLIC_KEY
    webhook_max_age_seconds: int = 300

    # The toolkit front end
    toolkit_url: str = "http://localhost:5173"

    # The toolkit API (functions/opportunities, functions/outreach)
    ghl_call_provider_id: str = ""  # the app's Call conversation provider; empty: calls are logged as notes only
    booking_url_base: str = "https://api.leadconnectorhq.com/widget/booking"  # + "/<calendarId>"
    pipelines_cache_seconds: int = Field(default=300, ge=0)  # per container and location; 0 turns it off
    membership_cache_seconds: int = Field(default=60, ge=0, le=60)  # a membership that holds, per container
    users_cache_seconds: int = Field(default=300, ge=0)  # a location's GHL users, per container
    custom_fields_cache_seconds: int = Field(default=300, ge=0)  # a location's custom-field definitions
    calendars_cache_seconds: int = Field(default=300, ge=0)  # a location's calendars (their names)
    location_cache_seconds: int = Field(default=3600, ge=0)  # a location's name and time zone
    ghl_fanout_limit: int = Field(default=8, ge=1, le=32)  # GHL calls one request makes at once (research)
    idempotency_ttl_seconds: int = Field(default=86400, ge=60)  # how long a write's answer is replayed

    # Token store: "supabase" (PostgREST) in AWS, "sqlite" for local runs
    token_store: Literal["supabase", "sqlite"] = "supabase"  # noqa: S105 (a kind of store, not a secret)
    supabase_url: str = ""
    sqlite_path: str = ".dev/tokens.sqlite3"
    sqlite_busy_timeout_seconds: float = Field(default=10.0, gt=0)  # a write's wait for another writer's lock
    parking_queue_url: str = ""
    parking_dir: str = ".dev/parked"
    # EventBridge bus for "installation needs reauthorization" events; empty: a log line only (local runs)
    reauth_event_bus: str = ""

    # Caller authentication (Supabase Auth JWTs)
    supabase_jwt_audience: str = "authenticated"
    supabase_jwks_ttl_seconds: int = 600
    # Local runs only (`make dev`): the public key of the dev JWT signer. Ignored inside Lambda.
    dev_jwt_public_key: str = ""
    aws_lambda_function_name: str = ""  # set by the Lambda runtime

    # Refresh
    refresh_window_hours: float = 6.0
    refresh_leeway_seconds: int = 300
    refresh_lease_seconds: int = 30  # at most; on the request path it ends with the invocation's deadline
    refresh_settle_seconds: float = Field(default=5.0, gt=0)  # the lease left after an unknown refresh outcome
    refresh_concurrency: int = 4
    refresh_deadline_margin_seconds: float = 2.0

    # Secrets: by reference in AWS (APP_SECRET_ID), by value only for local runs
    app_secret_id: str = ""
    secrets_ttl_seconds: int = 300
    # Read by ghlbridge.secrets to call the Parameters and Secrets Lambda Extension (Lambda sets both)
    aws_session_token: SecretStr | None = None
    parameters_secrets_extension_http_port: int = 2773
    ghl_client_secret: SecretStr | None = None
    supabase_service_role_key: SecretStr | None = None
    supabase_jwt_secret: SecretStr | None = None
    state_signing_key: SecretStr | None = None
    token_keys: SecretStr | None = Field(
        default=None, description='JSON {"current": "<kid>", "keys": {"<kid>": "<base64 32 bytes>"}}'
    )

    # Observability
    enable_tracer: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """For tests: forget the cached settings (and everything built from them)."""
    get_settings.cache_clear()
