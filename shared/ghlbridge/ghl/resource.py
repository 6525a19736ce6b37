"""What every per-location resource client shares (the shape of anthropic-sdk's `SyncAPIResource`).

A resource client is one spec file of GHL's API v2 (`apps/opportunities.json`, ...) for one
location: the container's `GHLClient`, the location's `httpx.Auth`, and the `Version` header that
spec file requires on every operation, declared once per class (`version`) rather than on each
call. `tests/ghl/test_ghl_resource_versions.py` checks each class's `version` against the spec's
`Version` enum of every operation it calls.

`OAuthAPI` is not one: its auth differs per call (client credentials in the form, or a company
token) and `POST /oauth/token` takes no `Version` at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

    from ghlbridge.ghl.client import GHLClient, QueryParams


class GHLResource:
    """A resource client for one location: `auth` is that location's `GHLAuth` (a bearer in tests).

    Subclasses declare `version`, their spec file's `Version` header (`VERSION_2021_07_28` or
    `VERSION_2021_04_15`), and send every call through `_request`.
    """

    version: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.__dict__.get("version"), str):
            raise TypeError(f"{cls.__name__} must declare its GHL `version` (the spec's Version header)")

    def __init__(self, client: GHLClient, auth: httpx.Auth) -> None:
        self._client = client
        self._auth = auth

    def _request(
        self, method: str, path: str, *, params: QueryParams | None = None, json: Any = None
    ) -> httpx.Response:
        """`GHLClient.request` with this class's `Version` and the location's auth: the 2xx response."""
        return self._client.request(method, path, version=self.version, params=params, json=json, auth=self._auth)
