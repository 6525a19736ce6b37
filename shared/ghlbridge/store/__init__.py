"""The token store: one contract (`TokenStore`), two implementations (Supabase via PostgREST, SQLite)."""

from ghlbridge.store.base import (
    Installation,
    InstallationKind,
    InstallationStatus,
    LocationAccess,
    MemberChange,
    MemberOutcome,
    MemberRole,
    Membership,
    StoreUnavailableError,
    TokenStore,
)

__all__ = [
    "Installation",
    "InstallationKind",
    "InstallationStatus",
    "LocationAccess",
    "MemberChange",
    "MemberOutcome",
    "MemberRole",
    "Membership",
    "StoreUnavailableError",
    "TokenStore",
]
