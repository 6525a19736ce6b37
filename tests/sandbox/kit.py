"""Helpers for the sandbox tests: a fake clock, a client wrapper that sends the right `Version`
and bearer token, and pickers for records to act on."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from ghlsandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_COMPANY_ID,
    DEMO_LOCATION_ID,
    RESEARCH_OPPORTUNITY_ID,
    VERSION_2021_04_15,
    VERSION_2021_07_28,
    Sandbox,
)
from ghlsandbox.records import Contact, Conversation, CustomField

from tests import leak_guard

SHARED_TLS_CONTEXT = ssl.create_default_context()
"""One TLS context for every test client: the sandbox is plain HTTP, and building a context per
client costs ~0.1 s."""


class FakeClock:
    """Epoch seconds that only move when a test says so (starts at the real time, so free slots
    and booked appointments are in the future as usual)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def version_for(path: str) -> str:
    """The Version header of a path's group (GHL-NOTES §0)."""
    return VERSION_2021_04_15 if path.startswith(("/conversations", "/calendars")) else VERSION_2021_07_28


@dataclass
class Ghl:
    """A sandbox, an httpx client on it, and a Location token for the demo location."""

    sandbox: Sandbox
    http: httpx.Client
    clock: FakeClock
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return str(self.tokens["access_token"])

    def install(self, **authorize: Any) -> dict[str, Any]:
        """Authorize (as the install page does) and exchange the code: the /oauth/token body."""
        code = self.sandbox.authorize(**authorize)
        leak_guard.register(code)
        response = self.http.post(
            "/oauth/token",
            data={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": code,
            },
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        leak_guard.register(body["access_token"], body["refresh_token"])
        return body

    def location_token_from(self, company_token: str, location_id: str = DEMO_LOCATION_ID) -> httpx.Response:
        response = self.http.post(
            "/oauth/locationToken",
            data={"companyId": DEMO_COMPANY_ID, "locationId": location_id},
            headers={"Authorization": f"Bearer {company_token}", "Version": VERSION_2021_07_28},
        )
        if response.status_code == 201:
            leak_guard.register(response.json()["access_token"])
        return response

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """A resource call with the right Version and the demo Location token, unless overridden."""
        headers = {"Version": version_for(path), "Authorization": f"Bearer {token or self.token}"}
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        """A DELETE, with a JSON body when `json=` is given (`httpx.Client.delete` takes none)."""
        return self.request("DELETE", path, **kwargs)


def demo_contacts(sbx: Ghl, location_id: str = DEMO_LOCATION_ID) -> list[Contact]:
    return [c for c in sbx.sandbox.state.data.contacts.values() if c.location_id == location_id]


def contact_without_conversation(sbx: Ghl) -> Contact:
    data = sbx.sandbox.state.data
    return next(c for c in demo_contacts(sbx) if data.conversation_of(c.id) is None)


def free_slot(sbx: Ghl, calendar_id: str, *, days_ahead: int = 7) -> str:
    """The first free slot (ISO with offset) of a calendar, at least `days_ahead` days out."""
    start_ms = int((sbx.clock() + days_ahead * 86_400) * 1000)
    response = sbx.get(
        f"/calendars/{calendar_id}/free-slots", params={"startDate": start_ms, "endDate": start_ms + 7 * 86_400_000}
    )
    assert response.status_code == 200, response.text
    days = {key: value for key, value in response.json().items() if key != "traceId"}
    return str(days[min(days)]["slots"][0])


def contact_field(sbx: Ghl, key: str, location_id: str = DEMO_LOCATION_ID) -> CustomField:
    """A location's contact custom field by its key (`contact.industry`)."""
    found = sbx.sandbox.state.data.custom_field(key, model="contact", location_id=location_id)
    assert found is not None, key
    return found


def research_contact(sbx: Ghl) -> Contact:
    """The contact of `RESEARCH_OPPORTUNITY_ID`."""
    data = sbx.sandbox.state.data
    return data.contacts[data.opportunities[RESEARCH_OPPORTUNITY_ID].contact_id]


def conversation_of(sbx: Ghl, contact: Contact) -> Conversation:
    conversation = sbx.sandbox.state.data.conversation_of(contact.id)
    assert conversation is not None
    return conversation


def history(sbx: Ghl, conversation_id: str, **params: Any) -> dict[str, Any]:
    """One page of `GET /conversations/{id}/messages`: the inner `{lastMessageId, nextPage, messages}`."""
    response = sbx.get(f"/conversations/{conversation_id}/messages", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()["messages"]
    return page


def whole_history(sbx: Ghl, conversation_id: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page, following `lastMessageId` while `nextPage` is true."""
    pages = [history(sbx, conversation_id, **params)]
    while pages[-1]["nextPage"]:
        assert len(pages) < 50, "the history does not end"
        pages.append(history(sbx, conversation_id, **params, lastMessageId=pages[-1]["lastMessageId"]))
    return [page["messages"] for page in pages]
