"""The daily purge: nothing is kept longer than it is needed.

What goes, each kind by its own store operation (the store's clock decides what is expired):

* idempotency records past their `expires_at` (`IDEMPOTENCY_TTL_SECONDS`, 24 h): they hold a write's
  answer, i.e. GHL data. An INPROGRESS record whose invocation died but whose `expires_at` has not
  passed stays: its key still answers;
* OAuth states that were used or expired (10 minutes);
* install tickets that were used or expired (10 minutes);
* webhook receipts older than `receipt_retention`: the signed-timestamp window
  (`WEBHOOK_MAX_AGE_SECONDS`) plus `RECEIPT_MARGIN`. Inside the window a replayed webhook passes the
  timestamp check, so only its receipt stops it; and GHL retries a webhook (12 attempts with
  backoff are reported, GHL-NOTES §7.2), perhaps re-signed with a fresh timestamp but the same
  webhookId, for hours. A day covers those retries and any clock skew, and a receipt holds only a
  webhook id and an event type.

Each kind is deleted in batches of `BATCH_SIZE` rows (one statement each, so no long lock), again
while a batch comes back full and the invocation has `DEADLINE_MARGIN_SECONDS` left: a backlog is
worked off over several runs rather than timing out. A kind the store fails on is reported and the
others go on. Counts per kind are metrics (zeros included, so the graphs and alarms always have data
points) and the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from ghlbridge import deadline
from ghlbridge.observability import count, logger

if TYPE_CHECKING:
    from ghlbridge.store import Store

PurgeKind = Literal["oauth_states", "install_tickets", "webhook_receipts", "idempotency_records"]

BATCH_SIZE = 1000
RECEIPT_MARGIN = timedelta(days=1)
DEADLINE_MARGIN_SECONDS = 10.0  # more than one store call can take (the Supabase client's timeout is 5 s)

# The order they are purged in: the small tables first, so a huge backlog of records delays nothing.
METRICS: dict[PurgeKind, str] = {
    "oauth_states": "PurgedOAuthStates",
    "install_tickets": "PurgedInstallTickets",
    "webhook_receipts": "PurgedWebhookReceipts",
    "idempotency_records": "PurgedIdempotencyRecords",
}
FAILED_METRIC = "PurgeFailed"


def receipt_retention(webhook_max_age_seconds: float) -> timedelta:
    """How long a webhook receipt is kept: the replay window plus `RECEIPT_MARGIN`."""
    return timedelta(seconds=webhook_max_age_seconds) + RECEIPT_MARGIN


def run_purge(
    store: Store,
    *,
    receipt_retention: timedelta,
    batch_size: int = BATCH_SIZE,
    margin_seconds: float = DEADLINE_MARGIN_SECONDS,
) -> dict[str, object]:
    """Purge every kind, batch after batch, inside this invocation's deadline. Returns
    `{"deleted": {kind: rows}, "complete": bool, "failures": [...]}`; `complete` is False when the
    deadline stopped a kind that still had rows to delete, or a kind failed."""
    retention_seconds = receipt_retention.total_seconds()
    batches: dict[PurgeKind, Callable[[], int]] = {
        "oauth_states": lambda: store.purge_oauth_states(batch_size),
        "install_tickets": lambda: store.purge_install_tickets(batch_size),
        "webhook_receipts": lambda: store.purge_webhook_receipts(retention_seconds, batch_size),
        "idempotency_records": lambda: store.purge_idempotency_records(batch_size),
    }
    deleted: dict[str, int] = dict.fromkeys(METRICS, 0)
    failures: list[dict[str, str]] = []
    complete = True
    for kind, batch in batches.items():
        try:
            while True:
                if deadline.remaining() < margin_seconds:
                    complete = False
                    break
                rows = batch()
                deleted[kind] += rows
                if rows < batch_size:
                    break
        except Exception as exc:  # one kind failing must not keep the others
            complete = False
            failures.append({"kind": kind, "error": type(exc).__name__})
            logger.exception("Purge failed", extra={"kind": kind})

    for kind, metric in METRICS.items():
        count(metric, deleted[kind])
    count(FAILED_METRIC, len(failures))
    summary: dict[str, object] = {"deleted": deleted, "complete": complete, "failures": failures}
    logger.info("Purge done", extra={"summary": summary})
    return summary
