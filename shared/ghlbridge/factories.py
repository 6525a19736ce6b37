"""Cached factories for the expensive things: built on first use, reused while the container is
warm, reset by tests. Nothing here runs at import time."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from ghlbridge.settings import get_settings, reset_settings

if TYPE_CHECKING:  # each factory imports what it builds: a function pays only for what it uses
    from ghlbridge import ghl
    from ghlbridge.ghl.client import GHLClient
    from ghlbridge.ghl.oauth import OAuthAPI
    from ghlbridge.http.caller import VerifiedCallers
    from ghlbridge.idempotency.guard import WriteGuard
    from ghlbridge.secrets import AppSecrets, SecretsCache
    from ghlbridge.store import Store
    from ghlbridge.tokens.crypto import TokenCipher
    from ghlbridge.tokens.parking import Parking
    from ghlbridge.tokens.provider import TokenProvider
    from ghlbridge.tokens.reauth import ReauthNotifier
    from ghlbridge.tokens.refresh import Refresher
    from ghlbridge.toolkit.location_cache import LocationCache, MembershipCache
    from ghlbridge.toolkit.models.research import LocationInfo
    from ghlbridge.toolkit.pipelines import Pipelines


@lru_cache(maxsize=1)
def get_secrets_cache() -> SecretsCache:
    """The app's secrets for the container, kept for `SECRETS_TTL_SECONDS` (`ghlbridge.secrets`)."""
    from ghlbridge.secrets import SecretsCache

    return SecretsCache(get_settings())


def get_secrets() -> AppSecrets:
    return get_secrets_cache().secrets()


def get_cipher() -> TokenCipher:
    """The token cipher of the current `tokenKeys` (rebuilt when the secrets reload)."""
    return get_secrets_cache().cipher()


@lru_cache(maxsize=1)
def get_store() -> Store:
    settings = get_settings()
    if settings.token_store == "sqlite":  # noqa: S105
        from ghlbridge.store.sqlite import SQLiteStore

        return SQLiteStore(settings.sqlite_path, busy_timeout=settings.sqlite_busy_timeout_seconds)
    from ghlbridge.store.supabase import SupabaseStore

    key = get_secrets().supabase_service_role_key
    if not settings.supabase_url or key is None:
        raise RuntimeError("TOKEN_STORE=supabase needs SUPABASE_URL and the service-role key secret")
    return SupabaseStore(settings.supabase_url, key.get_secret_value())


@lru_cache(maxsize=1)
def get_ghl_client() -> GHLClient:
    from ghlbridge.ghl.client import GHLClient

    settings = get_settings()
    return GHLClient(base_url=settings.ghl_base_url, timeout=settings.ghl_timeout_seconds)


@lru_cache(maxsize=1)
def get_oauth_api() -> OAuthAPI:
    from ghlbridge.ghl.oauth import OAuthAPI

    return OAuthAPI(
        get_ghl_client(),
        client_id=get_settings().ghl_client_id,
        client_secret=lambda: get_secrets().ghl_client_secret.get_secret_value(),
    )


@lru_cache(maxsize=1)
def get_parking() -> Parking:
    from ghlbridge.tokens.parking import DirectoryParking, SQSParking

    settings = get_settings()
    if settings.parking_queue_url:
        return SQSParking(settings.parking_queue_url)
    return DirectoryParking(settings.parking_dir)


@lru_cache(maxsize=1)
def get_reauth_notifier() -> ReauthNotifier:
    from ghlbridge.tokens.reauth import EventBridgeNotifier, LogNotifier

    bus = get_settings().reauth_event_bus
    return EventBridgeNotifier(bus) if bus else LogNotifier()


@lru_cache(maxsize=1)
def get_refresher() -> Refresher:
    from ghlbridge.tokens.refresh import Refresher

    settings = get_settings()
    return Refresher(
        get_store(),
        get_oauth_api(),
        get_cipher(),
        get_parking(),
        lease_seconds=settings.refresh_lease_seconds,
        leeway_seconds=settings.refresh_leeway_seconds,
        margin_seconds=settings.refresh_deadline_margin_seconds,
        settle_seconds=settings.refresh_settle_seconds,
        notifier=get_reauth_notifier(),
    )


