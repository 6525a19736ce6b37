"""The OAuth install through the real OAuth handler: authorize → GHL (sandbox) → callback → complete."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from ghlsandbox import DEMO_COMPANY_ID, DEMO_LOCATION_ID, OTHER_LOCATION_ID

from tests.conftest import AppEnv, make_jwt
from tests.ghl_spec import assert_request_conforms
from tests.lambda_events import http_event, lambda_context
from tests.sandbox_kit import REDIRECT_URI

LOC = DEMO_LOCATION_ID  # the sandbox's demo sub-account: what the tests install
USER = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
OTHER_USER = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"


def call(event: dict[str, Any]) -> dict[str, Any]:
    import app  # functions/oauth/app.py, the handler template.yaml names

    return app.handler(event, lambda_context())


def authorize(user: str = USER) -> dict[str, Any]:
    return call(http_event("GET", "/oauth/authorize", headers={"Authorization": f"Bearer {make_jwt(user)}"}))


def state_from(response: dict[str, Any]) -> str:
    url = json.loads(response["body"])["authorizeUrl"]
    return parse_qs(urlparse(url).query)["state"][0]


def callback(query: dict[str, str]) -> tuple[int, dict[str, list[str]], str]:
    response = call(http_event("GET", "/oauth/callback", query=query))
    location = response["headers"]["Location"]
    return response["statusCode"], parse_qs(urlparse(location).query), location


def complete(ticket: str, user: str = USER) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {make_jwt(user)}", "Content-Type": "application/json"}
    response = call(http_event("POST", "/oauth/complete", headers=headers, body=json.dumps({"ticket": ticket})))
    return response["statusCode"], json.loads(response["body"])


def installed(query: dict[str, list[str]]) -> str:
    """The ticket of a `?ghl=installed&ticket=...` redirect."""
    assert query["ghl"] == ["installed"], query
    return query["ticket"][0]


def installation(env: AppEnv, installation_id: str) -> Any:
    from ghlbridge import factories

    return factories.get_store().get_installation(installation_id)


def test_authorize_returns_the_chooselocation_url_with_a_signed_state(app_env: AppEnv) -> None:
    response = authorize()

    assert response["statusCode"] == 200
    url = urlparse(json.loads(response["body"])["authorizeUrl"])
    assert (url.scheme, url.netloc, url.path) == ("https", "marketplace.gohighlevel.com", "/v2/oauth/chooselocation")
    query = parse_qs(url.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["test-client-id"]
    assert query["redirect_uri"] == ["https://abc123.execute-api.us-east-1.amazonaws.com/oauth/callback"]
    assert "opportunities.readonly" in query["scope"][0].split(" ")
    assert "version_id" not in query
    payload, mac = query["state"][0].split(".")
    assert payload and mac


def test_authorize_honours_white_label_host_and_version_id(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghlbridge import factories

    monkeypatch.setenv("GHL_AUTHORIZE_HOST", "https://marketplace.leadconnectorhq.com")
    monkeypatch.setenv("GHL_VERSION_ID", "app-version-1")
    factories.reset()

    url = urlparse(json.loads(authorize()["body"])["authorizeUrl"])

    assert url.netloc == "marketplace.leadconnectorhq.com"
    assert parse_qs(url.query)["version_id"] == ["app-version-1"]


def _alg_none() -> str:
    import base64

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    good = make_jwt(USER)
    claims = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _tampered() -> str:
    header, payload, signature = make_jwt(USER).split(".")
    return f"{header}.{payload[:-4]}AAAA.{signature}"


BAD_CREDENTIALS = {
    "missing": None,
    "not-a-jwt": "Bearer nonsense",
    "basic": "Basic abc",
    "wrong-aud": f"Bearer {make_jwt(USER, aud='anon')}",
    "wrong-iss": f"Bearer {make_jwt(USER, iss='https://evil.supabase.co/auth/v1')}",
    "expired": f"Bearer {make_jwt(USER, exp=1_700_000_000, iat=1_699_990_000)}",
    "alg-none": f"Bearer {_alg_none()}",
    "tampered": f"Bearer {_tampered()}",
    "not-a-uuid-sub": f"Bearer {make_jwt('user-1')}",
}


def oauth_state_rows(env: AppEnv) -> int:
    import sqlite3

    with sqlite3.connect(env.sqlite_path) as db:
        return int(db.execute("select count(*) from oauth_states").fetchone()[0])


@pytest.mark.parametrize("header", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
def test_authorize_refuses_unauthenticated_callers_and_stores_nothing(app_env: AppEnv, header: str | None) -> None:
    authorize(USER)  # the store exists and holds one state
    headers = {"Authorization": header} if header else {}

    event = http_event("GET", "/oauth/authorize", headers=headers)

    response = call(event)

    assert response["statusCode"] == 401
    error = json.loads(response["body"])["error"]
    assert error["code"] == "unauthenticated"
    assert error["requestId"] == event["requestContext"]["requestId"]
    assert oauth_state_rows(app_env) == 1


def test_callback_exchanges_the_code_stores_encrypted_tokens_and_grants_nothing_yet(app_env: AppEnv) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.tokens.refresh import aad

    state = state_from(authorize())
    code = app_env.ghl.code_for(LOC)

    status, query, location = callback({"code": code, "state": state})

    assert status == 302
    assert location.startswith("https://toolkit.example.com/app?")
    assert set(query) == {"ghl", "ticket", "locationId"} and query["locationId"] == [LOC]
    ticket = installed(query)
    [sent] = app_env.ghl.sent_to("/oauth/token")
    assert sent.form["grant_type"] == "authorization_code"
    assert sent.form["code"] == code
    assert sent.form["redirect_uri"] == REDIRECT_URI  # the sandbox checks it against the install, as GHL does
    assert_request_conforms(sent.as_httpx_request())
    assert code not in app_env.ghl.state.tokens.codes  # spent
    inst = installation(app_env, LOC)
    assert inst.kind.value == "location" and inst.status.value == "active" and inst.installed_by == USER
    access, refresh = app_env.ghl.last_issued()
    assert access not in inst.access_token_enc and refresh not in inst.refresh_token_enc
    assert get_cipher().decrypt(inst.access_token_enc, aad=aad(LOC, "access")) == access
    assert get_cipher().decrypt(inst.refresh_token_enc, aad=aad(LOC, "refresh")) == refresh
    assert inst.expires_at > datetime.now(UTC) + timedelta(hours=23)
    assert factories.get_store().get_membership(LOC, USER) is None  # nothing granted by the callback
    status, body = complete(ticket)
    assert status == 200 and [(i["id"], i["role"], i["status"]) for i in body["items"]] == [(LOC, "owner", "connected")]
    assert factories.get_store().get_membership(LOC, USER).role == "owner"


def test_only_the_user_who_started_the_install_can_complete_it_once(app_env: AppEnv) -> None:
    from ghlbridge import factories

    ticket = installed(callback({"code": app_env.ghl.code_for(LOC), "state": state_from(authorize())})[1])
    store = factories.get_store()

    for attempt in (complete(ticket, OTHER_USER), complete("x" * 43, USER)):
        assert attempt[0] == 400 and attempt[1]["error"]["code"] == "invalid_install_ticket"
    assert store.get_membership(LOC, OTHER_USER) is None and store.get_membership(LOC, USER) is None
    assert complete(ticket, USER)[0] == 200  # another user's attempt did not use it up
    replay = complete(ticket, USER)
    assert replay[0] == 400 and replay[1]["error"]["code"] == "invalid_install_ticket"
    assert [m.user_id for m in store.list_members(LOC)] == [USER]


def test_a_ticket_is_void_after_ten_minutes(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The callback ran 11 minutes ago (its clock moved back): the ticket it issued has expired."""
    import ghlbridge.tokens.install

    state = state_from(authorize())
    monkeypatch.setattr(ghlbridge.tokens.install, "utcnow", lambda: datetime.now(UTC) - timedelta(minutes=11))
    ticket = installed(callback({"code": app_env.ghl.code_for(LOC), "state": state})[1])
    monkeypatch.undo()

    status, body = complete(ticket)

    assert status == 400 and body["error"]["code"] == "invalid_install_ticket"


