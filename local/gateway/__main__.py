"""`python -m gateway serve|refresh` (with `local/` on PYTHONPATH).

    serve    the template's HTTP API on http://127.0.0.1:3000 (PORT or --port to change it)
    refresh  fire the scheduled token refresh once, in a container of its own, and print its
             summary JSON (the function's own output goes to stderr)

Each function runs in containers that are processes of their own (`--workers`, 4 by default, per
function). Their settings are the template's variables under this process's environment
(TOKEN_STORE, SQLITE_PATH, ...); template parameters come from `--param Name=value`, else their
defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from gateway.server import Gateway

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def parse_parameters(pairs: list[str]) -> dict[str, str]:
    """`["ToolkitOrigin=http://localhost:5173"]` → `{"ToolkitOrigin": "http://localhost:5173"}`."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"--param wants Name=value, not {pair!r}")
        parsed[name] = value
    return parsed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help="default: %(default)s")
    common.add_argument(
        "--param", action="append", default=[], metavar="Name=value", help="a template parameter (repeatable)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", parents=[common], help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--workers", type=int, default=4, help="containers per function at most (default: 4)")
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="default: PORT or 3000; 0 = any free"
    )
    refresh = commands.add_parser("refresh", parents=[common], help="fire the scheduled refresh once")
    refresh.add_argument("--function", help="the scheduled function (needed only if there are several)")
    return parser


def serve(gateway: Gateway) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        gateway.start()
    except OSError as exc:
        print(f"cannot listen on {gateway.url}: {exc}", file=sys.stderr)
        return 1
    width = max((len(m) for m, _, _ in gateway.routes), default=4)
    lines = [f"  {m:<{width}} {gateway.url}{p}  -> {f}" for m, p, f in gateway.routes]
    lines += [f"  {m:<{width}} {gateway.url}{p}  (local only)" for m, p in gateway.local_routes]
    for name, cors in gateway.template.cors.items():
        lines.append(f"  CORS ({name}): origins {', '.join(cors.allow_origins) or 'none'}")
    print(f"Serving {gateway.template.path.name} on {gateway.url}\n" + "\n".join(lines), file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    print("Stopping", file=sys.stderr, flush=True)
    gateway.stop()
    return 0


def refresh(gateway: Gateway, function: str | None) -> int:
    """The function's own output (logs, EMF metrics) goes to stderr, so stdout is the summary."""
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # stray prints; the containers write to stderr
        try:
            result = gateway.fire_schedule(function)
        except LookupError as exc:
            print(exc, file=sys.stderr)
            return 2
        except Exception:
            logging.getLogger("gateway").exception("the scheduled function failed")
            return 1
        finally:
            gateway.stop()
    print(json.dumps(result, indent=2), file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="gateway: %(message)s")
    try:
        gateway = Gateway(
            args.template,
            host=getattr(args, "host", "127.0.0.1"),
            port=getattr(args, "port", 0),
            parameters=parse_parameters(args.param),
            max_workers=getattr(args, "workers", 1),
        )
    except (ValueError, OSError, argparse.ArgumentTypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return serve(gateway)
    return refresh(gateway, args.function)


if __name__ == "__main__":
    sys.exit(main())
