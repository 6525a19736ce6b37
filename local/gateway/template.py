"""template.yaml as data, and the parts of it a local API gateway serves.

Why this module exists: routes, handlers, timeouts, CORS and parameters are read from the same
file CloudFormation deploys, so the local gateway and the deployed HTTP API cannot drift apart.
Tests read the template through `load_template` too (tests/template_yaml.py), so there is one
loader for CloudFormation's short-form tags.

Only what a local run needs is evaluated: `Ref` to parameters and pseudo parameters, `Sub`, `If`
with the template's `Conditions`, `Join`. Anything else (`GetAtt`, a `Ref` to most resources)
raises `Unresolvable`, and the caller decides whether that value can be skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_STACK_NAME = "local"


# --- loading -------------------------------------------------------------------------------------
class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short-form tags (`!Ref X`, `!Sub s`, `!GetAtt A.B`,
    `!If [...]`) as one-key mappings named after the tag (`{"Ref": "X"}`), the shape the long form
    (`Ref:` / `Fn::Sub:`) has once the `Fn::` prefix is dropped."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data (short-form tags as `{"Ref": ...}`-style mappings)."""
    data = yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ValueError(f"{path} is not a CloudFormation template (no Resources)")
    return data


# --- intrinsic functions -------------------------------------------------------------------------
class Unresolvable(Exception):
    """A template value that only CloudFormation can know (a resource attribute, a parameter
    without default that was not given)."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
"""`!Ref AWS::NoValue`: the property is left out."""

_INTRINSICS = {
    "Ref", "Condition", "Sub", "If", "Join", "Equals", "Not", "And", "Or", "GetAtt", "Select", "Split",
    "Base64", "FindInMap", "ImportValue", "GetAZs", "Cidr", "Transform", "ToJsonString", "Length",
}  # fmt: skip
_SUB_VAR = re.compile(r"\$\{(!?)([^}]*)\}")


def _intrinsic(node: Any) -> tuple[str, Any] | None:
    """`("Sub", args)` when `node` is an intrinsic function call, in short or long form."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, args),) = node.items()
        name = key.removeprefix("Fn::")
        if name in _INTRINSICS and (key in ("Ref", "Condition") or key.startswith("Fn::") or key == name):
            return name, args
    return None


@dataclass(frozen=True)
class Parameter:
    name: str
    default: str | None
    allowed_pattern: str | None = None
    allowed_values: tuple[str, ...] = ()
    constraint: str | None = None

    def check(self, value: str) -> None:
        """Refuse a value CloudFormation would refuse, so a local typo does not pass unnoticed."""
        why = self.constraint or (f"must match {self.allowed_pattern}" if self.allowed_pattern else "")
        if self.allowed_values and value not in self.allowed_values:
            raise ValueError(f"parameter {self.name}={value!r}: must be one of {', '.join(self.allowed_values)}")
        if self.allowed_pattern:
            try:
                pattern = re.compile(self.allowed_pattern)
            except re.error:  # a Java-only construct: CloudFormation will check it
                return
            if not pattern.fullmatch(value):
                raise ValueError(f"parameter {self.name}={value!r}: {why}")


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Resolver:
    """Evaluates the intrinsic functions a local run can know the answer to."""

    def __init__(
        self,
        data: Mapping[str, Any],
        parameters: Mapping[str, Parameter],
        overrides: Mapping[str, str],
        *,
        region: str,
        account_id: str,
        stack_name: str,
    ) -> None:
        self._data = data
        self._parameters = parameters
        self._overrides = dict(overrides)
        self._pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }

    def parameter(self, name: str) -> str:
        if name in self._overrides:
            return self._overrides[name]
        default = self._parameters[name].default
        if default is None:
            raise Unresolvable(f"parameter {name} has no default: pass --param {name}=...")
        return default

    def ref(self, name: str) -> Any:
        if name in self._parameters:
            return self.parameter(name)
        if name in self._pseudo:
            return self._pseudo[name]
        resource = self._data.get("Resources", {}).get(name)
        if resource is not None and resource.get("Type") == "AWS::Logs::LogGroup":
            return self.value(resource.get("Properties", {}).get("LogGroupName"))  # Ref of a log group: its name
        raise Unresolvable(f"!Ref {name} is only known to CloudFormation")

    def condition(self, name: str) -> bool:
        try:
            expression = self._data["Conditions"][name]
        except KeyError:
            raise Unresolvable(f"no condition {name}") from None
        return self._truth(expression)

    def _truth(self, node: Any) -> bool:
        call = _intrinsic(node)
        if call is None:
            raise Unresolvable(f"not a condition: {node!r}")
        name, args = call
        match name:
            case "Equals":
                left, right = (_scalar(self.value(a)) for a in args)
                return left == right
            case "Not":
                return not self._truth(args[0])
            case "And":
                return all(self._truth(a) for a in args)
            case "Or":
                return any(self._truth(a) for a in args)
            case "Condition":
                return self.condition(args)
        raise Unresolvable(f"!{name} is not a condition function")

    def value(self, node: Any) -> Any:
        """`node` with every intrinsic function evaluated; `NO_VALUE` entries are dropped from
        lists and mappings. Raises `Unresolvable`."""
        call = _intrinsic(node)
        if call is not None:
            return self._call(*call)
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if isinstance(node, dict):
            return {k: v for k, v in ((k, self.value(item)) for k, item in node.items()) if v is not NO_VALUE}
        return node

    def _call(self, name: str, args: Any) -> Any:
        match name:
            case "Ref":
                return self.ref(args)
            case "Sub":
                text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
                return self._sub(text, {k: self.value(v) for k, v in variables.items()})
            case "If":
                condition, when_true, when_false = args
                return self.value(when_true if self.condition(condition) else when_false)
            case "Join":
                separator, items = args
                return separator.join(_scalar(v) or "" for v in self.value(items))
            case "Equals" | "Not" | "And" | "Or" | "Condition":
                return self._truth({name: args})
        raise Unresolvable(f"!{name} is only known to CloudFormation")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:  # ${!Literal} stands for the text ${Literal}
                return "${" + name + "}"
            if name in variables:
                return _scalar(variables[name]) or ""
            if "." in name and not name.startswith("AWS::"):
                raise Unresolvable(f"${{{name}}} is a resource attribute only CloudFormation knows")
            return _scalar(self.ref(name)) or ""

        return _SUB_VAR.sub(one, text)


