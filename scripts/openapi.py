"""Write docs/openapi.json: the OpenAPI 3.1 document of the whole HTTP API, generated from the
routes of every function in template.yaml and merged into one document.

Each function's resolver documents its own routes (Powertools `get_openapi_schema`: parameters and
bodies from the route signatures, answers from their `responses=`); Powertools' `OpenAPIMerge`
joins them. The function modules are loaded by path, each under a name of its own, with the layer
(`shared/`) importable, as Lambda does. Importing one reads no settings and opens no socket, so
this needs no environment.

Afterwards the document is checked against template.yaml (every HttpApi route documented, nothing
else) and tidied: Powertools adds a stock 422 "Validation Error" to every validated route, but this
API answers validation errors with 400 `invalid_request` in its own envelope, so that 422 (and its
schemas) are dropped unless a route declares a 422 of its own.

    python scripts/openapi.py            # (re)write docs/openapi.json
    python scripts/openapi.py --check    # exit 1 if docs/openapi.json is stale
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "openapi.json"
TITLE = "ghl-sales-bridge API"
DESCRIPTION = """\
The sales toolkit's API to GoHighLevel (GHL) v2, and GHL's OAuth install and webhooks.

**Authentication.** Every route except `/oauth/callback` and `/webhooks/ghl` needs the signed-in \
user's Supabase Auth JWT (`Authorization: Bearer <jwt>`); 401 `unauthenticated` otherwise. Every \
`/locations/{locationId}/...` route also needs the caller to be a member of that location: 403 \
`forbidden`, before anything is sent to GHL.

**Errors.** Every error is `{"error": {"code", "message", "requestId", "details"?}}`. `code` is \
stable; each operation lists the codes it can answer with, per status.

**Idempotency.** Every POST under `/locations/{locationId}` needs an `Idempotency-Key` header (400 \
`idempotency_key_required`). The key is scoped to the caller, the location and the route. A repeat \
within 24 hours gets the first answer again (header `Idempotency-Replayed: true`) and nothing is \
sent to GHL; a repeat while the first is still running gets 409 `request_in_progress`; the same key \
with another body or resource gets 422 `idempotency_key_reused`. When GHL times out or fails after \
a send went out, the answer is 504 `outcome_unknown`, and that answer is what the key replays: a \
retry never sends twice.
"""
SERVERS = [
    {"url": "http://127.0.0.1:3000", "description": "make dev (local gateway, GHL sandbox)"},
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com",
        "description": "A deployed stack (its ApiUrl output)",
        "variables": {"apiId": {"default": "abc123"}, "region": {"default": "us-east-1"}},
    },
]
_STOCK_422_REF = "#/components/schemas/HTTPValidationError"
_STOCK_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def http_functions() -> dict[str, tuple[Path, set[tuple[str, str]]]]:
    """Each function with HttpApi events: its handler module file and its (method, path) routes,
    as the local gateway reads them (`local/gateway/template.py`, the one reader of template.yaml)."""
    sys.path.insert(0, str(ROOT / "local"))
    from gateway.template import Template

    template = Template.read(ROOT / "template.yaml")
    found: dict[str, tuple[Path, set[tuple[str, str]]]] = {}
    for route in template.routes:
        if route.path == "$default":
            continue  # the catch-all route answers 404 `route_not_found` for what the document does not list
        module_path = template.functions[route.function].module_path
        found.setdefault(route.function, (module_path, set()))[1].add((route.method.lower(), route.path))
    return found


def _load(name: str, file: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_openapi_{name}", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "shared"))
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    from ghlbridge.http.document import security_schemes

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    merge = OpenAPIMerge(
        title=TITLE,
        version=version,
        description=DESCRIPTION,
        security_schemes=security_schemes(),
        on_conflict="error",
    )
    functions = http_functions()
    for name, (file, _) in sorted(functions.items()):
        app = _load(name, file).app
        merge.add_schema(app.get_openapi_schema(security_schemes=security_schemes()))
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    document["servers"] = SERVERS
    _tidy(document)
    _add_error_schemas(document)
    _check_routes(document, {route for _, routes in functions.values() for route in routes})
    return document


IANA_TIME_ZONE = "x-iana-time-zone"  # ghlbridge.http.params.IANA_TIME_ZONE


def _tidy(document: dict[str, Any]) -> None:
    for path_item in document["paths"].values():
        for operation in path_item.values():
            stock = operation["responses"].get("422", {}).get("content", {}).get("application/json", {})
            if stock.get("schema", {}).get("$ref") == _STOCK_422_REF:
                del operation["responses"]["422"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "idempotency-key":
                    parameter["name"] = "Idempotency-Key"  # header names are case-insensitive; show it as sent
                _tidy_parameter(parameter)
    text = json.dumps(document["paths"])
    schemas = document.get("components", {}).get("schemas", {})
    for name in _STOCK_SCHEMAS:
        if f"#/components/schemas/{name}" not in text and name in schemas:
            del schemas[name]


def _tidy_parameter(parameter: dict[str, Any]) -> None:
    """A query or header parameter is absent or a string, never JSON null: `str | None` documents as
    its non-null branch. A time zone (`IANA_TIME_ZONE`) is an enum of the pinned tzdata's names."""
    schema = parameter["schema"]
    branches = [s for s in schema.get("anyOf", []) if s != {"type": "null"}]
    if parameter["in"] in ("query", "header") and len(branches) == 1:
        del schema["anyOf"]
        schema.update(branches[0])
    if schema.pop(IANA_TIME_ZONE, False):
        schema["enum"] = sorted(resources.files("tzdata").joinpath("zones").read_text().split())


def _add_error_schemas(document: dict[str, Any]) -> None:
    """The `Error<Code>` schemas the error answers refer to (`ghlbridge.http.document.responses` names them;
    `ghlbridge.http.document.error_schemas` builds them, with the shapes of their `details`)."""
    from ghlbridge.http.document import error_schemas

    names = set(re.findall(r'"#/components/schemas/(Error[A-Za-z]+)"', json.dumps(document["paths"])))
    document.setdefault("components", {}).setdefault("schemas", {}).update(error_schemas(names))


def _check_routes(document: dict[str, Any], routes: set[tuple[str, str]]) -> None:
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    if documented != routes:
        missing, extra = sorted(routes - documented), sorted(documented - routes)
        raise SystemExit(f"openapi: routes differ from template.yaml; undocumented {missing}, not in template {extra}")


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `python scripts/openapi.py`", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
