"""The OAuth install of our GHL Marketplace app: the authorize URL and the callback.

The `state` parameter is `<payload>.<mac>`: the payload names a nonce, the caller's user id and an
expiry; the HMAC-SHA256 (key `stateSigningKey` from the app secret) proves we issued it. The nonce
is also stored, so the store's `consume_oauth_state` lets it be used exactly once. The callback is
a browser redirect from GHL without our JWT: the user it installs for is the one bound into the
state.
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

from pydantic import BaseModel, ValidationError

from ghlbridge.crypto import TokenCipher
from ghlbridge.encoding import b64url, unb64url
from ghlbridge.errors import AppError
from ghlbridge.ghl.errors import GHLError
from ghlbridge.ghl.models import TokenResponse
from ghlbridge.ghl.oauth import OAuthAPI
from ghlbridge.observability import count, logger
from ghlbridge.refresh import seal, utcnow
from ghlbridge.settings import Settings
from ghlbridge.store import Installation, InstallationKind, TokenStore

if TYPE_CHECKING:  # PyJWT (via ghlbridge.auth) is imported only by routes that check a caller
    from ghlbridge.auth import Caller

STATE_TTL = timedelta(minutes=10)

CallbackReason = Literal[
    "access_denied", "missing_code", "invalid_state", "expired_state", "replayed_state", "exchange_failed"
]


class InstallCallbackError(AppError):
    """The callback cannot complete; `reason` goes to the toolkit as `?ghl=error&reason=`."""

    status = 400
    code = "install_failed"

    def __init__(self, reason: CallbackReason, message: str) -> None:
        super().__init__(message)
        self.reason: CallbackReason = reason


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
    caller: Caller, *, settings: Settings, store: TokenStore, state_key: bytes, redirect_uri: str, now: datetime
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


def complete_install(
    query: Mapping[str, str],
    *,
    store: TokenStore,
    oauth: OAuthAPI,
    cipher: TokenCipher,
    state_key: bytes,
    redirect_uri: str,
    now: datetime,
) -> Installation:
    """Verify the state, consume it once, exchange the code, store the installation and make the
    installer its owner. Raises `InstallCallbackError` with the reason for the toolkit."""
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
    store.add_member(inst.id, state.u, "owner")
    for location_id in inst.approved_locations:
        store.add_member(location_id, state.u, "owner")
    count("InstallCompleted")
    logger.info("GHL app installed", extra={"installation_id": inst.id, "kind": inst.kind.value})
    return inst


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


def connected_redirect(toolkit_url: str, inst: Installation) -> str:
    params = {"ghl": "connected"}
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
    from ghlbridge.secrets import get_secrets
    from ghlbridge.settings import get_settings

    return authorize_url(
        caller,
        settings=get_settings(),
        store=factories.get_store(),
        state_key=get_secrets().state_signing_key.get_secret_value().encode(),
        redirect_uri=redirect_uri,
        now=utcnow(),
    )


def finish_install(query: Mapping[str, str], *, redirect_uri: str) -> str:
    """The URL of the toolkit to send the browser back to, `?ghl=connected…` or `?ghl=error…`."""
    from ghlbridge import factories
    from ghlbridge.secrets import get_cipher, get_secrets
    from ghlbridge.settings import get_settings

    toolkit_url = get_settings().toolkit_url
    try:
        inst = complete_install(
            query,
            store=factories.get_store(),
            oauth=factories.get_oauth_api(),
            cipher=get_cipher(),
            state_key=get_secrets().state_signing_key.get_secret_value().encode(),
            redirect_uri=redirect_uri,
            now=utcnow(),
        )
    except InstallCallbackError as exc:
        logger.info("GHL install callback refused", extra={"reason": exc.reason})
        return error_redirect(toolkit_url, exc.reason)
    return connected_redirect(toolkit_url, inst)
