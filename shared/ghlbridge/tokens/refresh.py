"""Refreshing GHL tokens without ever losing an installation.

GHL refresh tokens are single-use: once GHL answers a refresh, the old pair is dead. So:

1. one refresher at a time per installation, across every container: a lease in the store
   (`claim_refresh_lease`) that expires if its holder dies;
2. the rotated pair is stored by compare-and-swap on the installation's generation
   (`complete_refresh`), retried while the lease and the deadline allow, and parked
   (`ghlbridge.tokens.parking`) if the store still refuses it;
3. parked pairs are restored before GHL is called again for an installation;
4. `invalid_grant` marks an installation `needs_reauth` only after re-reading the store and the
   parking lot rules out a concurrent rotation; it never deletes anything;
5. a failed refresh releases the lease at once when GHL certainly did not rotate
   (`rotation_possible`), so the next request tries again at once; when GHL may have rotated (a
   timeout, a 5xx, an unreadable 2xx) the lease is kept for `settle_seconds` more, then a later
   attempt settles it (success, or invalid_grant → needs_reauth).
6. the refresher that marks an installation `needs_reauth` announces it once
   (`ghlbridge.tokens.reauth`), best effort.

The same `Refresher` serves the request path (`ghlbridge.tokens.provider.TokenProvider`) and the hourly
schedule (`run_scheduled_refresh`).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from ghlbridge import deadline
from ghlbridge.errors import InstallationNotFoundError, ReauthorizationRequiredError, TokenRefreshError
from ghlbridge.ghl.errors import (
    GHLConnectError,
    GHLError,
    GHLInvalidGrantError,
    GHLRateLimitError,
    GHLStatusError,
)
from ghlbridge.ghl.models import TokenResponse
from ghlbridge.ghl.oauth import OAuthAPI
from ghlbridge.observability import count, logger
from ghlbridge.store import Installation, InstallationStatus, InstallationStore, StoreUnavailableError
from ghlbridge.tokens.crypto import TokenCipher
from ghlbridge.tokens.parking import ParkedPair, Parking
from ghlbridge.tokens.reauth import LogNotifier, ReauthNotice, ReauthNotifier, announce

Clock = Callable[[], datetime]
RefreshOutcome = Literal["refreshed", "already_refreshed", "restored"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AccessToken:
    """A usable access token. The value never appears in a repr."""

    installation_id: str
    value: str = field(repr=False)
    expires_at: datetime
    generation: int

    def usable(self, now: datetime, leeway_seconds: float, *, rejected: str | None = None) -> bool:
        """Fresh for at least `leeway_seconds`, and not the token GHL just rejected."""
        return self.expires_at - now > timedelta(seconds=leeway_seconds) and self.value != rejected


@dataclass(frozen=True)
class RefreshResult:
    token: AccessToken
    outcome: RefreshOutcome


def rotation_possible(error: GHLError) -> bool:
    """Whether GHL may have rotated the refresh token although `POST /oauth/token` failed with
    `error`: True keeps the refresh lease (the outcome is unknown), False releases it at once.

    A rotation is GHL issuing a new pair: its answer is a 2xx carrying the new refresh token
    (RFC 6749 §5.1), and the old token dies *because* a new one was issued (RFC 6749 §6: the server
    "MAY revoke the old refresh token after issuing a new refresh token"; RFC 9700 §4.14.2). So:

    - no rotation (False):
      - `GHLConnectError`: the request never left (connect failed or timed out, no pooled
        connection, or not sent so close to the deadline): GHL saw nothing.
      - any 4xx answer, i.e. GHL refused the request and said so, which ends its work on it and
        issues nothing (an RFC 6749 §5.2 error response):
        429 (`GHLRateLimitError`; refused before processing: the retry policy in `ghl.retry`
        already re-sends POSTs on it); 401 `invalid_client` (client authentication, RFC 6749
        §3.2.1 / §6, and the sandbox models GHL checking it before the refresh token);
        400 `unsupported_grant_type` / `invalid_request` (the request itself); 400 "Location is
        not active" (GHL-NOTES §9.5, issue #249); `invalid_grant` (the token is refused; handled
        before this by the needs_reauth path). Were GHL to spend a token and still answer 4xx
        (nothing says it does), keeping the lease could not bring the token back: the next try's
        `invalid_grant` would say so, as it would after the lease.
    - rotation possible (True), conservatively:
      - `GHLTimeoutError` and any other transport failure: the request may have arrived, and GHL
        may still be working on it after we stopped waiting;
      - 5xx: a 500 may come after the rotation (the answer lost, GHL-NOTES §1.3 single-use), and a
        502/503/504 from a gateway in front of GHL says nothing about the work behind it;
      - `GHLInvalidResponseError`: a 2xx we could not read is a rotation whose pair we lost;
      - any other status (1xx, 3xx): unexplained, so treated as unknown.
    """
    if isinstance(error, GHLConnectError):
        return False
    refused = isinstance(error, GHLStatusError) and 400 <= (error.status or 0) < 500
    return not refused


def aad(installation_id: str, field_name: Literal["access", "refresh"]) -> str:
    """Binds a ciphertext to its installation and field: a swapped column does not decrypt."""
    return f"{installation_id}:{field_name}"


def seal(cipher: TokenCipher, installation_id: str, answer: TokenResponse) -> tuple[str, str | None]:
    """GHL's new access and refresh tokens, encrypted for the installation's two columns."""
    access = cipher.encrypt(answer.access_token.get_secret_value(), aad=aad(installation_id, "access"))
    refresh = answer.refresh_token.get_secret_value() if answer.refresh_token else None
    return access, cipher.encrypt(refresh, aad=aad(installation_id, "refresh")) if refresh else None


class Refresher:
    """Runs the refresh protocol for one installation at a time (thread-safe, process-safe)."""

    def __init__(
        self,
        store: InstallationStore,
        oauth: OAuthAPI,
        cipher: TokenCipher,
        parking: Parking,
        *,
        lease_seconds: float = 30.0,
        leeway_seconds: float = 300.0,
        margin_seconds: float = 1.0,
        settle_seconds: float = 5.0,
        notifier: ReauthNotifier | None = None,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self._oauth = oauth
        self._cipher = cipher
        self.parking = parking
        self._lease_seconds = lease_seconds
        self._settle_seconds = settle_seconds
        self.notifier: ReauthNotifier = notifier or LogNotifier()
        self.leeway_seconds = leeway_seconds
        self._margin = margin_seconds
        self._clock = clock
        self._sleep = sleep
        self._holder_prefix = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    # --- reading --------------------------------------------------------------------------------
    def token_of(self, inst: Installation) -> AccessToken | None:
        if inst.access_token_enc is None or inst.expires_at is None:
            return None
        value = self._cipher.decrypt(inst.access_token_enc, aad=aad(inst.id, "access"))
        return AccessToken(inst.id, value, inst.expires_at, inst.generation)

    def usable(self, inst: Installation, *, rejected: str | None = None) -> AccessToken | None:
        """The installation's stored token if it is fresh and not the one GHL just rejected."""
        token = self.token_of(inst)
        if token is None or not token.usable(self._clock(), self.leeway_seconds, rejected=rejected):
            return None
        return token

    @staticmethod
    def check_status(inst: Installation | None, installation_id: str) -> Installation:
        if inst is None or inst.status is InstallationStatus.UNINSTALLED:
            raise InstallationNotFoundError(f"No GHL installation for {installation_id}")
        if inst.status is InstallationStatus.NEEDS_REAUTH:
            raise ReauthorizationRequiredError(
                f"The GHL installation for {installation_id} must be reinstalled",
                details={"reason": inst.reauth_reason, "authorize": "GET /oauth/authorize"},
            )
        return inst

    # --- the protocol ---------------------------------------------------------------------------
    def refresh(self, installation_id: str, *, seen_generation: int, rejected: str | None = None) -> RefreshResult:
        """Make sure the installation has a token newer than `seen_generation` (or fresh and not
        `rejected`), refreshing with GHL only if nobody else did it meanwhile."""
        holder = f"{self._holder_prefix}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}"
        wait = 0.05
        while True:
            if deadline.remaining() < self._margin:
                raise TokenRefreshError("Timed out waiting for a token refresh; try again")
            # The lease outlasts what its holder can still do: its invocation ends at the deadline
            # (API functions: 15 s), the scheduled run's items get the full lease.
            lease = min(self._lease_seconds, deadline.remaining() + self._margin)
            inst = self.store.claim_refresh_lease(installation_id, holder, lease)
            if inst is None:  # another container holds the lease (or the row is gone)
                current = self.check_status(self.store.get_installation(installation_id), installation_id)
                if current.generation > seen_generation and (token := self.usable(current, rejected=rejected)):
                    return RefreshResult(token, "already_refreshed")
                self._sleep(max(0.0, min(wait, deadline.remaining() - self._margin)))
                wait = min(wait * 2, 1.0)
                continue
            return self._refresh_holding_lease(inst, holder, seen_generation, rejected, lease)

    def _refresh_holding_lease(
        self, inst: Installation, holder: str, seen_generation: int, rejected: str | None, lease: float
    ) -> RefreshResult:
        lease_until = time.monotonic() + lease
        try:
            self.check_status(inst, inst.id)
        except Exception:
            self.store.release_lease(inst.id, holder)
            raise
        if inst.generation > seen_generation and (token := self.usable(inst, rejected=rejected)):
            self.store.release_lease(inst.id, holder)
            return RefreshResult(token, "already_refreshed")
        if restore_parked(self.store, self.parking, only=inst.id) and (
            moved_on := self._continue_from_store(inst, holder, rejected, "restored")
        ):
            return moved_on
        if inst.refresh_token_enc is None:
            self.store.release_lease(inst.id, holder)
            raise ReauthorizationRequiredError(
                f"The GHL installation for {inst.id} has no refresh token", details={"reason": "no_refresh_token"}
            )
        refresh_token = self._cipher.decrypt(inst.refresh_token_enc, aad=aad(inst.id, "refresh"))
        try:
            answer = self._oauth.refresh(refresh_token)
        except GHLInvalidGrantError as exc:
            return self._on_invalid_grant(inst, holder, exc, rejected)
        except GHLError as exc:
            failure = self._on_failed_refresh(inst.id, holder, exc, lease_until)
            if failure is exc:
                raise
            raise failure from exc

        # From here on the old pair is dead: the new one is saved or parked, never dropped.
        now = self._clock()
        expires_at = answer.expires_at(now)
        access_enc, refresh_enc = seal(self._cipher, inst.id, answer)
        token = AccessToken(inst.id, answer.access_token.get_secret_value(), expires_at, inst.generation + 1)
        saved = self._save(inst, holder, access_enc, refresh_enc, expires_at, answer.scopes, lease_until)
        if saved is not None:
            logger.info("GHL token refreshed", extra={"installation_id": inst.id, "generation": saved.generation})
            return RefreshResult(token, "refreshed")  # the CAS made saved.generation inst.generation + 1
        self._park(
            ParkedPair(
                installation_id=inst.id,
                parked_generation=inst.generation,
                access_token_enc=access_enc,
                refresh_token_enc=refresh_enc,
                expires_at=expires_at,
                parked_at=now,
            )
        )
        return RefreshResult(token, "refreshed")

    def _on_failed_refresh(self, installation_id: str, holder: str, exc: GHLError, lease_until: float) -> Exception:
        """The error to answer a failed `POST /oauth/token` with, after releasing the lease when GHL
        certainly did not rotate (`rotation_possible`), or shortening it to `settle_seconds` when it
        may have: a later attempt settles it (success, or invalid_grant → needs_reauth)."""
        extra = {"installation_id": installation_id, "error": type(exc).__name__, "ghl_status": exc.status}
        extra["trace_id"] = exc.trace_id
        if not rotation_possible(exc):
            try:
                self.store.release_lease(installation_id, holder)
            except StoreUnavailableError:  # the lease still expires; the GHL error is the news
                logger.warning("Could not release the refresh lease", extra={"installation_id": installation_id})
            count("RefreshRefused")
            logger.warning("GHL refused the refresh; nothing rotated, lease released", extra=extra)
            if isinstance(exc, GHLRateLimitError):
                return exc  # answered as GHL's 429, with its Retry-After
            return TokenRefreshError("GHL did not refresh the token; try again", retry_after=1)
        self._settle(installation_id, holder, lease_until)
        count("RefreshOutcomeUnknown")
        logger.warning("GHL refresh outcome unknown; lease kept", extra=extra)
        message = "The token refresh outcome is unknown; try again shortly"
        return TokenRefreshError(message, retry_after=max(1, round(self._settle_seconds)))

    def _settle(self, installation_id: str, holder: str, lease_until: float) -> None:
        """Shorten the kept lease to `settle_seconds` from now (never lengthen it). This holder does
        nothing more; the lease only keeps a second request with the same refresh token from racing
        one GHL may still be working on, and paces retries against a failing token endpoint."""
        if lease_until - time.monotonic() <= self._settle_seconds:
            return
        with contextlib.suppress(StoreUnavailableError):  # then the full lease stands, and still expires
            self.store.claim_refresh_lease(installation_id, holder, self._settle_seconds)  # same holder: re-arms

    def _save(
        self,
        inst: Installation,
        holder: str,
        access_enc: str,
        refresh_enc: str | None,
        expires_at: datetime,
        scopes: list[str] | None,
        lease_until: float,
    ) -> Installation | None:
        """Store the pair by compare-and-swap, retrying while both the lease and the deadline last."""
        wait = 0.1
        while True:
            try:
                saved = self.store.complete_refresh(
                    inst.id, holder, inst.generation, access_enc, refresh_enc, expires_at, scopes or None
                )
                if saved is None:
                    # The generation moved under us (our lease expired and a reinstall or a restore
                    # happened). Our pair is valid but unsaved: park it, restore decides.
                    logger.error("Refresh compare-and-swap lost", extra={"installation_id": inst.id})
                return saved
            except StoreUnavailableError:
                left = min(lease_until - time.monotonic(), deadline.remaining()) - self._margin
                if left <= wait:
                    return None
                count("RefreshSaveRetry")
                self._sleep(wait)
                wait = min(wait * 2, 2.0)

    def _park(self, pair: ParkedPair) -> None:
        try:
            self.parking.park(pair)
        except Exception:
            count("TokenLost")
            logger.critical("Could not park a rotated token pair", extra={"installation_id": pair.installation_id})
            raise
        count("TokenParked")
        logger.error("Rotated token pair parked: store unavailable", extra={"installation_id": pair.installation_id})

    def _continue_from_store(
        self, inst: Installation, holder: str, rejected: str | None, outcome: RefreshOutcome
    ) -> RefreshResult | None:
        """If the store now holds a newer pair than `inst`, give up our lease and use it (or, if
        it is already stale too, refresh from it). None when the store has not moved on."""
        current = self.store.get_installation(inst.id)
        if current is None or current.generation == inst.generation:
            return None
        self.store.release_lease(inst.id, holder)
        current = self.check_status(current, inst.id)
        if token := self.usable(current, rejected=rejected):
            return RefreshResult(token, outcome)
        return self.refresh(inst.id, seen_generation=current.generation, rejected=rejected)

    def _on_invalid_grant(
        self, inst: Installation, holder: str, exc: GHLInvalidGrantError, rejected: str | None
    ) -> RefreshResult:
        # Before blaming the token: did someone rotate meanwhile, or is a rotated pair parked?
        if moved_on := self._continue_from_store(inst, holder, rejected, "already_refreshed"):
            return moved_on
        if restore_parked(self.store, self.parking, only=inst.id) and (
            moved_on := self._continue_from_store(inst, holder, rejected, "restored")
        ):
            return moved_on
        reason = f"invalid_grant: {exc.message}"[:300]
        if self.store.mark_needs_reauth(inst.id, inst.generation, reason):
            # Only the refresher that made the transition counts it and tells the owners.
            count("RefreshNeedsReauth")
            logger.warning("GHL installation needs reauthorization", extra={"installation_id": inst.id})
            announce(self.notifier, ReauthNotice.of(inst, reason, self._clock()))
        elif moved_on := self._continue_from_store(inst, holder, rejected, "already_refreshed"):
            return moved_on  # a rotation or a reinstall won the race against the mark
        raise ReauthorizationRequiredError(
            f"The GHL installation for {inst.id} must be reinstalled", details={"reason": reason}
        ) from exc


