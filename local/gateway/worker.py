"""The inside of one local Lambda container: a process that imports one function's handler and
runs its invocations, one at a time, for the gateway (`gateway.functions`) that started it.

Started by the gateway as `python -P -c "...; gateway.worker.main()" <fd>`, with the function's
environment (the gateway builds it) and no folder of the gateway's on `sys.path` once started.
`<fd>` is this process's end of a socket pair; over it go length-prefixed JSON messages
(`multiprocessing.connection` framing, no pickle):

    gateway → worker   {"init": {...}}               once, first: what to load and the context's fields
    gateway → worker   {"event": <event>}            an invocation
    worker → gateway   {"result": <result>, ...}     the handler returned (JSON, as Lambda serializes it)
    worker → gateway   {"error": {"errorType", "errorMessage", "stackTrace"}, ...}   it raised

Every answer also says whether this invocation was the cold start (`"cold"`) and whether the
handler's module is loaded. The handler's module is imported on the first invocation, as Lambda
does after a cold start; an import that fails is an error answer, and the next invocation tries
again. An exception in the handler is an answer too: the process lives on, as a Lambda container
does. The process ends when the gateway closes its end (EOF), or is killed: then the gateway
starts another one.

SIGINT is ignored: Ctrl-C in a terminal reaches the whole process group, and stopping the
workers is the gateway's job (it terminates them on stop; a gateway that died closes the socket,
and the worker leaves at its next read).
"""

from __future__ import annotations

import importlib.util
import json
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gateway.events import LambdaContext, log_stream_name

Handler = Callable[[Any, Any], Any]


class Container:
    """One function's handler, loaded on first use, and the context of each invocation."""

    def __init__(self, init: dict[str, Any]) -> None:
        self.init = init
        self.handler: Handler | None = None
        self.log_stream = log_stream_name()

    def load(self) -> Handler:
        if self.handler is not None:
            return self.handler
        init = self.init
        for layer in init["layer_dirs"]:
            if layer not in sys.path:
                sys.path.append(layer)  # last, as /opt/python comes after the function's code in Lambda
        path = Path(init["module_path"])
        if not path.is_file():
            raise ImportError(f"{init['function_name']}: handler module {path} does not exist")
        name = init["module_name"]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{init['function_name']}: cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pydantic look their module up here
        try:
            spec.loader.exec_module(module)
            handler: Handler = getattr(module, init["handler_attr"])
        except BaseException:
            sys.modules.pop(name, None)
            raise
        if not callable(handler):
            sys.modules.pop(name, None)
            raise TypeError(f"{init['function_name']}: {init['handler']} is not callable")
        self.handler = handler
        return handler

    def context(self) -> LambdaContext:
        init = self.init
        return LambdaContext(
            function_name=init["function_name"],
            memory_limit_in_mb=init["memory_mb"],
            timeout_seconds=init["timeout_seconds"],
            log_group_name=init["log_group"],
            log_stream_name=self.log_stream,
            region=init["region"],
            account_id=init["account_id"],
        )

    def invoke(self, event: Any) -> dict[str, Any]:
        """The answer to one invocation (never raises for what the handler does)."""
        cold = self.handler is None
        try:
            handler = self.load()
            result = handler(event, self.context())
        except Exception as exc:
            return {"error": error_document(exc), "cold": cold, "loaded": self.handler is not None}
        try:
            text = json.dumps({"result": result, "cold": cold, "loaded": True})
        except (TypeError, ValueError) as exc:
            error = {
                "errorType": "Runtime.MarshalError",
                "errorMessage": f"Unable to marshal response: {exc}",
                "stackTrace": [],
            }
            return {"error": error, "cold": cold, "loaded": True}
        return {"raw": text}


def error_document(exc: BaseException) -> dict[str, Any]:
    """Lambda's error document for a Python exception."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def serve(connection: Connection) -> None:
    init = json.loads(connection.recv_bytes())["init"]
    container = Container(init)
    while True:
        try:
            message = json.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return  # the gateway closed its end, or is gone
        answer = container.invoke(message["event"])
        text = answer.pop("raw", None) or json.dumps(answer)
        try:
            connection.send_bytes(text.encode())
        except OSError:
            return


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    here = str(Path(__file__).resolve().parents[1])
    sys.path[:] = [p for p in sys.path if p != here]  # the gateway's folder is no part of a function
    serve(Connection(int(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
