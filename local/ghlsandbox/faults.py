"""Faults on demand: make chosen calls slow, fail, stall or look rate-limited.

A `FaultRule` picks calls by their `"METHOD /path"`: a glob such as `"POST /oauth/token"` or
`"* /opportunities/*"`, or a regular expression written `"re:^(GET|PUT) /opportunities/\\w+$"`,
matched against the method and the path as sent (no query string; `*` also matches `/`), and
says what happens to them:

- `latency`: wait `value` seconds, then answer normally;
- `status`: answer HTTP `value` (e.g. 500, 502, 503) with a GHL-shaped error body, or `body`;
- `timeout`: stall `value` seconds (default: the config's `timeout_fault_seconds`, longer than a
  client waits), then close the connection without an answer;
- `rate_limit`: answer GHL's 429 with the rate-limit headers at zero.

`after=True` does the real work first (a refresh token rotates, a note is stored) and only then
fails: the case where the client cannot know whether its request took effect.

A rule fires on every matching call, on a `probability` (fraction of calls, drawn from a seeded
generator), or on the next `count` matching calls, after which it is spent. For one call, the
matching rules are taken in the order they were added: latencies add up, and the first rule that
answers (status, timeout, rate_limit) ends the list.

Control endpoints (`/_sandbox/...`) are never subject to faults.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

type FaultKind = Literal["latency", "status", "timeout", "rate_limit"]
FAULT_KINDS: tuple[FaultKind, ...] = ("latency", "status", "timeout", "rate_limit")
_RULE_FIELDS = ("route", "kind", "value", "probability", "count", "after", "body")


@dataclass(frozen=True)
class FaultRule:
    """What to break, for which calls, how often. See the module docstring."""

    route: str
    kind: FaultKind
    value: float | None = None
    probability: float | None = None
    count: int | None = None
    after: bool = False
    body: dict[str, Any] | str | None = None

    def __post_init__(self) -> None:
        if not self.route:
            raise ValueError("fault route must not be empty")
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}")
        if self.route.startswith("re:"):
            try:
                re.compile(self.route[3:])
            except re.error as exc:
                raise ValueError(f"fault route is not a valid regular expression: {exc}") from None
        if self.kind == "latency" and (self.value is None or self.value < 0):
            raise ValueError("a latency fault needs value = seconds to wait (>= 0)")
        if self.kind == "status" and (self.value is None or not 100 <= self.value <= 599 or self.value % 1):
            raise ValueError("a status fault needs value = an HTTP status (100-599)")
        if self.kind == "timeout" and self.value is not None and self.value < 0:
            raise ValueError("a timeout fault's value (seconds to stall) must be >= 0")
        if self.probability is not None and self.count is not None:
            raise ValueError("give a fault either a probability or a count, not both")
        if self.probability is not None and not 0 < self.probability <= 1:
            raise ValueError("fault probability must be in (0, 1]")
        if self.count is not None and self.count < 1:
            raise ValueError("fault count must be >= 1")

    @classmethod
    def from_dict(cls, data: object) -> FaultRule:
        """A rule from JSON (config file or `POST /_sandbox/faults`); ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a fault rule must be a JSON object")
        unknown = sorted(set(data) - set(_RULE_FIELDS))
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(unknown)}")
        if not isinstance(data.get("route"), str) or not isinstance(data.get("kind"), str):
            raise ValueError("a fault rule needs string fields 'route' and 'kind'")
        for name in ("value", "probability"):
            if data.get(name) is not None and (not isinstance(data[name], int | float) or isinstance(data[name], bool)):
                raise ValueError(f"fault {name} must be a number")
        if data.get("count") is not None and (not isinstance(data["count"], int) or isinstance(data["count"], bool)):
            raise ValueError("fault count must be an integer")
        if not isinstance(data.get("after", False), bool):
            raise ValueError("fault after must be true or false")
        if data.get("body") is not None and not isinstance(data["body"], dict | str):
            raise ValueError("fault body must be a JSON object or a string")
        return cls(
            route=data["route"],
            kind=cast(FaultKind, data["kind"]),
            value=data.get("value"),
            probability=data.get("probability"),
            count=data.get("count"),
            after=data.get("after", False),
            body=data.get("body"),
        )

    def matches(self, method: str, path: str) -> bool:
        target = f"{method.upper()} {path}"
        if self.route.startswith("re:"):
            return re.fullmatch(self.route[3:], target) is not None
        return fnmatch.fnmatchcase(target, self.route)

    def to_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    @property
    def answers(self) -> bool:
        """True when this rule replaces the answer (everything but latency)."""
        return self.kind != "latency"


@dataclass
class ActiveFault:
    """A rule as installed: its id, and how many firings are left when it has a count."""

    id: str
    rule: FaultRule
    remaining: int | None
    fired: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.rule.to_dict(), "remaining": self.remaining, "fired": self.fired}


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one call: wait `delay` seconds, then `answer` with a rule (or answer normally)."""

    delay: float = 0.0
    answer: FaultRule | None = None


@dataclass
class FaultBook:
    """The installed faults. Thread-safe; drawing for probabilities uses its own seeded generator."""

    seed: int = 0
    _faults: list[ActiveFault] = field(default_factory=list)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def add(self, rule: FaultRule) -> ActiveFault:
        with self._lock:
            fault = ActiveFault(id=f"fault-{self._next_id}", rule=rule, remaining=rule.count)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [fault for fault in self._faults if fault.id != fault_id]
            return len(self._faults) < before

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    def plan(self, method: str, path: str, *, after: bool) -> FaultPlan:
        """The faults for this call, before the work (`after=False`) or after it (`after=True`).

        Firing spends a count; a spent rule is removed.
        """
        delay = 0.0
        answer: FaultRule | None = None
        with self._lock:
            for fault in list(self._faults):
                rule = fault.rule
                if rule.after != after or not rule.matches(method, path):
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                if rule.kind == "latency":
                    delay += rule.value or 0.0
                    continue
                answer = rule
                break
        return FaultPlan(delay=delay, answer=answer)