def test_a_company_install_is_stored_as_such_and_its_locations_get_minted_tokens(app_env: AppEnv) -> None:
    from ghlbridge import factories

    state = state_from(authorize())
    code = app_env.ghl.code_for(user_type="Company")  # the agency: both sandbox locations approved

    status, query, _ = callback({"code": code, "state": state})

    assert status == 302 and query["companyId"] == [DEMO_COMPANY_ID]
    inst = installation(app_env, DEMO_COMPANY_ID)
    assert inst.kind.value == "company" and inst.approved_locations == [DEMO_LOCATION_ID, OTHER_LOCATION_ID]
    store = factories.get_store()
    assert complete(installed(query))[0] == 200
    assert {a.membership.location_id: a.membership.role for a in store.list_locations(USER)} == {
        DEMO_LOCATION_ID: "owner",
        OTHER_LOCATION_ID: "owner",
    }  # every approved location, and not the company id: it is not a location

    provider = factories.get_token_provider()
    first = provider.access_token(OTHER_LOCATION_ID)
    again = provider.access_token(OTHER_LOCATION_ID)

    [minted] = app_env.ghl.sent_to("/oauth/locationToken")
    assert first == again == app_env.ghl.last_issued()[0]
    assert app_env.ghl.state.tokens.access[first].grant.location_id == OTHER_LOCATION_ID
    assert [r.status for r in app_env.ghl.logged("/oauth/locationToken")] == [201]
    assert minted.form == {"companyId": DEMO_COMPANY_ID, "locationId": OTHER_LOCATION_ID}
    assert minted.headers["Version"] == "2021-07-28"
    assert_request_conforms(minted.as_httpx_request())
    assert store.get_installation(OTHER_LOCATION_ID) is None  # minted tokens are cached, not stored


