"""`python -m gateway serve|refresh` as a developer runs it: a child process, the app's settings
in its environment."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta

import httpx

from tests.conftest import AppEnv
from tests.gateway.conftest import TOOLKIT_ORIGIN
from tests.seed import seed_installation
from tests.template_yaml import ROOT


def child_env(app_env: AppEnv, **extra: str) -> dict[str, str]:
    return {**os.environ, **app_env.env, "PYTHONPATH": str(ROOT / "local"), **extra}


def test_refresh_prints_the_summary_of_the_scheduled_function(app_env: AppEnv) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher

    refresh_token = app_env.ghl.refresh_token_for("loc1")
    seed_installation(
        factories.get_store(), get_cipher(), "loc1", access="at-old", refresh=refresh_token, expires_in=timedelta(0)
    )

    run = subprocess.run(
        [sys.executable, "-m", "gateway", "refresh", "--function", "TokenRefreshFunction"],
        env=child_env(app_env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # stdout is the summary alone: function logs go to stderr
    assert (summary["due"], summary["refreshed"], summary["failed"]) == (1, 1, 0)
    assert app_env.ghl.token_posts("refresh_token") == 1
    assert "Scheduled refresh done" in run.stderr


def test_serve_answers_until_sigterm(app_env: AppEnv) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--param", f"ToolkitOrigin={TOOLKIT_ORIGIN}"],
        env=child_env(app_env, PORT="0"),  # PORT sets the default port; 0 = any free one
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner = ""
        while "Serving" not in banner and (line := proc.stderr.readline()):
            banner = line
        found = re.search(r"Serving template\.yaml on (http://127\.0\.0\.1:(\d+))", banner)
        assert found, banner
        url = found.group(1)
        assert found.group(2) != "3000"

        not_found = httpx.post(f"{url}/oauth/authorize")
        served = httpx.get(f"{url}/oauth/authorize", headers={"Origin": TOOLKIT_ORIGIN})

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert (not_found.status_code, not_found.json()["error"]["code"]) == (404, "route_not_found")  # `$default`
    assert served.status_code == 401 and served.headers["access-control-allow-origin"] == TOOLKIT_ORIGIN
    assert "Stopping" in proc.stderr.read()


def test_bad_parameter_is_refused() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--param", "ToolkitOrigin=localhost"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "local")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert run.returncode == 2
    assert "ToolkitOrigin='localhost'" in run.stderr and "scheme://host[:port]" in run.stderr
