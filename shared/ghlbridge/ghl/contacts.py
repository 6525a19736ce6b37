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

from ghlbridge.ghl.client import VERSION_2021_07_28
from ghlbridge.ghl.models import parse_response
from ghlbridge.ghl.resource import GHLResource
from ghlbridge.ghl.resources_models import (
    Contact,
    ContactEnvelope,
    Note,
    NoteEnvelope,
    NotesEnvelope,
    TagsEnvelope,
    path_segment,
    present,
)


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
