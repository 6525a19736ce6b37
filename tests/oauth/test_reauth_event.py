"""The "needs reauthorization" event: sent once per transition, by the refresher that marked it,
from the request path and the scheduled run, through EventBridge (moto) to a rule's SQS target
matching the README's example pattern; never breaking the request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import AppEnv
from tests.seed import seed_installation

PATTERN = {"source": ["ghl-sales-bridge"], "detail-type": ["GHL installation needs reauthorization"]}


@pytest.fixture
def routed(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An SQS queue that receives every event matching the README's rule pattern on the default bus."""
    from ghlbridge import factories

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("REAUTH_EVENT_BUS", "default")
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="reauth")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tell-the-owners", EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule="tell-the-owners", Targets=[{"Id": "queue", "Arn": arn}])
        factories.reset()
        yield queue_url


def delivered(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def seed_spent(app_env: AppEnv, installation_id: str, **kw: Any) -> str:
    """An installation whose refresh token GHL no longer accepts (rotated by a lost answer)."""
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.store import InstallationKind

    company = kw.get("kind") is InstallationKind.COMPANY
    refresh = app_env.ghl.refresh_token_for(
        installation_id, company=company, approved_locations=tuple(kw.get("approved_locations") or ())
    )
    seed_installation(
        factories.get_store(), get_cipher(), installation_id, access="at-old", refresh=refresh,
        expires_in=timedelta(minutes=-1), **kw,
    )  # fmt: skip
    app_env.ghl.spend(refresh)
    return refresh


def test_the_request_path_announces_a_needs_reauth_once(app_env: AppEnv, routed: str) -> None:
    from ghlbridge import factories
    from ghlbridge.errors import ReauthorizationRequiredError
    from ghlbridge.tokens.reauth import EventBridgeNotifier

    refresh = seed_spent(app_env, "loc1")
    assert isinstance(factories.get_reauth_notifier(), EventBridgeNotifier)

    with pytest.raises(ReauthorizationRequiredError):
        factories.get_token_provider().access_token("loc1")
    with pytest.raises(ReauthorizationRequiredError):  # already marked: no second event
        factories.get_token_provider().access_token("loc1")

    [event] = delivered(routed)
    inst = factories.get_store().get_installation("loc1")
    assert (event["source"], event["detail-type"]) == ("ghl-sales-bridge", "GHL installation needs reauthorization")
    assert event["detail"] == {
        "installationId": "loc1",
        "kind": "location",
        "reason": inst.reauth_reason,
        "at": event["detail"]["at"],
        "locationIds": ["loc1"],
    }
    assert event["detail"]["reason"].startswith("invalid_grant")
    assert refresh not in json.dumps(event) and "at-old" not in json.dumps(event)
    assert app_env.ghl.token_posts("refresh_token") == 1


def test_the_scheduled_run_announces_a_company_with_its_locations(app_env: AppEnv, routed: str) -> None:
    from ghlbridge import factories
    from ghlbridge.store import InstallationKind
    from ghlbridge.tokens.refresh import run_scheduled_refresh

    seed_spent(app_env, "comp1", kind=InstallationKind.COMPANY, approved_locations=["locA", "locB"])

    summary = run_scheduled_refresh(factories.get_refresher(), window=timedelta(hours=6), concurrency=2)

    assert summary["needs_reauth"] == 1
    [event] = delivered(routed)
    assert event["detail"]["installationId"] == "comp1"
    assert (event["detail"]["kind"], event["detail"]["locationIds"]) == ("company", ["locA", "locB"])


def test_no_event_when_the_mark_did_not_happen(app_env: AppEnv, routed: str) -> None:
    """`mark_needs_reauth` returned False (another refresher or a rotation got there first)."""
    from ghlbridge import factories
    from ghlbridge.errors import ReauthorizationRequiredError
    from ghlbridge.factories import get_cipher
    from ghlbridge.tokens.provider import TokenProvider
    from ghlbridge.tokens.refresh import Refresher

    seed_spent(app_env, "loc1")
    store = factories.get_store()

    class NotMarking:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def mark_needs_reauth(self, installation_id: str, expected_generation: int, reason: str) -> bool:
            return False

    oauth = factories.get_oauth_api()
    refresher = Refresher(
        NotMarking(), oauth, get_cipher(), factories.get_parking(), notifier=factories.get_reauth_notifier()
    )  # type: ignore[arg-type]
    with pytest.raises(ReauthorizationRequiredError):
        TokenProvider(refresher, oauth).access_token("loc1")

    assert delivered(routed) == []


def test_a_failed_announcement_is_counted_and_never_breaks_the_request(
    app_env: AppEnv, routed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge import factories
    from ghlbridge.errors import ReauthorizationRequiredError
    from ghlbridge.tokens import reauth

    counted: list[str] = []
    monkeypatch.setattr(reauth, "count", lambda name, value=1: counted.append(name))
    monkeypatch.setenv("REAUTH_EVENT_BUS", "no-such-bus")
    factories.reset()
    seed_spent(app_env, "loc1")

    with pytest.raises(ReauthorizationRequiredError):  # the answer the caller needs, still
        factories.get_token_provider().access_token("loc1")

    assert counted == ["ReauthEventFailed"]
    assert factories.get_store().get_installation("loc1").status.value == "needs_reauth"
    assert delivered(routed) == []


def test_locally_the_event_is_a_log_line_and_boto3_is_not_imported(
    app_env: AppEnv, caplog: pytest.LogCaptureFixture
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ghlbridge import factories
    from ghlbridge.errors import ReauthorizationRequiredError
    from ghlbridge.tokens.reauth import LogNotifier

    assert isinstance(factories.get_reauth_notifier(), LogNotifier)  # REAUTH_EVENT_BUS is empty
    refresh = seed_spent(app_env, "loc1")
    with pytest.raises(ReauthorizationRequiredError):
        factories.get_token_provider().access_token("loc1")
    [record] = [r for r in caplog.records if r.getMessage().startswith("Reauthorization event")]
    assert record.detail["installationId"] == "loc1"  # type: ignore[attr-defined]
    assert refresh not in caplog.text

    code = "import sys, ghlbridge.tokens.refresh, ghlbridge.tokens.reauth; sys.exit('boto3' in sys.modules)"
    shared = str(Path(__file__).resolve().parents[2] / "shared")
    env = {**os.environ, "PYTHONPATH": shared}
    assert subprocess.run([sys.executable, "-c", code], check=False, env=env).returncode == 0
