"""One function of the template as Lambda runs it: containers that are processes of their own.

Each container is a worker process (`gateway.worker`): started without any state of the
gateway's (a new interpreter, not a fork), with the function's own environment, importing the
handler's module on its first invocation (the cold start), then handling one invocation at a
time. Lambda keeps per-container state in the handler's module, and so do the handlers:
Powertools keeps the current event on the resolver *class*, so two functions sharing one
interpreter read each other's headers, query and body. In processes of their own they cannot.

Concurrency, as Lambda scales: a request takes an idle container of its function (the most
recently used: warm); with none idle, a new container starts, up to `max_workers` per function
(4 by default); beyond that, requests queue for the first container that is free (deployed, a
function at its concurrency limit would answer 429 instead; locally, waiting is kinder to a
browser's bursts). Containers live until the gateway stops.

What a container answers: the handler's result, or its exception (the gateway answers 500, as
API Gateway does; the container lives on). A container whose process dies (killed, `sys.exit`,
a crash in C) is dropped, the request is answered 500, and the next request starts a new one.

The handler's module is loaded under a unique module name (`_gateway1_OAuthFunction__app`), so
that two `CodeUri` folders with an `app.py` stay apart even if one process ever held both, and
the plain name `app` stays free for the tests that `import app`. No module of a function is
ever imported by the gateway's own process.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gateway.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, FunctionSpec

log = logging.getLogger("gateway")
_containers = itertools.count(1)

DEFAULT_MAX_WORKERS = 4
"""Containers per function at most; more requests at once wait for one of them."""

_LOCAL_DIR = str(Path(__file__).resolve().parents[1])
_BOOT = f"import sys; sys.path.insert(0, {_LOCAL_DIR!r}); from gateway.worker import main; raise SystemExit(main())"


class FunctionError(Exception):
    """The handler raised (or its module would not load): Lambda's error document, as an exception
    whose message is the handler's. The worker's traceback is a note, so logging shows it."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        super().__init__(str(document.get("errorMessage", "")))
        self.error_type = str(document.get("errorType", "Error"))
        trace = document.get("stackTrace") or []
        if trace:
            self.add_note("in the function's container:\n" + "".join(trace).rstrip())


class ContainerDiedError(Exception):
    """The container's process ended during an invocation."""


class GatewayStoppedError(Exception):
    """An invocation came after `stop()`."""


