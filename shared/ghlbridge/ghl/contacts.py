"""GHL Contacts (`apps/contacts.json`, `Version: 2021-07-28`, Sub-Account token).

Spec facts this module relies on:

- Custom fields read back as `{id, value}` (`Contact.customFields`), unlike the `{id|key,
  field_value}` they are written with.
- Notes have no paging parameters: `GET /contacts/{contactId}/notes` returns them all, one call per
  contact (issue #173).
- The create-note body (`POST /contacts/{contactId}/notes`) allows `body` (required), `userId`,
  `title`, `color` and `pinned`; it answers 201 `{note: {...}}`. `title` is in the HEAD spec
  (2026-05-01 sync) but not in older ones, so whether every account shows it is unverified.
- Tags are added with `POST /contacts/{contactId}/tags`, which ADDS. `PUT /contacts/{contactId}`
  with `tags` would overwrite all of them (the spec says so), so this module never does that.

Thin on purpose: no business rules, one method per GHL operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import GHLModel, parse_response, path_segment, present
from ghlbridge.ghl.resource import GHLResource

# --- response models (apps/contacts.json) ---------------------------------------------------------


class ContactCustomField(GHLModel):
    """A custom field as a contact reads it back: `{id, value}`. The spec types `value` as a string,
    but custom fields can be numeric or multi-option, so any JSON value is kept rather than a read
    failing on one field."""

    id: str
    value: Any = None


class Contact(GHLModel):
    """`contact` of `GET /contacts/{contactId}`. `dndSettings`, attribution sources and the other
    fields the toolkit does not read stay in `model_extra`."""

    id: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    companyName: str | None = None
    website: str | None = None
    tags: list[str] = Field(default_factory=list)
    customFields: list[ContactCustomField] = Field(default_factory=list)
    locationId: str | None = None
    timezone: str | None = None
    assignedTo: str | None = None
    source: str | None = None
    type: str | None = None
    dnd: bool | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postalCode: str | None = None
    dateAdded: str | None = None
    dateUpdated: str | None = None


class Note(GHLModel):
    """A contact note (`GET /contacts/{contactId}/notes` items, `POST` answer's `note`)."""

    id: str
    body: str | None = None
    title: str | None = None
    userId: str | None = None
    contactId: str | None = None
    dateAdded: str | None = None
    color: str | None = None
    pinned: bool | None = None


class ContactEnvelope(GHLModel):
    contact: Contact


class NotesEnvelope(GHLModel):
    notes: list[Note]


class NoteEnvelope(GHLModel):
    note: Note


class TagsEnvelope(GHLModel):
    tags: list[str]


# --- the resource ---------------------------------------------------------------------------------


class ContactsAPI(GHLResource):
    """Contact calls for one location (`GHLResource`)."""

    version = VERSION_2021_07_28

    def get(self, contact_id: str) -> Contact:
        """`GET /contacts/{contactId}`. Raises `GHLNotFoundError` for an unknown id."""
        response = self._request("GET", f"/contacts/{path_segment(contact_id)}")
        return parse_response(response, ContactEnvelope).contact

    def notes(self, contact_id: str) -> list[Note]:
        """`GET /contacts/{contactId}/notes`: every note of the contact, in GHL's order."""
        response = self._request("GET", f"/contacts/{path_segment(contact_id)}/notes")
        return parse_response(response, NotesEnvelope).notes

    def create_note(self, contact_id: str, *, body: str, user_id: str | None = None, title: str | None = None) -> Note:
        """`POST /contacts/{contactId}/notes`. `user_id` is the GHL user shown as the author.

        A POST: the client does not resend it after a timeout or a 5xx (the note may exist).
        """
        payload = present({"body": body, "userId": user_id, "title": title})
        response = self._request("POST", f"/contacts/{path_segment(contact_id)}/notes", json=payload)
        return parse_response(response, NoteEnvelope).note

    def add_tags(self, contact_id: str, tags: Sequence[str]) -> list[str]:
        """`POST /contacts/{contactId}/tags`: add `tags` without touching the others.

        Returns the `tags` GHL answers with (the spec does not say whether that is the contact's
        whole set or the ones just added, so callers should not assume either).
        """
        if isinstance(tags, str):  # a str is a Sequence[str]: "vip" would become ["v", "i", "p"]
            raise TypeError("tags must be a list of strings, not a string")
        if not tags:
            raise ValueError("no tags to add")
        response = self._request("POST", f"/contacts/{path_segment(contact_id)}/tags", json={"tags": list(tags)})
        return parse_response(response, TagsEnvelope).tags
