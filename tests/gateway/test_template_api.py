"""The real template.yaml through the gateway: every HttpApi route reaches the function the
template names, and nothing else does; the template's CORS; the local refresh route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from gateway import Gateway

from tests.conftest import AppEnv, make_jwt
from tests.gateway.conftest import TOOLKIT_ORIGIN
from tests.seed import seed_installation, stored_tokens
from tests.template_yaml import ROOT, resources

FUNCTIONS = resources("AWS::Serverless::Function")
ROUTES = sorted(
    (event["Properties"].get("Method", "ANY").upper(), event["Properties"].get("Path", "$default"), name)
    for name, fn in FUNCTIONS.items()
    for event in (fn["Properties"].get("Events") or {}).values()
    if event["Type"] == "HttpApi"
)
"""Every HttpApi event; one without Path and Method is the catch-all `$default` route."""
DEFAULT_ROUTE = [route for route in ROUTES if route[1] == "$default"]
CORS = resources("AWS::Serverless::HttpApi")["HttpApi"]["Properties"]["CorsConfiguration"]


def concrete(path: str) -> str:
    """A request path for a route path: `{param}` → `param-1`, `{proxy+}` → `a/b`."""
    return re.sub(r"\{([^}+]+)(\+?)\}", lambda m: "a/b" if m.group(2) else f"{m.group(1)}-1", path)


def test_gateway_serves_exactly_the_template_routes(api_gateway: Gateway) -> None:
    assert sorted(api_gateway.routes) == ROUTES
    assert ROUTES  # the template has HttpApi routes at all


@pytest.mark.parametrize(("method", "path", "function"), [r for r in ROUTES if r[1] != "$default"])
def test_each_route_reaches_its_function(
    api: httpx.Client, api_gateway: Gateway, method: str, path: str, function: str
) -> None:
    response = api.request("GET" if method == "ANY" else method, concrete(path))

    assert response.headers["apigw-requestid"]
    called = {name: f.invocations for name, f in api_gateway.functions.items() if f.invocations}
    assert called == {function: 1}
    if response.headers.get("content-type") == "application/json" and "error" in response.json():
        # an answer of the function's own resolver, for this very event
        assert response.json()["error"]["code"] != "route_not_found"
        assert response.json()["error"]["requestId"] == response.headers["apigw-requestid"]


def test_authorize_builds_the_callback_url_from_the_host(api: httpx.Client, api_gateway: Gateway) -> None:
    response = api.get("/oauth/authorize", headers={"Authorization": f"Bearer {make_jwt()}"})

    assert response.status_code == 200, response.text
    query = parse_qs(urlsplit(response.json()["authorizeUrl"]).query)
    host = api_gateway.url.removeprefix("http://")
    assert query["redirect_uri"] == [f"https://{host}/oauth/callback"]  # requestContext.domainName


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/oauth"), ("POST", "/oauth/authorize"), ("DELETE", "/webhooks/ghl")],
)
def test_anything_else_reaches_the_catch_all_route_and_gets_the_error_envelope(
    api: httpx.Client, api_gateway: Gateway, method: str, path: str
) -> None:
    """template.yaml's `$default` route (OAuthFunction): the API's envelope, not API Gateway's bare 404."""
    [(_, _, function)] = DEFAULT_ROUTE
    response = api.request(method, path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "route_not_found"
    assert response.json()["error"]["requestId"] == response.headers["apigw-requestid"]
    assert {name for name, f in api_gateway.functions.items() if f.invocations} == {function}


def test_preflight_follows_the_template_cors_configuration(api: httpx.Client, api_gateway: Gateway) -> None:
    response = api.options(
        "/oauth/authorize",
        headers={"Origin": TOOLKIT_ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == TOOLKIT_ORIGIN
    assert response.headers["access-control-allow-methods"] == ",".join(CORS["AllowMethods"])
    assert response.headers["access-control-allow-headers"] == ",".join(h.lower() for h in CORS["AllowHeaders"])
    assert response.headers["access-control-max-age"] == str(CORS["MaxAge"])
    assert not api_gateway.functions["OAuthFunction"].loaded


def test_function_answers_carry_cors_for_the_toolkit_origin_only(api: httpx.Client) -> None:
    toolkit = api.get("/oauth/authorize", headers={"Origin": TOOLKIT_ORIGIN})
    other = api.get("/oauth/authorize", headers={"Origin": "https://evil.example"})

    assert toolkit.status_code == other.status_code == 401  # the function's answer, readable by the toolkit
    assert toolkit.headers["access-control-allow-origin"] == TOOLKIT_ORIGIN
    assert toolkit.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in other.headers


def test_without_a_toolkit_origin_no_origin_is_allowed(app_env: AppEnv) -> None:
    with Gateway(ROOT / "template.yaml", port=0) as gateway, httpx.Client(base_url=gateway.url) as client:
        response = client.options(
            "/oauth/authorize", headers={"Origin": TOOLKIT_ORIGIN, "Access-Control-Request-Method": "GET"}
        )

    assert any("ToolkitOrigin" in warning for warning in gateway.template.warnings)
    assert "access-control-allow-origin" not in response.headers


def test_local_refresh_runs_the_scheduled_refresh(app_env: AppEnv, api: httpx.Client) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    store, cipher = factories.get_store(), get_cipher()
    refresh_token = app_env.ghl.refresh_token_for("loc1")
    seed_installation(store, cipher, "loc1", access="at-old-loc1", refresh=refresh_token, expires_in=timedelta(0))

    response = api.post("/_local/refresh", params={"function": "TokenRefreshFunction"})

    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["due"], summary["refreshed"], summary["failed"], summary["failures"]) == (1, 1, 0, [])
    assert app_env.ghl.token_posts("refresh_token") == 1
    access, refresh = stored_tokens(store, cipher, "loc1")
    assert access != "at-old-loc1" and refresh != refresh_token


def test_local_refresh_fires_the_daily_purge_by_name(app_env: AppEnv, api: httpx.Client) -> None:
    from ghlbridge import factories

    store = factories.get_store()
    user = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
    store.create_oauth_state("expired", user, datetime.now(UTC) - timedelta(minutes=1))
    store.create_oauth_state("live", user, datetime.now(UTC) + timedelta(minutes=10))

    unnamed = api.post("/_local/refresh")  # two scheduled functions now: the name is needed
    response = api.post("/_local/refresh", params={"function": "PurgeFunction"})

    assert unnamed.status_code == 404 and "PurgeFunction" in unnamed.json()["message"]
    assert response.status_code == 200, response.text
    assert response.json()["deleted"]["oauth_states"] == 1 and response.json()["complete"] is True
    assert store.consume_oauth_state("expired", user) is False
    assert store.consume_oauth_state("live", user) is True  # the live state was left alone
