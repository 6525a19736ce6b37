"""The embedded token store for local runs: one SQLite file, the Supabase store's semantics.

Several threads and processes (`sam local` containers, a dev server, a refresh run) may share the
file, so nothing is cached in memory and nothing is decided from a previous read:

* a connection per call: no connection crosses a thread or a fork;
* every write is `BEGIN IMMEDIATE` + one conditional statement (UPDATE ... WHERE, or INSERT ...
  ON CONFLICT) + COMMIT. IMMEDIATE takes the write lock up front, so a writer waits in the busy
  handler instead of failing on a lock upgrade, and the WHERE clause is the compare-and-swap;
* WAL mode, so readers never block the writer, and a busy timeout for writers queued behind one.

Times are stored as fixed-width ISO-8601 UTC text (`2026-11-28T15:35:00.000000+00:00`), so
comparing the strings compares the instants; lease expiry uses this machine's wall clock in UTC.
Arrays are JSON text. The schema mirrors `supabase/migrations/*.sql`; a file made by an older
version is upgraded in place when opened (`_upgrade`).

Every guarded member write and the redeem of an install ticket is one IMMEDIATE transaction: the
write lock is taken before the actor's ownership is read, so no other write can slip between the
check and the write (what the Supabase functions get by locking the location's owner rows).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ghlbridge.store.base import (
    MAX_LIVE_OAUTH_STATES,
    IdempotencyRecord,
    IdempotencyStatus,
    Installation,
    LocationAccess,
    MemberChange,
    MemberOutcome,
    MemberRole,
    Membership,
    StoreUnavailableError,
    canonical_user_id,
    location_name,
    purge_limit,
    required_user_id,
)

__all__ = ["SQLiteStore"]

BUSY_TIMEOUT_SECONDS = 10.0

# Primary result codes that mean "the file cannot be used now", as opposed to a bug in a query.
_UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
                sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_READONLY}  # fmt: skip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS installations (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('location', 'company')),
    user_type          TEXT NOT NULL,
    company_id         TEXT,
    name               TEXT,
    scopes             TEXT NOT NULL DEFAULT '[]',
    approved_locations TEXT NOT NULL DEFAULT '[]',
    access_token_enc   TEXT,
    refresh_token_enc  TEXT,
    expires_at         TEXT,
    status             TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'needs_reauth', 'uninstalled')),
    reauth_reason      TEXT,
    reauth_at          TEXT,
    lease_holder       TEXT,
    lease_expires_at   TEXT,
    generation         INTEGER NOT NULL DEFAULT 0 CHECK (generation >= 0),
    installed_by       TEXT,
    installed_at       TEXT,
    uninstalled_at     TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK ((lease_holder IS NULL) = (lease_expires_at IS NULL))
) STRICT;
CREATE INDEX IF NOT EXISTS installations_expiring_idx ON installations (expires_at)
    WHERE status = 'active' AND refresh_token_enc IS NOT NULL;
CREATE TABLE IF NOT EXISTS members (
    location_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    added_at    TEXT NOT NULL,
    added_by    TEXT,
    ghl_user_id TEXT,
    PRIMARY KEY (location_id, user_id)
) STRICT;
CREATE INDEX IF NOT EXISTS members_user_id_idx ON members (user_id);
CREATE UNIQUE INDEX IF NOT EXISTS members_ghl_user_idx ON members (location_id, ghl_user_id)
    WHERE ghl_user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS install_tickets (
    ticket_hash     TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    installed_at    TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS install_tickets_expires_at_idx ON install_tickets (expires_at);
CREATE TABLE IF NOT EXISTS oauth_states (
    nonce      TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS oauth_states_user_live_idx ON oauth_states (user_id, created_at)
    WHERE used_at IS NULL;
CREATE TABLE IF NOT EXISTS webhook_receipts (
    webhook_id  TEXT PRIMARY KEY,
    event_type  TEXT NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS idempotency_records (
    key                    TEXT PRIMARY KEY CHECK (key <> ''),
    status                 TEXT NOT NULL CHECK (status IN ('INPROGRESS', 'COMPLETED', 'EXPIRED')),
    expires_at             TEXT NOT NULL,
    in_progress_expires_at TEXT,
    response_data          TEXT,
    payload_hash           TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idempotency_records_expires_at_idx ON idempotency_records (expires_at);
CREATE TABLE IF NOT EXISTS locations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = trim(name)),
    updated_at TEXT NOT NULL
) STRICT;
"""

