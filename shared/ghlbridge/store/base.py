"""The token-store contract shared by the Supabase (PostgREST) store and the embedded SQLite store.

Tokens cross this boundary already encrypted (`ghlbridge.tokens.crypto`): a store never sees plaintext.
Every operation that must be atomic is one call (one SQL function in Supabase, one transaction in
SQLite), so two containers can never both hold a refresh lease or both consume an OAuth state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

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


MAX_LIVE_OAUTH_STATES = 20
"""A user's unused, unexpired OAuth states kept by `create_oauth_state` (the newest ones)."""

MAX_LOCATION_NAME = 200
"""The longest location name the store keeps (in characters, after trimming); a longer one is cut."""

MAX_PURGE_BATCH = 10_000
"""The most rows one purge call may delete (the SQL functions clamp to it as well)."""


def location_name(name: str) -> str:
    """`name` as the store keeps it: trimmed, cut to `MAX_LOCATION_NAME` characters (and trimmed
    again). ValueError when nothing is left, or for what no store can hold as text (a NUL, a lone
    surrogate)."""
    kept = name.strip()[:MAX_LOCATION_NAME].rstrip()
    if not kept:
        raise ValueError("a location name is not empty")
    if "\x00" in kept:
        raise ValueError("a location name holds no NUL character")
    kept.encode()  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return kept


def purge_limit(limit: int) -> int:
    """`limit` if it is a valid purge batch size, else ValueError."""
    if not 1 <= limit <= MAX_PURGE_BATCH:
        raise ValueError(f"a purge batch is 1 to {MAX_PURGE_BATCH} rows")
    return limit


class StoreUnavailableError(Exception):
    """The store could not be reached or did not answer; the operation's outcome is unknown."""


class InstallationKind(StrEnum):
    LOCATION = "location"
    COMPANY = "company"


class InstallationStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    UNINSTALLED = "uninstalled"


class MemberRole(StrEnum):
    """Owners manage the location's members; members use the toolkit on it."""

    OWNER = "owner"
    MEMBER = "member"


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
    installed_at: datetime | None = None  # set by `save_installation` only (an install or reinstall)
    uninstalled_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __repr__(self) -> str:  # never print the ciphertexts either
        state = f"kind={self.kind.value}, status={self.status.value}, gen={self.generation}"
        return f"Installation(id={self.id!r}, {state})"

    __str__ = __repr__


class Membership(BaseModel):
    """A toolkit user's access to one location. `ghl_user_id` links them to a GHL user of the
    location (what they write shows in GHL as that user's); `added_by` is the owner who added them
    (the user themself when they completed the install)."""

    model_config = ConfigDict(frozen=True)

    location_id: str
    user_id: str
    role: MemberRole
    ghl_user_id: str | None = None
    added_by: str | None = None
    added_at: datetime | None = None


MemberOutcome = Literal["created", "exists", "role_differs", "updated", "removed", "not_found", "forbidden",
                        "last_owner", "ghl_user_taken"]  # fmt: skip
"""What a guarded member write did (see the `Store` member operations for which can answer what)."""


class MemberChange(BaseModel):
    """The outcome of a guarded member write, and the member as it stands afterwards (None when
    there is none: removed, not found, or refused before reading it)."""

    model_config = ConfigDict(frozen=True)

    outcome: MemberOutcome
    member: Membership | None = None


class LocationAccess(BaseModel):
    """One location a user is a member of, with the installation that serves it: the location's own
    (unless uninstalled), else the newest active Company installation that approved it; None when
    neither exists. `name`: the location's name as stored by `set_location_name`, None until then
    (the locations still to name are those with a None `name`)."""

    model_config = ConfigDict(frozen=True)

    membership: Membership
    installation: Installation | None = None
    name: str | None = None


class IdempotencyStatus(StrEnum):
    """Powertools Idempotency's record states (EXPIRED is derived from the expiry, never stored by it)."""

    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"


