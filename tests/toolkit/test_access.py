"""Who may call the toolkit API, for every route: a valid Supabase JWT (401), membership of the
location (403, before anything reaches GHL), an installation that does not need a reinstall (409),
ids that cannot leave their URL segment (400), and the order of those checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import respx

from tests.conftest import make_jwt
from tests.ghl.ghl_testkit import CALENDAR_ID, CONTACT_ID, OPPORTUNITY_ID, PIPELINE_ID, STAGE_ID
from tests.oauth.test_install import BAD_CREDENTIALS
from tests.toolkit.kit import LOCATION, OTHER_LOCATION, OTHER_USER, Toolkit, new_key

L = f"/locations/{LOCATION}"
C = f"{L}/contacts/{CONTACT_ID}"
SLOTS = {"start": "2024-10-28", "end": "2024-10-29", "timezone": "America/Chicago"}
APPOINTMENT = {"calendarId": CALENDAR_ID, "contactId": CONTACT_ID, "startTime": "2024-10-28T10:00:00-05:00"}
CALL = {"outcome": "answered", "summary": "Talked about the fleet deal"}
EMAIL = {"subject": "Your proposal", "html": "<p>Hi</p>"}

# (function, method, path, query, body): one valid request per route of the toolkit.
ROUTES: list[tuple[str, str, str, dict[str, str] | None, dict[str, Any] | None]] = [
    ("opportunities", "GET", f"{L}/pipelines", None, None),
    ("opportunities", "GET", f"{L}/opportunities", {"pipelineId": PIPELINE_ID}, None),
    ("opportunities", "GET", f"{L}/opportunities/{OPPORTUNITY_ID}", None, None),
    ("stage", "PUT", f"{L}/opportunities/{OPPORTUNITY_ID}/stage", None, {"pipelineStageId": STAGE_ID}),
    ("notes", "GET", f"{C}/notes", None, None),
    ("notes", "POST", f"{C}/notes", None, {"body": "Left a voicemail"}),
    ("notes", "POST", f"{C}/tags", None, {"tags": ["hot"]}),
    ("calls", "POST", f"{C}/calls", None, CALL),
    ("emails", "POST", f"{C}/emails", None, EMAIL),
    ("calendars", "GET", f"{L}/calendars", None, None),
    ("calendars", "GET", f"{L}/calendars/{CALENDAR_ID}/free-slots", SLOTS, None),
    ("calendars", "POST", f"{L}/appointments", None, APPOINTMENT),
]
IDS = [f"{method} {path.removeprefix(L) or '/'}" for _, method, path, _, _ in ROUTES]


def request(
    toolkit: Toolkit, route: tuple[str, str, str, dict[str, str] | None, dict[str, Any] | None], **kwargs: Any
) -> Any:
    fn, method, path, query, body = route
    key = new_key() if method == "POST" else None
    return toolkit.call(fn, method, path, query=query, body=body, key=key, **kwargs)


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
@pytest.mark.parametrize("header", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
def test_every_route_needs_a_valid_jwt(
    toolkit: Toolkit, ghl_api: respx.MockRouter, route: Any, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}

    reply = request(toolkit, route, auth=False, headers=headers)

    assert (reply.status, reply.code) == (401, "unauthenticated")
    assert reply.error["requestId"] == reply.request_id
    assert not ghl_api.calls


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_a_non_member_is_refused_before_any_ghl_call(toolkit: Toolkit, ghl_api: respx.MockRouter, route: Any) -> None:
    toolkit.add_member(OTHER_LOCATION, OTHER_USER)  # a member of another location only

    reply = request(toolkit, route, user=OTHER_USER)

    assert (reply.status, reply.code) == (403, "forbidden")
    assert not ghl_api.calls


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_a_member_of_another_location_cannot_reach_this_one(
    toolkit: Toolkit, ghl_api: respx.MockRouter, route: Any
) -> None:
    """The path names LOCATION; being a member of OTHER_LOCATION (installed too) gives nothing here."""
    from ghlbridge.factories import get_cipher
    from tests.seed import seed_installation

    seed_installation(
        toolkit.store, get_cipher(), OTHER_LOCATION, access="at-other-0000", refresh="rt-other-0000",
        expires_in=timedelta(hours=20),
    )  # fmt: skip
    toolkit.add_member(OTHER_LOCATION, OTHER_USER, "owner")

    reply = request(toolkit, route, user=OTHER_USER)

    assert (reply.status, reply.code) == (403, "forbidden")
    assert not ghl_api.calls


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_a_location_that_needs_a_reinstall_is_a_409(toolkit: Toolkit, ghl_api: respx.MockRouter, route: Any) -> None:
    inst = toolkit.store.get_installation(LOCATION)
    toolkit.store.mark_needs_reauth(LOCATION, inst.generation, "invalid_grant: refresh token is invalid")

    reply = request(toolkit, route)

    assert (reply.status, reply.code) == (409, "reauthorization_required")
    assert reply.error["details"] == {
        "reason": "invalid_grant: refresh token is invalid",
        "authorize": "GET /oauth/authorize",
    }
    assert not ghl_api.calls


def test_a_membership_without_installation_is_a_404(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    toolkit.add_member(OTHER_LOCATION)

    reply = toolkit.call("opportunities", "GET", f"/locations/{OTHER_LOCATION}/pipelines")

    assert (reply.status, reply.code) == (404, "installation_not_found")
    assert not ghl_api.calls


@pytest.mark.parametrize(
    "path",
    [
        f"/locations/{LOCATION}/contacts/a.b/notes",
        f"/locations/{LOCATION}/contacts/{'x' * 65}/notes",
        f"/locations/{LOCATION}/contacts/abc-def/notes",
    ],
)
def test_path_ids_must_look_like_ghl_ids(toolkit: Toolkit, ghl_api: respx.MockRouter, path: str) -> None:
    reply = toolkit.call("notes", "GET", path)

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert {d["in"] for d in reply.error["details"]} == {"path"}
    assert not ghl_api.calls


@pytest.mark.parametrize(
    "path",
    [
        f"/locations/{LOCATION}/contacts/..%2Fopportunities/notes",
        f"/locations/{LOCATION}/contacts/abc%3Fq=1/notes",
        "/locations/..%2F..%2Foauth/contacts/abc/notes",
    ],
)
def test_encoded_separators_in_ids_match_no_route(toolkit: Toolkit, ghl_api: respx.MockRouter, path: str) -> None:
    """API Gateway hands the path on percent-decoded (`rawPath`), so an encoded `/` or `?` in an
    id never reaches a route's validation: the resolver finds no route, and GHL is never called."""
    reply = toolkit.call("notes", "GET", path)

    assert (reply.status, reply.code) == (404, "route_not_found")
    assert not ghl_api.calls


def test_no_jwt_is_a_401_even_with_a_bad_body(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    """Authentication comes before validation: nobody learns a route's rules without a JWT."""
    reply = toolkit.call("notes", "POST", f"{C}/notes", body="{not json", auth=False, key=new_key())

    assert (reply.status, reply.code) == (401, "unauthenticated")


def test_validation_comes_before_membership(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    reply = toolkit.call("notes", "POST", f"{C}/notes", body={"bodyy": "x"}, user=OTHER_USER, key=new_key())

    assert (reply.status, reply.code) == (400, "invalid_request")
    assert not ghl_api.calls


def test_a_jwt_for_another_audience_is_refused(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    reply = toolkit.call("opportunities", "GET", f"{L}/pipelines", token=make_jwt(aud="anon"))

    assert reply.status == 401


def test_an_unknown_route_is_a_404_in_the_envelope(toolkit: Toolkit, ghl_api: respx.MockRouter) -> None:
    reply = toolkit.call("notes", "GET", f"{C}/notes/extra")

    assert (reply.status, reply.code) == (404, "route_not_found")
