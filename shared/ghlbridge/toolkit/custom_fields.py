"""A location's contact custom fields: their definitions (cached per container for
`CUSTOM_FIELDS_CACHE_SECONDS`), a contact's values named by them, and insights checked against
them before anything is written.

GHL reads a contact's custom fields back as bare `{id, value}` (its Contacts API will not add the
key, GHL-NOTES §10.4), so the names, keys and types come from `GET /locations/{id}/customFields`.
A write names fields by key (`contact.budget`, or `budget`) or id; each value must suit the
field's `dataType` before anything is sent:

| dataType | accepted | sent to GHL as `field_value` |
|---|---|---|
| TEXT, PHONE, EMAIL | a string of at most 2,000 characters | the string |
| LARGE_TEXT | a string of at most 10,000 characters | the string |
| NUMERICAL, MONETORY | a number (or a numeric string) | a JSON number |
| SINGLE_OPTIONS, RADIO | one of the field's options (case-insensitive) | the option as defined |
| MULTIPLE_OPTIONS, CHECKBOX | options of the field (a list, or one string) | a list of options as defined |
| DATE | `YYYY-MM-DD` | the same string |
| anything else (FILE_UPLOAD, TEXTBOX_LIST, ...) | refused | — |
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from ghlbridge import factories
from ghlbridge.errors import RequestInvalidError, field_problem
from ghlbridge.toolkit.access import open_location
from ghlbridge.toolkit.models.custom_fields import ContactFields, CustomFieldDefinition, NamedCustomField

if TYPE_CHECKING:
    from ghlbridge import ghl
    from ghlbridge.toolkit.access import LocationClients
    from ghlbridge.toolkit.context import RequestContext
    from ghlbridge.toolkit.models.custom_fields import CustomFieldsUpdate

TEXT_MAX: Final = 2_000
LARGE_TEXT_MAX: Final = 10_000
_TEXT: Final = {"TEXT": TEXT_MAX, "PHONE": TEXT_MAX, "EMAIL": TEXT_MAX, "LARGE_TEXT": LARGE_TEXT_MAX}
_NUMBER: Final = frozenset({"NUMERICAL", "MONETORY", "MONETARY"})
_ONE_OPTION: Final = frozenset({"SINGLE_OPTIONS", "RADIO"})
_OPTIONS: Final = frozenset({"MULTIPLE_OPTIONS", "CHECKBOX"})


def definitions(clients: LocationClients, *, refresh: bool = False) -> dict[str, ghl.CustomFieldDefinition]:
    """The location's contact custom fields by id, from the container's cache or from GHL."""
    location_id = clients.location_id

    def fetch() -> dict[str, ghl.CustomFieldDefinition]:
        return {d.id: d for d in clients.locations.custom_fields("contact")}

    return factories.get_custom_field_cache().get(location_id, fetch, refresh=refresh)[0]


def definition(item: ghl.CustomFieldDefinition) -> CustomFieldDefinition:
    return CustomFieldDefinition(
        id=item.id,
        key=item.fieldKey,
        name=item.name,
        type=item.dataType,
        options=[str(o) for o in item.picklistOptions],
        placeholder=item.placeholder,
        model=item.model,
    )


def named(item: ghl.Contact, known: Mapping[str, ghl.CustomFieldDefinition]) -> list[NamedCustomField]:
    """The contact's custom-field values, each with its field's name, key and type (null: not defined any more)."""
    out = []
    for value in item.customFields:
        found = known.get(value.id)
        out.append(
            NamedCustomField(
                id=value.id,
                key=found.fieldKey if found else None,
                name=found.name if found else None,
                type=found.dataType if found else None,
                value=value.value,
            )
        )
    return out


def resolve(clients: LocationClients, values: Mapping[str, Any]) -> list[ghl.CustomFieldWrite]:
    """`values` ({key or id: value}) as GHL's writes, every one checked against its field; 400
    naming each unknown field or unsuitable value, before anything is sent."""
    from ghlbridge.ghl import CustomFieldWrite

    known = definitions(clients)
    if any(_find(known, ref) is None for ref in values):
        known = definitions(clients, refresh=True)  # the cached copy may predate the field
    unknown = [ref for ref in values if _find(known, ref) is None]
    if unknown:
        message = f"Unknown custom fields: {', '.join(sorted(unknown))}"
        details = [field_problem("body", f"values.{ref}", "unknown_field", "No such contact field") for ref in unknown]
        raise RequestInvalidError(message, details=details)
    writes, problems = [], []
    for ref, value in values.items():
        field = _find(known, ref)
        assert field is not None
        try:
            writes.append(CustomFieldWrite(id=field.id, value=_checked(field, value)))
        except ValueError as exc:
            problems.append(field_problem("body", f"values.{ref}", "invalid_value", str(exc)))
    if problems:
        names = ", ".join(p["field"].removeprefix("values.") for p in problems)
        raise RequestInvalidError(f"Values that do not suit their field: {names}", details=problems)
    return writes


def _find(known: Mapping[str, ghl.CustomFieldDefinition], ref: str) -> ghl.CustomFieldDefinition | None:
    if ref in known:
        return known[ref]
    key = ref if ref.startswith("contact.") else f"contact.{ref}"
    return next((d for d in known.values() if d.fieldKey == key), None)


def _checked(field: ghl.CustomFieldDefinition, value: Any) -> str | int | float | list[str]:
    kind = (field.dataType or "TEXT").upper()
    options = [str(o) for o in field.picklistOptions]
    if kind in _TEXT:
        if not isinstance(value, str):
            raise ValueError(f"{field.name} is a {kind} field: send text")
        if len(value) > _TEXT[kind]:
            raise ValueError(f"{field.name} takes at most {_TEXT[kind]} characters")
        return value
    if kind in _NUMBER:
        return _number(field, value)
    if kind in _ONE_OPTION:
        if not isinstance(value, str):
            raise ValueError(f"{field.name} takes one of: {', '.join(options)}")
        return _option(field, options, value)
    if kind in _OPTIONS:
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
            raise ValueError(f"{field.name} takes a list of: {', '.join(options)}")
        return list(dict.fromkeys(_option(field, options, v) for v in chosen))
    if kind == "DATE":
        try:
            return date.fromisoformat(value).isoformat() if isinstance(value, str) and len(value) == 10 else _no_date()
        except ValueError:
            raise ValueError(f"{field.name} is a date: send YYYY-MM-DD") from None
    raise ValueError(f"{field.name} is a {kind} field, which this API does not write")


def _number(field: ghl.CustomFieldDefinition, value: Any) -> int | float:
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        raise ValueError(f"{field.name} is a number field: send a number")
    return int(number) if float(number).is_integer() and abs(number) < 2**53 else number


def _option(field: ghl.CustomFieldDefinition, options: list[str], value: str) -> str:
    found = next((o for o in options if o.casefold() == value.strip().casefold()), None)
    if found is None:
        raise ValueError(f"Not an option of {field.name} ({', '.join(options)})")
    return found


def _no_date() -> str:
    raise ValueError("not a date")


def update_values(ctx: RequestContext, location_id: str, contact_id: str, body: CustomFieldsUpdate) -> ContactFields:
    """`PUT /locations/{locationId}/contacts/{contactId}/custom-fields`."""
    clients = open_location(ctx.caller, location_id)
    writes = resolve(clients, body.values)  # 400 before anything is sent
    updated = clients.contacts.update_custom_fields(contact_id, writes)
    return ContactFields(contact_id=updated.id, custom_fields=named(updated, definitions(clients)))