def test_a_replayed_state_is_refused_and_changes_nothing(app_env: AppEnv) -> None:
    state = state_from(authorize())
    assert callback({"code": app_env.ghl.code_for(LOC), "state": state})[1]["ghl"] == ["installed"]
    before = installation(app_env, LOC)

    _, query, _ = callback({"code": app_env.ghl.code_for(LOC), "state": state})

    assert query == {"ghl": ["error"], "reason": ["replayed_state"]}
    assert app_env.ghl.token_posts() == 1
    assert installation(app_env, LOC) == before


def test_an_expired_state_is_refused_before_anything_is_stored(
    app_env: AppEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ghlbridge.tokens.install

    state = state_from(authorize())
    later = datetime.now(UTC) + timedelta(minutes=11)
    monkeypatch.setattr(ghlbridge.tokens.install, "utcnow", lambda: later)

    _, query, _ = callback({"code": app_env.ghl.code_for(LOC), "state": state})

    assert query == {"ghl": ["error"], "reason": ["expired_state"]}
    assert app_env.ghl.token_posts() == 0
    assert installation(app_env, LOC) is None
    monkeypatch.undo()  # and the state, never consumed, still works within its 10 minutes
    app_env_state_ok = callback({"code": app_env.ghl.code_for(LOC), "state": state})[1]
    assert app_env_state_ok["ghl"] == ["installed"]


def forged_state() -> str:
    from ghlbridge.tokens.install import sign_state

    return sign_state(b"not-our-key", "nonce", USER, datetime.now(UTC) + timedelta(minutes=5))


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"code": "c"}, "invalid_state"),
        ({"code": "c", "state": "garbage"}, "invalid_state"),
        ({"code": "c", "state": "a.b.c"}, "invalid_state"),
        ({"code": "c", "state": "FORGED"}, "invalid_state"),
        ({"error": "access_denied", "state": "x"}, "access_denied"),
    ],
)
def test_bad_callbacks_redirect_with_a_reason_and_store_nothing(
    app_env: AppEnv, query: dict[str, str], reason: str
) -> None:
    if query.get("state") == "FORGED":
        query = {**query, "state": forged_state()}

    status, answer, _ = callback(query)

    assert status == 302
    assert answer == {"ghl": ["error"], "reason": [reason]}
    assert app_env.ghl.token_posts() == 0
    assert installation(app_env, LOC) is None


def test_a_failed_exchange_redirects_with_exchange_failed(app_env: AppEnv) -> None:
    state = state_from(authorize())

    _, query, _ = callback({"code": "code-unknown-to-ghl", "state": state})

    assert query == {"ghl": ["error"], "reason": ["exchange_failed"]}
    assert app_env.ghl.token_posts("authorization_code") == 1
    assert [r.status for r in app_env.ghl.logged("/oauth/token")] == [401]  # "Authorization code not found"
    assert installation(app_env, LOC) is None


def test_the_state_is_bound_to_the_user_who_asked(app_env: AppEnv) -> None:
    """A state signed for one user cannot be consumed for another: the nonce is stored per user."""
    from ghlbridge import factories
    from ghlbridge.factories import get_secrets
    from ghlbridge.tokens.install import sign_state

    good = state_from(authorize(USER))
    payload = json.loads(__import__("base64").urlsafe_b64decode(good.split(".")[0] + "=="))
    key = get_secrets().state_signing_key.get_secret_value().encode()
    other = sign_state(key, payload["n"], OTHER_USER, datetime.fromtimestamp(payload["e"], UTC))

    _, query, _ = callback({"code": app_env.ghl.code_for(), "state": other})

    assert query["reason"] == ["replayed_state"]
    assert factories.get_store().get_membership(LOC, OTHER_USER) is None
    _, query, _ = callback({"code": app_env.ghl.code_for(), "state": good})  # still the owner's to use
    assert complete(installed(query))[0] == 200
    assert factories.get_store().get_membership(LOC, USER) is not None
