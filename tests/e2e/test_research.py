"""Research context through `make dev`'s stack: the toolkit API → local gateway → ResearchFunction →
GHL sandbox. Every section is checked against what the sandbox holds (the sandbox is GHL here)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from ghlsandbox import LONG_CONVERSATION_ID, RESEARCH_OPPORTUNITY_ID

from tests.e2e.conftest import Stack


def state(stack: Stack) -> Any:
    return stack.sandbox.state.data


def test_the_context_of_a_researched_opportunity_is_what_ghl_holds(stack: Stack) -> None:
    data = state(stack)
    opportunity = data.opportunities[RESEARCH_OPPORTUNITY_ID]
    contact = data.contacts[opportunity.contact_id]

    answer = stack.get(f"/locations/{stack.location_id}/opportunities/{RESEARCH_OPPORTUNITY_ID}/context")

    assert answer.status_code == 200, answer.text
    context = answer.json()
    sections = ("contact", "notes", "messages", "appointments", "tasks", "location")
    assert all(context[name]["error"] is None for name in sections), context

    # the opportunity, with its names
    got = context["opportunity"]
    assert got["id"] == opportunity.id and got["contactId"] == contact.id
    pipeline = data.pipelines[opportunity.pipeline_id]
    assert got["pipelineName"] == pipeline.name
    assert got["stageName"] == pipeline.stage(opportunity.pipeline_stage_id).name
    if opportunity.assigned_to:
        assert got["assignedToName"] == data.users[opportunity.assigned_to].name

    # the contact, each custom field named next to its value
    person = context["contact"]["data"]
    assert person["id"] == contact.id and person["email"] == contact.email
    fields = {f["id"]: f for f in person["customFields"]}
    assert len(fields) >= 3
    for field in fields.values():
        definition = data.custom_fields[field["id"]]
        assert (field["name"], field["key"], field["type"]) == (
            definition.name,
            definition.key,
            definition.data_type,
        )
    assert len({f["type"] for f in fields.values()}) >= 3  # several kinds of field

    # messages: e-mail (as text, with its subject), SMS and a call, newest first
    messages = context["messages"]["items"]
    channels = {m["channel"] for m in messages}
    assert {"email", "sms", "call"} <= channels, channels
    dates = [m["date"] for m in messages]
    assert dates == sorted(dates, reverse=True)
    email = next(m for m in messages if m["channel"] == "email")
    assert email["subject"] and email["preview"] and "<" not in email["preview"]
    call = next(m for m in messages if m["channel"] == "call")
    assert call["callStatus"] is not None
    assert all(len(m["preview"] or "") <= 500 for m in messages)

    # appointments: upcoming ones first (soonest first), with calendar names
    appointments = context["appointments"]["items"]
    ids = {a.id for a in data.appointments.values() if a.contact_id == contact.id}
    assert appointments and {a["id"] for a in appointments} <= ids
    assert all(a["calendarName"] == data.calendars[a["calendarId"]].name for a in appointments)
    zone = ZoneInfo(data.locations[stack.location_id].timezone)
    starts = [datetime.fromisoformat(a["startTime"]).replace(tzinfo=zone) for a in appointments]
    now = datetime.now(UTC)
    upcoming = [s for s in starts if s >= now]
    assert upcoming and starts[: len(upcoming)] == sorted(upcoming)

    # tasks: only the open ones, soonest due first
    tasks = context["tasks"]["items"]
    open_ids = {t.id for t in data.tasks.values() if t.contact_id == contact.id and not t.completed}
    assert {t["id"] for t in tasks} == open_ids and open_ids
    assert [t["dueAt"] for t in tasks] == sorted(t["dueAt"] for t in tasks)

    # the location
    location = data.locations[stack.location_id]
    assert context["location"]["data"] == {"id": location.id, "name": location.name, "timezone": location.timezone}


def test_a_section_ghl_fails_on_carries_its_error_and_the_rest_answers(stack: Stack) -> None:
    rule = {"route": "GET /contacts/*/tasks", "kind": "status", "value": 500, "count": 10}
    assert httpx.post(f"{stack.ghl}/_sandbox/faults", json=rule, timeout=10).status_code in (200, 201)

    answer = stack.get(f"/locations/{stack.location_id}/opportunities/{RESEARCH_OPPORTUNITY_ID}/context")

    assert answer.status_code == 200, answer.text
    context = answer.json()
    assert context["tasks"]["items"] == []
    assert context["tasks"]["error"]["status"] >= 500 and context["tasks"]["error"]["code"]
    assert context["contact"]["data"] is not None and context["messages"]["items"]
    assert all(context[s]["error"] is None for s in ("contact", "notes", "messages", "appointments", "location"))


def test_an_opportunity_of_another_location_is_not_found(stack: Stack) -> None:
    data = state(stack)
    foreign = next(o.id for o in data.opportunities.values() if o.location_id != stack.location_id)

    answer = stack.get(f"/locations/{stack.location_id}/opportunities/{foreign}/context")

    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


def test_messages_page_without_duplicates_or_gaps(stack: Stack) -> None:
    data = state(stack)
    conversation = data.conversations[LONG_CONVERSATION_ID]
    path = f"/locations/{stack.location_id}/contacts/{conversation.contact_id}/messages"

    seen: list[str] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        page = stack.get(path, params=params)
        assert page.status_code == 200, page.text
        seen += [m["id"] for m in page.json()["items"]]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen))  # no duplicates
    assert set(seen) == {m.id for m in data.messages.values() if m.conversation_id == conversation.id}  # no gaps
    assert len(seen) > 40  # it really took several pages


def test_messages_of_one_channel_and_a_cursor_with_another_channel_is_refused(stack: Stack) -> None:
    data = state(stack)
    conversation = data.conversations[LONG_CONVERSATION_ID]
    path = f"/locations/{stack.location_id}/contacts/{conversation.contact_id}/messages"

    first = stack.get(path, params={"channel": "sms", "limit": 5})

    assert first.status_code == 200, first.text
    assert first.json()["items"] and all(m["channel"] == "sms" for m in first.json()["items"])
    cursor = first.json()["nextCursor"]
    assert cursor
    other = stack.get(path, params={"channel": "email", "limit": 5, "cursor": cursor})
    assert other.status_code == 400 and other.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("what", ["messages", "appointments", "tasks"])
def test_a_contact_of_another_location_is_not_found(stack: Stack, what: str) -> None:
    data = state(stack)
    foreign = next(c.id for c in data.contacts.values() if c.location_id != stack.location_id)

    answer = stack.get(f"/locations/{stack.location_id}/contacts/{foreign}/{what}")

    assert answer.status_code == 404, answer.text


def test_custom_fields_appointments_and_tasks_of_the_contact(stack: Stack) -> None:
    data = state(stack)
    contact_id = data.opportunities[RESEARCH_OPPORTUNITY_ID].contact_id
    base = f"/locations/{stack.location_id}"

    fields = stack.get(f"{base}/custom-fields").json()["items"]
    mine = {f.id: f for f in data.custom_fields.values() if f.location_id == stack.location_id and f.model == "contact"}
    assert {f["id"] for f in fields} == set(mine)
    options = next(f for f in fields if f["type"] == "SINGLE_OPTIONS")
    assert options["options"] == mine[options["id"]].picklist_options

    appointments = stack.get(f"{base}/contacts/{contact_id}/appointments").json()["items"]
    assert {a["id"] for a in appointments} == {a.id for a in data.appointments.values() if a.contact_id == contact_id}

    tasks = stack.get(f"{base}/contacts/{contact_id}/tasks").json()["items"]
    assert {t["id"] for t in tasks} == {t.id for t in data.tasks.values() if t.contact_id == contact_id}
    assert [t["completed"] for t in tasks] == sorted(t["completed"] for t in tasks)  # open ones first


def test_the_location_list_shows_the_name_ghl_gives(stack: Stack) -> None:
    items = stack.get("/locations").json()["items"]

    demo = next(i for i in items if i["id"] == stack.location_id)
    assert demo["name"] == state(stack).locations[stack.location_id].name
    fetched = len(stack.ghl_requests(f"/locations/{stack.location_id}"))
    stack.get("/locations")
    assert len(stack.ghl_requests(f"/locations/{stack.location_id}")) == fetched  # kept: asked once
