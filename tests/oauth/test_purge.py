"""The daily purge: the handler the template names, called with an EventBridge scheduled event on
the app's SQLite store, then the table contents, the summary and the EMF metrics; the loop over
batches, the deadline and a failing kind through `run_purge`; the function in template.yaml."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ghlbridge.store import Installation, InstallationKind, Store, StoreUnavailableError
from ghlbridge.store.base import IdempotencyRecord, IdempotencyStatus
from ghlbridge.store.sqlite import _ts
from tests.conftest import AppEnv
from tests.lambda_events import lambda_context, scheduled_event
from tests.template_yaml import ROOT, resources, template

USER = "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8d9e"
METRIC_NAMES = ["PurgedIdempotencyRecords", "PurgedOAuthStates", "PurgedInstallTickets", "PurgedWebhookReceipts"]
KEYS = {"idempotency_records": "key", "oauth_states": "nonce", "install_tickets": "ticket_hash",
        "webhook_receipts": "webhook_id"}  # fmt: skip


def now() -> datetime:
    return datetime.now(UTC)


def table(app_env: AppEnv, name: str) -> list[str]:
    with closing(sqlite3.connect(app_env.sqlite_path)) as conn:
        return sorted(row[0] for row in conn.execute(f"select {KEYS[name]} from {name}"))


def received(app_env: AppEnv, webhook_id: str, ago: timedelta) -> None:
    with closing(sqlite3.connect(app_env.sqlite_path)) as conn, conn:
        conn.execute("update webhook_receipts set received_at = ? where webhook_id = ?", (_ts(now() - ago), webhook_id))


def emf_values(out: str) -> dict[str, float]:
    """Metric name → summed value over the EMF blobs printed, and each metric's service dimension."""
    blobs = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    names = {m["Name"] for blob in blobs for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    return {n: sum(sum(b[n]) if isinstance(b[n], list) else b[n] for b in blobs if n in b) for n in names}


def seed_everything(store: Store, app_env: AppEnv) -> None:
    """Rows on both sides of every boundary."""
    for key, expires_at, extra in [
        ("rec-expired", now() - timedelta(minutes=5), {}),
        ("rec-live", now() + timedelta(hours=24), {}),
        ("rec-stale-inprogress", now() + timedelta(hours=24),
         {"status": IdempotencyStatus.INPROGRESS, "in_progress_expires_at": now() - timedelta(minutes=5)}),
    ]:  # fmt: skip
        values: dict[str, Any] = {"key": key, "status": IdempotencyStatus.COMPLETED, "expires_at": expires_at}
        store.put_idempotency_record(IdempotencyRecord(**(values | extra)))

    store.create_oauth_state("state-expired", USER, now() - timedelta(minutes=1))
    store.create_oauth_state("state-used", USER, now() + timedelta(minutes=10))
    store.create_oauth_state("state-live", USER, now() + timedelta(minutes=10))
    assert store.consume_oauth_state("state-used", USER)

    store.save_installation(Installation(id="loc1", kind=InstallationKind.LOCATION, user_type="Location"))
    store.create_install_ticket("ticket-expired", USER, "loc1", now() - timedelta(minutes=1))
    store.create_install_ticket("ticket-used", USER, "loc1", now() + timedelta(minutes=10))
    store.create_install_ticket("ticket-live", USER, "loc1", now() + timedelta(minutes=10))
    assert store.redeem_install_ticket("ticket-used", USER) == ["loc1"]

    for webhook_id, ago in [("wh-2-days", timedelta(days=2)), ("wh-23-hours", timedelta(hours=23)), ("wh-new", None)]:
        store.record_webhook(webhook_id, "INSTALL")
        if ago:
            received(app_env, webhook_id, ago)


def test_the_purge_handler_deletes_what_is_no_longer_needed_and_reports(
    app_env: AppEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    import purge  # functions/oauth/purge.py

    from ghlbridge import factories

    seed_everything(factories.get_store(), app_env)

    summary = purge.handler(scheduled_event("PurgeFunction"), lambda_context(remaining_ms=120_000))

    assert summary == {
        "deleted": {"oauth_states": 2, "install_tickets": 2, "webhook_receipts": 1, "idempotency_records": 1},
        "complete": True,
        "failures": [],
    }
    assert table(app_env, "idempotency_records") == ["rec-live", "rec-stale-inprogress"]
    assert table(app_env, "oauth_states") == ["state-live"]
    assert table(app_env, "install_tickets") == ["ticket-live"]
    assert table(app_env, "webhook_receipts") == ["wh-23-hours", "wh-new"]  # 23 h < 300 s + 1 day
    values = emf_values(capsys.readouterr().out)
    assert {name: values[name] for name in [*METRIC_NAMES, "PurgeFailed"]} == {
        "PurgedIdempotencyRecords": 1.0, "PurgedOAuthStates": 2.0, "PurgedInstallTickets": 2.0,
        "PurgedWebhookReceipts": 1.0, "PurgeFailed": 0.0,
    }  # fmt: skip

    again = purge.handler(scheduled_event("PurgeFunction"), lambda_context(remaining_ms=120_000))

    assert again["deleted"] == dict.fromkeys(["oauth_states", "install_tickets", "webhook_receipts",
                                              "idempotency_records"], 0)  # fmt: skip
    values = emf_values(capsys.readouterr().out)
    assert all(values[name] == 0.0 for name in [*METRIC_NAMES, "PurgeFailed"])  # zeros are emitted too


def test_the_receipt_retention_follows_the_replay_window(app_env: AppEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    import purge

    from ghlbridge import factories

    monkeypatch.setenv("WEBHOOK_MAX_AGE_SECONDS", "7200")
    factories.reset()
    store = factories.get_store()
    for webhook_id, ago in [("wh-25-hours", timedelta(hours=25)), ("wh-27-hours", timedelta(hours=27))]:
        store.record_webhook(webhook_id, "INSTALL")
        received(app_env, webhook_id, ago)

    summary = purge.handler(scheduled_event("PurgeFunction"), lambda_context(remaining_ms=120_000))

    assert summary["deleted"] == {"oauth_states": 0, "install_tickets": 0, "webhook_receipts": 1,
                                  "idempotency_records": 0}  # fmt: skip
    assert table(app_env, "webhook_receipts") == ["wh-25-hours"]  # within 2 h + 1 day


class Recording:
    """A store that records the purge calls it passes on, and can fail or run out the clock."""

    def __init__(self, store: Store, *, fail: str | None = None, exhaust_after: int | None = None) -> None:
        self._store = store
        self._fail = fail
        self._exhaust_after = exhaust_after
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._store, name)

        def call(*args: Any) -> Any:
            from ghlbridge import deadline

            self.calls.append((name, args))
            if name == self._fail:
                raise StoreUnavailableError("store down")
            result = real(*args)
            if self._exhaust_after is not None and len(self.calls) >= self._exhaust_after:
                deadline.start(None, budget_seconds=1)  # the invocation is nearly over
            return result

        return call


def expired_states(store: Store, n: int) -> None:
    for i in range(n):
        store.create_oauth_state(f"expired-{i}", USER, now() - timedelta(minutes=10 - i))


def test_each_kind_is_purged_in_batches_until_one_comes_back_short(app_env: AppEnv) -> None:
    from ghlbridge import factories
    from ghlbridge.store.purge import run_purge

    expired_states(factories.get_store(), 5)
    store = Recording(factories.get_store())

    summary = run_purge(store, receipt_retention=timedelta(days=1, seconds=300), batch_size=2)  # type: ignore[arg-type]

    assert store.calls == [
        ("purge_oauth_states", (2,)), ("purge_oauth_states", (2,)), ("purge_oauth_states", (2,)),
        ("purge_install_tickets", (2,)),
        ("purge_webhook_receipts", (86700.0, 2)),
        ("purge_idempotency_records", (2,)),
    ]  # fmt: skip
    assert summary["deleted"] == {"oauth_states": 5, "install_tickets": 0, "webhook_receipts": 0,
                                  "idempotency_records": 0}  # fmt: skip
    assert summary["complete"] is True and table(app_env, "oauth_states") == []


def test_the_purge_stops_at_its_deadline_and_says_it_is_incomplete(
    app_env: AppEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    from ghlbridge import factories
    from ghlbridge.observability import metrics
    from ghlbridge.store.purge import run_purge

    expired_states(factories.get_store(), 5)
    store = Recording(factories.get_store(), exhaust_after=1)

    summary = run_purge(store, receipt_retention=timedelta(days=1), batch_size=2)  # type: ignore[arg-type]
    metrics.flush_metrics()

    assert store.calls == [("purge_oauth_states", (2,))]  # one batch, then no time for another
    assert summary == {
        "deleted": {"oauth_states": 2, "install_tickets": 0, "webhook_receipts": 0, "idempotency_records": 0},
        "complete": False,
        "failures": [],
    }
    assert table(app_env, "oauth_states") == ["expired-2", "expired-3", "expired-4"]  # left for the next run
    assert emf_values(capsys.readouterr().out)["PurgedOAuthStates"] == 2.0


def test_a_kind_the_store_fails_on_is_reported_and_the_others_are_purged(
    app_env: AppEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    from ghlbridge import factories
    from ghlbridge.observability import metrics
    from ghlbridge.store.purge import run_purge

    seed_everything(factories.get_store(), app_env)
    store = Recording(factories.get_store(), fail="purge_install_tickets")

    summary = run_purge(store, receipt_retention=timedelta(days=1, seconds=300))  # type: ignore[arg-type]
    metrics.flush_metrics()

    assert summary["failures"] == [{"kind": "install_tickets", "error": "StoreUnavailableError"}]
    assert summary["complete"] is False
    assert summary["deleted"] == {"oauth_states": 2, "install_tickets": 0, "webhook_receipts": 1,
                                  "idempotency_records": 1}  # fmt: skip
    assert table(app_env, "install_tickets") == ["ticket-expired", "ticket-live", "ticket-used"]
    assert table(app_env, "oauth_states") == ["state-live"]
    assert emf_values(capsys.readouterr().out)["PurgeFailed"] == 1.0


def test_importing_the_purge_function_reads_no_config_and_imports_no_boto3() -> None:
    code = (
        "import sys\n"
        "import purge\n"
        "loaded = sorted(m for m in sys.modules if m == 'boto3' or m.startswith(('boto3.', 'botocore.')))\n"
        "assert not loaded, loaded\n"
        "from ghlbridge.settings import get_settings\n"
        "assert get_settings.cache_info().currsize == 0\n"
    )
    env = {"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT / 'functions' / 'oauth'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- template.yaml ------------------------------------------------------------------------------------
def purge_function() -> dict[str, Any]:
    return dict(resources("AWS::Serverless::Function")["PurgeFunction"]["Properties"])


def test_the_purge_function_runs_daily_on_its_own_schedule() -> None:
    props = {**template()["Globals"]["Function"], **purge_function()}

    assert (props["CodeUri"], props["Handler"]) == ("functions/oauth/", "purge.handler")
    [event] = props["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"] == "rate(1 day)"
    assert props["Timeout"] <= 900
    variables = props["Environment"]["Variables"]
    assert variables == {"POWERTOOLS_SERVICE_NAME": "purge"}  # no parking queue: it refreshes no token


def test_the_purge_function_may_read_the_app_secret_and_nothing_else() -> None:
    [policy] = purge_function()["Policies"]
    grants = [(s["Effect"], s["Action"], s["Resource"]) for s in policy["Statement"]]

    assert grants == [("Allow", "secretsmanager:GetSecretValue", {"Ref": "AppSecretArn"})]


def test_the_purge_function_logs_to_its_own_group() -> None:
    group = purge_function()["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = template()["Resources"][group]

    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["LogGroupName"] == {"Sub": "/aws/lambda/${AWS::StackName}/purge"}
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_purge_alarms_watch_its_failures_and_crashes() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")

    failed = alarms["PurgeFailedAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("GHLBridge", "PurgeFailed")
    assert failed["Dimensions"] == [{"Name": "service", "Value": "purge"}]
    errors = alarms["PurgeErrorsAlarm"]["Properties"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "PurgeFunction"}}]
