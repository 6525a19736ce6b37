"""Parking in SQS (moto), with the queue defined as template.yaml defines it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import AppEnv
from tests.seed import seed_installation, stored_tokens
from tests.template_yaml import template


@pytest.fixture
def queue_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    props = template()["Resources"]["ParkingQueue"]["Properties"]
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        attributes = {
            "MessageRetentionPeriod": str(props["MessageRetentionPeriod"]),
            "VisibilityTimeout": str(props["VisibilityTimeout"]),
            "SqsManagedSseEnabled": str(props["SqsManagedSseEnabled"]).lower(),
        }
        yield sqs.create_queue(QueueName="ParkingQueue", Attributes=attributes)["QueueUrl"]


def visible(queue_url: str) -> int:
    attrs = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_a_pair_parked_in_sqs_is_restored_by_the_next_refresher(
    app_env: AppEnv, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.store import StoreUnavailableError
    from ghlbridge.tokens.parking import SQSParking
    from ghlbridge.tokens.provider import TokenProvider
    from ghlbridge.tokens.refresh import Refresher

    monkeypatch.setenv("PARKING_QUEUE_URL", queue_url)
    factories.reset()
    assert isinstance(factories.get_parking(), SQSParking)
    store, cipher = factories.get_store(), get_cipher()
    seed_installation(
        store,
        cipher,
        "loc1",
        access="at-old",
        refresh=app_env.ghl.refresh_token_for("loc1"),
        expires_in=timedelta(minutes=-1),
    )

    class DownAfterRotation:
        def __getattr__(self, name: str) -> Any:
            if name == "complete_refresh":

                def fail(*args: Any, **kwargs: Any) -> None:
                    raise StoreUnavailableError("down (test)")

                return fail
            return getattr(store, name)

    down = Refresher(
        DownAfterRotation(),
        factories.get_oauth_api(),
        cipher,
        factories.get_parking(),  # type: ignore[arg-type]
        lease_seconds=1.0,
    )
    token = TokenProvider(down, factories.get_oauth_api()).access_token("loc1")

    new_access, new_refresh = app_env.ghl.last_issued()
    assert token == new_access
    assert visible(queue_url) == 1
    body = boto3.client("sqs", region_name="us-east-1").receive_message(QueueUrl=queue_url, VisibilityTimeout=0)[
        "Messages"
    ][0]["Body"]
    assert new_access not in body and new_refresh not in body  # encrypted

    import time

    time.sleep(1.1)
    assert factories.get_token_provider().access_token("loc1") == new_access
    assert app_env.ghl.token_posts("refresh_token") == 1
    assert stored_tokens(store, cipher, "loc1") == (new_access, new_refresh)
    assert visible(queue_url) == 0


def test_the_scheduled_run_restores_parked_pairs_first(
    app_env: AppEnv, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlbridge import factories
    from ghlbridge.factories import get_cipher
    from ghlbridge.tokens.parking import ParkedPair
    from ghlbridge.tokens.refresh import aad, run_scheduled_refresh, utcnow

    monkeypatch.setenv("PARKING_QUEUE_URL", queue_url)
    factories.reset()
    store, cipher = factories.get_store(), get_cipher()
    inst = seed_installation(
        store, cipher, "loc1", access="at-dead", refresh="rt-dead-000000", expires_in=timedelta(hours=1)
    )
    live = app_env.ghl.refresh_token_for("loc1")
    factories.get_parking().park(
        ParkedPair(
            installation_id="loc1",
            parked_generation=inst.generation,
            access_token_enc=cipher.encrypt("at-parked-0000", aad=aad("loc1", "access")),
            refresh_token_enc=cipher.encrypt(live, aad=aad("loc1", "refresh")),
            expires_at=utcnow() + timedelta(hours=2),
            parked_at=utcnow(),
        )
    )

    summary = run_scheduled_refresh(factories.get_refresher(), window=timedelta(hours=6), concurrency=2)

    [sent] = app_env.ghl.sent_to("/oauth/token")
    assert sent.form["refresh_token"] == live  # the restored token, never the dead one
    assert summary["refreshed"] == 1 and summary["needs_reauth"] == 0
    assert visible(queue_url) == 0
