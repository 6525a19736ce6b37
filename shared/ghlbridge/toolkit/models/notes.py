"""Notes and tags: the list, and the bodies and answers of the writes."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from ghlbridge.toolkit.models.base import (
    NOT_BLANK,
    NOTE_BODY_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Input,
    Output,
    Tag,
    not_blank,
)
from ghlbridge.toolkit.models.contacts import Note


class NotePage(Output):
    items: list[Note]
    next_cursor: str | None = None


class NoteCreate(Input):
    body: Annotated[
        str, Field(min_length=1, max_length=NOTE_BODY_MAX, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)
    ]
    title: Annotated[str, Field(max_length=TITLE_MAX)] | None = None


class TagsAdd(Input):
    """Tags to ADD (GHL's add-tags endpoint: the contact's other tags stay)."""

    tags: Annotated[list[Tag], Field(min_length=1, max_length=TAGS_MAX)]


class TagList(Output):
    tags: list[str] = Field(description="GHL's answer to the add (the spec does not say whether it is all tags)")
