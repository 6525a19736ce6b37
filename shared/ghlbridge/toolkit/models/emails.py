"""An e-mail to a contact: the body, and GHL's ids of the message."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from ghlbridge.toolkit.models.base import (
    EMAIL_HTML_MAX,
    EMAIL_TEXT_MAX,
    SUBJECT_MAX,
    GhlId,
    Input,
    Output,
    Recipients,
    not_blank,
    one_line,
)


class EmailCreate(Input):
    subject: Annotated[str, Field(min_length=1, max_length=SUBJECT_MAX), AfterValidator(not_blank),
                       AfterValidator(one_line)]  # fmt: skip
    html: Annotated[str, Field(min_length=1, max_length=EMAIL_HTML_MAX), AfterValidator(not_blank)]
    text: Annotated[str, Field(max_length=EMAIL_TEXT_MAX)] | None = None
    cc: Recipients = Field(default_factory=list)
    bcc: Recipients = Field(default_factory=list)
    reply_to_message_id: GhlId | None = None


class SentEmail(Output):
    message_id: str
    conversation_id: str
