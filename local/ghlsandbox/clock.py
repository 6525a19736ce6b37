"""Time in the sandbox: one injectable clock (epoch seconds) and GHL's wire formats.

Everything that depends on "now" (token and code expiry, rate-limit windows, free slots in the
past) reads the sandbox's clock, so tests can move time instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], float]
"""Returns the current time as epoch seconds (`time.time` in real use)."""


def utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def iso_z(moment: datetime) -> str:
    """GHL's timestamp format for records: UTC with milliseconds, e.g. `2021-08-03T04:55:17.355Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds, the unit of `startAfter` (opportunity search) and free-slot ranges."""
    return int(moment.timestamp() * 1000)


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date-time WITH an offset (or `Z`), else None: GHL needs to know the zone."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
