"""`GET /locations` for an agency user with 50 approved locations vs a single-location user (`make bench`).

One process plays a warm Lambda container of the OAuth function (template.yaml's OAuthFunction)
with the SQLite store. Measured in the same run, in interleaved rounds:

- store round trips of one request, for each user (target: at most 2 whatever the number of
  locations; the list is one store call, `Store.list_locations`);
- the time per request for each user, and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "bench"), str(ROOT)]

from warm_request import Context, CountingStore, caller_token, environment, http_event, load_handler  # noqa: E402

AGENCY_USER = str(uuid.uuid4())
SINGLE_USER = str(uuid.uuid4())
LOCATIONS = 50


def event(token: str) -> dict[str, Any]:
    return http_event(token, "GET /locations", "/locations")


def seed(store: Any) -> None:
    from ghlbridge.factories import get_cipher
    from ghlbridge.store import InstallationKind, MemberRole
    from tests.seed import seed_installation

    cipher = get_cipher()
    approved = [f"BenchAgencyLoc{n:06d}" for n in range(LOCATIONS)]
    seed_installation(
        store,
        cipher,
        "BenchCompany00000001",
        access="at-bench-company",
        refresh="rt-bench-company",
        expires_in=timedelta(hours=20),
        kind=InstallationKind.COMPANY,
        approved_locations=approved,
    )
    for location_id in approved:
        store.add_member(location_id, AGENCY_USER, MemberRole.OWNER)
    seed_installation(store, cipher, "BenchSingleLoc000001", access="at-bench-single", refresh="rt-bench-single",
                      expires_in=timedelta(hours=20))  # fmt: skip
    store.add_member("BenchSingleLoc000001", SINGLE_USER, MemberRole.OWNER)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)

    import warnings

    warnings.filterwarnings("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ.update(environment(tmp))

    from ghlbridge import factories

    factories.reset()
    real_store = factories.get_store()
    seed(real_store)
    counting = CountingStore(real_store)
    factories.get_store = lambda: counting  # type: ignore[assignment]
    handler = load_handler(ROOT / "functions" / "oauth" / "app.py")
    context = Context()
    agency, single = event(caller_token(AGENCY_USER)), event(caller_token(SINGLE_USER))

    trips: dict[str, int] = {}
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for name, request in (("agency", agency), ("single", single)):
            counting.calls = 0
            answer = handler(request, context)
            assert answer["statusCode"] == 200, answer
            trips[name] = counting.calls
        times: dict[str, list[float]] = {"agency": [], "single": []}
        for _ in range(args.requests):
            for name, request in (("agency", agency), ("single", single)):
                started = time.perf_counter()
                answer = handler(request, context)
                times[name].append(time.perf_counter() - started)
                assert answer["statusCode"] == 200, answer

    agency_ms = statistics.median(times["agency"]) * 1000
    single_ms = statistics.median(times["single"]) * 1000
    passed = max(trips.values()) <= 2
    print(f"GET /locations, median of {args.requests} interleaved rounds (SQLite store, warm container)\n")
    print("| user | locations | store round trips | median ms | target | verdict |")
    print("|---|---:|---:|---:|---|---|")
    for name, count, ms in (("agency", LOCATIONS, agency_ms), ("single location", 1, single_ms)):
        key = "agency" if count > 1 else "single"
        verdict = "pass" if trips[key] <= 2 else "FAIL"
        print(f"| {name} | {count} | {trips[key]} | {ms:.2f} | ≤ 2 round trips | {verdict} |")
    print(f"| agency / single | | | {agency_ms / single_ms:.2f}x | | |")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
