"""Checks that what we send to GHL (and what our fixtures answer) is allowed by GHL's own v2 specs.

Tests call `assert_request_conforms(request)` on each `httpx.Request` their respx mock captured:
it finds the spec operation by method and path template and checks the query parameter names
and values, the required headers (`Version` with an allowed value), the bearer token when the
operation has a security requirement, and the body against the requestBody schema.
`assert_response_conforms(...)` checks a fixture body against the declared response schema.

The specs are the project's copies in `tests/specs/ghl-openapi/` (see its SOURCE.md). Schemas
are OpenAPI 3.0 (`nullable`, `readOnly`...), so they are checked with openapi-schema-validator's
jsonschema validators; the specs' relative `$ref`s (`../common/common-schemas.json#/...`)
resolve from the files, offline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_DIR = Path(__file__).parent / "specs" / "ghl-openapi"
SPEC_FILES = ("oauth", "opportunities", "contacts", "conversations", "calendars", "users", "locations")
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    """One operation of one spec file, and where it lives (for `$ref`-resolving validation)."""

    method: str
    template: str
    operation: dict[str, Any]
    document: dict[str, Any]
    uri: str  # the spec file's URI
    pointer: str  # JSON pointer of the operation inside the file

    def schema_ref(self, *path: str | int) -> dict[str, str]:
        """A `$ref` to a schema inside this operation, so nested relative `$ref`s resolve."""
        escaped = "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path)
        return {"$ref": f"{self.uri}#{self.pointer}/{quote(escaped, safe='/~')}"}


def assert_request_conforms(request: httpx.Request) -> None:
    """Fail (AssertionError listing every problem) unless the spec allows this request."""
    op = find_operation(request.method, request.url.path)
    where = f"{request.method} {op.template}"
    problems = [
        *_check_parameters(op, request),
        *_check_security(op, request),
        *_check_body(op, request),
    ]
    assert not problems, f"{where} does not conform to the GHL spec:\n  " + "\n  ".join(problems)


def assert_response_conforms(method: str, path: str, status: int, body: Any) -> None:
    """Fail unless `body` fits the JSON schema the spec declares for this status."""
    op = find_operation(method, path)
    responses = op.operation.get("responses", {})
    key = str(status) if str(status) in responses else "default"
    assert key in responses, f"{method} {op.template}: the spec declares no {status} response"
    content = responses[key].get("content", {})
    if "application/json" not in content or "schema" not in content["application/json"]:
        assert body is None, f"{method} {op.template} {status}: the spec declares no JSON body"
        return
    schema = op.schema_ref("responses", key, "content", "application/json", "schema")
    errors = _schema_errors(OAS30ReadValidator, schema, body)
    assert not errors, f"{method} {op.template} {status} body does not conform:\n  " + "\n  ".join(errors)


def find_operation(method: str, path: str) -> Operation:
    """The spec operation for a concrete path; literal segments beat `{param}` segments."""
    matches = [op for op in _operations() if op.method == method.lower() and _pattern(op.template).match(path)]
    assert matches, f"{method.upper()} {path} is not an operation in the copied GHL specs"
    return min(matches, key=lambda op: [segment.startswith("{") for segment in op.template.split("/")])


def _check_parameters(op: Operation, request: httpx.Request) -> list[str]:
    problems: list[str] = []
    declared = {(p["in"], p["name"]): (i, p) for i, p in enumerate(op.operation.get("parameters", [])) if "in" in p}
    query_names = {name for place, name in declared if place == "query"}
    for name in sorted(set(request.url.params.keys()) - query_names):
        problems.append(f"query parameter {name!r} is not declared (declared: {sorted(query_names)})")
    path_values = _pattern(op.template).match(request.url.path)
    for (place, name), (index, param) in declared.items():
        if place == "query":
            values: list[str] = request.url.params.get_list(name)
        elif place == "header":
            values = [request.headers[name]] if name in request.headers else []
        elif place == "path" and path_values is not None:
            values = [path_values.group(_group_name(name))]
        else:
            continue
        if not values:
            if param.get("required"):
                problems.append(f"required {place} parameter {name!r} is missing")
            continue
        schema = param.get("schema", {})
        items = [values] if schema.get("type") == "array" else values
        for value in items:
            instance = _coerce(value, schema)
            errors = _schema_errors(OAS30WriteValidator, op.schema_ref("parameters", index, "schema"), instance)
            problems += [f"{place} parameter {name!r}={value!r}: {error}" for error in errors]
    return problems


def _check_security(op: Operation, request: httpx.Request) -> list[str]:
    requirements = op.operation.get("security", op.document.get("security", []))
    if not requirements or any(not requirement for requirement in requirements):
        return []  # no security, or one alternative needs none
    schemes = op.document.get("components", {}).get("securitySchemes", {})
    bearer = all(
        schemes.get(name, {}).get("type") == "http" and schemes[name].get("scheme") == "bearer"
        for requirement in requirements
        for name in requirement
    )
    if bearer and not re.fullmatch(r"Bearer \S+", request.headers.get("authorization", "")):
        return [f"needs 'Authorization: Bearer <token>' ({', '.join(sorted(requirements[0]))})"]
    return []


def _check_body(op: Operation, request: httpx.Request) -> list[str]:
    body_spec = op.operation.get("requestBody")
    content = request.content
    if body_spec is None:
        return ["the spec declares no request body, but one was sent"] if content else []
    if not content:
        return ["the request body is required but empty"] if body_spec.get("required") else []
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type not in body_spec.get("content", {}):
        return [f"content type {media_type!r} not in {sorted(body_spec.get('content', {}))}"]
    if media_type == "application/json":
        instance: Any = json.loads(content)
    elif media_type == "application/x-www-form-urlencoded":
        instance = _form(content)
    else:
        return [f"this validator cannot read {media_type!r} bodies"]
    schema = op.schema_ref("requestBody", "content", media_type, "schema")
    return [f"body: {error}" for error in _schema_errors(OAS30WriteValidator, schema, instance)]


def _form(content: bytes) -> dict[str, str | list[str]]:
    """Form fields as strings (a repeated field as a list): form encoding carries no types."""
    fields: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(content.decode(), keep_blank_values=True, strict_parsing=True):
        previous = fields.get(name)
        if previous is None:
            fields[name] = value
        else:
            fields[name] = [*([previous] if isinstance(previous, str) else previous), value]
    return fields


def _coerce(value: str | list[str], schema: dict[str, Any]) -> Any:
    """A query/header/path string as the type its schema declares (so the schema can check it)."""
    if isinstance(value, list):
        return [_coerce(item, schema.get("items", {})) for item in value]
    kind = schema.get("type")
    try:
        if kind == "number":
            return float(value)
        if kind == "integer":
            return int(value)
    except ValueError:
        return value  # left a string, so the schema reports the type error
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _schema_errors(validator: Any, schema: dict[str, str], instance: Any) -> list[str]:
    checker = validator(schema, registry=_registry())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(checker.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


@cache
def _operations() -> tuple[Operation, ...]:
    found = []
    for name in SPEC_FILES:
        file = SPEC_DIR / "apps" / f"{name}.json"
        document = _load(file.as_uri())
        for template, item in document["paths"].items():
            for method in METHODS:
                if method in item:
                    pointer = "/paths/" + template.replace("~", "~0").replace("/", "~1") + f"/{method}"
                    found.append(Operation(method, template, item[method], document, file.as_uri(), pointer))
    return tuple(found)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        f"(?P<{_group_name(part[1:-1])}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(f"^{regex}$")


def _group_name(param: str) -> str:
    return "p_" + re.sub(r"\W", "_", param)


@cache
def _load(uri: str) -> dict[str, Any]:
    path = Path(httpx.URL(uri).path)
    assert SPEC_DIR.resolve() in path.resolve().parents, f"$ref outside the copied specs: {uri}"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@cache
def _registry() -> Registry[Any]:
    def retrieve(uri: str) -> Resource[Any]:
        return Resource.from_contents(_load(uri), default_specification=DRAFT4)

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]  # (an attrs alias mypy misses)
