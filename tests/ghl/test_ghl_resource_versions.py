"""Every resource client declares its spec's `Version` once (`GHLResource.version`), and it is the
value GHL's spec (`tests/specs/ghl-openapi/apps/<module>.json`) allows on every operation it calls.

The operations a client calls are found by calling every public method once (the table `CALLS`,
which must name them all) against a transport that records the request and answers `{}`.

One operation declares no `Version` at all (`UNVERSIONED`): it must get the one Version every other
operation of its file declares, since GHL refuses a call without the header."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import ghlbridge.ghl
from ghlbridge.ghl.client import VERSION_2021_04_15, VERSION_2021_07_28, BearerAuth, GHLClient
from ghlbridge.ghl.contacts import CustomFieldWrite
from ghlbridge.ghl.errors import GHLInvalidResponseError
from ghlbridge.ghl.resource import GHLResource
from tests.ghl.ghl_testkit import (
    ACCESS_TOKEN,
    BASE_URL,
    CALENDAR_ID,
    CONTACT_ID,
    CONVERSATION_ID,
    EMAIL_MESSAGE_ID,
    LOCATION_ID,
    OPPORTUNITY_ID,
)
from tests.ghl_spec import Operation, find_operation

START = datetime(2026, 12, 1, 9, tzinfo=UTC)
TASK_ID = "lJpzYrWdpkC2hX6t2yue"
EVENT_ID = "0TkCdp9PfvLeWKYRRvIz"

# Class name -> public method -> one valid call of it.
CALLS: dict[str, dict[str, Callable[[Any], object]]] = {
    "OpportunitiesAPI": {
        "search": lambda api: api.search(LOCATION_ID),
        "pipelines": lambda api: api.pipelines(LOCATION_ID),
        "get": lambda api: api.get(OPPORTUNITY_ID),
        "update": lambda api: api.update(OPPORTUNITY_ID, name="Renamed"),
        "update_status": lambda api: api.update_status(OPPORTUNITY_ID, "lost", lost_reason_id="CLu7BaljjqrEjBGKTNNe"),
    },
    "ContactsAPI": {
        "get": lambda api: api.get(CONTACT_ID),
        "update_custom_fields": lambda api: api.update_custom_fields(CONTACT_ID, [CustomFieldWrite("f1", "x")]),
        "notes": lambda api: api.notes(CONTACT_ID),
        "create_note": lambda api: api.create_note(CONTACT_ID, body="Called back"),
        "add_tags": lambda api: api.add_tags(CONTACT_ID, ["vip"]),
        "tasks": lambda api: api.tasks(CONTACT_ID),
        "create_task": lambda api: api.create_task(CONTACT_ID, title="Call back", due_date=START),
        "get_task": lambda api: api.get_task(CONTACT_ID, TASK_ID),
        "update_task": lambda api: api.update_task(CONTACT_ID, TASK_ID, completed=True),
        "set_task_completed": lambda api: api.set_task_completed(CONTACT_ID, TASK_ID, True),
        "delete_task": lambda api: api.delete_task(CONTACT_ID, TASK_ID),
        "appointments": lambda api: api.appointments(CONTACT_ID),
    },
    "ConversationsAPI": {
        "send_email": lambda api: api.send_email(contact_id=CONTACT_ID, subject="Hello", html="<p>Hi</p>"),
        "search_conversation": lambda api: api.search_conversation(LOCATION_ID, CONTACT_ID),
        "create_conversation": lambda api: api.create_conversation(LOCATION_ID, CONTACT_ID),
        "log_outbound_call": lambda api: api.log_outbound_call(
            conversation_id=CONVERSATION_ID, conversation_provider_id="provider1", status="completed"
        ),
        "messages": lambda api: api.messages(CONVERSATION_ID, last_message_id="m1", limit=5, types=["TYPE_EMAIL"]),
        "email": lambda api: api.email(EMAIL_MESSAGE_ID),
    },
    "CalendarsAPI": {
        "list": lambda api: api.list(LOCATION_ID),
        "free_slots": lambda api: api.free_slots(
            CALENDAR_ID, start=START, end=START + timedelta(days=1), timezone="Europe/Berlin"
        ),
        "book_appointment": lambda api: api.book_appointment(
            location_id=LOCATION_ID, calendar_id=CALENDAR_ID, contact_id=CONTACT_ID, start_time=START
        ),
        "get_appointment": lambda api: api.get_appointment(EVENT_ID),
        "update_appointment": lambda api: api.update_appointment(EVENT_ID, start_time=START, to_notify=False),
        "delete_event": lambda api: api.delete_event(EVENT_ID),
    },
    "UsersAPI": {
        "location_users": lambda api: api.location_users(company_id="c0MpAnY1d2e3f4g5h6i7", location_id=LOCATION_ID),
    },
    "LocationsAPI": {
        "get": lambda api: api.get(),
        "custom_fields": lambda api: api.custom_fields(),
    },
}
# Class name -> what its constructor takes after the client and the auth.
LOCATION_BOUND: dict[str, tuple[str, ...]] = {"LocationsAPI": (LOCATION_ID,)}
UNVERSIONED = {("get", "/conversations/messages/email/{id}")}
"""Operations whose spec entry declares no parameter at all, not even `Version`."""


def resource_classes() -> list[type[GHLResource]]:
    """Every `GHLResource` of the package (each module imported, so none is missed)."""
    for module in pkgutil.iter_modules(ghlbridge.ghl.__path__):
        importlib.import_module(f"ghlbridge.ghl.{module.name}")
    found = [cls for cls in GHLResource.__subclasses__() if cls.__module__.startswith("ghlbridge.ghl.")]
    return sorted(found, key=lambda cls: cls.__name__)


@pytest.fixture
def sent() -> Iterator[tuple[GHLClient, list[httpx.Request]]]:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={})

    with GHLClient(base_url=BASE_URL, timeout=10.0, transport=httpx.MockTransport(answer)) as client:
        yield client, requests


def declared_versions(operation: dict[str, Any]) -> list[list[str]]:
    """The `Version` enums an operation declares (one, or none)."""
    found = [p for p in operation.get("parameters", []) if p.get("in") == "header" and p.get("name") == "Version"]
    return [p["schema"]["enum"] for p in found]


def spec_versions(op: Operation) -> list[str]:
    """The `Version` header values the operation allows; for an `UNVERSIONED` one, the single value
    every other operation of its spec file allows."""
    where = f"{op.method.upper()} {op.template}"
    if (op.method, op.template) not in UNVERSIONED:
        [enum] = declared_versions(op.operation) or [[]]
        assert enum, f"{where} declares no Version header"
        return enum
    assert not declared_versions(op.operation), f"{where} now declares its Version: remove it from UNVERSIONED"
    in_file = {
        tuple(enum)
        for item in op.document["paths"].values()
        for method, operation in item.items()
        if isinstance(operation, dict) and method in ("get", "put", "post", "delete", "patch")
        for enum in declared_versions(operation)
    }
    assert len(in_file) == 1, f"{where}: its spec file allows {sorted(in_file)}, not one Version"
    return list(in_file.pop())


def test_the_table_covers_every_resource_class_and_method() -> None:
    classes = resource_classes()
    assert {cls.__name__ for cls in classes} == set(CALLS)
    for cls in classes:
        public = {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}
        assert public == set(CALLS[cls.__name__]), cls.__name__


@pytest.mark.parametrize("cls", resource_classes(), ids=lambda cls: cls.__name__)
def test_each_resource_declares_its_version(cls: type[GHLResource]) -> None:
    assert "version" in vars(cls), f"{cls.__name__} inherits its Version instead of declaring it"
    assert cls.version in (VERSION_2021_07_28, VERSION_2021_04_15)


@pytest.mark.parametrize("cls", resource_classes(), ids=lambda cls: cls.__name__)
def test_the_declared_version_is_the_specs_for_every_operation_called(
    cls: type[GHLResource], sent: tuple[GHLClient, list[httpx.Request]]
) -> None:
    client, requests = sent
    api = cls(client, BearerAuth(ACCESS_TOKEN), *LOCATION_BOUND.get(cls.__name__, ()))  # type: ignore[call-arg]
    spec_file = f"{cls.__module__.rsplit('.', 1)[1]}.json"  # opportunities.py follows apps/opportunities.json
    for name, call in CALLS[cls.__name__].items():
        before = len(requests)
        with contextlib.suppress(GHLInvalidResponseError):  # `{}` is not every operation's answer
            call(api)
        assert len(requests) > before, f"{cls.__name__}.{name} sent nothing"
        for request in requests[before:]:
            op = find_operation(request.method, request.url.path)
            where = f"{cls.__name__}.{name}: {request.method} {op.template}"
            assert Path(op.uri).name == spec_file, f"{where} is in {Path(op.uri).name}, not {spec_file}"
            assert spec_versions(op) == [cls.version], where
            assert request.headers["Version"] == cls.version, where
            assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}", where


def test_the_unversioned_operations_are_in_the_specs() -> None:
    """`UNVERSIONED` names real operations that declare no parameter (so it cannot excuse a typo)."""
    for method, template in UNVERSIONED:
        op = find_operation(method, template.replace("{id}", "x"))
        assert (op.method, op.template) == (method, template)
        assert op.operation.get("parameters") == []


def test_a_resource_without_a_version_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match="must declare its GHL `version`"):
        type("UnversionedAPI", (GHLResource,), {})
