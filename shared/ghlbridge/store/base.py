"""The token-store contract shared by the Supabase (PostgREST) store and the embedded SQLite store.

Tokens cross this boundary already encrypted (`ghlbridge.crypto`): a store never sees plaintext.
Every operation that must be atomic is one call (one SQL function in Supabase, one transaction in
SQLite), so two containers can never both hold a refresh lease or both consume an OAuth state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


def canonical_user_id(user_id: str) -> str | None:
    """Supabase Auth user ids are UUIDs (the columns are `uuid`); any other string names nobody."""
    try:
        return str(uuid.UUID(user_id))
    except ValueError:
        return None


def required_user_id(user_id: str) -> str:
    if (canonical := canonical_user_id(user_id)) is None:
        raise ValueError("user_id must be a Supabase Auth user id (a UUID)")
    return canonical


class StoreUnavailableError(Exception):
    """The store could not be reached or did not answer; the operation's outcome is unknown."""


class InstallationKind(StrEnum):
    LOCATION = "location"
    COMPANY = "company"


class InstallationStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    UNINSTALLED = "uninstalled"


class Installation(BaseModel):
    """One GHL app installation: a Location (sub-account) or a Company (agency).

    `id` is the GHL locationId or companyId. `generation` increases by one on every stored token
    change; `complete_refresh` is a compare-and-swap on it.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    kind: InstallationKind
    user_type: str
    company_id: str | None = None
    name: str | None = None
    scopes: list[str] = []
    approved_locations: list[str] = []
    access_token_enc: str | None = None
    refresh_token_enc: str | None = None
    expires_at: datetime | None = None
    status: InstallationStatus = InstallationStatus.ACTIVE
    reauth_reason: str | None = None
    reauth_at: datetime | None = None
    lease_holder: str | None = None
    lease_expires_at: datetime | None = None
    generation: int = 0
    installed_by: str | None = None
    uninstalled_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __repr__(self) -> str:  # never print the ciphertexts either
        state = f"kind={self.kind.value}, status={self.status.value}, gen={self.generation}"
        return f"Installation(id={self.id!r}, {state})"

    __str__ = __repr__


class Membership(BaseModel):
    model_config = ConfigDict(frozen=True)

    location_id: str
    user_id: str
    role: str


class IdempotencyStatus(StrEnum):
    """Powertools Idempotency's record states (EXPIRED is derived from the expiry, never stored by it)."""

    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"


