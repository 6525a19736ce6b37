"""Path, query and header parameters of the toolkit routes, checked by Powertools' validation before
a route runs (400 `invalid_request` naming the parameter) and documented in the OpenAPI document.

Path ids must look like GHL ids (alphanumerics): an id goes into a GHL URL, so `..`, `/` or `%2F`
must never get that far (the GHL clients also encode each id as one path segment).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from typing import Annotated, Final, Literal

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import AfterValidator

from ghlbridge.toolkit.models.base import GHL_ID_PATTERN, MAX_LIMIT, STAGE_ID_PATTERN
from ghlbridge.toolkit.models.team import SUPABASE_USER_ID_PATTERN

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
"""1 to 255 visible ASCII characters (a UUID is the usual choice)."""
SEARCH_TEXT_MAX = 200
CURSOR_MAX = 1024
TIMEZONE_MAX = 64


ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
"""The characters of every IANA zone name (`Etc/GMT+5`, `America/Port-au-Prince`, `UTC`)."""


def _iana_zone(name: str) -> str:
    """`name` if it is an IANA zone. `ZoneInfo` turns its key into a file path and opens it, so only
    a name that looks like one gets that far, and any failure to load it (not only "not found": a
    directory such as `America` raises IsADirectoryError) means "not a zone"."""
    if ZONE_NAME.fullmatch(name) is None:
        raise ValueError(_NOT_A_ZONE)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # ValueError: a path-like key such as "a/../b"
        raise ValueError(_NOT_A_ZONE) from None
    return name


_NOT_A_ZONE = "must be an IANA time zone name, e.g. America/Chicago"


def _ghl_id_path(what: str) -> Path:
    return Path(pattern=GHL_ID_PATTERN, description=f"GHL {what} id", examples=["ve9EPM428h8vShlRW1KT"])


LocationId = Annotated[str, _ghl_id_path("location (sub-account)")]
OpportunityId = Annotated[str, _ghl_id_path("opportunity")]
ContactId = Annotated[str, _ghl_id_path("contact")]
CalendarId = Annotated[str, _ghl_id_path("calendar")]
TaskId = Annotated[str, _ghl_id_path("task")]
AppointmentId = Annotated[str, _ghl_id_path("appointment (calendar event)")]
MemberUserId = Annotated[
    str,
    Path(
        pattern=SUPABASE_USER_ID_PATTERN,
        description="The member's Supabase Auth user id",
        examples=["3b9f6c2e-8d1a-4f5b-9c7e-1a2b3c4d5e6f"],
    ),
]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description=(
            "Required on every POST. A repeat with the same key within 24 h gets the first answer and sends "
            "nothing; the same key with another body is a 422. Use a new key (e.g. a UUID) per intended write."
        ),
    ),
]

PipelineFilter = Annotated[str | None, Query(pattern=GHL_ID_PATTERN, description="Only this pipeline")]
StageFilter = Annotated[str | None, Query(pattern=STAGE_ID_PATTERN, description="Only this pipeline stage")]
StatusFilter = Annotated[
    Literal["open", "won", "lost", "abandoned", "all"] | None, Query(description="Only this status")
]
SearchText = Annotated[str | None, Query(max_length=SEARCH_TEXT_MAX, description="GHL's free-text search")]
AssigneeFilter = Annotated[
    str | None,
    Query(
        pattern=r"^(me|[A-Za-z0-9]{1,64})$",
        description="Only this GHL user's; `me`: the GHL user the caller is linked to (400 without a link)",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=CURSOR_MAX, description="`nextCursor` of the previous page, with the same filters"),
]
ChannelFilter = Annotated[
    Literal["email", "sms", "call"] | None, Query(description="Only this channel's messages (default: every channel)")
]
Day = Annotated[date, Query(description="A date, YYYY-MM-DD (inclusive)")]
StartDay = Annotated[date, Query(description="The first day, YYYY-MM-DD, in `timezone`")]
EndDay = Annotated[
    date, Query(description="The last day, YYYY-MM-DD, in `timezone`: not before `start`, at most 31 days after it")
]
IANA_TIME_ZONE: Final = "x-iana-time-zone"
"""Marks a time zone parameter: `scripts/openapi.py` documents it as an enum of the IANA names of the
pinned `tzdata` package (what `zoneinfo` accepts everywhere), without reading them at import."""
TimeZone = Annotated[
    str,
    Query(
        max_length=TIMEZONE_MAX,
        description="IANA time zone the slots are computed and shown in, e.g. America/Chicago",
        json_schema_extra={IANA_TIME_ZONE: True},
    ),
    AfterValidator(_iana_zone),
]
