"""GHL app webhooks: verify the signature (fail closed), parse and check freshness, then act once.

`receive` runs the three steps in that order and builds the store only after the signature and
the body have passed, so a forged or stale request never touches the store.

Two things GHL's own docs leave open, decided here:
- GHL signs every marketplace app's webhooks with the same key, so a signature proves "from GHL",
  not "for us". Another app's developer holds validly signed UNINSTALL events for locations that
  may also have installed our app. Events whose `appId` is not ours are therefore ignored, and an
  UNINSTALL must carry our `appId` (`GHL_CLIENT_ID` up to the first "-", as the official SDKs do).
- A validly signed UNINSTALL can arrive again (GHL retries, or a replay inside the 5-minute window)
  after the location reinstalled. Uninstalling then would wipe the new tokens, so an UNINSTALL is
  `superseded` when the installation is active and was (re)installed after the event's timestamp.
  `installed_at` is set by an install alone; `updated_at` moves with every lease and refresh, so it
  would wrongly supersede a real UNINSTALL of an installation that was merely refreshed meanwhile.
- An UNINSTALL ends every membership the installation served (the store does it in the same
  transaction), so a later reinstall grants access only to whoever completes it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from ghlbridge.encoding import unb64
from ghlbridge.errors import AppError, PayloadTooLargeError, RequestInvalidError, WebhookSignatureError
from ghlbridge.observability import logger
from ghlbridge.settings import get_settings
from ghlbridge.store.base import InstallationStatus, Store

WebhookOutcome = Literal["uninstalled", "acknowledged", "duplicate", "superseded", "ignored"]
_BAD_SIGNATURE = "Webhook signature is missing or invalid."


class WebhookStaleError(AppError):
    """The signed timestamp is outside `webhook_max_age_seconds`.

    401, not 400: the body is well-formed; what fails is the proof that GHL is sending it *now*.
    Freshness is part of authenticating a signed message (a valid signature on an old message is
    a replay), so this belongs with `WebhookSignatureError`, with its own code for diagnosis.
    """

    status = 401
    code = "stale_webhook"


class WebhookEvent(BaseModel):
    """A GHL webhook body. Unknown fields are kept (as extras) for handlers that need them."""

    model_config = ConfigDict(
        frozen=True, extra="allow", alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )

    type: str | None = None
    webhook_id: str = Field(min_length=1)
    timestamp: datetime
    app_id: str | None = None
    location_id: str | None = None
    company_id: str | None = None
    user_id: str | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _iso_8601(cls, value: Any) -> datetime:
        """ISO 8601 text only (not epoch numbers); a zone-less time is taken as UTC."""
        if not isinstance(value, str):
            raise ValueError("timestamp must be an ISO 8601 string")
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class WebhookResult(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        json_schema_serialization_defaults_required=True,
    )

    webhook_id: str
    type: str | None
    outcome: WebhookOutcome


# GHL's app webhooks are small JSON objects; anything far larger is refused before the signature
# check spends time on it (API Gateway itself allows 10 MB).
MAX_BODY_BYTES = 256 * 1024


def receive(
    raw_body: bytes,
    headers: Mapping[str, str],
    *,
    store: Callable[[], Store] | None = None,
    now: datetime | None = None,
) -> WebhookResult:
    """The whole webhook route: verify, parse, and only then build the store and handle.

    `store` defaults to the cached store factory; `now` to the current UTC time.
    """
    if len(raw_body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"Webhook bodies are limited to {MAX_BODY_BYTES // 1024} KiB")
    verify_signature(raw_body, headers)
    event = parse_event(raw_body, now=now or datetime.now(UTC))
    if store is None:
        from ghlbridge.factories import get_store  # the store (and its client) only past the checks

        store = get_store
    return handle_event(event, store())


def body_bytes(body: str | None, is_base64_encoded: bool | None) -> bytes:
    """The request body bytes as GHL sent them, from an API Gateway / Function URL event
    (`event.body`, `event.is_base64_encoded`): the bytes the signature covers."""
    if not body:
        return b""
    try:
        return base64.b64decode(body, validate=True) if is_base64_encoded else body.encode()
    except (binascii.Error, ValueError):
        raise RequestInvalidError("Request body is not valid base64.") from None


def verify_signature(raw_body: bytes, headers: Mapping[str, str]) -> None:
    """Check GHL's signature over the raw body bytes exactly as received (never re-serialised JSON).

    `x-ghl-signature` (Ed25519) wins when present, with no fallback if it fails (no downgrade);
    `x-wh-signature` (RSA-SHA256, PKCS#1 v1.5) is used only when it is absent. Anything else fails.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    settings = get_settings()
    if (signature := lowered.get("x-ghl-signature")) is not None:
        ok = _verify_ed25519(settings.ghl_webhook_ed25519_public_key, signature, raw_body)
        scheme = "ed25519"
    elif (signature := lowered.get("x-wh-signature")) is not None:
        ok = _verify_rsa(settings.ghl_webhook_rsa_public_key, signature, raw_body)
        scheme = "rsa"
    else:
        ok, scheme = False, "none"
    if not ok:
        logger.warning("webhook signature rejected", extra={"scheme": scheme})
        raise WebhookSignatureError(_BAD_SIGNATURE)


def parse_event(raw_body: bytes, *, now: datetime) -> WebhookEvent:
    """The event, if the body is a JSON object with a webhookId and a fresh timestamp."""
    try:
        data = json.loads(raw_body)
    except ValueError:  # also bad UTF-8
        raise RequestInvalidError("Webhook body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise RequestInvalidError("Webhook body must be a JSON object.")
    try:
        event = WebhookEvent.model_validate(data)
    except ValidationError as exc:
        problems = [{"field": ".".join(map(str, e["loc"])), "problem": e["type"]} for e in exc.errors()]
    else:
        _check_fresh(event.timestamp, now)
        return event
    raise RequestInvalidError("Webhook body is missing or has invalid fields.", details=problems)


def handle_event(event: WebhookEvent, store: Store) -> WebhookResult:
    """Act on a verified, fresh event once per webhookId.

    The store has no read-only "seen this webhookId?"; `record_webhook` is the check and the
    receipt at once (True the first time). Most events have no effect, so they record first and
    a False means "duplicate". An UNINSTALL has an effect, and recording first would make a
    failed effect permanent (GHL's retry would be taken for a duplicate). So it does its
    idempotent effect first and records after: a failure before the receipt lets the retry redo
    it, and a False from `record_webhook` afterwards means this was a duplicate. To keep a
    duplicate from changing anything, the effect is skipped when the installation is already
    uninstalled (or was reinstalled after the event, see the module docstring).
    """
    if not _is_ours(event):
        logger.warning("webhook for another app ignored", extra=_log_ids(event))
        return _result(event, "ignored")
    if event.type == "UNINSTALL":
        outcome = _uninstall(event, store)
    else:
        outcome = "acknowledged" if store.record_webhook(event.webhook_id, event.type or "") else "duplicate"
    logger.info("webhook handled", extra={**_log_ids(event), "outcome": outcome})
    return _result(event, outcome)


def _uninstall(event: WebhookEvent, store: Store) -> WebhookOutcome:
    target = event.location_id or event.company_id
    if not target:
        raise RequestInvalidError("UNINSTALL webhook names neither locationId nor companyId.")
    current = store.get_installation(target)
    if current is None:
        outcome: WebhookOutcome = "acknowledged"  # nothing of ours to remove
    elif (
        current.status is InstallationStatus.ACTIVE
        and current.installed_at is not None
        and current.installed_at > event.timestamp
    ):
        outcome = "superseded"
    else:
        outcome = "uninstalled"
        if current.status is not InstallationStatus.UNINSTALLED:  # done already: change nothing
            store.uninstall(target)
    return outcome if store.record_webhook(event.webhook_id, "UNINSTALL") else "duplicate"


def _is_ours(event: WebhookEvent) -> bool:
    ours = get_settings().ghl_client_id.split("-", 1)[0]
    if event.app_id is None:
        return event.type != "UNINSTALL"  # a destructive event must prove it is addressed to us
    return bool(ours) and event.app_id == ours


def _check_fresh(timestamp: datetime, now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if abs(now - timestamp) > timedelta(seconds=get_settings().webhook_max_age_seconds):
        raise WebhookStaleError("Webhook timestamp is outside the accepted window.")


def _verify_ed25519(pem: str, signature: str, body: bytes) -> bool:
    key = _public_key(pem)
    return isinstance(key, Ed25519PublicKey) and _verified(lambda sig: key.verify(sig, body), signature)


def _verify_rsa(pem: str, signature: str, body: bytes) -> bool:
    key = _public_key(pem)
    return isinstance(key, RSAPublicKey) and _verified(
        lambda sig: key.verify(sig, body, padding.PKCS1v15(), hashes.SHA256()), signature
    )


def _verified(verify: Callable[[bytes], None], signature: str) -> bool:
    """`verify` (a key's) accepts the base64 `signature`; False for a bad one or bad base64."""
    try:
        verify(unb64(signature))
    except (InvalidSignature, ValueError):
        return False
    return True


@lru_cache(maxsize=4)
def _public_key(pem: str) -> object:
    """The parsed key, or None for a bad PEM (logged: a misconfiguration, and every webhook fails)."""
    try:  # env files often carry PEMs with literal "\n"
        return serialization.load_pem_public_key(pem.replace("\\n", "\n").strip().encode())
    except (ValueError, TypeError):
        logger.error("webhook public key setting is not a valid PEM public key")
        return None


def _log_ids(event: WebhookEvent) -> dict[str, Any]:
    return {
        "webhook_id": event.webhook_id,
        "type": event.type,
        "app_id": event.app_id,
        "location_id": event.location_id,
        "company_id": event.company_id,
    }


def _result(event: WebhookEvent, outcome: WebhookOutcome) -> WebhookResult:
    return WebhookResult(webhook_id=event.webhook_id, type=event.type, outcome=outcome)