# --- what the gateway serves ---------------------------------------------------------------------
_PARAM_SEGMENT = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")
IMPLICIT_API = "ServerlessHttpApi"  # SAM's name for the API of events without ApiId


@dataclass(frozen=True)
class Route:
    """One HTTP API route: `method` is upper-case or `ANY`; `path` may hold `{name}` segments and a
    final greedy `{name+}`; the path `$default` is the catch-all route."""

    method: str
    path: str
    function: str
    api: str = IMPLICIT_API
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.path == "$default":
            return
        parts: list[str] = []
        segments = self.path.strip("/").split("/") if self.path != "/" else []
        for i, segment in enumerate(segments):
            param = _PARAM_SEGMENT.fullmatch(segment)
            if param is None:
                parts.append(re.escape(segment))
            elif param.group(2):
                if i != len(segments) - 1:
                    raise ValueError(f"{self.path}: a greedy {{{param.group(1)}+}} must be the last segment")
                parts.append(f"(?P<{self._group(param.group(1))}>.+)")
            else:
                parts.append(f"(?P<{self._group(param.group(1))}>[^/]+)")
        object.__setattr__(self, "_pattern", re.compile("/" + "/".join(parts)))

    @staticmethod
    def _group(name: str) -> str:
        return "p_" + re.sub(r"\W", lambda m: f"_{ord(m.group()):x}_", name)

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    def match_path(self, path: str) -> dict[str, str] | None:
        """The path parameters when `path` (already percent-decoded, as HTTP APIs route on it)
        fits this route's path, else None."""
        if self._pattern is None:
            return {}
        found = self._pattern.fullmatch(path)
        if found is None:
            return None
        names = [m.group(1) for m in _PARAM_SEGMENT.finditer(self.path)]
        return dict(zip(names, found.groups(), strict=True))

    def accepts(self, method: str) -> bool:
        return self.method in ("ANY", method)

    @property
    def precedence(self) -> tuple[int, int, int, int]:
        """Lower wins. HTTP APIs prefer, in order: not `$default`, no greedy variable, fewer path
        variables, a specific method over `ANY`."""
        if self.path == "$default":
            return (1, 0, 0, 0)
        params = _PARAM_SEGMENT.findall(self.path)
        greedy = any(plus for _, plus in params)
        return (0, int(greedy), len(params), int(self.method == "ANY"))


