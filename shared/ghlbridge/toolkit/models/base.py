"""What every toolkit model shares: the bases, the limits and the checked string types.

The toolkit's JSON models are request bodies (`<Noun>Create`, ...) and answers (`<Noun>`,
`<Noun>Page`), one module per resource, so a function defines only the models its routes use
(cold start). Why they look like this:

- camelCase on the wire (`alias_generator=to_camel`), snake_case in Python.
- Request bodies REJECT unknown fields (`extra="forbid"`): a misspelt `pipelineStageID` must be a
  400, not a silently ignored field. Only the camelCase names are accepted.
- Every string and list is bounded, so nothing a caller sends can make us build a huge GHL request;
  the limits are the constants below (the README lists them).
- Answers are our own shapes, not GHL's: a GHL field rename breaks one mapping function, not the toolkit.
- `defer_build`: a model's schema is built when first used, so a function builds only the schemas
  of the routes its container actually serves (cold start).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# --- limits (README "Toolkit API") ------------------------------------------------------------
GHL_ID_PATTERN = r"^[A-Za-z0-9]{1,64}$"
"""GHL record ids (locations, contacts, opportunities, pipelines, calendars, messages): alphanumerics."""
STAGE_ID_PATTERN = r"^[A-Za-z0-9-]{1,64}$"
"""Pipeline stage ids are UUIDs."""
NOTE_BODY_MAX = 20_000
TITLE_MAX = 200
TAGS_MAX = 50
TAG_MAX = 100
CALL_SUMMARY_MAX = 10_000
CALL_NEXT_STEPS_MAX = 5_000
CALL_DURATION_MAX = 86_400
CALL_FUTURE_SKEW = timedelta(minutes=5)
SUBJECT_MAX = 998  # RFC 5322's line limit
EMAIL_HTML_MAX = 500_000
EMAIL_TEXT_MAX = 100_000
RECIPIENTS_MAX = 10
EMAIL_ADDRESS_MAX = 254
APPOINTMENT_MAX = timedelta(hours=24)
DEFAULT_LIMIT = 20  # items per page when the caller does not say
MAX_LIMIT = 100  # GHL's search maximum

# The WHATWG (HTML form) e-mail grammar, with a dot required in the domain.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


# What the checks below enforce, as JSON Schema says it (documentation only: `json_schema_extra`
# adds them to the document without changing what pydantic checks or how it words a refusal).
NOT_BLANK_PATTERN = r"\S"
ONE_LINE_NOT_BLANK_PATTERN = r"^[^\r\n]*\S[^\r\n]*$"
EMAIL_PATTERN = _EMAIL.pattern
NOT_BLANK: Final[dict[str, Any]] = {"pattern": NOT_BLANK_PATTERN}
"""`json_schema_extra` of a `not_blank` string."""


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def one_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line")  # a subject is a mail header: no header injection
    return value


def email_address(value: str) -> str:
    if len(value) > EMAIL_ADDRESS_MAX or not _EMAIL.match(value):
        raise ValueError("must be an e-mail address")
    return value


def distinct[T](values: list[T]) -> list[T]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an entry")
    return values


GhlId = Annotated[str, Field(pattern=GHL_ID_PATTERN)]
StageId = Annotated[str, Field(pattern=STAGE_ID_PATTERN)]
Tag = Annotated[str, Field(min_length=1, max_length=TAG_MAX, json_schema_extra=NOT_BLANK), AfterValidator(not_blank)]
EmailAddress = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": EMAIL_PATTERN, "maxLength": EMAIL_ADDRESS_MAX},
        description="An e-mail address (the HTML form grammar, with a dot in the domain)",
    ),
    AfterValidator(email_address),
]
Recipients = Annotated[
    list[EmailAddress],
    Field(max_length=RECIPIENTS_MAX, json_schema_extra={"uniqueItems": True}),
    AfterValidator(distinct),
]
CallOutcome = Literal["completed", "answered", "busy", "no-answer", "failed", "canceled", "voicemail"]
"""GHL's call statuses, less `pending` (a logged call is over)."""


class Input(BaseModel):
    """A request body: camelCase only, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_alias=True, validate_by_name=False, extra="forbid", frozen=True,
        defer_build=True,
    )  # fmt: skip


class Output(BaseModel):
    """An answer: serialized camelCase, every field always sent (`null` when unknown), so every field
    is required in the document's (serialization-mode) schema, nullable where it can be null."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, frozen=True, defer_build=True,
        json_schema_serialization_defaults_required=True,
    )  # fmt: skip


class SectionError(Output):
    """Why one part of an answer is missing (a research section, a plan's step): the status, code and
    message its own route would have answered."""

    status: int
    code: str
    message: str


def refuse_nulls(body: Input) -> None:
    """An update names what changes: a field sent as null changes nothing and is a mistake (400)."""
    nulls = sorted(name for name in body.model_fields_set if getattr(body, name) is None)
    if nulls:
        raise ValueError(f"{', '.join(nulls)} must not be null: leave a field out to keep it")
