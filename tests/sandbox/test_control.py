"""The local-only control endpoints, the configuration file, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from ghlsandbox import (
    DEMO_CALENDAR_IDS,
    DEMO_LOCATION_ID,
    DEMO_PIPELINE_IDS,
    DEMO_USER_IDS,
    DEV_USER_EMAIL,
    DEV_USER_ID,
    OTHER_LOCATION_ID,
    SandboxConfig,
    control,
)
from ghlsandbox.routing import ApiError

from tests import leak_guard
from tests.sandbox.kit import SHARED_TLS_CONTEXT, Ghl, demo_contacts

ROOT = Path(__file__).resolve().parents[2]


def test_state_lists_the_ids_to_use_and_counts_but_no_token(sbx: Ghl) -> None:
    response = sbx.http.get("/_sandbox/state")

    state = response.json()
    demo = next(loc for loc in state["locations"] if loc["id"] == DEMO_LOCATION_ID)
    assert demo["pipelines"] == list(DEMO_PIPELINE_IDS) and demo["calendars"] == list(DEMO_CALENDAR_IDS)
    assert {loc["id"] for loc in state["locations"]} == {DEMO_LOCATION_ID, OTHER_LOCATION_ID}
    assert state["counts"]["opportunities"] == 210 and state["counts"]["contacts"] == 162
    assert state["oauth"]["access_tokens_live"] == 1 and state["oauth"]["refresh_tokens_live"] == 1
    assert set(demo["users"]) == {*DEMO_USER_IDS, DEV_USER_ID}
    users = {user["email"]: user for user in state["users"]}
    assert users[DEV_USER_EMAIL] == {
        "id": DEV_USER_ID,
        "name": "Dev User",
        "email": DEV_USER_EMAIL,
        "type": "account",
        "role": "user",
        "locationIds": [DEMO_LOCATION_ID],
    }
    assert len(users) == 6, "five demo-location users and the other location's admin"
    leak_guard.assert_no_secret(response.text, "GET /_sandbox/state")


def test_state_counts_opportunities_tasks_and_appointments_by_status(sbx: Ghl) -> None:
    opportunity = next(
        o
        for o in sbx.sandbox.state.data.opportunities.values()
        if o.location_id == DEMO_LOCATION_ID and o.status == "open"
    )
    before = sbx.http.get("/_sandbox/state").json()

    sbx.put(f"/opportunities/{opportunity.id}/status", json={"status": "abandoned"})
    after = sbx.http.get("/_sandbox/state").json()

    statuses, counts = before["statuses"], before["counts"]
    for kind in ("opportunities", "tasks", "appointments"):
        assert sum(statuses[kind].values()) == counts[kind], kind
    assert set(statuses["tasks"]) == {"open", "completed"}
    assert {"confirmed", "showed"} <= set(statuses["appointments"])
    moved = {**statuses["opportunities"], "open": statuses["opportunities"]["open"] - 1}
    moved["abandoned"] += 1
    assert after["statuses"]["opportunities"] == moved


def test_reset_restores_the_seeded_data_and_keeps_installs(sbx: Ghl) -> None:
    contact = demo_contacts(sbx)[0]
    seeded = sbx.sandbox.state.snapshot()
    sbx.post(f"/contacts/{contact.id}/notes", json={"body": "temporary"})
    sbx.post("/conversations/messages", json={"type": "Email", "contactId": contact.id, "html": "x"})

    response = sbx.http.post("/_sandbox/reset")

    assert response.json() == {"reset": True, "oauth": False}
    restored = sbx.sandbox.state.snapshot()
    assert {k: v for k, v in restored.items() if k != "tokens"} == {k: v for k, v in seeded.items() if k != "tokens"}
    assert sbx.sandbox.outbox == []
    assert sbx.get(f"/contacts/{contact.id}").status_code == 200, "the app stays connected"


def test_reset_with_oauth_forgets_every_token(sbx: Ghl) -> None:
    sbx.http.post("/_sandbox/reset", json={"oauth": True})

    response = sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}")

    assert response.status_code == 401 and response.json()["message"] == "Invalid JWT"
    assert sbx.sandbox.state.tokens.summary(sbx.clock())["refresh_tokens_live"] == 0


def test_authorize_hands_out_a_code_without_the_install_page(sbx: Ghl) -> None:
    response = sbx.http.post("/_sandbox/authorize", json={"userType": "Company"})
    code = response.json()["code"]
    leak_guard.register(code)

    assert response.status_code == 201
    pending = sbx.sandbox.state.tokens.codes[code]
    assert pending.grant.user_type == "Company" and pending.grant.location_id is None
    bad = sbx.http.post("/_sandbox/authorize", json={"locationId": "nowhere"})
    assert bad.status_code == 422 and "Unknown location" in bad.json()["message"][0]


def test_the_request_log_has_no_credentials(sbx: Ghl) -> None:
    answer = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID})

    log = sbx.http.get("/_sandbox/requests").json()["requests"]

    entry = next(r for r in log if r["trace_id"] == answer.headers["traceId"])
    assert (entry["method"], entry["path"], entry["status"], entry["version"]) == (
        "GET",
        "/calendars/",
        200,
        "2021-04-15",
    )
    assert entry["query"] == f"locationId={DEMO_LOCATION_ID}"
    leak_guard.assert_no_secret(json.dumps(log), "GET /_sandbox/requests")


def test_outbox_can_be_emptied(sbx: Ghl) -> None:
    sbx.post("/conversations/messages", json={"type": "Email", "contactId": demo_contacts(sbx)[0].id, "html": "x"})

    removed = sbx.http.delete("/_sandbox/outbox")

    assert removed.json() == {"removed": 1}
    assert sbx.http.get("/_sandbox/outbox").json() == {"messages": []}


def test_control_endpoints_are_local_only(sbx: Ghl) -> None:
    with pytest.raises(ApiError) as refused:
        control.handle(sbx.sandbox, "POST", "/_sandbox/reset", b"", "10.1.2.3")

    assert refused.value.status == 403
    assert control.is_loopback("127.0.0.1") and control.is_loopback("::1")
    assert not control.is_loopback("192.168.1.20") and not control.is_loopback("not-an-ip")
    unknown = sbx.http.get("/_sandbox/nothing")
    assert unknown.status_code == 404 and unknown.json()["message"] == "Cannot GET /_sandbox/nothing"


def test_config_from_json(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "port": 8123,
                "burst_limit": 25,
                "clients": [{"client_id": "abc-1", "client_secret": "sekrit-value", "redirect_uris": ["http://x/cb"]}],
            }
        )
    )
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"burst_limt": 25}))

    config = SandboxConfig.from_file(good)

    assert (config.port, config.burst_limit, config.daily_limit) == (8123, 25, 200_000)
    assert config.clients[0].redirect_uris == ("http://x/cb",) and config.clients[0].app_id == "abc"
    assert "sekrit-value" not in repr(config), "the client secret stays out of reprs"
    with pytest.raises(ValueError, match="unknown config key"):
        SandboxConfig.from_file(typo)
    with pytest.raises(ValueError, match="burst_limit must be >= 1"):
        SandboxConfig(burst_limit=0)


def test_the_command_line_serves_until_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "sandbox.json"
    config.write_text(json.dumps({"burst_limit": 7}))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "local")}
    process = subprocess.Popen(
        [sys.executable, "-m", "ghlsandbox", "--port", "0", "--config", str(config), "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = first_line.split(" on ", 1)[1].strip()
        state = httpx.get(f"{url}/_sandbox/state", verify=SHARED_TLS_CONTEXT, timeout=5)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    assert first_line.startswith("GHL sandbox on http://127.0.0.1:")
    assert state.status_code == 200 and state.json()["counts"]["opportunities"] == 210
    assert process.returncode == 0
    assert "GHL sandbox stopped." in out and err == ""


def test_the_command_line_refuses_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"nope": 1}))

    result = subprocess.run(
        [sys.executable, "-m", "ghlsandbox", "--config", str(config)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "local")},
        capture_output=True,
        text=True,
        timeout=20,
    )

    assert result.returncode == 2
    assert "unknown config key(s): nope" in result.stderr


def test_two_sandboxes_run_side_by_side(start_sandbox: Callable[..., Ghl]) -> None:
    first, second = start_sandbox(), start_sandbox()

    assert first.sandbox.url != second.sandbox.url
    refused = second.get(f"/contacts/{demo_contacts(second)[0].id}", token=first.token)
    assert (refused.status_code, refused.json()["message"]) == (401, "Invalid JWT"), "tokens are per sandbox"
