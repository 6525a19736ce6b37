"""Secrets never leave: responses and exception messages of the OAuth flows carry no token,
code, client secret or JWT. (Log records are checked after every test by conftest's leak guard.)"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from ghlsandbox import FaultRule

from tests import leak_guard
from tests.conftest import AppEnv, make_jwt
from tests.lambda_events import http_event, lambda_context
from tests.seed import seed_installation


def call(event: dict[str, Any]) -> dict[str, Any]:
    import app

    response = app.handler(event, lambda_context())
    leak_guard.assert_no_secret(json.dumps(response), "a response")
    return response


def test_install_responses_carry_no_secret(app_env: AppEnv) -> None:
    jwt = make_jwt()
    authorized = call(http_event("GET", "/oauth/authorize", headers={"Authorization": f"Bearer {jwt}"}))
    state = json.loads(authorized["body"])["authorizeUrl"].split("state=")[1].split("&")[0]
    code = app_env.ghl.code_for()

    done = call(http_event("GET", "/oauth/callback", query={"code": code, "state": state}))
    replay = call(http_event("GET", "/oauth/callback", query={"code": code, "state": state}))
    bad_jwt = call(http_event("GET", "/oauth/authorize", headers={"Authorization": f"Bearer {jwt}x"}))

    assert done["statusCode"] == replay["statusCode"] == 302
    assert bad_jwt["statusCode"] == 401


@pytest.mark.parametrize("fault", ["invalid_grant", "timeout", "server_error"])
def test_refresh_errors_carry_no_secret(app_env: AppEnv, fault: str) -> None:
    from ghlbridge import factories
    from ghlbridge.errors import AppError
    from ghlbridge.factories import get_cipher

    refresh = app_env.ghl.refresh_token_for("loc1")
    seed_installation(
        factories.get_store(), get_cipher(), "loc1", access="at-secret-old", refresh=refresh, expires_in=timedelta(0)
    )
    if fault == "invalid_grant":
        app_env.ghl.spend(refresh)
    elif fault == "timeout":
        app_env.ghl.add_fault(FaultRule("POST /oauth/token", "latency", value=2.5, after=True, count=1))
    else:
        boom = {"message": f"boom {refresh}", "traceId": "t-1"}
        app_env.ghl.add_fault(FaultRule("POST /oauth/token", "status", value=500, body=boom, count=1))

    with pytest.raises(AppError) as caught:
        factories.get_token_provider().access_token("loc1")

    error = caught.value
    chain = [error, error.__cause__, error.__context__]
    text = " ".join(f"{e!s} {e!r} {getattr(e, 'details', '')}" for e in chain if e is not None)
    leak_guard.assert_no_secret(text, "refresh errors")