# What 20261204000000_team_access.sql does to a file made before it. A file upgraded so lacks only
# the CHECK on members.role (SQLite cannot add one to a table): the store writes MemberRole values only.
# A table new since then (`locations`, 20261205000000_location_names.sql) needs no entry: `_SCHEMA`
# creates it in a file that lacks it.
_UPGRADES = {
    ("installations", "installed_at"): """
        ALTER TABLE installations ADD COLUMN installed_at TEXT;
        UPDATE installations SET installed_at = created_at;
    """,
    ("members", "added_at"): """
        ALTER TABLE members RENAME COLUMN created_at TO added_at;
        ALTER TABLE members ADD COLUMN added_by TEXT;
        ALTER TABLE members ADD COLUMN ghl_user_id TEXT;
        UPDATE members SET role = 'member' WHERE role <> 'owner';
        DELETE FROM members WHERE location_id IN (SELECT id FROM installations WHERE kind = 'company');
    """,
}

# The id of the installation whose token serves the location `{location}` (an SQL expression):
# `get_token_source`'s pick, also used by `list_locations` and `uninstall`.
_SOURCE_OF = """(
    SELECT s.id FROM installations AS s
    WHERE (s.kind = 'location' AND s.id = {location} AND s.status <> 'uninstalled')
       OR (s.kind = 'company' AND s.status = 'active'
           AND EXISTS (SELECT 1 FROM json_each(s.approved_locations) WHERE value = {location}))
    ORDER BY s.kind = 'location' DESC, s.updated_at DESC, s.id LIMIT 1
)"""

# Whether an installation that is not uninstalled covers the location `{location}` (an SQL
# expression): the store knows the location, and may keep its name.
_KNOWN = """EXISTS (
    SELECT 1 FROM installations AS k
    WHERE k.status <> 'uninstalled'
      AND ((k.kind = 'location' AND k.id = {location})
           OR (k.kind = 'company'
               AND EXISTS (SELECT 1 FROM json_each(k.approved_locations) WHERE value = {location})))
)"""

# One idempotency record, with the store's verdict on an in-flight one (`:now`: this machine's clock).
_IDEMPOTENCY_RECORD = """
    SELECT *, (status = 'INPROGRESS' AND in_progress_expires_at IS NOT NULL AND in_progress_expires_at < :now)
        AS in_progress_expired
    FROM idempotency_records WHERE key = :key
"""

_MEMBER_COLUMNS = ("location_id", "user_id", "role", "ghl_user_id", "added_by", "added_at")

# The column list of a stored pair; the WHERE clauses below are the compare-and-swaps.
_STORE_PAIR = """
    access_token_enc = :access, refresh_token_enc = COALESCE(:refresh, refresh_token_enc),
    expires_at = :expires_at, generation = generation + 1, status = 'active',
    reauth_reason = NULL, reauth_at = NULL, lease_holder = NULL, lease_expires_at = NULL,
    updated_at = :now
"""


def _ts(when: datetime) -> str:
    if when.utcoffset() is None:
        raise ValueError("the store takes timezone-aware datetimes")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _now() -> str:
    return _ts(datetime.now(UTC))


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a file made by an older version to the current schema (in the caller's transaction)."""
    for (table, column), script in _UPGRADES.items():
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if columns and column not in columns:  # no columns: a new file, `_SCHEMA` creates the table
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)


def _member(row: sqlite3.Row | None) -> Membership | None:
    return Membership.model_validate({k: row[k] for k in _MEMBER_COLUMNS}) if row is not None else None


