"""Faults on demand: latency, status, timeout and rate_limit, before or after the work, for a
count of calls or a fraction of them, set at start or at run time. A fault after a write-back
(task, status, contact, appointment) leaves the write done, as a lost answer from GHL does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from ghlsandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_LOCATION_ID,
    RESEARCH_OPPORTUNITY_ID,
    FaultRule,
    SandboxConfig,
)

from tests import leak_guard
from tests.sandbox.kit import SHARED_TLS_CONTEXT, Ghl, demo_contacts, research_contact


def _note(sbx: Ghl, text: str = "hello", **kwargs: object) -> httpx.Response:
    return sbx.post(f"/contacts/{demo_contacts(sbx)[0].id}/notes", json={"body": text}, **kwargs)


def _notes_with(sbx: Ghl, text: str) -> int:
    return sum(note.body == text for note in sbx.sandbox.state.data.notes.values())


def _pipelines(sbx: Ghl, **kwargs: object) -> httpx.Response:
    return sbx.get("/opportunities/pipelines", params={"locationId": DEMO_LOCATION_ID}, **kwargs)


def test_latency_delays_the_answer_then_answers_normally(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("GET /opportunities/pipelines", "latency", value=0.5, count=2))

    with pytest.raises(httpx.ReadTimeout):
        _pipelines(sbx, timeout=0.1)
    patient = _pipelines(sbx, timeout=5)
    unaffected = _pipelines(sbx, timeout=0.1)

    assert patient.status_code == 200 and patient.json()["pipelines"]
    assert unaffected.status_code == 200, "the rule was spent after two calls"
    assert sbx.sandbox.faults.list() == []


def test_a_status_fault_answers_instead_of_doing_the_work(sbx: Ghl) -> None:
    sbx.sandbox.add_fault({"route": "POST /contacts/*/notes", "kind": "status", "value": 503, "count": 2})

    failed = [_note(sbx, "try") for _ in range(2)]
    succeeded = _note(sbx, "try")

    assert [r.status_code for r in failed] == [503, 503]
    assert failed[0].json() == {
        "statusCode": 503,
        "message": "Service Unavailable",
        "traceId": failed[0].headers["traceId"],
    }
    assert succeeded.status_code == 201
    assert _notes_with(sbx, "try") == 1, "only the call that got through stored a note"


def test_a_status_fault_after_the_work_rotates_the_refresh_token_anyway(sbx: Ghl) -> None:
    """The nastiest refresh failure: GHL rotated the pair, but the answer never arrived."""
    sbx.sandbox.add_fault(FaultRule("POST /oauth/token", "status", value=500, count=1, after=True))
    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "grant_type": "refresh_token"}

    lost = sbx.http.post("/oauth/token", data={**form, "refresh_token": sbx.tokens["refresh_token"]})
    retry = sbx.http.post("/oauth/token", data={**form, "refresh_token": sbx.tokens["refresh_token"]})

    assert lost.status_code == 500 and lost.json()["message"] == "Internal server error"
    assert "access_token" not in lost.text
    assert retry.status_code == 400 and retry.json()["error"] == "invalid_grant"
    summary = sbx.sandbox.state.tokens.summary(sbx.clock())
    assert (summary["refreshes"], summary["refresh_tokens_live"]) == (1, 1), "a new pair was issued and lost"


def test_a_fault_after_the_work_keeps_only_the_rate_limit_headers_of_the_real_answer(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("GET /opportunities/pipelines", "status", value=500, after=True, count=1))

    response = _pipelines(sbx)

    assert response.status_code == 500
    assert response.headers["X-RateLimit-Remaining"] == "99", "the call was made, and counted"
    assert "pipelines" not in response.json()


def test_a_status_fault_can_send_a_gateways_html_page(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(
        FaultRule("GET /calendars*", "status", value=502, count=1, body="<html><h1>502 Bad Gateway</h1></html>")
    )

    response = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID})

    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "Bad Gateway" in response.text


def test_a_timeout_fault_stalls_past_the_clients_patience_and_stores_nothing(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("POST /contacts/*/notes", "timeout", value=1.0, count=1))

    with pytest.raises(httpx.ReadTimeout):
        _note(sbx, "stalled", timeout=0.2)
    after = _note(sbx, "after")

    assert _notes_with(sbx, "stalled") == 0
    assert after.status_code == 201


def test_a_timeout_fault_after_the_work_keeps_the_effect(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("POST /contacts/*/notes", "timeout", value=1.0, count=1, after=True))

    with pytest.raises(httpx.ReadTimeout):
        _note(sbx, "done but unanswered", timeout=0.2)

    assert _notes_with(sbx, "done but unanswered") == 1


def test_a_timeout_fault_closes_the_connection_without_an_answer(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("GET /opportunities/pipelines", "timeout", value=0.1, count=1))

    with pytest.raises(httpx.RemoteProtocolError):
        _pipelines(sbx, timeout=5)
    assert _pipelines(sbx).status_code == 200
    assert [r.status for r in sbx.sandbox.state.requests if r.path == "/opportunities/pipelines"] == [0, 200]


def test_stopping_releases_a_stalled_request(start_sandbox: Callable[..., Ghl]) -> None:
    sbx = start_sandbox(timeout_fault_seconds=60)
    sbx.sandbox.add_fault(FaultRule("GET /opportunities/pipelines", "timeout"))
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            with httpx.Client(base_url=sbx.sandbox.url, verify=SHARED_TLS_CONTEXT) as client:
                client.get(
                    "/opportunities/pipelines",
                    params={"locationId": DEMO_LOCATION_ID},
                    headers={"Authorization": f"Bearer {sbx.token}", "Version": "2021-07-28"},
                    timeout=30,
                )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    give_up = time.monotonic() + 5
    while sbx.sandbox.faults.list()[0]["fired"] == 0 and time.monotonic() < give_up:
        time.sleep(0.01)  # until the request is stalled inside the sandbox
    sbx.sandbox.stop()
    caller.join(timeout=10)

    assert not caller.is_alive(), "stop() released the stalled request"
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.RemoteProtocolError)


def test_a_rate_limit_fault_answers_ghls_429(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("GET /opportunities/*", "rate_limit", count=1))

    limited = _pipelines(sbx)
    normal = _pipelines(sbx)

    assert limited.status_code == 429
    assert limited.json()["message"] == "Too many requests"
    assert limited.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" not in limited.headers
    assert normal.headers["X-RateLimit-Remaining"] == "99", "the faulted call was not counted"


def test_a_probability_fails_a_fraction_of_calls_reproducibly(start_sandbox: Callable[..., Ghl]) -> None:
    outcomes = []
    for _ in range(2):
        sbx = start_sandbox(seed=11)
        sbx.sandbox.add_fault(
            FaultRule("re:GET /opportunities/(pipelines|search)", "status", value=500, probability=0.3)
        )
        outcomes.append([_pipelines(sbx).status_code for _ in range(40)])

    assert outcomes[0] == outcomes[1], "the same seed fails the same calls"
    assert 4 <= outcomes[0].count(500) <= 20
    assert set(outcomes[0]) == {200, 500}


def test_rules_match_method_and_path(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("POST /opportunities/*", "status", value=500))
    sbx.sandbox.add_fault(FaultRule("re:^GET /contacts/\\w+$", "status", value=504))

    assert _pipelines(sbx).status_code == 200, "GET is not POST"
    assert sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}").status_code == 504
    assert sbx.get(f"/contacts/{demo_contacts(sbx)[0].id}/notes").status_code == 200, "the regex is anchored"


def test_control_endpoints_add_list_and_remove_faults(sbx: Ghl) -> None:
    added = sbx.http.post(
        "/_sandbox/faults",
        json=[
            {"route": "GET /calendars*", "kind": "status", "value": 500},
            {"route": "POST /oauth/token", "kind": "latency", "value": 0.01, "count": 3},
        ],
    )
    listed = sbx.http.get("/_sandbox/faults").json()["faults"]
    faulted = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID})
    removed_one = sbx.http.delete(f"/_sandbox/faults/{listed[0]['id']}")
    healed = sbx.get("/calendars/", params={"locationId": DEMO_LOCATION_ID})
    removed_rest = sbx.http.delete("/_sandbox/faults")
    invalid = sbx.http.post("/_sandbox/faults", json={"route": "GET /x", "kind": "explode"})

    assert added.status_code == 201 and [f["kind"] for f in added.json()["faults"]] == ["status", "latency"]
    assert listed[1] == {**added.json()["faults"][1], "remaining": 3, "fired": 0}
    assert faulted.status_code == 500
    assert removed_one.json() == {"removed": 1} and healed.status_code == 200
    assert removed_rest.json() == {"removed": 1}
    assert invalid.status_code == 422 and "fault kind must be one of" in invalid.json()["message"][0]
    assert sbx.sandbox.faults.list() == []


def test_faults_never_touch_the_control_endpoints(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("*", "status", value=500))

    assert sbx.http.get("/_sandbox/state").status_code == 200
    assert sbx.http.delete("/_sandbox/faults").json() == {"removed": 1}


def test_faults_from_the_config_file_are_active_at_start(start_sandbox: Callable[..., Ghl], tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(
        json.dumps({"faults": [{"route": "POST /oauth/token", "kind": "status", "value": 503, "count": 1}]})
    )
    config = SandboxConfig.from_file(path)

    sbx = start_sandbox(install=False, faults=config.faults)
    code = sbx.sandbox.authorize()
    leak_guard.register(code)
    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "grant_type": "authorization_code"}
    first = sbx.http.post("/oauth/token", data={**form, "code": code})
    second = sbx.http.post("/oauth/token", data={**form, "code": code})

    assert first.status_code == 503
    assert second.status_code == 200, "a fault before the work leaves the code unspent"
    leak_guard.register(second.json()["access_token"], second.json()["refresh_token"])


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"route": "GET /x", "kind": "status"}, "needs value = an HTTP status"),
        ({"route": "GET /x", "kind": "latency", "value": -1}, "needs value = seconds"),
        ({"route": "GET /x", "kind": "timeout", "count": 1, "probability": 0.5}, "either a probability or a count"),
        ({"route": "re:(", "kind": "timeout"}, "not a valid regular expression"),
        ({"route": "GET /x", "kind": "timeout", "when": "now"}, "unknown fault rule field"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(rule: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        FaultRule.from_dict(rule)


# --- write-back: a fault after the work leaves the work done ---------------------------------------------


def _tasks_titled(sbx: Ghl, title: str) -> int:
    return sum(task.title == title for task in sbx.sandbox.state.data.tasks.values())


def _task_body(title: str) -> dict[str, object]:
    return {"title": title, "dueDate": "2030-01-15T15:00:00Z", "completed": False}


def test_a_500_after_the_work_still_created_the_task(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    sbx.sandbox.add_fault(FaultRule("POST /contacts/*/tasks", "status", value=500, after=True, count=1))

    failed = sbx.post(f"/contacts/{contact.id}/tasks", json=_task_body("Answered 500"))

    assert failed.status_code == 500 and "task" not in failed.json()
    assert _tasks_titled(sbx, "Answered 500") == 1, "the task exists although the answer was an error"
    listed = sbx.get(f"/contacts/{contact.id}/tasks").json()["tasks"]
    assert [t["title"] for t in listed].count("Answered 500") == 1


def test_a_fault_before_the_work_creates_no_task(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    sbx.sandbox.add_fault(FaultRule("POST /contacts/*/tasks", "status", value=503, count=1))

    failed = sbx.post(f"/contacts/{contact.id}/tasks", json=_task_body("Never made"))

    assert failed.status_code == 503 and _tasks_titled(sbx, "Never made") == 0


def test_a_timeout_after_the_work_still_changed_the_status(sbx: Ghl) -> None:
    sbx.sandbox.add_fault(FaultRule("PUT /opportunities/*/status", "timeout", value=1.0, count=1, after=True))

    with pytest.raises(httpx.ReadTimeout):
        sbx.put(f"/opportunities/{RESEARCH_OPPORTUNITY_ID}/status", json={"status": "won"}, timeout=0.2)

    assert sbx.sandbox.state.data.opportunities[RESEARCH_OPPORTUNITY_ID].status == "won"


def test_faults_after_contact_and_appointment_writes_keep_their_effect(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    data = sbx.sandbox.state.data
    now = sbx.clock()
    upcoming = [a for a in data.appointments.values() if a.contact_id == contact.id and a.start.timestamp() > now]
    sbx.sandbox.add_fault(
        FaultRule("re:PUT /contacts/[^/]+", "status", value=502, body="<html>Bad Gateway</html>", after=True, count=1)
    )
    sbx.sandbox.add_fault(FaultRule("PUT /calendars/events/appointments/*", "rate_limit", after=True, count=1))
    sbx.sandbox.add_fault(FaultRule("DELETE /calendars/events/*", "status", value=504, after=True, count=1))

    updated = sbx.put(f"/contacts/{contact.id}", json={"companyName": "Written Anyway"})
    cancelled = sbx.put(f"/calendars/events/appointments/{upcoming[0].id}", json={"appointmentStatus": "cancelled"})
    deleted = sbx.delete(f"/calendars/events/{upcoming[0].id}", json={})

    assert [updated.status_code, cancelled.status_code, deleted.status_code] == [502, 429, 504]
    assert data.contacts[contact.id].company_name == "Written Anyway"
    assert upcoming[0].status == "cancelled", "cancelled before the 429"
    assert upcoming[0].id not in data.appointments, "deleted before the 504"
