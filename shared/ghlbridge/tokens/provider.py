"""The request path's source of GHL access tokens.

`TokenProvider.access_token(location_id)` answers from an in-memory cache per container while the
token is fresh and was read from the store less than `CACHE_SECONDS` ago (so a warm container
stops using the token of an uninstalled installation within a minute), and otherwise asks the store
once (`get_token_source`: the location's own installation, else the agency installation that
approved it) and refreshes (through `ghlbridge.tokens.refresh.Refresher`) within `leeway` of expiry. For a
location reached through an agency (Company) installation it mints a location token with
`POST /oauth/locationToken` and caches it like the others (such tokens carry no refresh token).

`GHLAuth` is the httpx auth flow: it sets the bearer token, and on a GHL 401 that says the token is
invalid or expired (`ghlbridge.ghl.errors.rejects_token`) gets another token and replays the request
once. Any other 401 (a missing scope, the wrong token class, an unknown user) is answered as it is:
a refresh cannot cure it. A forced refresh happens at most once per location per
`FORCED_REFRESH_INTERVAL_SECONDS`, so a GHL that keeps refusing fresh tokens cannot make us rotate
the single-use refresh token on every request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Final

import httpx

from ghlbridge.errors import InstallationNotFoundError
from ghlbridge.ghl.errors import GHLTokenRejectedError, rejects_token
from ghlbridge.ghl.oauth import OAuthAPI
from ghlbridge.observability import count, logger
from ghlbridge.store import Installation, InstallationKind
from ghlbridge.tokens.refresh import AccessToken, Clock, Refresher, utcnow

CACHE_SECONDS: Final = 60.0
"""How long a container uses a token without asking the store again (uninstalls take effect within it)."""
FORCED_REFRESH_INTERVAL_SECONDS: Final = 60.0
"""At most one forced refresh (after a GHL 401) per location in this interval, per container."""


@dataclass(frozen=True, slots=True)
class _Cached:
    token: AccessToken
    read_at: float  # monotonic
    company_id: str | None


class TokenProvider:
    def __init__(
        self,
        refresher: Refresher,
        oauth: OAuthAPI,
        *,
        clock: Clock = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refresher = refresher
        self._store = refresher.store
        self._oauth = oauth
        self._clock = clock
        self._monotonic = monotonic
        self._cache: dict[str, _Cached] = {}  # location id (or company id, for minting) -> token
        self._forced: dict[str, float] = {}  # location id -> monotonic time of its last forced refresh
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())

    def _cached(self, key: str, rejected: str | None = None) -> _Cached | None:
        entry = self._cache.get(key)
        if entry is None or self._monotonic() - entry.read_at >= CACHE_SECONDS:
            return None
        if not entry.token.usable(self._clock(), self._refresher.leeway_seconds, rejected=rejected):
            return None
        return entry

    def access_token(self, location_id: str) -> str:
        """A valid access token for the location `location_id`."""
        return self._entry(location_id).token.value

    def company_id(self, location_id: str) -> str | None:
        """The GHL company (agency) the location belongs to, as its installation knows it."""
        return self._entry(location_id).company_id

    def _entry(self, location_id: str) -> _Cached:
        if entry := self._cached(location_id):
            return entry
        with self._lock(location_id):  # one thread per container goes to the store
            if entry := self._cached(location_id):
                return entry
            return self._load(location_id, rejected=None)

    def force_refresh(self, location_id: str, *, rejected: str) -> str | None:
        """GHL rejected `rejected` (a 401 about the token): a different token, refreshing if the
        store has none. None when this location was already force-refreshed within
        `FORCED_REFRESH_INTERVAL_SECONDS` and nothing newer is at hand: the 401 then stands."""
        with self._lock(location_id):
            if entry := self._cached(location_id, rejected=rejected):
                return entry.token.value  # another thread already replaced it
            now = self._monotonic()
            last = self._forced.get(location_id)
            if last is not None and now - last < FORCED_REFRESH_INTERVAL_SECONDS:
                count("ForcedRefreshSuppressed")
                logger.warning("GHL rejected a fresh token again; not refreshing", extra={"location_id": location_id})
                return None
            self._forced[location_id] = now
            self._cache.pop(location_id, None)
            return self._load(location_id, rejected=rejected).token.value

    def _load(self, location_id: str, *, rejected: str | None) -> _Cached:
        source = self._store.get_token_source(location_id)
        if source is None:  # also a company id in a location's place: nothing to call GHL with
            raise InstallationNotFoundError(f"No GHL installation for {location_id}")
        if source.kind is InstallationKind.COMPANY:
            token = self._mint_location_token(source, location_id)
            company_id: str | None = source.id
        else:
            token = self._own_token(source, rejected)
            company_id = source.company_id
        entry = _Cached(token, self._monotonic(), company_id)
        self._cache[location_id] = entry
        return entry

    def _own_token(self, inst: Installation, rejected: str | None) -> AccessToken:
        inst = self._refresher.check_status(inst, inst.id)
        return (
            self._refresher.usable(inst, rejected=rejected)
            or self._refresher.refresh(inst.id, seen_generation=inst.generation, rejected=rejected).token
        )

    def _company_token(self, company: Installation, rejected: str | None = None) -> AccessToken:
        """The agency's own token (it only mints location tokens), cached under the company id."""
        with self._lock(company.id):
            if rejected is None and (entry := self._cached(company.id)):
                return entry.token
            if rejected is not None:
                company = self._store.get_installation(company.id) or company  # someone may have refreshed
            token = self._own_token(company, rejected)
            self._cache[company.id] = _Cached(token, self._monotonic(), company.id)
            return token

    def _mint_location_token(self, company: Installation, location_id: str) -> AccessToken:
        company_token = self._company_token(company).value
        try:
            answer = self._oauth.location_token(company_token, company_id=company.id, location_id=location_id)
        except GHLTokenRejectedError:
            company_token = self._company_token(company, rejected=company_token).value
            answer = self._oauth.location_token(company_token, company_id=company.id, location_id=location_id)
        expires_at = answer.expires_at(self._clock())
        return AccessToken(location_id, answer.access_token.get_secret_value(), expires_at, generation=-1)


class GHLAuth(httpx.Auth):
    """Bearer auth for one location: on a 401 about the token, one other token and one replay."""

    def __init__(self, provider: TokenProvider, location_id: str) -> None:
        self._provider = provider
        self._location_id = location_id

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = self._provider.access_token(self._location_id)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        response.read()  # the 401's message says whether the token is the problem (only 401s are read here)
        if not rejects_token(response):
            return
        replacement = self._provider.force_refresh(self._location_id, rejected=token)
        if replacement is not None:
            request.headers["Authorization"] = f"Bearer {replacement}"
            yield request
