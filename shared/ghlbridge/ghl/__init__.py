"""The GHL API v2 boundary: client, retry policy, typed errors, response models, OAuth endpoints,
and the resource clients (opportunities, contacts, conversations, calendars).

Import from here (`from ghlbridge.ghl import GHLClient, GHLNotFoundError`). Nothing is built at
import time; `ghlbridge.factories.get_ghl_client()` builds the container's client on first use.
"""

from ghlbridge.ghl.calendars import CalendarsAPI
from ghlbridge.ghl.client import (
    VERSION_2021_04_15,
    VERSION_2021_07_28,
    BearerAuth,
    GHLClient,
)
from ghlbridge.ghl.contacts import ContactsAPI
from ghlbridge.ghl.conversations import ConversationsAPI
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
from ghlbridge.ghl.opportunities import OpportunitiesAPI
from ghlbridge.ghl.resources_models import (
    Appointment,
    Calendar,
    Contact,
    ContactCustomField,
    LoggedCall,
    Note,
    Opportunity,
    OpportunityContact,
    OpportunityCursor,
    OpportunityCustomField,
    OpportunityPage,
    OpportunityPageMeta,
    Pipeline,
    PipelineStage,
    SentMessage,
)
from ghlbridge.ghl.retry import RateLimit, RetryPolicy, retry_delay

__all__ = [
    "VERSION_2021_04_15",
    "VERSION_2021_07_28",
    "Appointment",
    "BearerAuth",
    "Calendar",
    "CalendarsAPI",
    "Contact",
    "ContactCustomField",
    "ContactsAPI",
    "ConversationsAPI",
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
    "LoggedCall",
    "Note",
    "OAuthAPI",
    "OpportunitiesAPI",
    "Opportunity",
    "OpportunityContact",
    "OpportunityCursor",
    "OpportunityCustomField",
    "OpportunityPage",
    "OpportunityPageMeta",
    "Pipeline",
    "PipelineStage",
    "RateLimit",
    "RetryPolicy",
    "SentMessage",
    "TokenResponse",
    "retry_delay",
]
