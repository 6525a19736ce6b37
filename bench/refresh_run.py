"""The scheduled refresh of 1,000 due installations against the GHL sandbox with 100 ms per token call
(`make bench`).

The real `run_scheduled_refresh` (what TokenRefreshFunction runs hourly) at the concurrency
template.yaml gives that function (`REFRESH_CONCURRENCY`), the SQLite store, and the GHL sandbox
over real HTTP with a latency fault of 100 ms on `POST /oauth/token`. Printed: wall time (target at
most 15 s), GHL token calls (exactly one per installation), store round trips per installation,
and the run's outcomes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "local"), str(ROOT / "bench"), str(ROOT)]

from warm_request import CountingStore, environment  # noqa: E402

LATENCY_SECONDS = 0.1
TARGET_SECONDS = 15.0


def template_concurrency() -> int:
    from gateway.template import Template

    spec = Template.read(ROOT / "template.yaml", {"ToolkitOrigin": "http://localhost"}).functions[
        "TokenRefreshFunction"
    ]
    return int(spec.environment.get("REFRESH_CONCURRENCY", 4))


def seed(sandbox: Any, store: Any, count: int) -> None:
    """`count` installations whose access token expires in an hour, each holding a refresh token the
    sandbox issued (so every refresh is a real, single-use rotation)."""
    from ghlsandbox import DEMO_CLIENT_ID
    from ghlsandbox.tokens import Grant

    from ghlbridge.factories import get_cipher
    from tests.seed import seed_installation

    cipher = get_cipher()
    now = time.time()
    for n in range(count):
        location_id = f"BenchRefresh{n:08d}"
        grant = Grant(DEMO_CLIENT_ID, DEMO_CLIENT_ID.split("-")[0], "Location", "BenchCompany", location_id, (),
                      "BenchUser", ("contacts.readonly",))  # fmt: skip
        with sandbox.state.lock:
            pair = sandbox.state.tokens.issue_pair(grant, now=now, access_ttl=3600, refresh_ttl=86400)
        seed_installation(store, cipher, location_id, access=pair["access_token"], refresh=pair["refresh_token"],
                          expires_in=timedelta(hours=1))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installations", type=int, default=1000)
    args = parser.parse_args(argv)

    import contextlib
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    env = environment(tmp) | {"POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ.update(env)

    from ghlsandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FaultRule, Sandbox, SandboxConfig

    from ghlbridge import deadline, factories
    from ghlbridge.tokens.refresh import run_scheduled_refresh

    faults = (FaultRule("POST /oauth/token", "latency", value=LATENCY_SECONDS),)
    concurrency = template_concurrency()
    with Sandbox(SandboxConfig(faults=faults)) as sandbox:
        os.environ.update(
            {"GHL_BASE_URL": sandbox.url, "GHL_CLIENT_ID": DEMO_CLIENT_ID, "GHL_CLIENT_SECRET": DEMO_CLIENT_SECRET}
        )
        factories.reset()
        store = factories.get_store()
        seed(sandbox, store, args.installations)
        counting = CountingStore(store)
        refresher = factories.get_refresher()
        refresher.store = counting
        deadline.start(None, budget_seconds=300)  # TokenRefreshFunction's Timeout
        before = sandbox.state.tokens.refreshes
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # the EMF lines
            started = time.perf_counter()
            summary = run_scheduled_refresh(refresher, window=timedelta(hours=6), concurrency=concurrency)
            wall = time.perf_counter() - started
        token_calls = sandbox.state.tokens.refreshes - before

    per_installation = counting.calls / args.installations
    ok = wall <= TARGET_SECONDS and token_calls == args.installations and summary["refreshed"] == args.installations
    print(
        f"Scheduled refresh of {args.installations} due installations, GHL sandbox with {LATENCY_SECONDS * 1000:.0f} "
        f"ms per token call, REFRESH_CONCURRENCY={concurrency} (template.yaml), SQLite store\n"
    )
    print("| measure | value | target | verdict |")
    print("|---|---:|---|---|")
    print(f"| wall time | {wall:.2f} s | ≤ {TARGET_SECONDS:.0f} s | {'pass' if wall <= TARGET_SECONDS else 'FAIL'} |")
    verdict = "pass" if token_calls == args.installations else "FAIL"
    print(f"| GHL token calls | {token_calls} | exactly {args.installations} | {verdict} |")
    print(f"| store round trips per installation | {per_installation:.2f} | | |")
    outcomes = ", ".join(f"{k} {v}" for k, v in summary.items() if k not in ("due", "failures") and v)
    all_refreshed = summary["refreshed"] == args.installations
    print(f"| outcomes | {outcomes} | all refreshed | {'pass' if all_refreshed else 'FAIL'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