def match_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would pick for `method path`, with its path parameters."""
    candidates = []
    for route in routes:
        if route.accepts(method) and (params := route.match_path(path)) is not None:
            candidates.append((route.precedence, route, params))
    if not candidates:
        return None
    _, route, params = min(candidates, key=lambda c: c[0])
    return route, params


def decode_path(raw: str) -> str:
    """The request path as HTTP APIs hand it on: percent-decoded (captures of live HTTP API events
    show a decoded `rawPath`, unlike REST APIs and function URLs)."""
    return unquote(raw)


@dataclass(frozen=True)
class Cors:
    """An HttpApi `CorsConfiguration`, its `!Ref`s resolved."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class Schedule:
    """A `Schedule`/`ScheduleV2` event of a function; `input` is its constant `Input` (JSON text)."""

    name: str
    type: str
    input: str | None


@dataclass(frozen=True)
class FunctionSpec:
    """One `AWS::Serverless::Function`, with `Globals.Function` merged in as SAM merges it."""

    name: str
    code_dir: Path
    handler: str
    timeout_seconds: int
    memory_mb: int
    layer_dirs: tuple[Path, ...]
    environment: Mapping[str, Any]
    log_group: str
    schedules: tuple[Schedule, ...] = ()

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_attr(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    @property
    def module_path(self) -> Path:
        return self.code_dir / (self.module.replace(".", "/") + ".py")


def merge_globals(defaults: Any, own: Any) -> Any:
    """SAM's Globals rule: mappings merge, lists add up (globals first), anything else is replaced."""
    if isinstance(defaults, dict) and isinstance(own, dict) and _intrinsic(own) is None:
        merged = dict(defaults)
        for key, value in own.items():
            merged[key] = merge_globals(defaults[key], value) if key in defaults else value
        return merged
    if isinstance(defaults, list) and isinstance(own, list):
        return defaults + own
    return own


@dataclass
class Template:
    """What a local HTTP API needs from template.yaml. Build it with `Template.read`."""

    path: Path
    data: dict[str, Any]
    resolver: Resolver
    parameters: dict[str, Parameter]
    functions: dict[str, FunctionSpec]
    routes: list[Route]
    cors: dict[str, Cors]
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def read(
        cls,
        path: Path,
        overrides: Mapping[str, str] | None = None,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        stack_name: str = DEFAULT_STACK_NAME,
    ) -> Template:
        """Read `path`; `overrides` are parameter values (as `sam deploy --parameter-overrides`),
        checked against the parameter's `AllowedPattern`/`AllowedValues`."""
        path = path.resolve()
        data = load_template(path)
        parameters = {
            name: Parameter(
                name,
                _scalar(spec.get("Default")),
                spec.get("AllowedPattern"),
                tuple(_scalar(v) or "" for v in spec.get("AllowedValues", [])),
                spec.get("ConstraintDescription"),
            )
            for name, spec in (data.get("Parameters") or {}).items()
        }
        overrides = dict(overrides or {})
        for name, value in overrides.items():
            if name not in parameters:
                raise ValueError(f"template {path.name} has no parameter {name}")
            parameters[name].check(value)
        resolver = Resolver(data, parameters, overrides, region=region, account_id=account_id, stack_name=stack_name)
        template = cls(path, data, resolver, parameters, {}, [], {})
        template._read_apis()
        template._read_functions()
        return template

    @property
    def root(self) -> Path:
        return self.path.parent

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.data["Resources"].items() if r.get("Type") == kind}

    def _globals(self, kind: str) -> dict[str, Any]:
        return dict((self.data.get("Globals") or {}).get(kind) or {})

    def _read_apis(self) -> None:
        apis = {name: r.get("Properties") or {} for name, r in self.resources("AWS::Serverless::HttpApi").items()}
        apis.setdefault(IMPLICIT_API, {})
        for name, props in apis.items():
            config = merge_globals(self._globals("HttpApi"), props).get("CorsConfiguration")
            if config:
                self.cors[name] = self._read_cors(name, config)

    def _read_cors(self, api: str, config: Any) -> Cors:
        if config is True:
            return Cors(allow_origins=("*",))
        origins = []
        for origin in config.get("AllowOrigins", []):
            try:
                value = self.resolver.value(origin)
                if value is not NO_VALUE:
                    origins.append(str(value))
            except Unresolvable as exc:
                self.warnings.append(f"{api} CORS: an allowed origin is left out ({exc})")

        def strings(key: str) -> tuple[str, ...]:
            return tuple(str(v) for v in self.resolver.value(config.get(key, [])))

        max_age = self.resolver.value(config.get("MaxAge"))
        return Cors(
            allow_origins=tuple(origins),
            allow_methods=strings("AllowMethods"),
            allow_headers=strings("AllowHeaders"),
            expose_headers=strings("ExposeHeaders"),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=bool(self.resolver.value(config.get("AllowCredentials", False))),
        )

    def _read_functions(self) -> None:
        defaults = self._globals("Function")
        for name, resource in self.resources("AWS::Serverless::Function").items():
            props = merge_globals(defaults, resource.get("Properties") or {})
            if "InlineCode" in props or "Handler" not in props:
                self.warnings.append(f"{name}: no Handler/CodeUri on disk, not served")
                continue
            events = props.get("Events") or {}
            schedules = []
            for event_name, event in events.items():
                kind = event.get("Type")
                event_props = event.get("Properties") or {}
                if kind == "HttpApi":
                    self.routes.append(self._route(name, event_props))
                elif kind in ("Schedule", "ScheduleV2"):
                    schedules.append(Schedule(event_name, kind, self._optional(event_props.get("Input"))))
            self.functions[name] = FunctionSpec(
                name=name,
                code_dir=(self.root / str(props.get("CodeUri", "."))).resolve(),
                handler=str(props["Handler"]),
                timeout_seconds=int(self.resolver.value(props.get("Timeout", 3))),
                memory_mb=int(self.resolver.value(props.get("MemorySize", 128))),
                layer_dirs=self._layer_dirs(props.get("Layers", [])),
                environment=(props.get("Environment") or {}).get("Variables") or {},
                log_group=self._log_group(name, props),
                schedules=tuple(schedules),
            )

    def _route(self, function: str, props: dict[str, Any]) -> Route:
        api_ref = props.get("ApiId")
        api = api_ref["Ref"] if isinstance(api_ref, dict) and "Ref" in api_ref else IMPLICIT_API
        if "Path" not in props and "Method" not in props:
            return Route("ANY", "$default", function, api)
        method = str(props.get("Method", "ANY")).upper()
        if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
            method = "ANY"
        return Route(method, str(props.get("Path", "/")), function, api)

    def _optional(self, node: Any) -> Any:
        try:
            return self.resolver.value(node)
        except Unresolvable:
            return None

    def _layer_dirs(self, layers: list[Any]) -> tuple[Path, ...]:
        """The folders of the template's own layers (`!Ref` to an `AWS::Serverless::LayerVersion`);
        layers given by ARN (like the Parameters and Secrets extension) have nothing local."""
        dirs = []
        for layer in layers:
            call = _intrinsic(layer)
            if call is None or call[0] != "Ref":
                continue
            resource = self.data["Resources"].get(call[1]) or {}
            content = (resource.get("Properties") or {}).get("ContentUri")
            if resource.get("Type") == "AWS::Serverless::LayerVersion" and isinstance(content, str):
                dirs.append((self.root / content).resolve())
        return tuple(dirs)

    def _log_group(self, name: str, props: dict[str, Any]) -> str:
        configured = (props.get("LoggingConfig") or {}).get("LogGroup")
        try:
            if configured is not None:
                return str(self.resolver.value(configured))
        except Unresolvable:
            pass
        return f"/aws/lambda/{name}"

    def function_environment(self, name: str) -> tuple[dict[str, str], dict[str, str]]:
        """The function's `Environment.Variables` (Globals merged) as Lambda would set them, and
        the variables only CloudFormation can know, each with why (`!Ref ParkingQueue`...).
        `!Ref AWS::NoValue` leaves a variable out, as CloudFormation does."""
        values: dict[str, str] = {}
        unknown: dict[str, str] = {}
        for key, node in self.functions[name].environment.items():
            try:
                value = self.resolver.value(node)
            except Unresolvable as exc:
                unknown[key] = str(exc)
                continue
            if value is NO_VALUE:
                continue
            if isinstance(value, (dict, list)):
                unknown[key] = "not a plain value"
                continue
            values[key] = _scalar(value) or ""
        return values, unknown

    def scheduled_functions(self) -> list[str]:
        return [name for name, spec in self.functions.items() if spec.schedules]
