"""What is particular to `SQLiteStore`: the file it keeps, and a file locked by another process."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ghlbridge.store import MemberRole, StoreUnavailableError
from ghlbridge.store.sqlite import SQLiteStore


def test_opening_creates_the_schema_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "tokens.sqlite3"
    SQLiteStore(str(path)).record_webhook("wh-1", "INSTALL")

    reopened = SQLiteStore(str(path))  # the DDL is idempotent and keeps the data

    assert reopened.record_webhook("wh-1", "INSTALL") is False
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {
        "idempotency_records", "install_tickets", "installations", "locations", "members", "oauth_states",
        "webhook_receipts",
    }  # fmt: skip


# The tables of a file made before team access (20261204000000_team_access.sql), as that version made them.
_BEFORE_TEAM_ACCESS = """
CREATE TABLE installations (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, user_type TEXT NOT NULL, company_id TEXT, name TEXT,
    scopes TEXT NOT NULL DEFAULT '[]', approved_locations TEXT NOT NULL DEFAULT '[]', access_token_enc TEXT,
    refresh_token_enc TEXT, expires_at TEXT, status TEXT NOT NULL DEFAULT 'active', reauth_reason TEXT,
    reauth_at TEXT, lease_holder TEXT, lease_expires_at TEXT, generation INTEGER NOT NULL DEFAULT 0,
    installed_by TEXT, uninstalled_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE members (
    location_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (location_id, user_id)
) STRICT;
CREATE INDEX members_user_id_idx ON members (user_id);
INSERT INTO installations (id, kind, user_type, created_at, updated_at) VALUES
    ('loc1', 'location', 'Location', '2026-11-28T10:00:00.000000+00:00', '2026-11-28T10:00:00.000000+00:00'),
    ('comp1', 'company', 'Company', '2026-11-28T11:00:00.000000+00:00', '2026-11-28T11:00:00.000000+00:00');
INSERT INTO members (location_id, user_id, role, created_at) VALUES
    ('loc1', '6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e', 'owner', '2026-11-28T10:00:01.000000+00:00'),
    ('loc1', '0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b', 'rep', '2026-11-28T10:00:02.000000+00:00'),
    ('comp1', '6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e', 'owner', '2026-11-28T11:00:01.000000+00:00');
"""


def test_a_file_from_before_team_access_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "tokens.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_BEFORE_TEAM_ACCESS)

    store = SQLiteStore(str(path))
    SQLiteStore(str(path))  # and opening it again changes nothing

    inst = store.get_installation("loc1")
    assert inst is not None and inst.installed_at == inst.created_at  # backfilled
    assert [(m.user_id, m.role, m.added_at) for m in store.list_members("loc1")] == [
        ("6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e", MemberRole.OWNER, datetime(2026, 11, 28, 10, 0, 1, tzinfo=UTC)),
        ("0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b", MemberRole.MEMBER, datetime(2026, 11, 28, 10, 0, 2, tzinfo=UTC)),
    ]  # "rep" is a member now
    assert store.list_members("comp1") == []  # a company id is no location
    owner, member = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e", "0b8e2f7a-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
    assert store.link_member("loc1", owner, member, "ghl-1").outcome == "updated"  # the new columns work
    assert store.link_member("loc1", owner, owner, "ghl-1").outcome == "ghl_user_taken"  # and the new index
    assert store.create_install_ticket("hash-1", owner, "loc1", datetime.now(UTC) + timedelta(minutes=5))
    assert store.redeem_install_ticket("hash-1", member) is None
    assert [a.name for a in store.list_locations(owner)] == [None]  # the locations table is new
    assert store.set_location_name("loc1", "Main Street") is True
    assert [a.name for a in store.list_locations(owner)] == ["Main Street"]


def test_a_write_locked_out_past_the_busy_timeout_is_unavailable(tmp_path: Path) -> None:
    path = str(tmp_path / "tokens.sqlite3")
    store = SQLiteStore(path, busy_timeout=0.2)
    other = sqlite3.connect(path, autocommit=True)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreUnavailableError, match="locked"):
            store.record_webhook("wh-1", "INSTALL")
        assert store.get_installation("loc1") is None  # WAL: reads go on meanwhile
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.record_webhook("wh-1", "INSTALL") is True  # nothing was half-written


def test_an_in_memory_database_is_refused() -> None:
    with pytest.raises(ValueError, match="file path"):
        SQLiteStore(":memory:")