def restore_parked(store: InstallationStore, parking: Parking, *, only: str | None = None) -> bool:
    """Write parked pairs back (compare-and-swap on the generation they were refreshed from) and
    remove them from the parking lot. Pairs superseded by a newer generation are dropped: the store
    already holds a later pair. Returns True if a pair for `only` (or any, when None) was written."""
    restored_any = False
    for pair, ack in parking.drain():
        written = store.restore_parked(
            pair.installation_id, pair.parked_generation, pair.access_token_enc, pair.refresh_token_enc, pair.expires_at
        )
        ack()
        if written:
            count("TokenRestored")
            logger.warning("Parked token pair restored", extra={"installation_id": pair.installation_id})
            restored_any = restored_any or only is None or pair.installation_id == only
        else:
            logger.info("Parked token pair superseded", extra={"installation_id": pair.installation_id})
    return restored_any


RunOutcome = Literal["refreshed", "already_refreshed", "restored", "needs_reauth", "failed", "not_attempted"]
RUN_OUTCOMES: tuple[RunOutcome, ...] = get_args(RunOutcome)
SCHEDULE_METRICS: dict[str, str] = {
    "refreshed": "RefreshSucceeded",
    "already_refreshed": "RefreshSkipped",
    "restored": "RefreshRestored",
    "failed": "RefreshFailed",
    "not_attempted": "RefreshNotAttempted",
}


