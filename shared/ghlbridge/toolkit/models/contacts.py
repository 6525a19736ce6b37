"""A contact and its notes, as answers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ghlbridge import ghl
from ghlbridge.toolkit.models.base import Output


class CustomFieldValue(Output):
    id: str
    value: Any = None


class ContactSummary(Output):
    id: str | None = None
    name: str | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    tags: list[str] = Field(default_factory=list)


class ContactBase(Output):
    """What every answer about a contact says (its custom fields are each answer's own)."""

    id: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    website: str | None = None
    timezone: str | None = None
    tags: list[str] = Field(default_factory=list)
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    source: str | None = None
    assigned_to: str | None = None
    dnd: bool | None = None
    date_added: str | None = None


def contact_fields(item: ghl.Contact) -> dict[str, Any]:
    """A GHL contact's `ContactBase` fields (snake_case), for any answer built on it."""
    return {
        "id": item.id,
        "name": item.name,
        "first_name": item.firstName,
        "last_name": item.lastName,
        "email": item.email,
        "phone": item.phone,
        "company_name": item.companyName,
        "website": item.website,
        "timezone": item.timezone,
        "tags": item.tags,
        "address1": item.address1,
        "city": item.city,
        "state": item.state,
        "postal_code": item.postalCode,
        "country": item.country,
        "source": item.source,
        "assigned_to": item.assignedTo,
        "dnd": item.dnd,
        "date_added": item.dateAdded,
    }


class Contact(ContactBase):
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)

    @classmethod
    def from_ghl(cls, item: ghl.Contact) -> Contact:
        values = [CustomFieldValue(id=f.id, value=f.value) for f in item.customFields]
        return cls(**contact_fields(item), custom_fields=values)


class Note(Output):
    id: str
    body: str | None = None
    title: str | None = None
    user_id: str | None = None
    date_added: str | None = None
    pinned: bool | None = None

    @classmethod
    def from_ghl(cls, item: ghl.Note) -> Note:
        return cls(
            id=item.id,
            body=item.body,
            title=item.title,
            user_id=item.userId,
            date_added=item.dateAdded,
            pinned=item.pinned,
        )

    @classmethod
    def newest_first(cls, notes: list[ghl.Note]) -> list[Note]:
        """GHL's ISO timestamps sort as text; notes without one go last."""
        return [cls.from_ghl(n) for n in sorted(notes, key=lambda n: n.dateAdded or "", reverse=True)]
