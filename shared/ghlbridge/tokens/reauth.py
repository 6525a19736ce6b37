"""Telling an installation's owners at once that it must be reinstalled.

When a refresher marks an installation `needs_reauth` (GHL refused its refresh token), it
announces the transition once as an EventBridge event on `REAUTH_EVENT_BUS` (the account's
`default` bus in AWS), so the toolkit can route it with a rule to an e-mail or a banner:

    source       ghl-sales-bridge
    detail-type  GHL installation needs reauthorization
    detail       {"installationId", "kind", "reason", "at", "locationIds"}

The detail carries ids, GHL's refusal (already redacted of credentials by `ghl.errors`) and a
time: never a token, a secret or a ciphertext. Announcing is best effort: a failure is logged and
counted (`ReauthEventFailed`), never raised into the request. With `REAUTH_EVENT_BUS` empty (local
runs, `make dev`) nothing goes to AWS: the event is a log line (`LogNotifier`).

boto3 is imported only when an event is actually sent, never on the request path's import.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ghlbridge.observability import count, logger

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

    from ghlbridge.store import Installation

SOURCE: Final = "ghl-sales-bridge"
DETAIL_TYPE: Final = "GHL installation needs reauthorization"


class ReauthEventError(Exception):
    """EventBridge did not accept the event."""


class ReauthNotice(BaseModel):
    """The event's `detail`: which installation, which locations it served, why and when."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    installation_id: str = Field(alias="installationId")
    kind: str  # "location" or "company"
    reason: str
    at: datetime
    location_ids: list[str] = Field(alias="locationIds")

    @classmethod
    def of(cls, inst: Installation, reason: str, at: datetime) -> ReauthNotice:
        """A Location installation serves itself; a Company one the locations it approved."""
        from ghlbridge.store import InstallationKind

        locations = [inst.id] if inst.kind is InstallationKind.LOCATION else list(inst.approved_locations)
        return cls(installation_id=inst.id, kind=inst.kind.value, reason=reason, at=at, location_ids=locations)

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class ReauthNotifier(Protocol):
    def notify(self, notice: ReauthNotice) -> None:
        """Deliver the notice; raise if that is not possible."""
        ...


class EventBridgeNotifier:
    """`PutEvents` on one bus. Short timeouts and one retry: this runs on the request path."""

    def __init__(self, bus: str, client: EventBridgeClient | None = None) -> None:
        self._bus = bus
        self._client = client

    def _events(self) -> EventBridgeClient:
        if self._client is None:
            import boto3  # only here: +120 ms import, +200 ms with a client
            from botocore.config import Config

            config = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})
            self._client = boto3.client("events", config=config)
        return self._client

    def notify(self, notice: ReauthNotice) -> None:
        answer = self._events().put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": DETAIL_TYPE,
                    "Detail": json.dumps(notice.detail()),
                    "Time": notice.at,
                    "EventBusName": self._bus,
                }
            ]
        )
        if answer.get("FailedEntryCount", 0):
            codes = sorted({str(entry.get("ErrorCode")) for entry in answer.get("Entries", []) if "ErrorCode" in entry})
            raise ReauthEventError(f"EventBridge refused the event ({', '.join(codes) or 'no error code'})")


class LogNotifier:
    """The local sink: the event as one log line (REAUTH_EVENT_BUS is empty)."""

    def notify(self, notice: ReauthNotice) -> None:
        logger.warning(
            "Reauthorization event (REAUTH_EVENT_BUS is empty: logged, not sent)",
            extra={"source": SOURCE, "detail_type": DETAIL_TYPE, "detail": notice.detail()},
        )


def announce(notifier: ReauthNotifier, notice: ReauthNotice) -> bool:
    """Best effort: True if the notice went out; a failure is logged and counted, never raised."""
    try:
        notifier.notify(notice)
    except Exception:  # any failure: the request must not break over a notice
        count("ReauthEventFailed")
        logger.exception("Could not announce a reauthorization", extra={"installation_id": notice.installation_id})
        return False
    count("ReauthEventSent")
    return True
