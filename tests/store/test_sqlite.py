"""What is particular to `SQLiteStore`: the file it keeps, and a file locked by another process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ghlbridge.store import StoreUnavailableError
from ghlbridge.store.sqlite import SQLiteStore


def test_opening_creates_the_schema_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "tokens.sqlite3"
    SQLiteStore(str(path)).record_webhook("wh-1", "INSTALL")

    reopened = SQLiteStore(str(path))  # the DDL is idempotent and keeps the data

    assert reopened.record_webhook("wh-1", "INSTALL") is False
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"idempotency_records", "installations", "members", "oauth_states", "webhook_receipts"}


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
