"""Request validation that answers like GHL's API (NestJS + class-validator): a 422 whose
`message` is an ARRAY of sentences such as `"location_id should not be empty"`,
`"limit must not be greater than 100"` or `"property locationId should not exist"`.

Unknown query parameters and body properties are refused ("should not exist"), as GHL does:
the classic v2 mistake of sending `locationId` to `GET /opportunities/search` fails here too.
Each route declares its fields with the spec's names (see the resource modules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

type FieldType = Literal["string", "number", "integer", "boolean", "string[]", "object", "array"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType = "string"
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def query_params(raw: Mapping[str, Sequence[str]], fields: Sequence[Field]) -> tuple[dict[str, Any], list[str]]:
    """Typed query values by name, and the 422 messages. Only the first of repeated values counts,
    except for `string[]` fields (`userIds=a&userIds=b`)."""
    declared = {field.name: field for field in fields}
    messages = [f"property {name} should not exist" for name in raw if name not in declared]
    values: dict[str, Any] = {}
    for field in fields:
        given = [value for value in raw.get(field.name, []) if value != ""]
        if not given:
            if field.required:
                messages.append(f"{field.name} should not be empty")
            continue
        if field.type == "string[]":
            values[field.name] = list(given)
            continue
        value, problems = _from_text(field, given[0])
        messages += problems
        if not problems:
            values[field.name] = value
    return values, messages


def body_fields(body: Mapping[str, Any], fields: Sequence[Field]) -> list[str]:
    """The 422 messages for a JSON body (already parsed into an object)."""
    declared = {field.name: field for field in fields}
    messages = [f"property {name} should not exist" for name in body if name not in declared]
    for field in fields:
        value = body.get(field.name)
        if value is None or (isinstance(value, str) and value == "" and field.required):
            if field.required:
                messages.append(f"{field.name} should not be empty")
            continue
        messages += _check_json(field, value)
    return messages


def _from_text(field: Field, text: str) -> tuple[Any, list[str]]:
    if field.type in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return None, [f"{field.name} must be a number conforming to the specified constraints"]
        if not math.isfinite(number):
            return None, [f"{field.name} must be a number conforming to the specified constraints"]
        return number, _check_json(field, number)
    if field.type == "boolean":
        if text not in ("true", "false"):
            return None, [f"{field.name} must be a boolean value"]
        return text == "true", []
    return text, _check_json(field, text)


def _check_json(field: Field, value: Any) -> list[str]:
    name = field.name
    match field.type:
        case "string":
            if not isinstance(value, str):
                return [f"{name} must be a string"]
            if field.enum and value not in field.enum:
                return [f"{name} must be one of the following values: {', '.join(field.enum)}"]
            return []
        case "number" | "integer":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return [f"{name} must be a number conforming to the specified constraints"]
            if field.type == "integer" and value != int(value):
                return [f"{name} must be an integer number"]
            if field.minimum is not None and value < field.minimum:
                return [f"{name} must not be less than {field.minimum:g}"]
            if field.maximum is not None and value > field.maximum:
                return [f"{name} must not be greater than {field.maximum:g}"]
            return []
        case "boolean":
            return [] if isinstance(value, bool) else [f"{name} must be a boolean value"]
        case "string[]":
            if not isinstance(value, list):
                return [f"{name} must be an array"]
            return [f"each value in {name} must be a string"] if not all(isinstance(v, str) for v in value) else []
        case "array":
            return [] if isinstance(value, list) else [f"{name} must be an array"]
        case "object":
            return [] if isinstance(value, dict) else [f"{name} must be an object"]
