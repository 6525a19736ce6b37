"""GHL's OAuth endpoints (`apps/oauth.json`): code exchange, refresh, and agency → location token.

Bodies are form-encoded with exactly the spec's field names. Two choices the spec leaves open:

- `user_type` is never sent. The spec does not say when it is needed, and GHL's own template
  app sends it for neither grant (GHL-NOTES §1.2).
- `POST /oauth/token` gets no `Version` header: the v2 spec declares none for it.

These are POSTs, so the client never resends them after a timeout or a 5xx. Codes and refresh
tokens are single-use: if the first try did reach GHL, a resend could only fail and hide that a
new token pair was issued. The caller sees `GHLTimeoutError` / `GHLServerError` and decides.
"""

from __future__ import annotations

from collections.abc import Callable

from ghlbridge.ghl.client import VERSION_2021_07_28, BearerAuth, GHLClient
from ghlbridge.ghl.models import LocationTokenResponse, TokenResponse, parse_response

TOKEN_PATH = "/oauth/token"  # noqa: S105  (a path, not a secret)
LOCATION_TOKEN_PATH = "/oauth/locationToken"  # noqa: S105


class OAuthAPI:
    """The three OAuth calls. `client_secret` is called per request, so a rotated secret is picked up."""

    def __init__(self, client: GHLClient, *, client_id: str, client_secret: Callable[[], str]) -> None:
        self._client = client
        self._client_id = client_id
        self._client_secret = client_secret

    def exchange_code(self, code: str, *, redirect_uri: str | None = None) -> TokenResponse:
        """Trade the authorization code from the install callback for the first token pair.

        Raises `GHLInvalidGrantError` when GHL reports the code as invalid_grant (used, expired).
        """
        form = {"grant_type": "authorization_code", "code": code}
        if redirect_uri is not None:
            form["redirect_uri"] = redirect_uri
        return self._token(form)

    def refresh(self, refresh_token: str) -> TokenResponse:
        """Trade a refresh token for a new pair. GHL rotates it: store the new refresh token.

        Raises `GHLInvalidGrantError` when the refresh token is no longer accepted (re-install needed).
        """
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def location_token(self, company_access_token: str, *, company_id: str, location_id: str) -> LocationTokenResponse:
        """Mint a Sub-Account token from an Agency (Company) token. GHL answers 200 or 201."""
        response = self._client.request(
            "POST",
            LOCATION_TOKEN_PATH,
            version=VERSION_2021_07_28,
            data={"companyId": company_id, "locationId": location_id},
            auth=BearerAuth(company_access_token),
        )
        return parse_response(response, LocationTokenResponse)

    def _token(self, grant: dict[str, str]) -> TokenResponse:
        form = {"client_id": self._client_id, "client_secret": self._client_secret(), **grant}
        response = self._client.request("POST", TOKEN_PATH, version=None, data=form)
        return parse_response(response, TokenResponse)
