"""The scheduled functions' entry points, wired to the container's cached objects.

`refresh` and `purge` hold the logic and take what they need as arguments; this module alone reads
the settings and the factories for them, so neither of them imports `factories` (which builds the
refresher: `refresh` importing it back was an import cycle).
"""

from __future__ import annotations

from datetime import timedelta

from ghlbridge import factories
from ghlbridge.settings import get_settings


def refresh_due() -> dict[str, object]:
    """TokenRefreshFunction (hourly): refresh every installation whose token expires within the window."""
    from ghlbridge.tokens.refresh import run_scheduled_refresh

    settings = get_settings()
    return run_scheduled_refresh(
        factories.get_refresher(),
        window=timedelta(hours=settings.refresh_window_hours),
        concurrency=settings.refresh_concurrency,
    )


def purge_expired() -> dict[str, object]:
    """PurgeFunction (daily): delete what is no longer needed, in bounded batches."""
    from ghlbridge.store.purge import receipt_retention, run_purge

    return run_purge(
        factories.get_store(),
        receipt_retention=receipt_retention(get_settings().webhook_max_age_seconds),
    )
