"""End to end over real HTTP: the toolkit's calls → local gateway → handlers → GHL sandbox."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Stack, start_stack


def stored(stack: Stack) -> Any:
    from ghlbridge import factories

    inst = factories.get_store().get_installation(stack.location_id)
    assert inst is not None
    return inst


def decrypted(stack: Stack) -> tuple[str, str]:
    from ghlbridge.factories import get_cipher
    from ghlbridge.tokens.refresh import aad

    inst = stored(stack)
    cipher = get_cipher()
    return (
        cipher.decrypt(inst.access_token_enc, aad=aad(inst.id, "access")),
        cipher.decrypt(inst.refresh_token_enc, aad=aad(inst.id, "refresh")),
    )


def sandbox_state(stack: Stack) -> dict[str, Any]:
    return httpx.get(f"{stack.ghl}/_sandbox/state", timeout=10).json()  # type: ignore[no-any-return]


def my_locations(stack: Stack) -> dict[str, dict[str, Any]]:
    answer = stack.get("/locations")
    assert answer.status_code == 200
    return {item["id"]: item for item in answer.json()["items"]}


def test_the_install_goes_through_the_sandbox_page_and_stores_tokens_encrypted(stack: Stack) -> None:
    from ghlsandbox import DEMO_LOCATION_ID

    inst = stored(stack)
    access, refresh = decrypted(stack)

    assert stack.location_id == DEMO_LOCATION_ID
    assert access.startswith("sbx_at_") and refresh.startswith("sbx_rt_")
    assert access not in inst.access_token_enc and refresh not in inst.refresh_token_enc
    assert inst.access_token_enc.startswith("v1.") and inst.installed_by == stack.stack.secrets.dev_user_id
    assert my_locations(stack)[DEMO_LOCATION_ID]["status"] == "connected"
    assert sandbox_state(stack)["oauth"]["refresh_tokens_live"] == 1


def test_denying_the_install_page_redirects_with_access_denied(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        url = stack.get("/oauth/authorize").json()["authorizeUrl"]
        decision = browser.post(url, data={"decision": "deny"})
        callback = browser.get(decision.headers["location"])

    assert callback.status_code == 302
    assert callback.headers["location"].endswith("?ghl=error&reason=access_denied")


def test_expiring_tokens_are_refreshed_by_the_schedule(make_stack: Any) -> None:
    stack = make_stack(access_token_ttl_seconds=3600)  # inside the 6 h window
    before = decrypted(stack)

    summary = httpx.post(f"{stack.api}/_local/refresh?function=TokenRefreshFunction", timeout=60).json()

    assert summary["due"] == 1 and summary["refreshed"] == 1 and summary["failed"] == 0
    after = decrypted(stack)
    assert after[0] != before[0] and after[1] != before[1]
    assert stored(stack).generation == 2
    assert sandbox_state(stack)["oauth"]["refreshes"] == 1


def test_an_expired_token_is_refreshed_on_the_request_path(make_stack: Any) -> None:
    from ghlbridge import factories
    from ghlbridge.ghl import VERSION_2021_07_28
    from ghlbridge.tokens.provider import GHLAuth

    stack = make_stack(access_token_ttl_seconds=120)  # within the 5-minute leeway: stale at once
    client = factories.get_ghl_client()

    answer = client.request(
        "GET",
        "/opportunities/pipelines",
        version=VERSION_2021_07_28,
        params={"locationId": stack.location_id},
        auth=GHLAuth(factories.get_token_provider(), stack.location_id),
    )

    assert answer.json()["pipelines"]
    assert sandbox_state(stack)["oauth"]["refreshes"] == 1
    assert stored(stack).generation == 2


def test_a_reused_refresh_token_is_detected_and_marks_needs_reauth(make_stack: Any) -> None:
    stack = make_stack(access_token_ttl_seconds=3600)
    _, refresh = decrypted(stack)
    from ghlsandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    stolen = httpx.post(
        f"{stack.ghl}/oauth/token",
        timeout=10,
        data={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh,
        },
    )  # someone else spends our refresh token
    assert stolen.status_code == 200

    summary = httpx.post(f"{stack.api}/_local/refresh?function=TokenRefreshFunction", timeout=60).json()

    assert summary["needs_reauth"] == 1 and summary["refreshed"] == 0
    location = my_locations(stack)[stack.location_id]
    assert location["status"] == "needs_reauth"
    assert location["reauthReason"].startswith("invalid_grant")
    assert stored(stack).refresh_token_enc is not None  # kept, never deleted


def test_a_signed_uninstall_webhook_removes_the_tokens(stack: Stack) -> None:
    from ghlsandbox import DEMO_CLIENT_ID

    raw = json.dumps(
        {
            "type": "UNINSTALL",
            "appId": DEMO_CLIENT_ID.split("-")[0],
            "locationId": stack.location_id,
            "webhookId": "wh-e2e-uninstall",
            "timestamp": datetime.now(UTC).isoformat(),
        }
    ).encode()

    forged = httpx.post(
        f"{stack.api}/webhooks/ghl",
        content=raw,
        timeout=30,
        headers={"content-type": "application/json", "x-ghl-signature": "AAAA"},
    )
    assert forged.status_code == 401 and stored(stack).access_token_enc is not None

    answer = httpx.post(
        f"{stack.api}/webhooks/ghl",
        content=raw,
        timeout=30,
        headers={"content-type": "application/json", "x-ghl-signature": stack.sign_webhook(raw)},
    )

    assert answer.status_code == 200 and answer.json()["outcome"] == "uninstalled"
    inst = stored(stack)
    assert inst.access_token_enc is None and inst.refresh_token_enc is None
    assert inst.status.value == "uninstalled" and inst.uninstalled_at is not None
    assert stack.location_id not in my_locations(stack)  # the membership ended with the installation


def test_the_sandbox_rate_limit_makes_the_client_back_off_and_succeed(make_stack: Any) -> None:
    from ghlbridge import factories
    from ghlbridge.ghl import VERSION_2021_07_28
    from ghlbridge.tokens.provider import GHLAuth

    stack = make_stack(burst_limit=5, burst_window_seconds=1.0)
    client = factories.get_ghl_client()
    auth = GHLAuth(factories.get_token_provider(), stack.location_id)

    answers = [
        client.request(
            "GET",
            "/opportunities/pipelines",
            version=VERSION_2021_07_28,
            params={"locationId": stack.location_id},
            auth=auth,
        )
        for _ in range(12)
    ]

    assert all(a.status_code == 200 for a in answers)
    statuses = [r["status"] for r in stack.ghl_requests() if r["path"] == "/opportunities/pipelines"]
    assert statuses.count(429) >= 1  # GHL said no, the client waited the window and retried
    assert statuses.count(200) == 12


def test_the_gateway_edges_behave_like_api_gateway(stack: Stack) -> None:
    assert httpx.get(f"{stack.api}/nope", timeout=10).status_code == 404
    assert httpx.delete(f"{stack.api}/locations", timeout=10).status_code == 404
    unauthenticated = httpx.get(f"{stack.api}/locations", timeout=10)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthenticated"
    preflight = httpx.options(
        f"{stack.api}/locations",
        timeout=10,
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    big = httpx.post(f"{stack.api}/webhooks/ghl", content=b"x" * (10 * 1024 * 1024 + 1), timeout=60)
    assert big.status_code == 413


def test_the_local_stack_serves_the_api_document_and_swagger_ui(stack: Stack) -> None:
    doc = httpx.get(f"{stack.api}/_local/openapi.json", timeout=10)
    page = httpx.get(f"{stack.api}/_local/docs", timeout=10)

    assert doc.status_code == 200 and doc.json()["servers"] == [{"url": stack.api, "description": "make dev"}]
    assert "/locations/{locationId}/opportunities" in doc.json()["paths"]
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text


def test_stopping_the_stack_puts_the_environment_back(tmp_path: Path) -> None:
    before = dict(os.environ)
    stack = start_stack(tmp_path)
    assert os.environ["SQLITE_PATH"].startswith(str(tmp_path))  # the functions' settings were set

    stack.stack.stop()

    assert dict(os.environ) == before
