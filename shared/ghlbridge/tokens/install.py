"""The OAuth install of our GHL Marketplace app: the authorize URL, the callback, and completing it.

The `state` parameter is `<payload>.<mac>`: the payload names a nonce, the caller's user id and an
expiry; the HMAC-SHA256 (key `stateSigningKey` from the app secret) proves we issued it. The nonce
is also stored, so the store's `consume_oauth_state` lets it be used exactly once.

The state proves who ASKED for the install, not who FINISHED it: user A can start an install and
send the GHL link to an admin who approves it in their own browser. So the callback (a browser
redirect from GHL, without our JWT) stores the installation but grants nobody anything. It sends
the browser to the toolkit with a single-use install ticket (`TICKET_TTL`), bound to the state's
user and to this very install (`installed_at`); the toolkit finishes with `POST /oauth/complete
{ticket}` under the JWT of that same user, and only then is that user made an owner of the
location (of every approved location, for an agency install). Another user's JWT, a second use, an
expired ticket, or one whose installation was uninstalled or reinstalled since: refused, nothing
granted. Only the ticket's SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ghlbridge.encoding import b64url, unb64url
from ghlbridge.errors import AppError
from ghlbridge.ghl.errors import GHLError
from ghlbridge.ghl.models import TokenResponse
from ghlbridge.ghl.oauth import OAuthAPI
from ghlbridge.observability import count, logger
from ghlbridge.settings import Settings
from ghlbridge.store import Installation, InstallationKind, Store
from ghlbridge.tokens.crypto import TokenCipher
from ghlbridge.tokens.refresh import seal, utcnow

if TYPE_CHECKING:  # PyJWT (via ghlbridge.http.caller) is imported only by routes that check a caller
    from ghlbridge.toolkit.context import Caller

STATE_TTL = timedelta(minutes=10)
TICKET_TTL = timedelta(minutes=10)

CallbackReason = Literal[
    "access_denied", "missing_code", "invalid_state", "expired_state", "replayed_state", "exchange_failed"
]


class InstallTicketInvalidError(AppError):
    """`POST /oauth/complete` with a ticket that is unknown, expired, already used, another user's,
    or whose installation has been uninstalled or reinstalled since (one answer for all: which one it
    was is nobody's business but the log's)."""

    status = 400
    code = "invalid_install_ticket"


class InstallCallbackError(AppError):
    """The callback cannot complete; `reason` goes to the toolkit as `?ghl=error&reason=`."""

    status = 400
    code = "install_failed"

    def __init__(self, reason: CallbackReason, message: str) -> None:
        super().__init__(message)
        self.reason: CallbackReason = reason


class InstallTicket(BaseModel):
    """`POST /oauth/complete`'s body: the ticket from the callback's redirect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class _StatePayload(BaseModel):
    n: str  # nonce
    u: str  # user id
    e: int  # expiry, epoch seconds


