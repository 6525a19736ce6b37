"""Writing contact custom field values (`PUT /contacts/{contactId}` → `customFields`), checked
against each field's `dataType` and stored in the shape the contacts API reads back.

An item names its field by `id` (the spec's required property) or by `key`, and carries its value
in `field_value` (the spec) or `fieldValue` (the v3 spec's preferred name, which live GHL takes on
`Version: 2021-07-28` too, GHL-NOTES §10.4). `key` is the field's `fieldKey` (`contact.job_title`)
or the same without its `contact.` prefix (the spec's example `my_custom_field`). Only contact
fields of the contact's own location can be written.

The spec types `field_value` per field type (GHL-NOTES §10.4); what GHL does with a value of the
wrong type, or with an option a picklist lacks, is not documented. The sandbox refuses such a value
with a 422, so an app that would write something GHL cannot show (or would silently drop) finds out
here. Each type takes:

| dataType | `field_value` | stored (read back as `value`) |
|---|---|---|
| TEXT, LARGE_TEXT | a string | as given |
| SINGLE_OPTIONS, RADIO | one of `picklistOptions` (exact spelling) | as given |
| MULTIPLE_OPTIONS, CHECKBOX | an array of `picklistOptions` | joined by `", "` in the field's order, no duplicates |
| NUMERICAL, MONETORY | a JSON number, or a string holding one | digits (`"126000"`, `"12.5"`) |
| DATE | `YYYY-MM-DD` | as given |
| any other type | a string, a number or an array of strings | as text (arrays joined by `", "`) |

`""`, `null` or `[]` clears the field (it leaves `customFields`). A field given twice, an item with
properties besides `id`, `key`, `field_value` and `fieldValue`, `id` and `key` naming different
fields, or `field_value` and `fieldValue` disagreeing are refused too. Every problem is a sentence
of the 422's `message` array, prefixed `customFields.<index>` as class-validator names nested
properties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from ghlsandbox.records import CustomField
from ghlsandbox.state import Data

ITEM_PROPERTIES = ("id", "key", "field_value", "fieldValue")
TEXT_TYPES = ("TEXT", "LARGE_TEXT")
CHOICE_TYPES = ("SINGLE_OPTIONS", "RADIO")
MULTI_CHOICE_TYPES = ("MULTIPLE_OPTIONS", "CHECKBOX")
NUMBER_TYPES = ("NUMERICAL", "MONETORY")
_MISSING = object()


@dataclass(frozen=True)
class FieldWrite:
    """One checked write: the field, and its new stored value (None: clear it)."""

    definition: CustomField
    value: str | None


def contact_field_writes(data: Data, location_id: str, items: Any, problems: list[str]) -> list[FieldWrite]:
    """The writes a `customFields` array asks for; each problem found is appended to `problems`."""
    if not isinstance(items, list):
        problems.append("customFields must be an array")
        return []
    writes: list[FieldWrite] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"customFields.{index}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object")
            continue
        problems += [f"{where}.property {name} should not exist" for name in item if name not in ITEM_PROPERTIES]
        definition = _definition(data, location_id, item, where, problems)
        value = _given_value(item, where, problems)
        if definition is None or value is _MISSING:
            continue
        if definition.id in seen:
            problems.append(f"{where}: {definition.key} is given more than once")
            continue
        seen.add(definition.id)
        stored = _stored_value(definition, value, where, problems)
        if stored is not _MISSING:
            writes.append(FieldWrite(definition, stored if isinstance(stored, str) else None))
    return writes


def _definition(
    data: Data, location_id: str, item: dict[str, Any], where: str, problems: list[str]
) -> CustomField | None:
    field_id, key = item.get("id"), item.get("key")
    if field_id is None and key is None:
        problems.append(f"{where} must have an id or a key")
        return None
    for name, ref in (("id", field_id), ("key", key)):
        if ref is not None and (not isinstance(ref, str) or not ref):
            problems.append(f"{where}.{name} must be a non-empty string")
            return None
    by_id = _contact_field(data, location_id, field_id=field_id) if field_id is not None else None
    by_key = _contact_field(data, location_id, key=key) if key is not None else None
    if field_id is not None and by_id is None:
        problems.append(f"{where}: no contact custom field has the id {field_id}")
        return None
    if key is not None and by_key is None:
        problems.append(f"{where}: no contact custom field has the key {key}")
        return None
    if by_id is not None and by_key is not None and by_id is not by_key:
        problems.append(f"{where}: id {field_id} and key {key} name different fields")
        return None
    return by_id or by_key


def _contact_field(
    data: Data, location_id: str, *, field_id: str | None = None, key: str | None = None
) -> CustomField | None:
    for definition in data.custom_fields.values():
        if definition.location_id != location_id or definition.model != "contact":
            continue
        if field_id is not None and definition.id == field_id:
            return definition
        if key is not None and key in (definition.key, definition.key.removeprefix("contact.")):
            return definition
    return None


def _given_value(item: dict[str, Any], where: str, problems: list[str]) -> Any:
    snake, camel = item.get("field_value", _MISSING), item.get("fieldValue", _MISSING)
    if snake is _MISSING and camel is _MISSING:
        problems.append(f"{where}.field_value should not be empty")
        return _MISSING
    if snake is not _MISSING and camel is not _MISSING and snake != camel:
        problems.append(f"{where}: field_value and fieldValue differ")
        return _MISSING
    return camel if snake is _MISSING else snake


def _stored_value(definition: CustomField, value: Any, where: str, problems: list[str]) -> Any:
    """The value as the contacts API reads it back, None to clear the field, or `_MISSING` after a problem."""
    if value is None or value == "" or value == []:
        return None
    name = f"{where}.field_value"
    kind = definition.data_type
    options = definition.picklist_options
    problem: str | None = None
    if kind in TEXT_TYPES:
        if isinstance(value, str):
            return value
        problem = f"{name} must be a string ({definition.key} is {kind})"
    elif kind in CHOICE_TYPES:
        if isinstance(value, str) and value in options:
            return value
        problem = f"{name} must be one of the options of {definition.key}: {', '.join(options)}"
    elif kind in MULTI_CHOICE_TYPES:
        if isinstance(value, list) and all(isinstance(v, str) and v in options for v in value):
            return ", ".join(option for option in options if option in value)
        problem = f"{name} must be an array of options of {definition.key}: {', '.join(options)}"
    elif kind in NUMBER_TYPES:
        number = _number(value)
        if number is not None:
            return str(int(number)) if number.is_integer() else str(number)
        problem = f"{name} must be a number ({definition.key} is {kind})"
    elif kind == "DATE":
        if isinstance(value, str) and _is_date(value):
            return value
        problem = f"{name} must be a date YYYY-MM-DD ({definition.key} is DATE)"
    else:
        if isinstance(value, str):
            return value
        number = _number(value)
        if number is not None:
            return str(int(number)) if number.is_integer() else str(number)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ", ".join(value)
        problem = f"{name} must be a string, a number or an array of strings"
    problems.append(problem)
    return _MISSING


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _is_date(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False
