"""`python -m ghlsandbox --port 8100 [--config file.json]`: run the sandbox until Ctrl-C.

SIGINT and SIGTERM stop it cleanly (stalled requests are released, the port is freed).
With `local/` on the import path, e.g. from the project root:

    PYTHONPATH=local .venv/bin/python -m ghlsandbox --port 8100
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
from types import FrameType
from urllib.parse import urlencode

from ghlsandbox.config import SandboxConfig
from ghlsandbox.data import DEMO_CALL_PROVIDER_ID, DEMO_LOCATION_ID, OTHER_LOCATION_ID, RESEARCH_OPPORTUNITY_ID
from ghlsandbox.server import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ghlsandbox", description="A local GoHighLevel API v2 sandbox.")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default 8100; 0 = any free port)")
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--config", help="a JSON file with SandboxConfig fields (clients, limits, faults…)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the demo data")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)

    try:
        config = SandboxConfig.from_file(args.config) if args.config else SandboxConfig(port=8100)
        overrides = {
            name: value
            for name, value in (("port", args.port), ("host", args.host), ("seed", args.seed))
            if value is not None
        }
        config = dataclasses.replace(config, **overrides)
    except (OSError, ValueError) as exc:
        print(f"ghlsandbox: bad configuration: {exc}", file=sys.stderr)
        return 2

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        sandbox = Sandbox(config).start()
    except OSError as exc:
        print(f"ghlsandbox: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    client = config.clients[0]
    install = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": "http://localhost:3000/oauth/callback",
            "scope": client.scopes,
        }
    )
    print(
        f"GHL sandbox on {sandbox.url}\n"
        f"  client_id          {client.client_id}\n"
        f"  demo location      {DEMO_LOCATION_ID}   other location {OTHER_LOCATION_ID}\n"
        f"  call provider      {DEMO_CALL_PROVIDER_ID}\n"
        f"  research deal      {RESEARCH_OPPORTUNITY_ID}\n"
        f"  install page       {sandbox.url}/v2/oauth/chooselocation?{install}\n"
        f"  ids and counts     {sandbox.url}/_sandbox/state\n"
        "Ctrl-C to stop.",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        sandbox.stop()
        print("GHL sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
