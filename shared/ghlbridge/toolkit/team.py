"""A location's team: its members (owners and members) and the GHL users they act as.

- Anyone who is a member may list the members. Adding, changing a role and removing others are an
  owner's; a member may leave (remove themself). The last owner can neither leave nor be demoted or
  removed (409 `last_owner`). The owner check and the last-owner rule are decided again inside the
  store's transaction (`Store.put_member` & co.), so two owners racing cannot both win; the
  route's own check reads the caller's membership fresh from the store (not the cache: a member
  promoted a second ago is an owner now) and only answers early.
- A removed or demoted member is forgotten by this container's membership cache at once; other warm
  containers notice within `MEMBERSHIP_CACHE_SECONDS` (60 s).
- Linking to a GHL user: an owner may link any member to any user of the location; a member may
  link only themself, and only to the GHL user whose e-mail equals the `email` claim of their JWT
  (case-insensitive), so nobody can make their writes show in GHL as a colleague's. The GHL user
  must be a (not deleted) user of the location.
- The location's GHL users (`GET /users/search`, all pages) are cached per container for
  `USERS_CACHE_SECONDS`, like pipelines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghlbridge import factories
from ghlbridge.errors import (
    CallerForbiddenError,
    GhlUserTakenError,
    LastOwnerError,
    MemberExistsError,
    RequestInvalidError,
    ResourceNotFoundError,
    field_problem,
)
from ghlbridge.store import MemberChange, MemberRole, Membership
from ghlbridge.toolkit.access import membership, open_location, require_owner
from ghlbridge.toolkit.ghl_users import ghl_user, location_users
from ghlbridge.toolkit.models.team import (
    GhlUser,
    GhlUserPage,
    Member,
    MemberCreate,
    MemberPage,
    MemberUpdate,
    member_of,
)

if TYPE_CHECKING:
    from ghlbridge import ghl
    from ghlbridge.toolkit.context import Caller, RequestContext


def member(found: Membership) -> Member:
    return Member(
        user_id=found.user_id,
        role=member_of(found.role),
        ghl_user_id=found.ghl_user_id,
        added_by=found.added_by,
        added_at=found.added_at,
    )


def list_members(ctx: RequestContext, location_id: str) -> MemberPage:
    membership(ctx.caller, location_id)
    return MemberPage(items=[member(m) for m in factories.get_store().list_members(location_id)])


def add_member(ctx: RequestContext, location_id: str, body: MemberCreate) -> tuple[int, Member]:
    """201 with the new member; 200 when they were already a member with that role."""
    require_owner(membership(ctx.caller, location_id, fresh=True))
    change = factories.get_store().put_member(location_id, ctx.caller.user_id, body.user_id, MemberRole(body.role))
    found = _settled(change)
    return (201 if change.outcome == "created" else 200), member(found)


def update_member(ctx: RequestContext, location_id: str, user_id: str, body: MemberUpdate) -> Member:
    caller = membership(ctx.caller, location_id, fresh=True)
    is_self = _same_user(user_id, ctx.caller.user_id)
    store = factories.get_store()
    found: Membership | None = None
    if body.role is not None:
        require_owner(caller)
        found = _settled(store.set_member_role(location_id, ctx.caller.user_id, user_id, MemberRole(body.role)))
        factories.get_membership_cache().forget(user_id, location_id)
    if body.links:
        if caller.role is not MemberRole.OWNER and not is_self:
            raise CallerForbiddenError("Only an owner can link another member to a GHL user")
        if body.ghl_user_id is not None:
            _check_link(ctx.caller, location_id, body.ghl_user_id, by_owner=caller.role is MemberRole.OWNER)
        found = _settled(store.link_member(location_id, ctx.caller.user_id, user_id, body.ghl_user_id))
        factories.get_membership_cache().forget(user_id, location_id)
    assert found is not None  # the body names a role or a link (MemberUpdate)
    return member(found)


def remove_member(ctx: RequestContext, location_id: str, user_id: str) -> None:
    caller = membership(ctx.caller, location_id, fresh=True)
    if not _same_user(user_id, ctx.caller.user_id):
        require_owner(caller)
    _settled(factories.get_store().remove_member(location_id, ctx.caller.user_id, user_id))
    factories.get_membership_cache().forget(user_id, location_id)


def list_users(ctx: RequestContext, location_id: str) -> GhlUserPage:
    clients = open_location(ctx.caller, location_id)
    return GhlUserPage(items=[_user(u) for u in location_users(clients)])


# --- the rules ---------------------------------------------------------------------------------


def _check_link(caller: Caller, location_id: str, ghl_user_id: str, *, by_owner: bool) -> None:
    clients = open_location(caller, location_id)
    found = ghl_user(clients, ghl_user_id)
    if found is None:
        message = "ghlUserId is not a GHL user of this location"
        raise RequestInvalidError(message, details=[field_problem("body", "ghlUserId", "unknown_ghl_user", message)])
    if not by_owner and (not caller.email or (found.email or "").casefold() != caller.email.casefold()):
        raise CallerForbiddenError("You can link yourself only to the GHL user with your own e-mail address")


def _settled(change: MemberChange) -> Membership:
    """The member a guarded write left, or the error its outcome means."""
    match change.outcome:
        case "forbidden":
            raise CallerForbiddenError("Only an owner of this location can do this")
        case "not_found":
            raise ResourceNotFoundError("No such member of this location")
        case "last_owner":
            raise LastOwnerError("The location's last owner can neither leave nor be demoted; add another owner first")
        case "role_differs":
            raise MemberExistsError("Already a member with another role; change the role with PATCH")
        case "ghl_user_taken":
            raise GhlUserTakenError("Another member of this location is linked to that GHL user")
    assert change.member is not None, change.outcome
    return change.member


def _same_user(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _user(found: ghl.User) -> GhlUser:
    return GhlUser(id=found.id, name=found.name, email=found.email, role=found.roles.role if found.roles else None)
