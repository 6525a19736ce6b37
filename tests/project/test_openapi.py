"""docs/openapi.json: generated from the routes (`scripts/openapi.py`), fresh, valid OpenAPI 3.1,
and documenting what the API promises: the bearer requirement, the Idempotency-Key on every POST,
the error envelope on every error answer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from typing import Any

import pytest
from openapi_spec_validator import validate

from ghlbridge.http.document import ERROR_CODES, error_schema_name
from ghlbridge.toolkit.models.team import SUPABASE_USER_ID_PATTERN
from tests.template_yaml import ROOT

PUBLIC = {("get", "/oauth/callback"), ("post", "/webhooks/ghl")}


@cache
def document() -> dict[str, Any]:
    return dict(json.loads((ROOT / "docs" / "openapi.json").read_text()))


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in document()["paths"].items() for method, op in item.items()]


def test_the_document_is_generated_from_the_routes_and_fresh() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi.py"), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert check.returncode == 0, check.stderr


def test_it_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    validate(document())


@pytest.mark.parametrize(("method", "path", "op"), operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_error_answer_is_the_envelope_of_a_union_of_its_codes(method: str, path: str, op: dict[str, Any]) -> None:
    schemas = document()["components"]["schemas"]
    errors = {status: r for status, r in op["responses"].items() if int(status) >= 400}

    assert errors, f"{method} {path} documents no error"
    for status, response in errors.items():
        schema = response["content"]["application/json"]["schema"]
        assert schema["required"] == ["error"], status
        union = schema["properties"]["error"]
        mapping = union["discriminator"]["mapping"]
        assert union["discriminator"]["propertyName"] == "code"
        assert sorted(v["$ref"] for v in union["oneOf"]) == sorted(mapping.values()), status
        named = re.findall(r"`([a-z_]+)`: ", response["description"])
        assert sorted(named) == sorted(mapping), f"{status}: the description names each code of the union"
        for code, ref in mapping.items():
            variant = schemas[ref.rsplit("/", 1)[1]]
            assert variant["properties"]["code"]["enum"] == [code]
            assert ERROR_CODES[code].status == int(status), code


@pytest.mark.parametrize(("method", "path", "op"), operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_caller_route_needs_the_bearer_jwt(method: str, path: str, op: dict[str, Any]) -> None:
    if (method, path) in PUBLIC:
        assert "security" not in op
        return
    assert op["security"] == [{"supabaseJwt": []}]
    assert "401" in op["responses"]
    assert document()["components"]["securitySchemes"]["supabaseJwt"]["scheme"] == "bearer"


def toolkit_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for m, p, op in operations() if p.startswith("/locations/")]


KEYLESS_POSTS = {"/locations/{locationId}/members"}
"""POSTs that are idempotent by nature (adding a member): no Idempotency-Key."""
PARTIAL_POSTS = {"/locations/{locationId}/opportunities/{opportunityId}/outreach-plan"}
"""POSTs of several parts: 201 when all landed, 207 (the same body, each part's status) when one failed."""
PATH_PATTERNS = {"userId": SUPABASE_USER_ID_PATTERN}
"""Path parameters that are not GHL ids (`^[A-Za-z0-9]{1,64}$`)."""


@pytest.mark.parametrize(("method", "path", "op"), toolkit_operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_toolkit_routes(method: str, path: str, op: dict[str, Any]) -> None:
    responses = op["responses"]
    assert {"400", "401", "403", "409", "429", "502", "503", "504"} <= set(responses)
    success = sorted(s for s in responses if s.startswith("2"))
    assert (
        len(success) == 1
        or (path in KEYLESS_POSTS and success == ["200", "201"])  # added, or already one
        or (path in PARTIAL_POSTS and success == ["201", "207"])  # all parts, or some
    )
    if success[0] != "204":
        assert "$ref" in responses[success[0]]["content"]["application/json"]["schema"]
    headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
    if method == "post" and path not in KEYLESS_POSTS:
        assert headers["Idempotency-Key"]["required"] is True
        assert {"422"} <= set(responses) and "idempotency_key_reused" in responses["422"]["description"]
        assert "outcome_unknown" in responses["504"]["description"]
        assert "Idempotency-Replayed" in responses[success[0]]["headers"]
    else:
        assert "Idempotency-Key" not in headers
    for parameter in op["parameters"]:
        if parameter["in"] == "path":
            assert parameter["schema"]["pattern"] == PATH_PATTERNS.get(parameter["name"], "^[A-Za-z0-9]{1,64}$")


def test_request_bodies_refuse_unknown_fields() -> None:
    schemas = document()["components"]["schemas"]
    bodies = [
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for _, path, op in toolkit_operations()
        if "requestBody" in op
    ]

    assert len(bodies) == 15
    assert all(schemas[name]["additionalProperties"] is False for name in bodies)


def test_the_rate_limit_answer_documents_retry_after() -> None:
    for _, _, op in toolkit_operations():
        assert "Retry-After" in op["responses"]["429"]["headers"]


OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def test_every_operation_has_a_short_unique_camel_case_operation_id() -> None:
    ids = [op.get("operationId") for _, _, op in operations()]

    assert all(isinstance(i, str) and OPERATION_ID.match(i) and len(i) <= 24 for i in ids), ids
    assert len(set(ids)) == len(ids)


def _answer_schemas() -> dict[str, dict[str, Any]]:
    """Every schema a success answer can contain, by component name (inline ones by operationId)."""
    schemas = document()["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}

    def walk(name: str, schema: Any) -> None:
        if isinstance(schema, dict):
            ref = schema.get("$ref")
            if ref:
                target = ref.rsplit("/", 1)[1]
                if target not in found:
                    found[target] = schemas[target]
                    walk(target, schemas[target])
            for value in schema.values():
                walk(name, value)
        elif isinstance(schema, list):
            for value in schema:
                walk(name, value)

    for _, _, op in operations():
        for status, response in op["responses"].items():
            if status.startswith("2") and "application/json" in response.get("content", {}):
                schema = response["content"]["application/json"]["schema"]
                if "$ref" not in schema:
                    found[op["operationId"]] = schema
                walk(op["operationId"], schema)
    return found


@pytest.mark.parametrize("name", sorted(_answer_schemas()))
def test_every_answer_field_is_required_because_every_one_is_always_sent(name: str) -> None:
    schema = _answer_schemas()[name]
    if "properties" in schema:
        assert set(schema["required"]) == set(schema["properties"]), name


def test_every_list_answer_is_the_same_page() -> None:
    # A research context's sections list items too, but they are bounded parts of one answer (they
    # say `truncated`, and their own routes page): not pages.
    lists = {name: s for name, s in _answer_schemas().items() if "items" in s.get("properties", {})}
    pages = {name: s for name, s in lists.items() if not name.endswith("Section")}

    assert len(pages) == 11, sorted(pages)
    assert len(lists) - len(pages) == 4, sorted(set(lists) - set(pages))
    for name, page in pages.items():
        assert set(page["required"]) == set(page["properties"]) == {"items", "nextCursor"}, name
        cursor = page["properties"]["nextCursor"]
        assert {s["type"] for s in cursor["anyOf"]} == {"string", "null"}, name


CLOSED_VALUES = {
    ("Opportunity", "status"): ["open", "won", "lost", "abandoned"],
    ("CallMessage", "status"): ["logged", "skipped", "failed", "unknown"],
    ("Member", "role"): ["owner", "member"],
    ("Location", "status"): ["connected", "needs_reauth"],
    ("Location", "role"): ["owner", "member"],
    ("WebhookResult", "outcome"): ["uninstalled", "acknowledged", "duplicate", "superseded", "ignored"],
}


def _enum_of(schema: dict[str, Any]) -> list[str]:
    schemas = document()["components"]["schemas"]
    if "$ref" in schema:
        return _enum_of(schemas[schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return [v for s in schema["anyOf"] if s.get("type") != "null" for v in _enum_of(s)]
    return list(schema["enum"])


@pytest.mark.parametrize(("model", "field"), sorted(CLOSED_VALUES))
def test_closed_value_sets_are_enums(model: str, field: str) -> None:
    schema = document()["components"]["schemas"][model]["properties"][field]

    assert _enum_of(schema) == CLOSED_VALUES[model, field]


DETAILS = {
    "invalid_request": ({"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}}, True),
    "slot_unavailable": ({"$ref": "#/components/schemas/GhlRejection"}, False),  # none when our own check refused
    "ghl_rejected": ({"$ref": "#/components/schemas/GhlRejection"}, True),
    "reauthorization_required": ({"$ref": "#/components/schemas/ReauthorizationDetails"}, True),
    "rate_limited": ({"$ref": "#/components/schemas/GhlDetails"}, False),
    "ghl_error": ({"$ref": "#/components/schemas/GhlDetails"}, False),
    "ghl_unreachable": ({"$ref": "#/components/schemas/GhlTrace"}, False),
    "ghl_timeout": ({"$ref": "#/components/schemas/GhlTrace"}, False),
    "outcome_unknown": ({"$ref": "#/components/schemas/GhlTrace"}, False),
}
"""Codes whose answers carry `details`: its schema, and whether every answer has it."""


def test_error_details_are_typed_per_code() -> None:
    schemas = document()["components"]["schemas"]
    documented = {name for name in schemas if name.startswith("Error")} - {"ErrorInvalidWebhook"}

    assert documented == {error_schema_name(code) for code in ERROR_CODES} - {"ErrorInstallFailed"}
    for name in documented:
        code = schemas[name]["properties"]["code"]["enum"][0]
        details = schemas[name]["properties"].get("details")
        if code not in DETAILS:
            assert details is None, f"{code} carries no details"
            continue
        assert details == DETAILS[code][0], code
        assert ("details" in schemas[name]["required"]) is DETAILS[code][1], code
    assert set(schemas["FieldProblem"]["required"]) == {"in", "field", "type", "message"}
    assert schemas["FieldProblem"]["properties"]["in"]["enum"] == ["path", "query", "header", "body"]
    assert "required" not in schemas["GhlDetails"] and set(schemas["GhlDetails"]["properties"]) == {
        "ghlStatus",
        "ghlMessages",
        "ghlTraceId",
    }
    assert schemas["ReauthorizationDetails"]["required"] == ["reason"]
    assert set(schemas["GhlRejection"]["required"]) == {"ghlStatus", "ghlMessages", "ghlTraceId"}
    webhook = document()["paths"]["/webhooks/ghl"]["post"]["responses"]["400"]["content"]["application/json"]
    assert webhook["schema"]["properties"]["error"]["discriminator"]["mapping"] == {
        "invalid_request": "#/components/schemas/ErrorInvalidWebhook"
    }


def test_the_checks_pydantic_makes_beyond_json_schema_are_still_stated() -> None:
    schemas = document()["components"]["schemas"]
    email = schemas["EmailCreate"]["properties"]

    assert email["subject"]["pattern"] == r"^[^\r\n]*\S[^\r\n]*$" and email["html"]["pattern"] == r"\S"
    assert email["cc"]["uniqueItems"] is True and email["cc"]["items"]["maxLength"] == 254
    assert schemas["NoteCreate"]["properties"]["body"]["pattern"] == r"\S"
    assert "not in the future" in schemas["CallLogCreate"]["properties"]["calledAt"]["description"]
    assert "24 hours" in schemas["AppointmentCreate"]["properties"]["endTime"]["description"]
    assert schemas["MemberUpdate"]["minProperties"] == 1
    slots = {p["name"]: p["schema"] for p in document()["paths"][
        "/locations/{locationId}/calendars/{calendarId}/free-slots"]["get"]["parameters"]}  # fmt: skip
    assert "America/Chicago" in slots["timezone"]["enum"] and "31 days" in slots["end"]["description"]
    for _, _, op in operations():
        for parameter in op.get("parameters", []):
            assert "anyOf" not in parameter["schema"], "a query parameter is never JSON null"
