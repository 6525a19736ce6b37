"""GHL's OAuth endpoints (`apps/oauth.json`, `docs/oauth/Authorization.md`).

- `GET /v2/oauth/chooselocation?response_type=code&redirect_uri=…&client_id=…&scope=…&state=…`:
  the install page (app, scopes, location, Location or Company install, approve or deny).
  `POST` to the same URL answers 302 to `redirect_uri?code=…&state=…` (or `?error=access_denied`).
  The pre-2026-05 path `/oauth/chooselocation` works too.
- `POST /oauth/token`: `authorization_code` and `refresh_token` grants, form-encoded.
- `POST /oauth/locationToken`: a Company token mints a location token (201, no refresh token).

Error answers follow what was measured on GHL (GHL-NOTES §9.5): an unknown, used or expired code
is `401 {"error":"UnAuthorized!","error_description":"Authorization code not found"}`, checked
BEFORE the client credentials; a spent or unknown refresh token is
`400 {"error":"invalid_grant", …}`; bad client credentials are `401 {"error":"invalid_client", …}`.
"""

from __future__ import annotations

import hmac
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from ghlsandbox.config import OAuthClient, UserType
from ghlsandbox.routing import (
    AUTH_CLASS_MESSAGE,
    LOCATION_ACCESS_MESSAGE,
    VERSION_2021_07_28,
    ApiError,
    Call,
    Reply,
    Route,
)
from ghlsandbox.state import Data
from ghlsandbox.tokens import Grant, TokenStore
from ghlsandbox.validation import Field

CODE_NOT_FOUND = {"error": "UnAuthorized!", "error_description": "Authorization code not found"}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "Invalid client credentials"}
INVALID_REFRESH = {"error": "invalid_grant", "error_description": "Invalid grant: refresh token is invalid"}


class InstallPageError(Exception):
    """The install page cannot be shown: answered as a 400 HTML page, as GHL's marketplace does."""


def approve_install(
    data: Data,
    tokens: TokenStore,
    client: OAuthClient,
    *,
    redirect_uri: str,
    scopes: tuple[str, ...],
    location_id: str,
    user_type: UserType,
    now: float,
    code_ttl: int,
) -> str:
    """What "Approve" on the install page does: a grant for this location (or the whole company)
    and a fresh single-use code for it. Also used by `Sandbox.authorize()` and `/_sandbox/authorize`."""
    location = data.locations.get(location_id)
    if location is None:
        raise InstallPageError(f"Unknown location {location_id!r}")
    company_locations = tuple(loc.id for loc in data.locations.values() if loc.company_id == location.company_id)
    installer = next(
        (user.id for user in data.users.values() if user.company_id == location.company_id), "sandbox-user"
    )
    grant = Grant(
        client_id=client.client_id,
        app_id=client.app_id,
        user_type=user_type,
        company_id=location.company_id,
        location_id=location_id if user_type == "Location" else None,
        approved_locations=company_locations if user_type == "Company" else (),
        user_id=installer,
        scopes=scopes,
    )
    return tokens.issue_code(grant, redirect_uri=redirect_uri, now=now, ttl=code_ttl)


