"""Custom fields: a location's definitions, a contact's values named by them, and insights to write."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ghlbridge.toolkit.models.base import Input, Output

FIELDS_MAX = 50
"""Custom fields one write may set."""

FIELD_REF_PATTERN = r"^(contact\.)?[A-Za-z0-9_.-]{1,100}$"
"""A custom field's id or key (`contact.budget` or `budget`)."""

FIELD_TEXT_MAX = 10_000

FIELD_OPTIONS_MAX = 50

FieldRef = Annotated[str, Field(pattern=FIELD_REF_PATTERN)]
FieldValue = (
    Annotated[str, Field(max_length=FIELD_TEXT_MAX)]
    | int
    | float
    | bool
    | Annotated[list[Annotated[str, Field(max_length=FIELD_TEXT_MAX)]], Field(max_length=FIELD_OPTIONS_MAX)]
)
"""Text, a number, a yes/no, or the choices of a multi-option field; checked against the field's type."""


class CustomFieldDefinition(Output):
    id: str
    key: str | None = Field(default=None, description="GHL's `fieldKey`, e.g. `contact.budget`")
    name: str | None = None
    type: str | None = Field(default=None, description="GHL's `dataType` (TEXT, LARGE_TEXT, NUMERICAL, ...)")
    options: list[str] = Field(default_factory=list, description="The choices of an options field")
    placeholder: str | None = None
    model: str | None = Field(default=None, description="`contact` or `opportunity`")


class CustomFieldDefinitionPage(Output):
    items: list[CustomFieldDefinition]
    next_cursor: str | None = Field(default=None, description="Always null: every field fits in one page")


class NamedCustomField(Output):
    """A contact's custom-field value next to its definition (null name/key/type: not defined any more)."""

    id: str
    key: str | None = None
    name: str | None = None
    type: str | None = None
    value: Any = None


class CustomFieldsUpdate(Input):
    """Insights into the contact's custom fields: `{<key or id>: value}`. Only these fields change."""

    values: Annotated[dict[FieldRef, FieldValue], Field(min_length=1, max_length=FIELDS_MAX)]


class ContactFields(Output):
    contact_id: str
    custom_fields: list[NamedCustomField] = Field(description="The contact's custom fields after the write")