def run_scheduled_refresh(
    refresher: Refresher,
    *,
    window: timedelta,
    concurrency: int,
    per_item_seconds: float = 15.0,
) -> dict[str, object]:
    """Refresh every installation whose access token expires within `window`, `concurrency` at a
    time, inside this invocation's deadline, going on past individual failures. Returns a summary
    (also emitted as one metric per outcome)."""
    store = refresher.store
    restore_parked(store, refresher.parking)
    due = store.list_expiring(utcnow() + window)
    outcomes: Counter[str] = Counter()
    failures: list[dict[str, str]] = []
    lock = threading.Lock()

    def one(installation_id: str) -> None:
        outcome: RunOutcome
        if deadline.remaining() < per_item_seconds:
            outcome = "not_attempted"
        else:
            try:
                inst = store.get_installation(installation_id)
                if inst is None or inst.status is not InstallationStatus.ACTIVE:
                    outcome = "already_refreshed"
                else:
                    outcome = refresher.refresh(installation_id, seen_generation=inst.generation).outcome
            except ReauthorizationRequiredError:
                outcome = "needs_reauth"
            except Exception as exc:  # one bad installation must not stop the run
                outcome = "failed"
                with lock:
                    failures.append({"installationId": installation_id, "error": type(exc).__name__})
                logger.exception("Scheduled refresh failed", extra={"installation_id": installation_id})
        with lock:
            outcomes[outcome] += 1

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for installation_id in due:
            ctx = contextvars.copy_context()  # carries the invocation deadline into the worker
            pool.submit(ctx.run, one, installation_id)

    # One metric per outcome, zeros included so alarms always have data points.
    # (RefreshNeedsReauth is counted by the Refresher itself, on the request path too.)
    for name, metric in SCHEDULE_METRICS.items():
        count(metric, outcomes.get(name, 0))
    summary: dict[str, object] = {"due": len(due), **{k: outcomes.get(k, 0) for k in RUN_OUTCOMES}}
    summary["failures"] = failures
    logger.info("Scheduled refresh done", extra={"summary": summary})
    return summary