def with_query(url: str, **params: str) -> str:
    """`url` with `params` added to whatever query it already has."""
    parts = urlsplit(url)
    extra = urlencode({name: value for name, value in params.items() if value is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# --- install page ------------------------------------------------------------------------------


def _install_request(call: Call) -> tuple[OAuthClient, str, tuple[str, ...], str]:
    """(client, redirect_uri, scopes, state) from the install URL, or InstallPageError."""

    def param(name: str) -> str:
        values = call.raw_query.get(name) or [""]
        return values[0] or str(call.body.get(name, "") or "")

    client = call.config.client(param("client_id"))
    if client is None:
        raise InstallPageError("Invalid client_id: no app with this client id is installed in the sandbox.")
    if client.require_version_id and not param("version_id"):
        raise InstallPageError("error.noversionid: this app needs version_id in the install link.")
    if param("response_type") != "code":
        raise InstallPageError("response_type must be 'code'.")
    redirect_uri = param("redirect_uri")
    if not redirect_uri:
        raise InstallPageError("redirect_uri is required.")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        raise InstallPageError("redirect_uri must be an http(s) URL.")
    if client.redirect_uris and redirect_uri not in client.redirect_uris:
        raise InstallPageError("redirect_uri is not one of the app's redirect URLs.")
    scopes = tuple(param("scope").split()) or tuple(client.scopes.split())
    return client, redirect_uri, scopes, param("state")


def choose_location_page(call: Call) -> Reply:
    try:
        client, _, scopes, _ = _install_request(call)
    except InstallPageError as exc:
        return Reply.html(400, _error_page(str(exc)))
    locations = sorted(call.data.locations.values(), key=lambda loc: loc.name)
    preselected = call.config.default_user_type
    options = "".join(
        f'<option value="{escape(loc.id)}">{escape(loc.name)} ({escape(loc.id)})</option>' for loc in locations
    )
    scope_items = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes)
    user_types = "".join(
        f'<label><input type="radio" name="userType" value="{kind}"{" checked" if kind == preselected else ""}> '
        f"{label}</label><br>"
        for kind, label in (
            ("Location", "This sub-account (Location token)"),
            ("Company", "The agency (Company token)"),
        )
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Install {escape(client.name)} · GHL sandbox</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;color:#1f2937}}
.card{{border:1px solid #d1d5db;border-radius:.75rem;padding:1.5rem}}button{{padding:.5rem 1.25rem;margin-right:.5rem}}
.note{{color:#6b7280;font-size:.85rem}}</style></head>
<body><div class="card">
<h1>Install {escape(client.name)}</h1>
<p class="note">GoHighLevel API sandbox. No real account is involved.</p>
<form method="post">
<p><label for="locationId">Sub-account</label><br>
<select id="locationId" name="locationId">{options}</select></p>
<p>Install for:<br>{user_types}</p>
<p>The app asks for these scopes:</p><ul>{scope_items}</ul>
<button type="submit" name="decision" value="approve">Approve and install</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></div></body></html>"""
    return Reply.html(200, page)


def choose_location_submit(call: Call) -> Reply:
    try:
        client, redirect_uri, scopes, state = _install_request(call)
    except InstallPageError as exc:
        return Reply.html(400, _error_page(str(exc)))
    if call.body.get("decision") == "deny":
        return Reply.redirect(with_query(redirect_uri, error="access_denied", state=state))
    first_location = next(iter(call.data.locations))
    location_id = str(call.body.get("locationId") or first_location)
    user_type = str(call.body.get("userType") or call.config.default_user_type)
    if user_type not in ("Location", "Company"):
        return Reply.html(400, _error_page("userType must be Location or Company."))
    try:
        code = approve_install(
            call.data,
            call.tokens,
            client,
            redirect_uri=redirect_uri,
            scopes=scopes,
            location_id=location_id,
            user_type="Company" if user_type == "Company" else "Location",
            now=call.now,
            code_ttl=call.config.code_ttl_seconds,
        )
    except InstallPageError as exc:
        return Reply.html(400, _error_page(str(exc)))
    return Reply.redirect(with_query(redirect_uri, code=code, state=state))


def _error_page(message: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Install error · GHL sandbox</title></head>'
        f"<body><h1>Something went wrong</h1><p>{escape(message)}</p></body></html>"
    )


# --- token endpoints ---------------------------------------------------------------------------


def token(call: Call) -> Reply:
    """`POST /oauth/token`: trade a code or a refresh token for a new token pair."""
    form = call.body
    client_id = str(form["client_id"])
    client = call.config.client(client_id)
    credentials_ok = client is not None and hmac.compare_digest(
        client.client_secret.encode(), str(form["client_secret"]).encode()
    )
    grant_type = form["grant_type"]
    config = call.config
    if grant_type == "authorization_code":
        code = str(form.get("code") or "")
        pending = call.tokens.live_code(code, call.now) if code else None
        if pending is None or pending.grant.client_id != client_id:
            raise ApiError(401, body=CODE_NOT_FOUND)
        if not credentials_ok:
            raise ApiError(401, body=INVALID_CLIENT)
        redirect_uri = form.get("redirect_uri")
        if redirect_uri and redirect_uri != pending.redirect_uri:
            raise ApiError(
                400, body={"error": "invalid_grant", "error_description": "redirect_uri does not match the install"}
            )
        call.tokens.spend_code(code)
        grant = pending.grant
    elif grant_type == "refresh_token":
        if not credentials_ok:
            raise ApiError(401, body=INVALID_CLIENT)
        refresh = str(form.get("refresh_token") or "")
        record = call.tokens.live_refresh(refresh, call.now) if refresh else None
        if record is None or record.grant.client_id != client_id:
            raise ApiError(400, body=INVALID_REFRESH)
        call.tokens.spend_refresh(refresh)
        grant = record.grant
    else:
        raise ApiError(
            400, body={"error": "unsupported_grant_type", "error_description": f"{grant_type} is not supported"}
        )
    body = call.tokens.issue_pair(
        grant,
        now=call.now,
        access_ttl=config.access_token_ttl_seconds,
        refresh_ttl=config.refresh_token_ttl_seconds,
    )
    return Reply(200, body)


def location_token(call: Call) -> Reply:
    """`POST /oauth/locationToken`: 201 (as measured on GHL; the spec says 200) with a location
    token for one of the Company grant's approved locations."""
    grant = call.grant
    assert grant is not None  # the route takes a Company token
    if grant.location_id is not None:  # pragma: no cover  (the server already refused Location tokens)
        raise ApiError(401, AUTH_CLASS_MESSAGE)
    company_id, location_id = str(call.body["companyId"]), str(call.body["locationId"])
    if company_id != grant.company_id:
        raise ApiError(403, "The token does not have access to this company.")
    if location_id not in grant.approved_locations:
        raise ApiError(403, LOCATION_ACCESS_MESSAGE)
    body = call.tokens.mint_location_token(grant, location_id, now=call.now, ttl=call.config.access_token_ttl_seconds)
    return Reply(201, body)


_CHOOSE_LOCATION_PATHS = ("/v2/oauth/chooselocation", "/oauth/chooselocation")

ROUTES: tuple[Route, ...] = (
    *(Route("GET", path, choose_location_page, raw=True) for path in _CHOOSE_LOCATION_PATHS),
    *(Route("POST", path, choose_location_submit, raw=True, form=True) for path in _CHOOSE_LOCATION_PATHS),
    Route(
        "POST",
        "/oauth/token",
        token,
        form=True,
        body=(
            Field("client_id", required=True),
            Field("client_secret", required=True),
            Field("grant_type", required=True, enum=("authorization_code", "refresh_token", "client_credentials")),
            Field("code"),
            Field("refresh_token"),
            Field("user_type", enum=("Company", "Location")),
            Field("redirect_uri"),
        ),
    ),
    Route(
        "POST",
        "/oauth/locationToken",
        location_token,
        version=VERSION_2021_07_28,
        auth_class="Company",
        scope="oauth.write",
        form=True,
        body=(Field("companyId", required=True), Field("locationId", required=True)),
    ),
)
