"""A stateful GoHighLevel API v2 sandbox over real HTTP, for `make dev` and end-to-end tests.

It serves the GHL v2 operations this project uses, at the official spec's paths with the spec's
parameter names and response shapes, and behaves like GHL where it hurts: single-use rotating
refresh tokens, expiring tokens and codes, `Version` headers, token classes, per-location
access, rate limits, and faults on demand.

    from ghlsandbox import Sandbox, SandboxConfig, DEMO_LOCATION_ID

    with Sandbox(SandboxConfig(burst_limit=10)) as ghl:
        code = ghl.authorize()  # or walk through GET {ghl.url}/v2/oauth/chooselocation?...
        ...

Run it alone with `python -m ghlsandbox --port 8100` (see `__main__.py`).
"""

from __future__ import annotations

from ghlsandbox.config import ALL_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, OAuthClient, SandboxConfig
from ghlsandbox.data import (
    DEMO_CALENDAR_IDS,
    DEMO_CALL_PROVIDER_ID,
    DEMO_COMPANY_ID,
    DEMO_LOCATION_ID,
    DEMO_PIPELINE_IDS,
    DEMO_USER_ID,
    DEMO_USER_IDS,
    DEV_USER_EMAIL,
    DEV_USER_ID,
    DISCOVERY_CALENDAR_ID,
    LONG_CONVERSATION_ID,
    ONBOARDING_CALENDAR_ID,
    OTHER_CALENDAR_ID,
    OTHER_LOCATION_ID,
    OTHER_PIPELINE_ID,
    OTHER_USER_ID,
    PARTNERSHIPS_PIPELINE_ID,
    PRODUCT_DEMO_CALENDAR_ID,
    RENEWALS_PIPELINE_ID,
    RESEARCH_OPPORTUNITY_ID,
    SALES_PIPELINE_ID,
)
from ghlsandbox.faults import FaultRule
from ghlsandbox.routing import VERSION_2021_04_15, VERSION_2021_07_28
from ghlsandbox.server import Sandbox

__all__ = [
    "ALL_SCOPES",
    "DEMO_CALENDAR_IDS",
    "DEMO_CALL_PROVIDER_ID",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_COMPANY_ID",
    "DEMO_LOCATION_ID",
    "DEMO_PIPELINE_IDS",
    "DEMO_USER_ID",
    "DEMO_USER_IDS",
    "DEV_USER_EMAIL",
    "DEV_USER_ID",
    "DISCOVERY_CALENDAR_ID",
    "LONG_CONVERSATION_ID",
    "ONBOARDING_CALENDAR_ID",
    "OTHER_CALENDAR_ID",
    "OTHER_LOCATION_ID",
    "OTHER_PIPELINE_ID",
    "OTHER_USER_ID",
    "PARTNERSHIPS_PIPELINE_ID",
    "PRODUCT_DEMO_CALENDAR_ID",
    "RENEWALS_PIPELINE_ID",
    "RESEARCH_OPPORTUNITY_ID",
    "SALES_PIPELINE_ID",
    "VERSION_2021_04_15",
    "VERSION_2021_07_28",
    "FaultRule",
    "OAuthClient",
    "Sandbox",
    "SandboxConfig",
]