def _change(outcome: MemberOutcome, row: sqlite3.Row | None = None) -> MemberChange:
    return MemberChange(outcome=outcome, member=_member(row))


def _installation(row: sqlite3.Row | None) -> Installation | None:
    if row is None:
        return None
    data = dict(row)
    data["scopes"] = json.loads(data["scopes"])
    data["approved_locations"] = json.loads(data["approved_locations"])
    return Installation.model_validate(data)


class SQLiteStore:
    """`Store` in one SQLite file, safe to share between threads and processes.

    `busy_timeout`: how long a write waits for another process's write before the store reports
    itself unavailable (`StoreUnavailableError`), as the Supabase store does when it times out.
    """

    def __init__(self, path: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        if path == ":memory:" or path.startswith("file:"):
            raise ValueError("SQLiteStore needs a file path: every call opens its own connection")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._busy_timeout = busy_timeout
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")  # persistent: recorded in the file
            conn.execute("BEGIN IMMEDIATE")
            try:
                _upgrade(conn)
                conn.executescript(_SCHEMA)  # inside the open transaction: executescript does not commit
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def __repr__(self) -> str:
        return f"SQLiteStore(path={self._path!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self._path, timeout=self._busy_timeout, autocommit=True)
            try:
                conn.row_factory = sqlite3.Row
                yield conn
            finally:
                conn.close()
        except sqlite3.Error as exc:  # locked past the busy timeout, unreadable file, disk full, ...
            code = getattr(exc, "sqlite_errorcode", None)  # absent on errors raised by Python itself
            if code is None or code & 0xFF not in _UNAVAILABLE:
                raise
            raise StoreUnavailableError(f"SQLite store {self._path} unavailable: {exc}") from exc

    def _read(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._connect() as conn:
            return conn.execute(query, params).fetchall()

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: committed if the block returns, rolled back if it raises."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _write(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """One statement in its own IMMEDIATE transaction; its RETURNING rows."""
        with self._immediate() as conn:
            return conn.execute(query, params).fetchall()

    # --- installations -----------------------------------------------------------------------
    def save_installation(self, inst: Installation) -> Installation:
        now = _now()
        rows = self._write(
            """
            INSERT INTO installations (id, kind, user_type, company_id, name, scopes,
                approved_locations, access_token_enc, refresh_token_enc, expires_at, installed_by,
                generation, installed_at, created_at, updated_at)
            VALUES (:id, :kind, :user_type, :company_id, :name, :scopes, :approved_locations,
                :access, :refresh, :expires_at, :installed_by, 1, :now, :now, :now)
            ON CONFLICT (id) DO UPDATE SET
                kind = excluded.kind, user_type = excluded.user_type, company_id = excluded.company_id,
                name = excluded.name, scopes = excluded.scopes,
                approved_locations = excluded.approved_locations,
                access_token_enc = excluded.access_token_enc, refresh_token_enc = excluded.refresh_token_enc,
                expires_at = excluded.expires_at, installed_by = excluded.installed_by,
                status = 'active', reauth_reason = NULL, reauth_at = NULL, lease_holder = NULL,
                lease_expires_at = NULL, uninstalled_at = NULL, generation = generation + 1,
                installed_at = excluded.installed_at, updated_at = excluded.updated_at
            RETURNING *
            """,
            {
                "id": inst.id,
                "kind": inst.kind.value,
                "user_type": inst.user_type,
                "company_id": inst.company_id,
                "name": inst.name,
                "scopes": json.dumps(inst.scopes),
                "approved_locations": json.dumps(inst.approved_locations),
                "access": inst.access_token_enc,
                "refresh": inst.refresh_token_enc,
                "expires_at": _ts(inst.expires_at) if inst.expires_at else None,
                "installed_by": inst.installed_by,
                "now": now,
            },
        )
        saved = _installation(rows[0])
        assert saved is not None
        return saved

    def get_installation(self, installation_id: str) -> Installation | None:
        rows = self._read("SELECT * FROM installations WHERE id = ?", (installation_id,))
        return _installation(rows[0] if rows else None)

    def get_token_source(self, location_id: str) -> Installation | None:
        source = _SOURCE_OF.format(location=":location")
        query = f"SELECT * FROM installations WHERE id = {source}"  # noqa: S608 - a constant of this module
        rows = self._read(query, {"location": location_id})
        return _installation(rows[0] if rows else None)

    def list_expiring(self, before: datetime) -> list[str]:
        rows = self._read(
            """
            SELECT id FROM installations
            WHERE status = 'active' AND refresh_token_enc IS NOT NULL AND expires_at < ?
            ORDER BY expires_at, id
            """,
            (_ts(before),),
        )
        return [row["id"] for row in rows]

    # --- the refresh protocol ------------------------------------------------------------------
    def claim_refresh_lease(self, installation_id: str, holder: str, ttl_seconds: float) -> Installation | None:
        if not ttl_seconds > 0 or not holder:
            raise ValueError("a lease needs a holder and a positive ttl")
        now = datetime.now(UTC)
        rows = self._write(
            """
            UPDATE installations SET lease_holder = :holder, lease_expires_at = :until, updated_at = :now
            WHERE id = :id AND (lease_holder IS NULL OR lease_holder = :holder OR lease_expires_at <= :now)
            RETURNING *
            """,
            {
                "id": installation_id,
                "holder": holder,
                "now": _ts(now),
                "until": _ts(now + timedelta(seconds=ttl_seconds)),
            },
        )
        return _installation(rows[0] if rows else None)

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
        rows = self._write(
            f"""
            UPDATE installations SET {_STORE_PAIR}, scopes = COALESCE(:scopes, scopes)
            WHERE id = :id AND generation = :generation AND lease_holder = :holder
            RETURNING *
            """,  # noqa: S608 - _STORE_PAIR is a constant of this module
            {
                "id": installation_id,
                "holder": holder,
                "generation": expected_generation,
                "access": access_token_enc,
                "refresh": refresh_token_enc,
                "expires_at": _ts(expires_at),
                "scopes": json.dumps(scopes) if scopes is not None else None,
                "now": _now(),
            },
        )
        return _installation(rows[0] if rows else None)

    def release_lease(self, installation_id: str, holder: str) -> None:
        self._write(
            """
            UPDATE installations SET lease_holder = NULL, lease_expires_at = NULL, updated_at = ?
            WHERE id = ? AND lease_holder = ?
            """,
            (_now(), installation_id, holder),
        )

    def mark_needs_reauth(self, installation_id: str, expected_generation: int, reason: str) -> bool:
        now = _now()
        rows = self._write(
            """
            UPDATE installations SET status = 'needs_reauth', reauth_reason = ?, reauth_at = ?,
                lease_holder = NULL, lease_expires_at = NULL, updated_at = ?
            WHERE id = ? AND generation = ? AND status <> 'uninstalled'
            RETURNING id
            """,
            (reason, now, now, installation_id, expected_generation),
        )
        return bool(rows)

    def restore_parked(
        self,
        installation_id: str,
        parked_generation: int,
        access_token_enc: str,
        refresh_token_enc: str | None,
        expires_at: datetime,
    ) -> bool:
        rows = self._write(
            f"""
            UPDATE installations SET {_STORE_PAIR}
            WHERE id = :id AND generation = :generation AND status <> 'uninstalled'
            RETURNING id
            """,  # noqa: S608 - _STORE_PAIR is a constant of this module
            {
                "id": installation_id,
                "generation": parked_generation,
                "access": access_token_enc,
                "refresh": refresh_token_enc,
                "expires_at": _ts(expires_at),
                "now": _now(),
            },
        )
        return bool(rows)

    # --- uninstall -----------------------------------------------------------------------------
    def uninstall(self, installation_id: str) -> bool:
        """The memberships it served end in the same transaction; for a company, those of approved
        locations that `_SOURCE_OF` (read after the row is uninstalled) finds nothing else to serve.
        So do the names of its locations that `_KNOWN` no longer finds covered."""
        now = _now()
        with self._immediate() as conn:
            gone = conn.execute(
                """
                UPDATE installations SET access_token_enc = NULL, refresh_token_enc = NULL, expires_at = NULL,
                    status = 'uninstalled', uninstalled_at = ?, lease_holder = NULL, lease_expires_at = NULL,
                    generation = generation + 1, updated_at = ?
                WHERE id = ?
                RETURNING kind, approved_locations
                """,
                (now, now, installation_id),
            ).fetchone()
            if gone is None:
                return False
            if gone["kind"] == "location":
                conn.execute("DELETE FROM members WHERE location_id = ?", (installation_id,))
            else:
                conn.execute(
                    f"""
                    DELETE FROM members
                    WHERE location_id IN (SELECT value FROM json_each(?))
                      AND {_SOURCE_OF.format(location="members.location_id")} IS NULL
                    """,  # noqa: S608 - _SOURCE_OF is a constant of this module
                    (gone["approved_locations"],),
                )
            locations = json.dumps([installation_id]) if gone["kind"] == "location" else gone["approved_locations"]
            conn.execute(
                f"""
                DELETE FROM locations
                WHERE id IN (SELECT value FROM json_each(?)) AND NOT {_KNOWN.format(location="locations.id")}
                """,  # noqa: S608 - _KNOWN is a constant of this module
                (locations,),
            )
        return True

    # --- locations -----------------------------------------------------------------------------
    def set_location_name(self, location_id: str, name: str) -> bool:
        rows = self._write(
            f"""
            INSERT INTO locations (id, name, updated_at)
            SELECT :id, :name, :now WHERE {_KNOWN.format(location=":id")}
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
            RETURNING id
            """,
            {"id": location_id, "name": location_name(name), "now": _now()},
        )
        return bool(rows)

    # --- members -------------------------------------------------------------------------------
    def add_member(
        self, location_id: str, user_id: str, role: MemberRole, *, added_by: str | None = None
    ) -> Membership:
        rows = self._write(
            """
            INSERT INTO members (location_id, user_id, role, added_by, added_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (location_id, user_id) DO UPDATE SET role = excluded.role
            RETURNING *
            """,
            (
                location_id,
                required_user_id(user_id),
                MemberRole(role).value,
                required_user_id(added_by) if added_by is not None else None,
                _now(),
            ),
        )
        member = _member(rows[0])
        assert member is not None
        return member

    def get_membership(self, location_id: str, user_id: str) -> Membership | None:
        if (uid := canonical_user_id(user_id)) is None:
            return None
        rows = self._read("SELECT * FROM members WHERE location_id = ? AND user_id = ?", (location_id, uid))
        return _member(rows[0] if rows else None)

    def list_members(self, location_id: str) -> list[Membership]:
        rows = self._read("SELECT * FROM members WHERE location_id = ? ORDER BY added_at, user_id", (location_id,))
        return [m for row in rows if (m := _member(row)) is not None]

    def list_locations(self, user_id: str) -> list[LocationAccess]:
        if (uid := canonical_user_id(user_id)) is None:
            return []
        members = ", ".join(f"m.{column}" for column in _MEMBER_COLUMNS)
        rows = self._read(
            f"""
            SELECT {members}, l.name AS location_name, i.* FROM members AS m
            LEFT JOIN locations AS l ON l.id = m.location_id
            LEFT JOIN installations AS i ON i.id = {_SOURCE_OF.format(location="m.location_id")}
            WHERE m.user_id = ? ORDER BY m.location_id
            """,  # noqa: S608 - constants of this module
            (uid,),
        )
        return [
            LocationAccess(
                membership=_member(row),
                installation=_installation(row) if row["id"] else None,
                name=row["location_name"],
            )
            for row in rows
        ]

    @staticmethod
    def _owners(conn: sqlite3.Connection, location_id: str) -> list[str]:
        """The location's owners, read inside the write transaction that acts on them."""
        rows = conn.execute("SELECT user_id FROM members WHERE location_id = ? AND role = 'owner'", (location_id,))
        return [row["user_id"] for row in rows]

    @staticmethod
    def _find(conn: sqlite3.Connection, location_id: str, user_id: str | None) -> sqlite3.Row | None:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM members WHERE location_id = ? AND user_id = ?", (location_id, user_id)
        ).fetchone()
        return row

    def put_member(self, location_id: str, actor: str, user_id: str, role: MemberRole) -> MemberChange:
        role = MemberRole(role)
        actor_id, uid = canonical_user_id(actor), canonical_user_id(user_id)
        with self._immediate() as conn:
            if actor_id is None or actor_id not in self._owners(conn, location_id):
                return _change("forbidden")
            if uid is None:
                return _change("not_found")
            created = conn.execute(
                """
                INSERT INTO members (location_id, user_id, role, added_by, added_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (location_id, user_id) DO NOTHING
                RETURNING *
                """,
                (location_id, uid, role.value, actor_id, _now()),
            ).fetchone()
            if created is not None:
                return _change("created", created)
            existing = self._find(conn, location_id, uid)
        assert existing is not None
        return _change("exists" if existing["role"] == role.value else "role_differs", existing)

    def set_member_role(self, location_id: str, actor: str, user_id: str, role: MemberRole) -> MemberChange:
        role = MemberRole(role)
        actor_id, uid = canonical_user_id(actor), canonical_user_id(user_id)
        with self._immediate() as conn:
            owners = self._owners(conn, location_id)
            if actor_id is None or actor_id not in owners:
                return _change("forbidden")
            if (target := self._find(conn, location_id, uid)) is None:
                return _change("not_found")
            if target["role"] == MemberRole.OWNER and role is not MemberRole.OWNER and len(owners) <= 1:
                return _change("last_owner", target)
            updated = conn.execute(
                "UPDATE members SET role = ? WHERE location_id = ? AND user_id = ? RETURNING *",
                (role.value, location_id, uid),
            ).fetchone()
        return _change("updated", updated)

    def remove_member(self, location_id: str, actor: str, user_id: str) -> MemberChange:
        actor_id, uid = canonical_user_id(actor), canonical_user_id(user_id)
        with self._immediate() as conn:
            owners = self._owners(conn, location_id)
            if actor_id is None or (actor_id != uid and actor_id not in owners):
                return _change("forbidden")
            if (target := self._find(conn, location_id, uid)) is None:
                return _change("not_found")
            if target["role"] == MemberRole.OWNER and len(owners) <= 1:
                return _change("last_owner", target)
            conn.execute("DELETE FROM members WHERE location_id = ? AND user_id = ?", (location_id, uid))
        return _change("removed", target)

    def link_member(self, location_id: str, actor: str, user_id: str, ghl_user_id: str | None) -> MemberChange:
        actor_id, uid = canonical_user_id(actor), canonical_user_id(user_id)
        with self._immediate() as conn:
            if actor_id is None or (actor_id != uid and actor_id not in self._owners(conn, location_id)):
                return _change("forbidden")
            if (target := self._find(conn, location_id, uid)) is None:
                return _change("not_found")
            try:
                updated = conn.execute(
                    "UPDATE members SET ghl_user_id = ? WHERE location_id = ? AND user_id = ? RETURNING *",
                    (ghl_user_id, location_id, uid),
                ).fetchone()
            except sqlite3.IntegrityError:  # members_ghl_user_idx: another member has that GHL user
                return _change("ghl_user_taken", target)
        return _change("updated", updated)

    # --- install tickets -----------------------------------------------------------------------
    def create_install_ticket(self, ticket_hash: str, user_id: str, installation_id: str, expires_at: datetime) -> bool:
        rows = self._write(
            """
            INSERT INTO install_tickets (ticket_hash, user_id, installation_id, installed_at, expires_at, created_at)
            SELECT ?, ?, id, installed_at, ?, ? FROM installations WHERE id = ?
            ON CONFLICT (ticket_hash) DO NOTHING
            RETURNING ticket_hash
            """,
            (ticket_hash, required_user_id(user_id), _ts(expires_at), _now(), installation_id),
        )
        return bool(rows)

    def redeem_install_ticket(self, ticket_hash: str, user_id: str) -> list[str] | None:
        if (uid := canonical_user_id(user_id)) is None:
            return None
        now = _now()
        with self._immediate() as conn:
            inst = conn.execute(
                """
                SELECT i.kind, i.id, i.approved_locations FROM install_tickets AS t
                JOIN installations AS i ON i.id = t.installation_id
                WHERE t.ticket_hash = ? AND t.user_id = ? AND t.used_at IS NULL AND t.expires_at > ?
                  AND i.status <> 'uninstalled' AND i.installed_at = t.installed_at
                """,
                (ticket_hash, uid, now),
            ).fetchone()
            if inst is None:
                return None
            conn.execute("UPDATE install_tickets SET used_at = ? WHERE ticket_hash = ?", (now, ticket_hash))
            locations = sorted(
                {inst["id"]} if inst["kind"] == "location" else set(json.loads(inst["approved_locations"]))
            )
            conn.executemany(  # an existing member is promoted; their link, added_by and added_at stay
                """
                INSERT INTO members (location_id, user_id, role, added_by, added_at) VALUES (?, ?, 'owner', ?, ?)
                ON CONFLICT (location_id, user_id) DO UPDATE SET role = 'owner'
                """,
                [(location_id, uid, uid, now) for location_id in locations],
            )
        return locations

    # --- OAuth states and webhook receipts -------------------------------------------------------
    def create_oauth_state(self, nonce: str, user_id: str, expires_at: datetime) -> None:
        """A nonce that exists already is left as it is: it can never be rebound to another user.
        The IMMEDIATE transaction serializes concurrent creates; "now" is read once it holds the
        write lock, so created_at orders them as they ran (rowid breaks a tie)."""
        uid, expires = required_user_id(user_id), _ts(expires_at)
        with self._immediate() as conn:
            now = _now()
            conn.execute(
                """
                INSERT INTO oauth_states (nonce, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (nonce) DO NOTHING
                """,
                (nonce, uid, expires, now),
            )
            conn.execute(
                """
                DELETE FROM oauth_states WHERE rowid IN (
                    SELECT rowid FROM oauth_states
                    WHERE user_id = ? AND used_at IS NULL AND expires_at > ?
                    ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?
                )
                """,
                (uid, now, MAX_LIVE_OAUTH_STATES),
            )

    def consume_oauth_state(self, nonce: str, user_id: str) -> bool:
        if (uid := canonical_user_id(user_id)) is None:
            return False
        now = _now()
        rows = self._write(
            """
            UPDATE oauth_states SET used_at = ?
            WHERE nonce = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?
            RETURNING nonce
            """,
            (now, nonce, uid, now),
        )
        return bool(rows)

    def record_webhook(self, webhook_id: str, event_type: str) -> bool:
        rows = self._write(
            """
            INSERT INTO webhook_receipts (webhook_id, event_type, received_at) VALUES (?, ?, ?)
            ON CONFLICT (webhook_id) DO NOTHING
            RETURNING webhook_id
            """,
            (webhook_id, event_type, _now()),
        )
        return bool(rows)

    # --- purge -----------------------------------------------------------------------------------
    def _purge(self, table: str, doomed: str, oldest: str, params: Sequence[Any], limit: int) -> int:
        """Delete at most `limit` rows of `table` matching the WHERE clause `doomed`, by `oldest` first."""
        limit = purge_limit(limit)
        with self._immediate() as conn:
            deleted: int = conn.execute(
                f"""
                DELETE FROM {table} WHERE rowid IN (
                    SELECT rowid FROM {table} WHERE {doomed} ORDER BY {oldest} LIMIT ?
                )
                """,  # noqa: S608 - table and clauses are constants of this module
                (*params, limit),
            ).rowcount
        return deleted

    def purge_idempotency_records(self, limit: int) -> int:
        return self._purge("idempotency_records", "expires_at < ?", "expires_at", (_now(),), limit)

    def purge_oauth_states(self, limit: int) -> int:
        return self._purge("oauth_states", "used_at IS NOT NULL OR expires_at <= ?", "expires_at", (_now(),), limit)

    def purge_install_tickets(self, limit: int) -> int:
        return self._purge("install_tickets", "used_at IS NOT NULL OR expires_at <= ?", "expires_at", (_now(),), limit)

    def purge_webhook_receipts(self, older_than_seconds: float, limit: int) -> int:
        if not older_than_seconds >= 0:
            raise ValueError("older_than_seconds must be >= 0")
        before = _ts(datetime.now(UTC) - timedelta(seconds=older_than_seconds))
        return self._purge("webhook_receipts", "received_at < ?", "received_at", (before,), limit)

    # --- idempotency records ---------------------------------------------------------------------
    def put_idempotency_record(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """The upsert's WHERE is the "dead record" test (the key's time to live is over); the
        read-back of the record in the way happens in the same write transaction, so it is the
        record that kept ours out."""
        now = _now()
        params = {
            "key": record.key,
            "status": record.status.value,
            "expires_at": _ts(record.expires_at),
            "in_progress": _ts(record.in_progress_expires_at) if record.in_progress_expires_at else None,
            "payload_hash": record.payload_hash,
            "now": now,
        }
        with self._immediate() as conn:
            stored = conn.execute(
                """
                INSERT INTO idempotency_records (key, status, expires_at, in_progress_expires_at,
                    payload_hash, created_at, updated_at)
                VALUES (:key, :status, :expires_at, :in_progress, :payload_hash, :now, :now)
                ON CONFLICT (key) DO UPDATE SET
                    status = excluded.status, expires_at = excluded.expires_at,
                    in_progress_expires_at = excluded.in_progress_expires_at, response_data = NULL,
                    payload_hash = excluded.payload_hash, created_at = excluded.created_at,
                    updated_at = excluded.updated_at
                WHERE expires_at < :now
                RETURNING key
                """,
                params,
            ).fetchall()
            if stored:
                return None
            existing = conn.execute(_IDEMPOTENCY_RECORD, {"key": record.key, "now": now}).fetchone()
        return IdempotencyRecord.model_validate(dict(existing))

    def get_idempotency_record(self, key: str) -> IdempotencyRecord | None:
        rows = self._read(_IDEMPOTENCY_RECORD, {"key": key, "now": _now()})
        return IdempotencyRecord.model_validate(dict(rows[0])) if rows else None

    def update_idempotency_record(
        self, key: str, status: IdempotencyStatus, expires_at: datetime, response_data: str | None
    ) -> bool:
        rows = self._write(
            """
            UPDATE idempotency_records SET status = ?, response_data = ?, expires_at = ?, updated_at = ?
            WHERE key = ? AND status = 'INPROGRESS'
            RETURNING key
            """,
            (status.value, response_data, _ts(expires_at), _now(), key),
        )
        return bool(rows)

    def settle_idempotency_record(
        self, key: str, created_at: datetime, expires_at: datetime, response_data: str
    ) -> IdempotencyRecord | None:
        """The UPDATE's WHERE is the compare-and-swap; the read-back is in the same transaction."""
        now = _now()
        with self._immediate() as conn:
            conn.execute(
                """
                UPDATE idempotency_records
                SET status = 'COMPLETED', response_data = :response, expires_at = :expires_at, updated_at = :now
                WHERE key = :key AND status = 'INPROGRESS' AND created_at = :created_at
                  AND in_progress_expires_at < :now
                """,
                {
                    "key": key,
                    "created_at": _ts(created_at),
                    "expires_at": _ts(expires_at),
                    "response": response_data,
                    "now": now,
                },
            )
            row = conn.execute(_IDEMPOTENCY_RECORD, {"key": key, "now": now}).fetchone()
        return IdempotencyRecord.model_validate(dict(row)) if row is not None else None

    def delete_idempotency_record(self, key: str) -> bool:
        return bool(self._write("DELETE FROM idempotency_records WHERE key = ? RETURNING key", (key,)))
