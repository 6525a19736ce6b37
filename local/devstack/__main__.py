"""`make dev`: run the whole API locally until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from devstack.stack import ROOT, DevStack, StackConfig


def banner(stack: DevStack, token: str, location_id: str | None) -> str:
    api = stack.api_url
    ghl = f"{stack.sandbox.url}   (sandbox: demo data, outbox at /_sandbox/outbox)" if stack.sandbox else "real GHL"
    lines = [
        "",
        f"  API        {api}   (routes from template.yaml; Ctrl-C stops everything)",
        f"  functions  each in its own processes, up to {stack.config.workers_per_function} per function",
        f"  GHL        {ghl}",
        f"  store      {'Supabase' if stack.uses_supabase else stack.config.dev_dir / 'tokens.sqlite3'}",
        f"  API docs   {api}/_local/docs   (Swagger UI over docs/openapi.json)",
        f"  dev JWT    written to {stack.config.dev_dir / 'token'} (only local runs accept it):",
        "",
        token,
        "",
        "  Try:",
        f'    curl -s {api}/locations -H "Authorization: Bearer $(cat .dev/token)"',
        f'    curl -s {api}/oauth/authorize -H "Authorization: Bearer $(cat .dev/token)"',
        f"    curl -s -X POST '{api}/_local/refresh?function=TokenRefreshFunction'   # the hourly refresh, now",
        f"    curl -s -X POST '{api}/_local/refresh?function=PurgeFunction'          # the daily purge, now",
    ]
    if location_id:
        lines.insert(6, f"  location   {location_id} (installed through the OAuth routes)")
    return "\n".join(lines) + "\n"


def main() -> int:
    warnings.filterwarnings("ignore", "No application metrics to publish")  # quiet console; metrics are off
    config = StackConfig(
        api_port=int(os.environ.get("PORT", "3000")),
        sandbox_port=int(os.environ.get("SANDBOX_PORT", "3001")),
        toolkit_origin=os.environ.get("TOOLKIT_ORIGIN", "http://localhost:5173"),
        dev_dir=Path(os.environ.get("DEV_DIR", ROOT / ".dev")),
        workers_per_function=int(os.environ.get("GATEWAY_WORKERS", "4")),
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = DevStack(config)
    try:
        stack.start()
        token = stack.dev_token()
        location_id = stack.ensure_demo_install(token) if stack.uses_sandbox else None
        print(banner(stack, token, location_id), flush=True)
        if not stack.uses_sandbox:
            print("  Real GHL: open the authorizeUrl from the second curl to install your location.\n", flush=True)
        stop.wait()
    finally:
        print("\nstopping…", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
