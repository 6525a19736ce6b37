"""Put installations into a store the way the OAuth callback would (tokens encrypted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ghlbridge.store import Installation, InstallationKind, Store
from ghlbridge.tokens.crypto import TokenCipher
from ghlbridge.tokens.refresh import aad
from tests import leak_guard


def seed_installation(
    store: Store,
    cipher: TokenCipher,
    installation_id: str,
    *,
    access: str,
    refresh: str | None,
    expires_in: timedelta,
    kind: InstallationKind = InstallationKind.LOCATION,
    approved_locations: list[str] | None = None,
) -> Installation:
    leak_guard.register(access, refresh or "")
    return store.save_installation(
        Installation(
            id=installation_id,
            kind=kind,
            user_type="Location" if kind is InstallationKind.LOCATION else "Company",
            company_id="comp1",
            scopes=["contacts.readonly"],
            approved_locations=approved_locations or [],
            access_token_enc=cipher.encrypt(access, aad=aad(installation_id, "access")),
            refresh_token_enc=cipher.encrypt(refresh, aad=aad(installation_id, "refresh")) if refresh else None,
            expires_at=datetime.now(UTC) + expires_in,
            installed_by="user-1",
        )
    )


def stored_tokens(store: Store, cipher: TokenCipher, installation_id: str) -> tuple[str | None, str | None]:
    inst = store.get_installation(installation_id)
    assert inst is not None
    access = (
        cipher.decrypt(inst.access_token_enc, aad=aad(installation_id, "access")) if inst.access_token_enc else None
    )
    refresh = (
        cipher.decrypt(inst.refresh_token_enc, aad=aad(installation_id, "refresh")) if inst.refresh_token_enc else None
    )
    return access, refresh
