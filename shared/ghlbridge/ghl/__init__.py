"""The GHL API v2 boundary: client, retry policy, typed errors, response models, OAuth endpoints.

Import from here (`from ghlbridge.ghl import GHLClient, GHLNotFoundError`). Nothing is built at
import time; `ghlbridge.factories.get_ghl_client()` builds the container's client on first use.
"""

from ghlbridge.ghl.client import (
    VERSION_2021_04_15,
    VERSION_2021_07_28,
    BearerAuth,
    GHLClient,
)
from ghlbridge.ghl.errors import (
    GHLBadRequestError,
    GHLConflictError,
    GHLConnectError,
    GHLError,
    GHLForbiddenError,
    GHLInvalidGrantError,
    GHLInvalidResponseError,
    GHLNotFoundError,
    GHLRateLimitError,
    GHLServerError,
    GHLStatusError,
    GHLTimeoutError,
    GHLTransportError,
    GHLUnauthorizedError,
    GHLUnprocessableError,
)
from ghlbridge.ghl.models import LocationTokenResponse, TokenResponse
from ghlbridge.ghl.oauth import OAuthAPI
from ghlbridge.ghl.retry import RateLimit, RetryPolicy, retry_delay

__all__ = [
    "VERSION_2021_04_15",
    "VERSION_2021_07_28",
    "BearerAuth",
    "GHLBadRequestError",
    "GHLClient",
    "GHLConflictError",
    "GHLConnectError",
    "GHLError",
    "GHLForbiddenError",
    "GHLInvalidGrantError",
    "GHLInvalidResponseError",
    "GHLNotFoundError",
    "GHLRateLimitError",
    "GHLServerError",
    "GHLStatusError",
    "GHLTimeoutError",
    "GHLTransportError",
    "GHLUnauthorizedError",
    "GHLUnprocessableError",
    "LocationTokenResponse",
    "OAuthAPI",
    "RateLimit",
    "RetryPolicy",
    "TokenResponse",
    "retry_delay",
]
