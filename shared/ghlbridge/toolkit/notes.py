"""A contact's notes and tags. Writing a note and adding tags are idempotent writes (see
`ghlbridge.idempotency.writes`): tags too, because every toolkit POST follows one rule, and a replayed
add answers with GHL's first answer instead of a second call.

A note carries the caller's linked GHL user as its author (`userId`), so it shows in GHL as theirs.

Tags are ADDED with GHL's add-tags endpoint, never through `PUT /contacts/{id}`, which would
overwrite all of the contact's tags.
"""

from __future__ import annotations

from ghlbridge.idempotency.writes import IdempotentWrite
from ghlbridge.toolkit.access import open_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.models.contacts import Note
from ghlbridge.toolkit.models.notes import NoteCreate, NotePage, TagList, TagsAdd

_CREATE_NOTE = IdempotentWrite("notes.create")
_ADD_TAGS = IdempotentWrite("tags.add")


def list_notes(ctx: RequestContext, location_id: str, contact_id: str) -> NotePage:
    """All of the contact's notes, newest first (GHL has no paging for notes: one page)."""
    clients = open_location(ctx.caller, location_id)
    return NotePage(items=Note.newest_first(clients.contacts.notes(contact_id)))


def create_note(ctx: RequestContext, location_id: str, contact_id: str, note: NoteCreate) -> WriteAnswer:
    clients = open_location(ctx.caller, location_id)

    def send() -> WriteAnswer:
        created = clients.contacts.create_note(
            contact_id, body=note.body, title=note.title, user_id=clients.ghl_user_id
        )
        return WriteAnswer(ctx.success_status, Note.from_ghl(created).model_dump(mode="json"))

    request = {"contactId": contact_id, "body": note.model_dump(mode="json", by_alias=True)}
    return _CREATE_NOTE.run(ctx, location_id=location_id, request=request, send=send)


def add_tags(ctx: RequestContext, location_id: str, contact_id: str, tags: TagsAdd) -> WriteAnswer:
    clients = open_location(ctx.caller, location_id)
    wanted = list(dict.fromkeys(tag.strip() for tag in tags.tags))  # trimmed, each once, in order

    def send() -> WriteAnswer:
        answered = clients.contacts.add_tags(contact_id, wanted)
        return WriteAnswer(ctx.success_status, TagList(tags=answered).model_dump(mode="json"))

    request = {"contactId": contact_id, "body": tags.model_dump(mode="json", by_alias=True)}
    return _ADD_TAGS.run(ctx, location_id=location_id, request=request, send=send)