@lru_cache(maxsize=1)
def get_token_provider() -> TokenProvider:
    from ghlbridge.tokens.provider import TokenProvider

    return TokenProvider(get_refresher(), get_oauth_api())


@lru_cache(maxsize=1)
def get_verified_callers() -> VerifiedCallers:
    """The caller verifier (Supabase JWTs; its JWKS cache) and the tokens it verified lately."""
    from ghlbridge.http.caller import VerifiedCallers, build_verifier  # PyJWT: only functions with callers

    return VerifiedCallers(build_verifier(get_settings(), legacy_secret=lambda: get_secrets().supabase_jwt_secret))


@lru_cache(maxsize=1)
def get_membership_cache() -> MembershipCache:
    """Memberships that hold, per container, for `MEMBERSHIP_CACHE_SECONDS` (`toolkit.access`)."""
    from ghlbridge.toolkit.location_cache import MembershipCache

    return MembershipCache(
        get_settings().membership_cache_seconds, lambda loc, user: get_store().get_membership(loc, user)
    )


@lru_cache(maxsize=1)
def get_pipeline_cache() -> LocationCache[Pipelines]:
    """Each location's pipelines, per container, for `PIPELINES_CACHE_SECONDS` (`toolkit.pipelines`)."""
    from ghlbridge.toolkit.location_cache import LocationCache

    return LocationCache(get_settings().pipelines_cache_seconds)


@lru_cache(maxsize=1)
def get_users_cache() -> LocationCache[tuple[ghl.User, ...]]:
    """Each location's GHL users, per container, for `USERS_CACHE_SECONDS` (`toolkit.ghl_users`)."""
    from ghlbridge.toolkit.location_cache import LocationCache

    return LocationCache(get_settings().users_cache_seconds)


@lru_cache(maxsize=1)
def get_custom_field_cache() -> LocationCache[dict[str, ghl.CustomFieldDefinition]]:
    """Each location's contact custom-field definitions by id, for `CUSTOM_FIELDS_CACHE_SECONDS`
    (`toolkit.research`)."""
    from ghlbridge.toolkit.location_cache import LocationCache

    return LocationCache(get_settings().custom_fields_cache_seconds)


@lru_cache(maxsize=1)
def get_calendar_cache() -> LocationCache[dict[str, str | None]]:
    """Each location's calendar names by id, for `CALENDARS_CACHE_SECONDS` (`toolkit.research`)."""
    from ghlbridge.toolkit.location_cache import LocationCache

    return LocationCache(get_settings().calendars_cache_seconds)


@lru_cache(maxsize=1)
def get_location_cache() -> LocationCache[LocationInfo]:
    """Each location's name and time zone, for `LOCATION_CACHE_SECONDS` (`toolkit.research`)."""
    from ghlbridge.toolkit.location_cache import LocationCache

    return LocationCache(get_settings().location_cache_seconds)


@lru_cache(maxsize=16)  # one per write route
def get_write_guard(name: str) -> WriteGuard:
    """The Powertools idempotency of write route `name` (`idempotency.writes.IdempotentWrite`):
    its config (the TTL is `IDEMPOTENCY_TTL_SECONDS`) and guarded function, over the store."""
    from ghlbridge.idempotency.guard import build_guard  # Powertools' idempotency: only functions that write

    return build_guard(name, get_store, get_cipher, ttl_seconds=get_settings().idempotency_ttl_seconds)


_FACTORIES = (
    get_secrets_cache,
    get_store,
    get_ghl_client,
    get_oauth_api,
    get_parking,
    get_reauth_notifier,
    get_refresher,
    get_token_provider,
    get_verified_callers,
    get_membership_cache,
    get_pipeline_cache,
    get_users_cache,
    get_custom_field_cache,
    get_calendar_cache,
    get_location_cache,
    get_write_guard,
)


def reset() -> None:
    """For tests: forget every cached object, settings and secrets included."""
    for factory in _FACTORIES:
        factory.cache_clear()
    reset_settings()
