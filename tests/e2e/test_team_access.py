"""Team access end to end: the toolkit's calls → local gateway → handlers → store → GHL sandbox.

Who may act on a location (owners and members), installs bound to the user who completes them,
nothing left behind after an uninstall, refreshes only when the token is the problem, and a linked
member's writes showing in GHL (the sandbox) as their GHL user's.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.e2e.conftest import Stack

REP = "5d0c6b1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"
THIRD = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def members(stack: Stack) -> dict[str, dict[str, Any]]:
    answer = stack.get(f"/locations/{stack.location_id}/members")
    assert answer.status_code == 200, answer.text
    return {item["userId"]: item for item in answer.json()["items"]}


def sandbox_requests(stack: Stack, method: str, path: str) -> int:
    return sum(1 for r in stack.ghl_requests(path) if r["method"] == method and r["path"] == path)


def ghl_api_calls(stack: Stack) -> int:
    """Requests the sandbox served as GHL (its control endpoints, this very read included, left out)."""
    return sum(1 for r in stack.ghl_requests() if not r["path"].startswith("/_sandbox"))


def uninstall(stack: Stack, webhook_id: str) -> httpx.Response:
    from ghlsandbox import DEMO_CLIENT_ID

    raw = json.dumps(
        {
            "type": "UNINSTALL",
            "appId": DEMO_CLIENT_ID.split("-")[0],
            "locationId": stack.location_id,
            "webhookId": webhook_id,
            "timestamp": datetime.now(UTC).isoformat(),
        }
    ).encode()
    headers = {"content-type": "application/json", "x-ghl-signature": stack.sign_webhook(raw)}
    return httpx.post(f"{stack.api}/webhooks/ghl", content=raw, headers=headers, timeout=30)


def test_a_second_user_is_refused_until_added_then_works_then_is_refused_again(stack: Stack) -> None:
    rep = stack.token_for(REP)
    pipelines = f"/locations/{stack.location_id}/pipelines"

    refused = stack.get(pipelines, token=rep)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert stack.get("/locations", token=rep).json()["items"] == []

    added = stack.post(f"/locations/{stack.location_id}/members", json={"userId": REP, "role": "member"})
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "member" and added.json()["addedBy"] == stack.stack.secrets.dev_user_id
    again = stack.post(f"/locations/{stack.location_id}/members", json={"userId": REP, "role": "member"})
    assert again.status_code == 200 and again.json() == added.json()  # idempotent by nature

    assert stack.get(pipelines, token=rep).status_code == 200
    assert [item["role"] for item in stack.get("/locations", token=rep).json()["items"]] == ["member"]
    # a member cannot manage the team
    promote = stack.patch(f"/locations/{stack.location_id}/members/{REP}", token=rep, json={"role": "owner"})
    assert promote.status_code == 403 and members(stack)[REP]["role"] == "member"

    removed = stack.delete(f"/locations/{stack.location_id}/members/{REP}")
    assert removed.status_code == 204, removed.text
    # At once in the container that removed them (TeamFunction's); the pipelines route is another
    # function, whose containers may remember the membership for MEMBERSHIP_CACHE_SECONDS, as deployed.
    assert stack.get("/locations", token=rep).json()["items"] == []
    assert stack.get(f"/locations/{stack.location_id}/members", token=rep).status_code == 403
    assert REP not in members(stack)


def test_the_last_owner_can_neither_leave_nor_be_demoted(stack: Stack) -> None:
    me = stack.stack.secrets.dev_user_id
    base = f"/locations/{stack.location_id}/members"

    leave = stack.delete(f"{base}/{me}")
    demote = stack.patch(f"{base}/{me}", json={"role": "member"})

    assert leave.status_code == 409 and leave.json()["error"]["code"] == "last_owner"
    assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_owner"
    assert members(stack)[me]["role"] == "owner"

    # with a second owner, the first may go
    assert stack.post(base, json={"userId": REP, "role": "owner"}).status_code == 201
    assert stack.delete(f"{base}/{me}").status_code == 204
    assert stack.get(base).status_code == 403


def test_an_install_approved_elsewhere_is_granted_only_to_who_started_it(stack: Stack) -> None:
    """U2 starts the install; the GHL page is approved in another browser; a third user's JWT
    cannot complete it; U2 can, once."""
    starter, stranger = stack.token_for(REP), stack.token_for(THIRD)
    ticket, location_id = stack.stack.approve_install(starter)  # the browser part; no JWT on the callback

    assert stack.get("/locations", token=starter).json()["items"] == []  # the callback granted nothing
    hijack = stack.post("/oauth/complete", token=stranger, json={"ticket": ticket})
    assert hijack.status_code == 400 and hijack.json()["error"]["code"] == "invalid_install_ticket"
    assert stack.get("/locations", token=stranger).json()["items"] == []
    assert stack.get(f"/locations/{location_id}/pipelines", token=stranger).status_code == 403

    done = stack.post("/oauth/complete", token=starter, json={"ticket": ticket})
    assert done.status_code == 200, done.text
    assert [(item["id"], item["role"]) for item in done.json()["items"]] == [(location_id, "owner")]
    replay = stack.post("/oauth/complete", token=starter, json={"ticket": ticket})
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "invalid_install_ticket"
    assert stack.get(f"/locations/{location_id}/pipelines", token=stranger).status_code == 403


def test_uninstall_ends_every_membership_and_a_reinstall_grants_only_its_completer(
    make_stack: Any, monkeypatch: Any
) -> None:
    """Other warm containers may remember a membership for MEMBERSHIP_CACHE_SECONDS (here 1 s; 60 s
    at most): the store forgets it at once."""
    monkeypatch.setenv("MEMBERSHIP_CACHE_SECONDS", "1")
    stack = make_stack()
    base = f"/locations/{stack.location_id}"
    assert stack.post(f"{base}/members", json={"userId": REP, "role": "member"}).status_code == 201
    rep = stack.token_for(REP)
    assert stack.get(f"{base}/pipelines", token=rep).status_code == 200

    answer = uninstall(stack, "wh-team-uninstall")
    assert answer.status_code == 200 and answer.json()["outcome"] == "uninstalled"
    assert stack.get("/locations").json()["items"] == []
    assert stack.get("/locations", token=rep).json()["items"] == []

    newcomer = stack.token_for(THIRD)
    assert stack.stack.install(newcomer, approve=True) == stack.location_id

    assert [item["role"] for item in stack.get("/locations", token=newcomer).json()["items"]] == ["owner"]
    assert set(members(Stack(stack.stack, newcomer, stack.location_id))) == {THIRD}
    assert stack.get("/locations", token=rep).json()["items"] == []
    time.sleep(1.1)  # past the membership cache's lifetime
    for old in (stack.token, rep):
        assert stack.get(f"{base}/pipelines", token=old).status_code == 403


def test_401s_that_are_not_about_the_token_never_spend_a_refresh_token(stack: Stack) -> None:
    from ghlsandbox.routing import AUTH_CLASS_MESSAGE

    before = httpx.get(f"{stack.ghl}/_sandbox/state", timeout=10).json()["oauth"]
    token_calls = sandbox_requests(stack, "POST", "/oauth/token")
    body = {"statusCode": 401, "message": AUTH_CLASS_MESSAGE, "error": "Unauthorized"}
    stack.sandbox.add_fault({"route": "GET /opportunities/search", "kind": "status", "value": 401, "body": body})

    answers = [stack.get(f"/locations/{stack.location_id}/opportunities") for _ in range(5)]

    assert [a.status_code for a in answers] == [502] * 5
    assert sandbox_requests(stack, "GET", "/opportunities/search") >= 5
    assert sandbox_requests(stack, "POST", "/oauth/token") == token_calls  # no refresh at all
    assert httpx.get(f"{stack.ghl}/_sandbox/state", timeout=10).json()["oauth"]["refreshes"] == before["refreshes"]


def test_a_company_id_in_the_location_slot_is_not_found_without_calling_ghl(stack: Stack) -> None:
    """Installs made before team access made the installer a member of the company id too."""
    from ghlsandbox import DEMO_COMPANY_ID

    from ghlbridge import factories
    from ghlbridge.store import MemberRole

    assert stack.get(f"/locations/{DEMO_COMPANY_ID}/pipelines").status_code == 403  # no membership is granted on it
    factories.get_store().add_member(DEMO_COMPANY_ID, stack.stack.secrets.dev_user_id, MemberRole.OWNER)
    calls = ghl_api_calls(stack)

    answers = [stack.get(f"/locations/{DEMO_COMPANY_ID}/pipelines") for _ in range(3)]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(404, "installation_not_found")] * 3
    assert ghl_api_calls(stack) == calls


def test_a_linked_members_note_and_email_carry_their_ghl_user(stack: Stack) -> None:
    base = f"/locations/{stack.location_id}"
    users = stack.get(f"{base}/users")
    assert users.status_code == 200, users.text
    ghl_user = next(u for u in users.json()["items"] if u["email"] and u["email"] != "dev@localhost")
    assert stack.post(f"{base}/members", json={"userId": REP, "role": "member"}).status_code == 201
    rep = stack.token_for(REP, email="someone-else@example.com")

    # a member may not link themself to somebody else's GHL user
    self_link = stack.patch(f"{base}/members/{REP}", token=rep, json={"ghlUserId": ghl_user["id"]})
    assert self_link.status_code == 403 and members(stack)[REP]["ghlUserId"] is None
    # an owner may link them
    linked = stack.patch(f"{base}/members/{REP}", json={"ghlUserId": ghl_user["id"]})
    assert linked.status_code == 200 and linked.json()["ghlUserId"] == ghl_user["id"]
    assert stack.get("/locations", token=rep).json()["items"][0]["ghlUserId"] == ghl_user["id"]

    opportunity = stack.get(f"{base}/opportunities", params={"limit": 1}).json()["items"][0]
    contact_id = opportunity["contactId"]
    note = stack.post(f"{base}/contacts/{contact_id}/notes", token=rep, headers=key(), json={"body": "Spoke to Ann"})
    assert note.status_code == 201, note.text
    assert note.json()["userId"] == ghl_user["id"]
    with stack.sandbox.state.lock:
        assert stack.sandbox.state.data.notes[note.json()["id"]].user_id == ghl_user["id"]

    email = stack.post(
        f"{base}/contacts/{contact_id}/emails",
        token=rep,
        headers=key(),
        json={"subject": "Next steps", "html": "<p>Hi</p>"},
    )
    assert email.status_code == 201, email.text
    sent = next(m for m in stack.sandbox.outbox if m["messageId"] == email.json()["messageId"])
    assert sent["emailFrom"] == ghl_user["email"] and sent["userId"] == ghl_user["id"]

    mine = stack.get(f"{base}/opportunities", token=rep, params={"assignedTo": "me", "status": "all"})
    assert mine.status_code == 200
    assert all(item["assignedTo"] == ghl_user["id"] for item in mine.json()["items"])
    unlinked = stack.get(f"{base}/opportunities", params={"assignedTo": "me"})  # the dev user has no link
    assert unlinked.status_code == 400 and unlinked.json()["error"]["details"][0]["field"] == "assignedTo"