def sign_state(key: bytes, nonce: str, user_id: str, expires_at: datetime) -> str:
    payload = b64url(json.dumps({"n": nonce, "u": user_id, "e": int(expires_at.timestamp())}).encode())
    mac = b64url(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def verify_state(key: bytes, state: str, *, now: datetime) -> _StatePayload:
    """Check the MAC and the expiry (no store access: a bad state changes nothing)."""
    try:
        payload, mac = state.split(".")
        expected = b64url(hmac.new(key, payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, expected):
            raise ValueError("bad mac")
        parsed = _StatePayload.model_validate_json(unb64url(payload))
    except (ValueError, ValidationError) as exc:
        raise InstallCallbackError("invalid_state", "The OAuth state is not valid") from exc
    if parsed.e < now.timestamp():
        raise InstallCallbackError("expired_state", "The OAuth state has expired; start the install again")
    return parsed


def authorize_url(
    caller: Caller, *, settings: Settings, store: Store, state_key: bytes, redirect_uri: str, now: datetime
) -> str:
    """The GHL chooselocation URL for this caller, with a fresh single-use state."""
    nonce = secrets.token_urlsafe(18)
    expires_at = now + STATE_TTL
    store.create_oauth_state(nonce, caller.user_id, expires_at)
    query = {
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "client_id": settings.ghl_client_id,
        "scope": settings.ghl_scopes,
        "state": sign_state(state_key, nonce, caller.user_id, expires_at),
    }
    if settings.ghl_version_id:
        query["version_id"] = settings.ghl_version_id
    return f"{settings.ghl_authorize_host.rstrip('/')}/v2/oauth/chooselocation?{urlencode(query)}"


def ticket_hash(ticket: str) -> str:
    """What the store keeps of a ticket: its SHA-256 (hex)."""
    return hashlib.sha256(ticket.encode()).hexdigest()


def complete_install(
    query: Mapping[str, str],
    *,
    store: Store,
    oauth: OAuthAPI,
    cipher: TokenCipher,
    state_key: bytes,
    redirect_uri: str,
    now: datetime,
) -> tuple[Installation, str]:
    """Verify the state, consume it once, exchange the code and store the installation; grant
    nothing. Returns the installation and the install ticket for the state's user. Raises
    `InstallCallbackError` with the reason for the toolkit."""
    if query.get("error"):
        reason: CallbackReason = "access_denied" if query["error"] == "access_denied" else "exchange_failed"
        raise InstallCallbackError(reason, "The GHL install was not approved")
    state = verify_state(state_key, query.get("state") or "", now=now)
    code = query.get("code")
    if not code:
        raise InstallCallbackError("missing_code", "The callback has no authorization code")
    if not store.consume_oauth_state(state.n, state.u):
        raise InstallCallbackError("replayed_state", "The OAuth state was already used")
    try:
        answer = oauth.exchange_code(code, redirect_uri=redirect_uri)
    except GHLError as exc:
        count("InstallExchangeFailed")
        logger.warning("GHL code exchange failed", extra={"status": exc.status, "trace_id": exc.trace_id})
        raise InstallCallbackError("exchange_failed", "GHL refused the authorization code") from exc
    inst = store.save_installation(installation_from(answer, installed_by=state.u, cipher=cipher, now=now))
    ticket = secrets.token_urlsafe(32)
    if not store.create_install_ticket(ticket_hash(ticket), state.u, inst.id, now + TICKET_TTL):
        raise InstallCallbackError("exchange_failed", "The install could not be recorded")  # pragma: no cover
    count("InstallStored")
    logger.info("GHL app installed; awaiting completion", extra={"installation_id": inst.id, "kind": inst.kind.value})
    return inst, ticket


def redeem(caller: Caller, ticket: str, *, store: Store) -> list[str]:
    """`POST /oauth/complete`: make the caller an owner of what the ticket's install covers.
    The location ids granted, or `InstallTicketInvalidError` (nothing granted)."""
    granted = store.redeem_install_ticket(ticket_hash(ticket), caller.user_id)
    if granted is None:
        logger.info("install ticket refused")
        raise InstallTicketInvalidError(
            "The install ticket is unknown, expired, already used or not yours; start the install again"
        )
    count("InstallCompleted")
    logger.info("GHL install completed", extra={"locations": len(granted)})
    return granted


def installation_from(answer: TokenResponse, *, installed_by: str, cipher: TokenCipher, now: datetime) -> Installation:
    """A Company (agency) token is stored as such; its locations get minted tokens on demand."""
    is_company = (answer.userType or "").lower() == "company" or not answer.locationId
    installation_id = answer.companyId if is_company else answer.locationId
    if not installation_id:
        raise InstallCallbackError("exchange_failed", "GHL's token answer names no location or company")
    access_enc, refresh_enc = seal(cipher, installation_id, answer)
    return Installation(
        id=installation_id,
        kind=InstallationKind.COMPANY if is_company else InstallationKind.LOCATION,
        user_type=answer.userType or ("Company" if is_company else "Location"),
        company_id=answer.companyId,
        scopes=answer.scopes,
        approved_locations=list(answer.approvedLocations or []) if is_company else [],
        access_token_enc=access_enc,
        refresh_token_enc=refresh_enc,
        expires_at=answer.expires_at(now),
        installed_by=installed_by,
    )


def installed_redirect(toolkit_url: str, inst: Installation, ticket: str) -> str:
    """`?ghl=installed&ticket=...` (+ the location or company): the toolkit finishes with
    `POST /oauth/complete`."""
    params = {"ghl": "installed", "ticket": ticket}
    if inst.kind is InstallationKind.LOCATION:
        params["locationId"] = inst.id
    else:
        params["companyId"] = inst.id
        if len(inst.approved_locations) == 1:
            params["locationId"] = inst.approved_locations[0]
    return _with_query(toolkit_url, params)


def error_redirect(toolkit_url: str, reason: CallbackReason) -> str:
    return _with_query(toolkit_url, {"ghl": "error", "reason": reason})


def _with_query(url: str, params: Mapping[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


# --- entry points for the OAuth function (wired to the container's cached objects) ----------------


def start_install(caller: Caller, *, redirect_uri: str) -> str:
    from ghlbridge import factories
    from ghlbridge.settings import get_settings

    return authorize_url(
        caller,
        settings=get_settings(),
        store=factories.get_store(),
        state_key=factories.get_secrets().state_signing_key.get_secret_value().encode(),
        redirect_uri=redirect_uri,
        now=utcnow(),
    )


def finish_install(query: Mapping[str, str], *, redirect_uri: str) -> str:
    """The URL of the toolkit to send the browser back to, `?ghl=installed&ticket=…` or `?ghl=error…`."""
    from ghlbridge import factories
    from ghlbridge.settings import get_settings

    toolkit_url = get_settings().toolkit_url
    try:
        inst, ticket = complete_install(
            query,
            store=factories.get_store(),
            oauth=factories.get_oauth_api(),
            cipher=factories.get_cipher(),
            state_key=factories.get_secrets().state_signing_key.get_secret_value().encode(),
            redirect_uri=redirect_uri,
            now=utcnow(),
        )
    except InstallCallbackError as exc:
        logger.info("GHL install callback refused", extra={"reason": exc.reason})
        return error_redirect(toolkit_url, exc.reason)
    return installed_redirect(toolkit_url, inst, ticket)


def finish_for(caller: Caller, ticket: str) -> list[str]:
    from ghlbridge import factories

    return redeem(caller, ticket, store=factories.get_store())