class Container:
    """One worker process and the gateway's end of its socket."""

    def __init__(self, spec: FunctionSpec, init: dict[str, Any], environment: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [sys.executable, "-P", "-c", _BOOT, str(theirs.fileno())],
                env=dict(environment),
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=2,  # the function's prints and logs (Lambda: CloudWatch) go to our stderr
                close_fds=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.spec = spec
        self.connection = Connection(ours.detach())
        self.connection.send_bytes(json.dumps({"init": init}).encode())
        self.invocations = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def invoke(self, event: Any) -> tuple[dict[str, Any], Any]:
        """(the answer's flags, the result). Raises `FunctionError`, `ContainerDiedError`."""
        try:
            self.connection.send_bytes(json.dumps({"event": event}).encode())
            answer = json.loads(self.connection.recv_bytes())
        except (EOFError, OSError) as exc:
            code = self.process.poll()
            raise ContainerDiedError(
                f"{self.spec.name}: its container (pid {self.pid}) ended during an invocation"
                + (f" (exit status {code})" if code is not None else "")
            ) from exc
        self.invocations += 1
        if "error" in answer:
            raise FunctionError(answer["error"])
        return answer, answer.get("result")

    def stop(self, *, wait: float = 2.0) -> None:
        """End the process (SIGTERM, then SIGKILL) and close the socket."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.connection.close()


class LambdaFunction:
    """Invokes one function's handler in its containers (see the module)."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        environment: Callable[[], Mapping[str, str]],
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.spec = spec
        self.region = region
        self.account_id = account_id
        self.max_workers = max_workers
        self.module_name = f"_gateway{next(_containers)}_{spec.name}__{spec.module.replace('.', '_')}"
        self.invocations = 0
        self.cold_starts = 0
        self._environment = environment
        self._lock = threading.Condition()
        self._idle: list[Container] = []  # the most recently used last
        self._all: list[Container] = []
        self._starting = 0
        self._loaded = False
        self._stopped = False

    @property
    def loaded(self) -> bool:
        """Whether a container of this function has imported its handler's module."""
        return self._loaded

    @property
    def pids(self) -> list[int]:
        """The processes of the containers alive now."""
        with self._lock:
            return [c.pid for c in self._all]

    def invoke(self, event: Any) -> Any:
        """Call the handler with `event` in a free container of this function, and return its
        result. Raises `FunctionError` (the handler raised or would not load; the container
        stays), `ContainerDiedError` (it is replaced), `GatewayStoppedError`."""
        container = self._acquire()
        started = time.monotonic()
        try:
            answer, result = container.invoke(event)
        except FunctionError:
            self._release(container)
            raise
        except BaseException:
            self._drop(container)
            raise
        finally:
            self._count(time.monotonic() - started)
        if answer.get("cold"):
            with self._lock:
                self.cold_starts += 1
            log.info("%s: cold start in container pid %d", self.spec.name, container.pid)
        with self._lock:
            self._loaded = self._loaded or bool(answer.get("loaded"))
        self._release(container)
        return result

    def _count(self, elapsed: float) -> None:
        with self._lock:
            self.invocations += 1
        if elapsed > self.spec.timeout_seconds:
            # Not enforced (a debugger pause must not turn into a failure), but said: deployed,
            # Lambda would have stopped it.
            log.warning(
                "%s ran %.1f s, past its Timeout of %d s: Lambda would have stopped it",
                self.spec.name,
                elapsed,
                self.spec.timeout_seconds,
            )

    def _acquire(self) -> Container:
        with self._lock:
            while True:
                if self._stopped:
                    raise GatewayStoppedError(f"{self.spec.name}: the gateway has stopped")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self.max_workers:
                    self._starting += 1
                    break
                self._lock.wait()
        try:
            container = Container(self.spec, self._init(), self._environment())
        except BaseException:
            with self._lock:
                self._starting -= 1
                self._lock.notify()
            raise
        with self._lock:
            self._starting -= 1
            if self._stopped:
                container.stop(wait=0.5)
                raise GatewayStoppedError(f"{self.spec.name}: the gateway has stopped")
            self._all.append(container)
        return container

    def _release(self, container: Container) -> None:
        with self._lock:
            if self._stopped:
                return
            self._idle.append(container)
            self._lock.notify()

    def _drop(self, container: Container) -> None:
        with self._lock:
            if container in self._all:
                self._all.remove(container)
            self._lock.notify()
        container.stop(wait=0.5)

    def _init(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "function_name": spec.name,
            "handler": spec.handler,
            "handler_attr": spec.handler_attr,
            "module_name": self.module_name,
            "module_path": str(spec.module_path),
            "layer_dirs": [str(layer) for layer in spec.layer_dirs],
            "memory_mb": spec.memory_mb,
            "timeout_seconds": spec.timeout_seconds,
            "log_group": spec.log_group,
            "region": self.region,
            "account_id": self.account_id,
        }

    def reopen(self) -> None:
        """Take invocations again after `stop()` (a gateway started anew)."""
        with self._lock:
            self._stopped = False

    def stop(self) -> None:
        """End every container (an invocation in progress gets `ContainerDiedError`)."""
        with self._lock:
            self._stopped = True
            containers, self._all, self._idle = self._all, [], []
            self._lock.notify_all()
        for container in containers:
            container.stop()


def container_environment(
    template_values: Mapping[str, str],
    process: Mapping[str, str],
    *,
    region: str,
) -> dict[str, str]:
    """A container's environment: the function's template variables (Globals merged, resolved),
    then this process's environment over them (local settings win, as `sam local --env-vars`
    do), then what `sam local` sets too.

    Not set: Lambda's `AWS_LAMBDA_FUNCTION_NAME` and its siblings. The layer reads
    `AWS_LAMBDA_FUNCTION_NAME` as "deployed" and then refuses the dev JWT, which is right in
    Lambda and wrong here; the context object carries the function's name and memory instead."""
    env = {**template_values, **process}
    env["AWS_SAM_LOCAL"] = "true"  # as `sam local` sets it (Powertools' Tracer stays off)
    env.setdefault("AWS_REGION", region)
    env.setdefault("AWS_DEFAULT_REGION", region)
    env.setdefault("TZ", ":UTC")  # as in Lambda
    return env


__all__ = [
    "DEFAULT_MAX_WORKERS",
    "ContainerDiedError",
    "FunctionError",
    "GatewayStoppedError",
    "LambdaFunction",
    "container_environment",
]
