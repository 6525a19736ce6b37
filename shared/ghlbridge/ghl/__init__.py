"""The GHL API v2 boundary: client, retry policy, typed errors, response models, OAuth endpoints,
and the resource clients (opportunities, contacts, conversations, calendars, users, locations), which share
one small base that holds the client, the location's auth and their spec's `Version`
(`ghlbridge.ghl.resource.GHLResource`).

Import from here (`from ghlbridge.ghl import GHLClient, GHLNotFoundError`): names load their
submodule on first use (PEP 562), so a function that only needs the errors does not pay for every
resource model at cold start. Nothing is built at import time;
`ghlbridge.factories.get_ghl_client()` builds the container's client on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ghlbridge.ghl.calendars import (
        Appointment as Appointment,
    )
    from ghlbridge.ghl.calendars import (
        Calendar as Calendar,
    )
    from ghlbridge.ghl.calendars import (
        CalendarsAPI as CalendarsAPI,
    )
    from ghlbridge.ghl.client import (
        VERSION_2021_04_15 as VERSION_2021_04_15,
    )
    from ghlbridge.ghl.client import (
        VERSION_2021_07_28 as VERSION_2021_07_28,
    )
    from ghlbridge.ghl.client import (
        BearerAuth as BearerAuth,
    )
    from ghlbridge.ghl.client import (
        GHLClient as GHLClient,
    )
    from ghlbridge.ghl.contacts import (
        Contact as Contact,
    )
    from ghlbridge.ghl.contacts import (
        ContactAppointment as ContactAppointment,
    )
    from ghlbridge.ghl.contacts import (
        ContactCustomField as ContactCustomField,
    )
    from ghlbridge.ghl.contacts import (
        ContactsAPI as ContactsAPI,
    )
    from ghlbridge.ghl.contacts import (
        CustomFieldWrite as CustomFieldWrite,
    )
    from ghlbridge.ghl.contacts import (
        Note as Note,
    )
    from ghlbridge.ghl.contacts import (
        Task as Task,
    )
    from ghlbridge.ghl.conversations import (
        ConversationsAPI as ConversationsAPI,
    )
    from ghlbridge.ghl.conversations import (
        EmailMessage as EmailMessage,
    )
    from ghlbridge.ghl.conversations import (
        LoggedCall as LoggedCall,
    )
    from ghlbridge.ghl.conversations import (
        Message as Message,
    )
    from ghlbridge.ghl.conversations import (
        MessageMeta as MessageMeta,
    )
    from ghlbridge.ghl.conversations import (
        MessagePage as MessagePage,
    )
    from ghlbridge.ghl.conversations import (
        SentMessage as SentMessage,
    )
    from ghlbridge.ghl.errors import (
        GHLBadRequestError as GHLBadRequestError,
    )
    from ghlbridge.ghl.errors import (
        GHLConflictError as GHLConflictError,
    )
    from ghlbridge.ghl.errors import (
        GHLConnectError as GHLConnectError,
    )
    from ghlbridge.ghl.errors import (
        GHLError as GHLError,
    )
    from ghlbridge.ghl.errors import (
        GHLForbiddenError as GHLForbiddenError,
    )
    from ghlbridge.ghl.errors import (
        GHLInvalidGrantError as GHLInvalidGrantError,
    )
    from ghlbridge.ghl.errors import (
        GHLInvalidResponseError as GHLInvalidResponseError,
    )
    from ghlbridge.ghl.errors import (
        GHLLocationAccessError as GHLLocationAccessError,
    )
    from ghlbridge.ghl.errors import (
        GHLNotFoundError as GHLNotFoundError,
    )
    from ghlbridge.ghl.errors import (
        GHLRateLimitError as GHLRateLimitError,
    )
    from ghlbridge.ghl.errors import (
        GHLRecordNotFoundError as GHLRecordNotFoundError,
    )
    from ghlbridge.ghl.errors import (
        GHLRejectedError as GHLRejectedError,
    )
    from ghlbridge.ghl.errors import (
        GHLRequestRejectedError as GHLRequestRejectedError,
    )
    from ghlbridge.ghl.errors import (
        GHLScopeError as GHLScopeError,
    )
    from ghlbridge.ghl.errors import (
        GHLServerError as GHLServerError,
    )
    from ghlbridge.ghl.errors import (
        GHLSlotUnavailableError as GHLSlotUnavailableError,
    )
    from ghlbridge.ghl.errors import (
        GHLStatusError as GHLStatusError,
    )
    from ghlbridge.ghl.errors import (
        GHLTimeoutError as GHLTimeoutError,
    )
    from ghlbridge.ghl.errors import (
        GHLTokenRejectedError as GHLTokenRejectedError,
    )
    from ghlbridge.ghl.errors import (
        GHLTransportError as GHLTransportError,
    )
    from ghlbridge.ghl.errors import (
        GHLUnauthorizedError as GHLUnauthorizedError,
    )
    from ghlbridge.ghl.errors import (
        GHLUnprocessableError as GHLUnprocessableError,
    )
    from ghlbridge.ghl.locations import (
        CustomFieldDefinition as CustomFieldDefinition,
    )
    from ghlbridge.ghl.locations import (
        Location as Location,
    )
    from ghlbridge.ghl.locations import (
        LocationsAPI as LocationsAPI,
    )
    from ghlbridge.ghl.models import (
        LocationTokenResponse as LocationTokenResponse,
    )
    from ghlbridge.ghl.models import (
        TokenResponse as TokenResponse,
    )
    from ghlbridge.ghl.oauth import (
        OAuthAPI as OAuthAPI,
    )
    from ghlbridge.ghl.opportunities import (
        OpportunitiesAPI as OpportunitiesAPI,
    )
    from ghlbridge.ghl.opportunities import (
        Opportunity as Opportunity,
    )
    from ghlbridge.ghl.opportunities import (
        OpportunityContact as OpportunityContact,
    )
    from ghlbridge.ghl.opportunities import (
        OpportunityCursor as OpportunityCursor,
    )
    from ghlbridge.ghl.opportunities import (
        OpportunityCustomField as OpportunityCustomField,
    )
    from ghlbridge.ghl.opportunities import (
        OpportunityPage as OpportunityPage,
    )
    from ghlbridge.ghl.opportunities import (
        OpportunityPageMeta as OpportunityPageMeta,
    )
    from ghlbridge.ghl.opportunities import (
        Pipeline as Pipeline,
    )
    from ghlbridge.ghl.opportunities import (
        PipelineStage as PipelineStage,
    )
    from ghlbridge.ghl.retry import (
        RateLimit as RateLimit,
    )
    from ghlbridge.ghl.retry import (
        RetryPolicy as RetryPolicy,
    )
    from ghlbridge.ghl.retry import (
        retry_delay as retry_delay,
    )
    from ghlbridge.ghl.users import (
        User as User,
    )
    from ghlbridge.ghl.users import (
        UsersAPI as UsersAPI,
    )

_EXPORTS = {
    "Appointment": "ghlbridge.ghl.calendars",
    "BearerAuth": "ghlbridge.ghl.client",
    "Calendar": "ghlbridge.ghl.calendars",
    "CalendarsAPI": "ghlbridge.ghl.calendars",
    "Contact": "ghlbridge.ghl.contacts",
    "ContactAppointment": "ghlbridge.ghl.contacts",
    "ContactCustomField": "ghlbridge.ghl.contacts",
    "ContactsAPI": "ghlbridge.ghl.contacts",
    "ConversationsAPI": "ghlbridge.ghl.conversations",
    "CustomFieldDefinition": "ghlbridge.ghl.locations",
    "CustomFieldWrite": "ghlbridge.ghl.contacts",
    "EmailMessage": "ghlbridge.ghl.conversations",
    "GHLBadRequestError": "ghlbridge.ghl.errors",
    "GHLLocationAccessError": "ghlbridge.ghl.errors",
    "GHLRecordNotFoundError": "ghlbridge.ghl.errors",
    "GHLRejectedError": "ghlbridge.ghl.errors",
    "GHLRequestRejectedError": "ghlbridge.ghl.errors",
    "GHLSlotUnavailableError": "ghlbridge.ghl.errors",
    "GHLClient": "ghlbridge.ghl.client",
    "GHLConflictError": "ghlbridge.ghl.errors",
    "GHLConnectError": "ghlbridge.ghl.errors",
    "GHLError": "ghlbridge.ghl.errors",
    "GHLForbiddenError": "ghlbridge.ghl.errors",
    "GHLInvalidGrantError": "ghlbridge.ghl.errors",
    "GHLInvalidResponseError": "ghlbridge.ghl.errors",
    "GHLNotFoundError": "ghlbridge.ghl.errors",
    "GHLRateLimitError": "ghlbridge.ghl.errors",
    "GHLServerError": "ghlbridge.ghl.errors",
    "GHLStatusError": "ghlbridge.ghl.errors",
    "GHLTimeoutError": "ghlbridge.ghl.errors",
    "GHLTransportError": "ghlbridge.ghl.errors",
    "GHLScopeError": "ghlbridge.ghl.errors",
    "GHLTokenRejectedError": "ghlbridge.ghl.errors",
    "GHLUnauthorizedError": "ghlbridge.ghl.errors",
    "GHLUnprocessableError": "ghlbridge.ghl.errors",
    "Location": "ghlbridge.ghl.locations",
    "LocationTokenResponse": "ghlbridge.ghl.models",
    "LocationsAPI": "ghlbridge.ghl.locations",
    "LoggedCall": "ghlbridge.ghl.conversations",
    "Message": "ghlbridge.ghl.conversations",
    "MessageMeta": "ghlbridge.ghl.conversations",
    "MessagePage": "ghlbridge.ghl.conversations",
    "Note": "ghlbridge.ghl.contacts",
    "OAuthAPI": "ghlbridge.ghl.oauth",
    "OpportunitiesAPI": "ghlbridge.ghl.opportunities",
    "Opportunity": "ghlbridge.ghl.opportunities",
    "OpportunityContact": "ghlbridge.ghl.opportunities",
    "OpportunityCursor": "ghlbridge.ghl.opportunities",
    "OpportunityCustomField": "ghlbridge.ghl.opportunities",
    "OpportunityPage": "ghlbridge.ghl.opportunities",
    "OpportunityPageMeta": "ghlbridge.ghl.opportunities",
    "Pipeline": "ghlbridge.ghl.opportunities",
    "PipelineStage": "ghlbridge.ghl.opportunities",
    "RateLimit": "ghlbridge.ghl.retry",
    "RetryPolicy": "ghlbridge.ghl.retry",
    "SentMessage": "ghlbridge.ghl.conversations",
    "Task": "ghlbridge.ghl.contacts",
    "TokenResponse": "ghlbridge.ghl.models",
    "User": "ghlbridge.ghl.users",
    "UsersAPI": "ghlbridge.ghl.users",
    "VERSION_2021_04_15": "ghlbridge.ghl.client",
    "VERSION_2021_07_28": "ghlbridge.ghl.client",
    "retry_delay": "ghlbridge.ghl.retry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
