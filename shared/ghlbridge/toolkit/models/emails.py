"""An e-mail to a contact: the body, and GHL's ids of the message."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from ghlbridge.toolkit.models.base import (
    EMAIL_HTML_MAX,
    EMAIL_TEXT_MAX,
    NOT_BLANK,
    ONE_LINE_NOT_BLANK_PATTERN,
    SUBJECT_MAX,
    GhlId,
    Input,
    Output,
    Recipients,
    not_blank,
    one_line,
)


class EmailCreate(Input):
    subject: Annotated[str, Field(min_length=1, max_length=SUBJECT_MAX, description="One line, not blank",
                                  json_schema_extra={"pattern": ONE_LINE_NOT_BLANK_PATTERN}),
                       AfterValidator(not_blank), AfterValidator(one_line)]  # fmt: skip
    html: Annotated[
        str, Field(min_length=1, max_length=EMAIL_HTML_MAX, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)
    ]
    text: Annotated[str, Field(max_length=EMAIL_TEXT_MAX)] | None = None
    cc: Recipients = Field(default_factory=list, description="Distinct e-mail addresses")
    bcc: Recipients = Field(default_factory=list, description="Distinct e-mail addresses")
    reply_to_message_id: GhlId | None = None


class SentEmail(Output):
    message_id: str
    conversation_id: str