class IdempotencyRecord(BaseModel):
    """One idempotency key and what is known of the execution that holds it.

    `key` is namespaced by the caller (function, user, location, Idempotency-Key header, hashed).
    `expires_at` ends the record's life; `in_progress_expires_at` is the deadline of the invocation
    that wrote an INPROGRESS record, after which the key may be taken over. `response_data` is the
    serialized response (kept out of the repr: it can hold a contact's details).
    """

    model_config = ConfigDict(frozen=True)

    key: str
    status: IdempotencyStatus
    expires_at: datetime
    in_progress_expires_at: datetime | None = None
    response_data: str | None = Field(default=None, repr=False)
    payload_hash: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TokenStore(Protocol):
    """The operations the app needs. All times are timezone-aware UTC datetimes (a naive one is
    refused with ValueError). User ids are Supabase Auth user ids (UUIDs): writes refuse any
    other string with ValueError; reads find nothing for it."""

    # --- installations -------------------------------------------------------------------
    def save_installation(self, inst: Installation) -> Installation:
        """Insert or replace an installation after an OAuth code exchange (a fresh install or a
        reinstall): tokens, scopes, status `active`, lease cleared, generation + 1. Returns the row."""
        ...

    def get_installation(self, installation_id: str) -> Installation | None: ...

    def find_company_for_location(self, location_id: str) -> Installation | None:
        """The active Company installation whose approved locations include this location."""
        ...

    def list_expiring(self, before: datetime) -> list[str]:
        """Ids of active installations holding a refresh token whose access token expires before
        `before`, soonest expiry first."""
        ...

    # --- the refresh protocol --------------------------------------------------------------
    def claim_refresh_lease(self, installation_id: str, holder: str, ttl_seconds: float) -> Installation | None:
        """Take the refresh lease if nobody holds an unexpired one (or `holder` already does).
        Returns the installation as of the claim, or None when someone else holds the lease
        (or the installation does not exist). Expiry is judged by the store's clock; the status is
        not checked (the caller reads it from the returned row). `ttl_seconds` > 0."""
        ...

    def complete_refresh(
        self,
        installation_id: str,
        holder: str,
        expected_generation: int,
        access_token_enc: str,
        refresh_token_enc: str | None,
        expires_at: datetime,
        scopes: list[str] | None = None,
    ) -> Installation | None:
        """Compare-and-swap: store the rotated pair only if the generation is still
        `expected_generation` and `holder` still holds the lease (even an expired one nobody took
        over); generation + 1, lease released, status `active`. None if the generation moved on
        or the lease changed hands (nothing written). A None refresh token or scopes keeps the
        stored one (RFC 6749 §6)."""
        ...

    def release_lease(self, installation_id: str, holder: str) -> None:
        """Give the lease back without changing tokens (only if `holder` holds it)."""
        ...

    def mark_needs_reauth(self, installation_id: str, expected_generation: int, reason: str) -> bool:
        """Set status `needs_reauth` with reason and time, only if the generation is still
        `expected_generation` (a concurrent rotation wins). Never deletes. Releases the lease.
        The generation does not change (the tokens did not), so a pair parked from it can still be
        restored; an uninstalled installation stays uninstalled (False)."""
        ...

    def restore_parked(
        self,
        installation_id: str,
        parked_generation: int,
        access_token_enc: str,
        refresh_token_enc: str | None,
        expires_at: datetime,
    ) -> bool:
        """Write back a pair that was parked after GHL rotated it and the save failed. The pair
        replaces the stored one only if the stored generation is still `parked_generation` (the
        generation the pair was refreshed from) and it is not uninstalled; generation + 1, status
        `active`, lease released, a None refresh token keeps the stored one. True if written."""
        ...

    # --- uninstall ---------------------------------------------------------------------------
    def uninstall(self, installation_id: str) -> bool:
        """Remove the installation's tokens, set status `uninstalled` and record the time. True if
        it existed. Generation + 1 and lease released: no in-flight refresh or parked pair can
        write tokens back."""
        ...

    # --- members -----------------------------------------------------------------------------
    def add_member(self, location_id: str, user_id: str, role: str) -> None:
        """Idempotent: insert or update the role."""
        ...

    def get_membership(self, location_id: str, user_id: str) -> Membership | None: ...

    def list_memberships(self, user_id: str) -> list[Membership]: ...

    # --- OAuth states and webhook receipts ---------------------------------------------------
    def create_oauth_state(self, nonce: str, user_id: str, expires_at: datetime) -> None:
        """A nonce that exists already is left as it is: a state is never rebound to another user."""
        ...

    def consume_oauth_state(self, nonce: str, user_id: str) -> bool:
        """True exactly once for an existing, unexpired state of this user; False otherwise
        (another user's attempt does not use the state up)."""
        ...

    def record_webhook(self, webhook_id: str, event_type: str) -> bool:
        """True the first time this webhook id is seen, False for a replay."""
        ...

    # --- idempotency records -------------------------------------------------------------------
    def put_idempotency_record(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Atomically insert `record` unless a live record holds its key. None: stored, the caller
        owns the key. Otherwise the live record, and nothing was written (the caller answers from
        it: its response if COMPLETED, "already in progress" if INPROGRESS).

        A record in the way is dead, and is replaced (fresh `created_at`, no response), when its
        `expires_at` has passed, or when it is INPROGRESS and its `in_progress_expires_at` has
        passed (the invocation that wrote it died). The store's clock decides. Of any number of
        concurrent puts on one key, exactly one stores. `record.response_data` is not stored."""
        ...

    def get_idempotency_record(self, key: str) -> IdempotencyRecord | None:
        """The record as stored, even if expired (the caller judges), or None."""
        ...

    def update_idempotency_record(
        self, key: str, status: IdempotencyStatus, expires_at: datetime, response_data: str | None
    ) -> bool:
        """Set the status, response and expiry of an existing key (nothing else changes). True if
        the key exists; a missing key is not created."""
        ...

    def delete_idempotency_record(self, key: str) -> bool:
        """Free the key, whatever its state. True if it existed."""
        ...
