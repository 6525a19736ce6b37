"""Handlers of the gateway tests' tiny template. Copied into tmp_path (`fn/echo.py`, and again as
`other/echo.py`), never imported by the tests themselves: the gateway loads them by path.

Each records what it saw in `<tmp>/calls.jsonl`, and every import in `<tmp>/loads.jsonl`, so a
test can tell whether, and how often, the gateway loaded and called a function.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CALLS = HERE.parent / "calls.jsonl"
INVOCATIONS = 0

with (HERE.parent / "loads.jsonl").open("a") as _loads:
    _loads.write(json.dumps({"module": __name__, "file": __file__, "pid": os.getpid()}) + "\n")


def _record(kind: str, **data: Any) -> None:
    with CALLS.open("a") as f:
        f.write(json.dumps({"kind": kind, "module": __name__, **data}) + "\n")


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The event and the context as seen, in a structured response that also tries to set CORS
    headers of its own (the API must replace them)."""
    global INVOCATIONS
    INVOCATIONS += 1
    _record("echo", path=event["rawPath"])
    first = context.get_remaining_time_in_millis()
    time.sleep(0.02)
    seen = {
        "event": event,
        "context": {
            name: getattr(context, name)
            for name in (
                "function_name",
                "function_version",
                "invoked_function_arn",
                "memory_limit_in_mb",
                "aws_request_id",
                "log_group_name",
                "log_stream_name",
            )
        },
        "remaining": [first, context.get_remaining_time_in_millis()],
        "module": __name__,
        "file": __file__,
        "invocations": INVOCATIONS,
        "pid": os.getpid(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("GATEWAY_TEST_")},
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "access-control-allow-origin": "https://evil.example"},
        "body": json.dumps(seen),
    }


def respond(event: dict[str, Any], context: Any) -> Any:
    """Returns, as its result, the JSON document the request carries."""
    return json.loads(event["body"])


def boom(event: dict[str, Any], context: Any) -> Any:
    _record("boom")
    raise RuntimeError("boom from the test handler")


def size(event: dict[str, Any], context: Any) -> dict[str, int]:
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event["isBase64Encoded"] else body.encode()
    _record("size", bytes=len(raw))
    return {"bytes": len(raw)}


def slow(event: dict[str, Any], context: Any) -> dict[str, float]:
    start = time.monotonic()
    time.sleep(0.3)
    return {"start": start, "end": time.monotonic(), "pid": os.getpid()}


def die(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Ends its own process (as a crash would) when asked to with `?exit=1`, else names it."""
    if (event.get("queryStringParameters") or {}).get("exit"):
        os._exit(3)
    return {"pid": os.getpid()}


def meet(event: dict[str, Any], context: Any) -> dict[str, bool]:
    """Marks its arrival, then waits up to 5 s for the other function of the pair (`/meet/a`,
    `/meet/b`): the other one only arrives meanwhile if the two functions run at the same time."""
    me = event["pathParameters"]["who"]
    (HERE.parent / f"arrived-{me}").touch()
    other = HERE.parent / f"arrived-{'b' if me == 'a' else 'a'}"
    deadline = time.monotonic() + 5
    while not other.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"met": other.exists()}


def tick(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A scheduled function: returns the event it was given."""
    _record("tick")
    return {"ticked": event, "function": context.function_name}
