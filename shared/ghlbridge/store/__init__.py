"""The token store: one contract (`Store`), two implementations (Supabase via PostgREST, SQLite)."""

from ghlbridge.store.base import (
    AccessStore,
    IdempotencyStore,
    Installation,
    InstallationKind,
    InstallationStatus,
    InstallationStore,
    LocationAccess,
    MemberChange,
    MemberOutcome,
    MemberRole,
    Membership,
    ReceiptStore,
    Store,
    StoreUnavailableError,
)

__all__ = [
    "AccessStore",
    "IdempotencyStore",
    "Installation",
    "InstallationKind",
    "InstallationStatus",
    "InstallationStore",
    "LocationAccess",
    "MemberChange",
    "MemberOutcome",
    "MemberRole",
    "Membership",
    "ReceiptStore",
    "Store",
    "StoreUnavailableError",
]
