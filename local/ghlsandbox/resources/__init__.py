"""GHL's resource routes by group. Each module's `ROUTES` follows its spec file in `apps/`."""

from __future__ import annotations

from ghlsandbox import oauth
from ghlsandbox.resources import calendars, contacts, conversations, locations, opportunities, tasks, users
from ghlsandbox.routing import Route

ROUTES: tuple[Route, ...] = (
    *oauth.ROUTES,
    *opportunities.ROUTES,
    *contacts.ROUTES,
    *tasks.ROUTES,
    *conversations.ROUTES,
    *calendars.ROUTES,
    *users.ROUTES,
    *locations.ROUTES,
)
"""Every route, literal paths before `{param}` ones of the same method (the first match wins)."""
