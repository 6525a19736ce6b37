"""Secrets must never leave: a registry of every secret value a test has seen (tokens the GHL
sandbox issued, codes, JWTs, keys) and checks that none appears in logs, errors or responses."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

_seen: set[str] = set()
_lock = threading.Lock()


def register(*values: str) -> None:
    with _lock:
        _seen.update(v for v in values if v and len(v) >= 8)


def leaks_in(text: str) -> list[str]:
    with _lock:
        return sorted(v[:6] + "…" for v in _seen if v in text)


def assert_no_secret(text: str, where: str) -> None:
    found = leaks_in(text)
    assert not found, f"secret value(s) {found} found in {where}"


def assert_clean(records: Iterable[logging.LogRecord]) -> None:
    for record in records:
        text = f"{record.getMessage()} {record.__dict__!r} {record.exc_text or ''}"
        assert_no_secret(text, f"log record {record.name}:{record.lineno}")