class IdempotencyRecord(BaseModel):
    """One idempotency key and what is known of the execution that holds it.

    `key` is namespaced by the caller (function, user, location, Idempotency-Key header, hashed).
    `expires_at` ends the record's life; `in_progress_expires_at` is the deadline of the invocation
    that wrote an INPROGRESS record. Past it, the record is not taken over (that invocation may have
    sent before it died): the store reports it with `in_progress_expired` (its own clock decides;
    never written by a caller), and the caller may only settle it (`settle_idempotency_record`).
    `response_data` is the serialized response as the caller gives it (the app stores it encrypted;
    kept out of the repr either way).
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
    in_progress_expired: bool = False  # set by the store on a read: INPROGRESS past `in_progress_expires_at`


class InstallationStore(Protocol):
    """Installations and their tokens: save, read, the refresh protocol, uninstall."""

    # --- installations -------------------------------------------------------------------
    def save_installation(self, inst: Installation) -> Installation:
        """Insert or replace an installation after an OAuth code exchange (a fresh install or a
        reinstall): tokens, scopes, status `active`, lease cleared, generation + 1, `installed_at`
        now (the store's clock). Grants nothing to anybody (see `redeem_install_ticket`); the names
        of its locations (`set_location_name`) stay. Returns the row."""
        ...

    def get_installation(self, installation_id: str) -> Installation | None: ...

    def get_token_source(self, location_id: str) -> Installation | None:
        """The installation whose token serves the LOCATION `location_id`: its own Location
        installation unless uninstalled (whatever else its status), else the newest active Company
        installation whose approved locations include it (`updated_at` desc, then id); None when
        neither exists. An id that names a Company installation is not a location: None for it
        (unless an active company approved a location of that id). One round trip."""
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
        write tokens back. In the same transaction, every membership the installation served ends:
        for a Location installation, the memberships of that location; for a Company installation,
        those of each approved location that no other installation still serves (its own active or
        needs_reauth Location installation, or another active Company installation approving it).
        Pending install tickets of the installation are void from then on (see `redeem_install_ticket`).
        The name of each of its locations (the location itself, or each approved location) that no
        installation covers any more (as `set_location_name` judges it) is deleted, also in the same
        transaction: a reinstall asks GHL for it again."""
        ...

    # --- locations -----------------------------------------------------------------------------
    def set_location_name(self, location_id: str, name: str) -> bool:
        """Store (or replace) the name of the LOCATION `location_id`, as `location_name` keeps it
        (ValueError when it leaves nothing). One location has one name, whichever installation
        serves it; `list_locations` shows it. False, and nothing stored, when the store knows no
        such location: no installation that is not uninstalled covers it (its own Location
        installation, or a Company installation whose approved locations include it)."""
        ...


class AccessStore(Protocol):
    """Who may act on which location: members, and the install tickets that make the first owner."""

    # --- members -----------------------------------------------------------------------------
    def add_member(
        self, location_id: str, user_id: str, role: MemberRole, *, added_by: str | None = None
    ) -> Membership:
        """Unguarded insert-or-update of the role (seeding, tests, tools): the routes use the guarded
        operations below. Returns the member as stored."""
        ...

    def get_membership(self, location_id: str, user_id: str) -> Membership | None: ...

    def list_members(self, location_id: str) -> list[Membership]:
        """Every member of the location, oldest first (`added_at`, then user id)."""
        ...

    def list_locations(self, user_id: str) -> list[LocationAccess]:
        """Every location the user is a member of (ordered by location id), each with the
        installation that serves it as `get_token_source` would pick it, and its name. One round trip."""
        ...

    def put_member(self, location_id: str, actor: str, user_id: str, role: MemberRole) -> MemberChange:
        """Add `user_id` with `role`, if `actor` is an owner of the location (checked in the same
        transaction). Outcomes: `created` (inserted, `added_by` = actor), `exists` (already a member
        with this role: nothing changed), `role_differs` (a member with another role: nothing
        changed), `forbidden` (actor is not an owner: nothing read or written, member None)."""
        ...

    def set_member_role(self, location_id: str, actor: str, user_id: str, role: MemberRole) -> MemberChange:
        """Change a member's role, if `actor` is an owner. Outcomes: `updated` (also when the role
        was already `role`), `not_found`, `forbidden`, `last_owner` (demoting the only owner:
        nothing changed). Concurrent demotions of the last two owners cannot both succeed."""
        ...

    def remove_member(self, location_id: str, actor: str, user_id: str) -> MemberChange:
        """End a membership, if `actor` is an owner or is `user_id` (a member may leave).
        Outcomes: `removed` (member: the removed row), `not_found`, `forbidden`, `last_owner`
        (the only owner cannot leave or be removed: nothing changed). Concurrent removals of the
        last two owners cannot both succeed."""
        ...

    def link_member(self, location_id: str, actor: str, user_id: str, ghl_user_id: str | None) -> MemberChange:
        """Link the member to a GHL user of the location (None unlinks), if `actor` is an owner or
        is `user_id` (whether that GHL user is theirs is the caller's to check first). Outcomes:
        `updated`, `not_found`, `forbidden`, `ghl_user_taken` (another member of the location is
        linked to that GHL user: nothing changed)."""
        ...

    # --- install tickets ---------------------------------------------------------------------
    def create_install_ticket(self, ticket_hash: str, user_id: str, installation_id: str, expires_at: datetime) -> bool:
        """Remember a single-use ticket (its SHA-256, never the ticket) that lets `user_id` finish the
        install of `installation_id` as stored now: it is bound to the installation's current
        `installed_at`, so a later uninstall or reinstall voids it. False (nothing stored) when the
        installation does not exist or the hash is taken."""
        ...

    def redeem_install_ticket(self, ticket_hash: str, user_id: str) -> list[str] | None:
        """Atomically: if the ticket exists, is unused, unexpired (store clock), belongs to
        `user_id`, and its installation is not uninstalled and still has the `installed_at` the
        ticket was bound to, mark it used and make `user_id` an owner (`added_by` = user_id; an
        existing member is promoted, keeping their link) of the installation's locations: the
        location itself, or each approved location of a Company installation. Returns those
        location ids (sorted). Otherwise None and nothing changes: another user's attempt does not
        use the ticket up."""
        ...

    def purge_install_tickets(self, limit: int) -> int:
        """Install tickets that were used or have expired."""
        ...


class ReceiptStore(Protocol):
    """What proves a request once: OAuth states and webhook receipts."""

    # --- OAuth states and webhook receipts ---------------------------------------------------
    def create_oauth_state(self, nonce: str, user_id: str, expires_at: datetime) -> None:
        """A nonce that exists already is left as it is: a state is never rebound to another user.
        In the same transaction, the user's live (unused, unexpired by the store's clock) states
        beyond the `MAX_LIVE_OAUTH_STATES` newest are deleted: creating one more removes the
        oldest. Concurrent creates by one user run one after the other, so none can leave more."""
        ...

    def consume_oauth_state(self, nonce: str, user_id: str) -> bool:
        """True exactly once for an existing, unexpired state of this user; False otherwise
        (another user's attempt does not use the state up)."""
        ...

    def record_webhook(self, webhook_id: str, event_type: str) -> bool:
        """True the first time this webhook id is seen, False for a replay."""
        ...

    # --- purge (the daily PurgeFunction, `ghlbridge.store.purge`) -------------------------------------
    # Each deletes at most `limit` rows (1 to `MAX_PURGE_BATCH`, else ValueError) of one kind that
    # the store's clock says are no longer needed, and returns how many it deleted. Rows another
    # transaction is writing at that moment are left for the next call.
    def purge_oauth_states(self, limit: int) -> int:
        """OAuth states that were used or have expired."""
        ...

    def purge_webhook_receipts(self, older_than_seconds: float, limit: int) -> int:
        """Webhook receipts received more than `older_than_seconds` (>= 0, else ValueError) ago."""
        ...


class IdempotencyStore(Protocol):
    """The idempotency records of the toolkit's writes (`ghlbridge.idempotency`)."""

    # --- idempotency records -------------------------------------------------------------------
    def put_idempotency_record(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Atomically insert `record` unless a record holds its key. None: stored, the caller owns
        the key. Otherwise the record in the way, and nothing was written: the caller answers from
        it (its response if COMPLETED, "already in progress" if INPROGRESS), or, when it comes back
        with `in_progress_expired` (INPROGRESS, its invocation's deadline passed: it may have sent
        before it died), settles it (`settle_idempotency_record`) instead of running again.

        Only a record whose `expires_at` has passed (the key's time to live is over, whatever its
        status) is replaced (fresh `created_at`, no response). The store's clock decides. Of any
        number of concurrent puts on one key, exactly one stores. `record.response_data` and
        `record.in_progress_expired` are not stored."""
        ...

    def get_idempotency_record(self, key: str) -> IdempotencyRecord | None:
        """The record as stored, even if expired (the caller judges; `in_progress_expired` is set
        as by `put_idempotency_record`), or None."""
        ...

    def update_idempotency_record(
        self, key: str, status: IdempotencyStatus, expires_at: datetime, response_data: str | None
    ) -> bool:
        """Complete the execution holding `key`: set the status, response and expiry of its
        INPROGRESS record (nothing else changes). True if it did; False if the key is missing or
        no longer in progress (settled meanwhile: its answer stays). Never creates a key."""
        ...

    def settle_idempotency_record(
        self, key: str, created_at: datetime, expires_at: datetime, response_data: str
    ) -> IdempotencyRecord | None:
        """Answer for an invocation that died in flight: compare-and-swap the record of `key` to
        COMPLETED with `response_data` and `expires_at`, if it is still the INPROGRESS record
        created at `created_at` and its in-progress expiry has passed (store's clock). Returns the
        record as it stands afterwards (ours, or the one a concurrent settle or completion wrote),
        or None if the key is gone. Of concurrent settles on one record, exactly one writes."""
        ...

    def delete_idempotency_record(self, key: str) -> bool:
        """Free the key, whatever its state. True if it existed."""
        ...

    def purge_idempotency_records(self, limit: int) -> int:
        """Records whose `expires_at` has passed. An INPROGRESS record whose in-progress expiry has
        passed but whose `expires_at` has not stays."""
        ...


class Store(InstallationStore, AccessStore, ReceiptStore, IdempotencyStore, Protocol):
    """The operations the app needs. All times are timezone-aware UTC datetimes (a naive one is
    refused with ValueError). User ids are Supabase Auth user ids (UUIDs): writes refuse any
    other string with ValueError; reads find nothing for it (`redeem_install_ticket`: None). The
    guarded member writes never raise for one: such an actor is `forbidden`, and such a user (when
    the actor may act) `not_found`, `put_member` included."""
