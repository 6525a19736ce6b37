"""One function of the template as a warm Lambda container: its handler module loaded once, on
the first invocation, and one invocation at a time.

Why load by path under a unique module name: several functions may have a module of the same
name (`app.py`) in different `CodeUri` folders, and each function's module keeps state of its own
(a Powertools resolver keeps the current event on the app object). Loading `<CodeUri>/app.py` as
`_gateway1_OAuthFunction__app` keeps them apart, and leaves the plain name `app` to the tests
that `import app`.

Why a lock: a Lambda container handles one request at a time, and the handlers rely on it (the
resolver's per-request state). Functions do not wait for each other.

What is shared: the process. The layer's modules (`ghlbridge`) are imported once for all
functions, where Lambda gives each container its own copy; and the environment is the process's
(see `Gateway` for why per-function variables are not applied). A function's `CodeUri` is not put
on `sys.path` either: the house rule is that function files import only the layer.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from gateway.events import LambdaContext, log_stream_name
from gateway.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, FunctionSpec

log = logging.getLogger("gateway")
_containers = itertools.count(1)

Handler = Callable[[Any, Any], Any]


class WarmFunction:
    """Invokes one function's handler the way a single warm container would."""

    def __init__(self, spec: FunctionSpec, *, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID):
        self.spec = spec
        self.region = region
        self.account_id = account_id
        self.module_name = f"_gateway{next(_containers)}_{spec.name}__{spec.module.replace('.', '_')}"
        self.invocations = 0
        self._lock = threading.Lock()
        self._module: ModuleType | None = None
        self._handler: Handler | None = None
        self._log_stream = ""

    @property
    def loaded(self) -> bool:
        return self._handler is not None

    @property
    def module(self) -> ModuleType | None:
        """The handler's module once loaded (for inspection; not registered under its plain name)."""
        return self._module

    def invoke(self, event: Any) -> Any:
        """Call the handler with `event` and a fresh context, after any invocation in progress.

        The handler's exception propagates (the caller answers as API Gateway does); so does a
        failed import, and the next invocation tries the import again, as a new container would.
        """
        with self._lock:
            handler = self._load()
            context = LambdaContext(
                function_name=self.spec.name,
                memory_limit_in_mb=self.spec.memory_mb,
                timeout_seconds=self.spec.timeout_seconds,
                log_group_name=self.spec.log_group,
                log_stream_name=self._log_stream,
                region=self.region,
                account_id=self.account_id,
            )
            self.invocations += 1
            started = time.monotonic()
            try:
                return handler(event, context)
            finally:
                elapsed = time.monotonic() - started
                if elapsed > self.spec.timeout_seconds:
                    # Not enforced (a thread cannot be stopped, and a debugger pause must not turn
                    # into a failure), but said: deployed, Lambda would have stopped it.
                    log.warning(
                        "%s ran %.1f s, past its Timeout of %d s: Lambda would have stopped it",
                        self.spec.name,
                        elapsed,
                        self.spec.timeout_seconds,
                    )

    def _load(self) -> Handler:
        if self._handler is not None:
            return self._handler
        for layer in self.spec.layer_dirs:
            if str(layer) not in sys.path:
                sys.path.append(str(layer))  # last, as /opt/python comes after the function's code in Lambda
        path = self.spec.module_path
        if not path.is_file():
            raise ImportError(f"{self.spec.name}: handler module {path} does not exist")
        module_spec = importlib.util.spec_from_file_location(self.module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"{self.spec.name}: cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[self.module_name] = module  # dataclasses and pydantic look their module up here
        try:
            module_spec.loader.exec_module(module)
            handler: Handler = getattr(module, self.spec.handler_attr)
        except BaseException:
            sys.modules.pop(self.module_name, None)
            raise
        if not callable(handler):
            sys.modules.pop(self.module_name, None)
            raise TypeError(f"{self.spec.name}: {self.spec.handler} is not callable")
        self._module, self._handler = module, handler
        self._log_stream = log_stream_name()
        log.info("%s: cold start (%s loaded as %s)", self.spec.name, path.name, self.module_name)
        return handler
