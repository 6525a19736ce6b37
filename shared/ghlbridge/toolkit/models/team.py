"""Members of a location, and the location's GHL users they can be linked to."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from ghlbridge.store import MemberRole
from ghlbridge.toolkit.models.base import GhlId, Input, Output

SUPABASE_USER_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A Supabase Auth user id: a UUID."""

Role = Literal["owner", "member"]


class Member(Output):
    user_id: str = Field(description="The Supabase Auth user id")
    role: Role
    ghl_user_id: str | None = Field(description="The GHL user this member acts as, when linked")
    added_by: str | None = Field(description="The owner who added them (themself when they completed the install)")
    added_at: datetime | None


class MemberPage(Output):
    items: list[Member]
    next_cursor: str | None = None


class MemberCreate(Input):
    user_id: str = Field(pattern=SUPABASE_USER_ID_PATTERN, description="The Supabase Auth user id to add")
    role: Role = "member"


class MemberUpdate(Input):
    """A new role (owners only), and/or the GHL user to link (`null` unlinks): owners may link any
    member; a member may link only themself, to the GHL user whose e-mail is their own."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    role: Role | None = Field(default=None, json_schema_extra={"anyOf": None, "enum": ["owner", "member"]})
    ghl_user_id: GhlId | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> MemberUpdate:
        if not self.model_fields_set:
            raise ValueError("give role and/or ghlUserId")
        if "role" in self.model_fields_set and self.role is None:
            raise ValueError("role cannot be null")
        return self

    @property
    def links(self) -> bool:
        """Whether the body says anything about the GHL link (null included: unlink)."""
        return "ghl_user_id" in self.model_fields_set


class GhlUser(Output):
    id: str
    name: str | None
    email: str | None
    role: str | None = Field(description="GHL's role of the user in the account, e.g. admin or user")


class GhlUserPage(Output):
    items: list[GhlUser]
    next_cursor: str | None = None


def member_of(role: MemberRole) -> Role:
    return "owner" if role is MemberRole.OWNER else "member"
