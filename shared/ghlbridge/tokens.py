"""The request path's source of GHL access tokens.

`TokenProvider.access_token(location_id)` answers from an in-memory cache per container while the
token is fresh (no store round trip), reads the store otherwise, and refreshes (through
`ghlbridge.refresh.Refresher`) within `leeway` of expiry. For a location reached through an agency
(Company) installation it mints a location token with `POST /oauth/locationToken` and caches it
until expiry (such tokens carry no refresh token).

`GHLAuth` is the httpx auth flow: it sets the bearer token, and on a GHL 401 forces one refresh
and replays the request once.
"""

from __future__ import annotations

import threading
from collections.abc import Generator

import httpx

from ghlbridge.errors import InstallationNotFoundError
from ghlbridge.ghl.errors import GHLUnauthorizedError
from ghlbridge.ghl.oauth import OAuthAPI
from ghlbridge.refresh import AccessToken, Clock, Refresher, utcnow
from ghlbridge.store import Installation, InstallationKind, InstallationStatus


class TokenProvider:
    def __init__(self, refresher: Refresher, oauth: OAuthAPI, *, clock: Clock = utcnow) -> None:
        self._refresher = refresher
        self._store = refresher.store
        self._oauth = oauth
        self._clock = clock
        self._cache: dict[str, AccessToken] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, installation_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(installation_id, threading.Lock())

    def _cached(self, installation_id: str, rejected: str | None = None) -> AccessToken | None:
        token = self._cache.get(installation_id)
        if token is None or not token.usable(self._clock(), self._refresher.leeway_seconds, rejected=rejected):
            return None
        return token

    def access_token(self, location_id: str) -> str:
        """A valid access token for the location (or company) `location_id`."""
        if token := self._cached(location_id):
            return token.value
        with self._lock(location_id):  # one thread per container goes to the store
            if token := self._cached(location_id):
                return token.value
            return self._load(location_id, rejected=None).value

    def force_refresh(self, location_id: str, *, rejected: str) -> str:
        """GHL rejected `rejected` (401): get a different token, refreshing if the store has none."""
        with self._lock(location_id):
            if token := self._cached(location_id, rejected=rejected):
                return token.value  # another thread already replaced it
            self._cache.pop(location_id, None)
            return self._load(location_id, rejected=rejected).value

    def _load(self, installation_id: str, *, rejected: str | None) -> AccessToken:
        inst = self._store.get_installation(installation_id)
        if inst is None or inst.status is InstallationStatus.UNINSTALLED:
            company = self._store.find_company_for_location(installation_id)
            if company is None:
                raise InstallationNotFoundError(f"No GHL installation for {installation_id}")
            token = self._mint_location_token(company, installation_id)
        else:
            inst = self._refresher.check_status(inst, installation_id)
            token = (
                self._refresher.usable(inst, rejected=rejected)
                or self._refresher.refresh(installation_id, seen_generation=inst.generation, rejected=rejected).token
            )
        self._cache[installation_id] = token
        return token

    def _mint_location_token(self, company: Installation, location_id: str) -> AccessToken:
        assert company.kind is InstallationKind.COMPANY
        company_token = self.access_token(company.id)
        try:
            answer = self._oauth.location_token(company_token, company_id=company.id, location_id=location_id)
        except GHLUnauthorizedError:
            company_token = self.force_refresh(company.id, rejected=company_token)
            answer = self._oauth.location_token(company_token, company_id=company.id, location_id=location_id)
        expires_at = answer.expires_at(self._clock())
        return AccessToken(location_id, answer.access_token.get_secret_value(), expires_at, generation=-1)


class GHLAuth(httpx.Auth):
    """Bearer auth for one location: refresh on 401 once, then replay once."""

    def __init__(self, provider: TokenProvider, location_id: str) -> None:
        self._provider = provider
        self._location_id = location_id

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = self._provider.access_token(self._location_id)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = self._provider.force_refresh(self._location_id, rejected=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request
