"""Identifiers shaped like GHL's, and the opaque secrets the sandbox hands out.

GHL record ids are 20 alphanumerics (`ve9EPM428h8vShlRW1KT`); pipeline stage ids are UUIDs. Ids
come from a seeded `random.Random`, so the demo data and the ids of records created in a test run
are the same on every run. Tokens and codes come from `secrets`: they must not be guessable, and
tests never need to predict them.
"""

from __future__ import annotations

import random
import secrets
import string
import uuid

_ALPHABET = string.ascii_letters + string.digits
ACCESS_TOKEN_PREFIX = "sbx_at_"  # noqa: S105  (a prefix, not a secret)
REFRESH_TOKEN_PREFIX = "sbx_rt_"  # noqa: S105


def ghl_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(20))


def stage_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def access_token() -> str:
    return ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def refresh_token() -> str:
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)


def authorization_code() -> str:
    """40 hex characters, like the codes GHL puts on the install callback."""
    return secrets.token_hex(20)


def trace_id() -> str:
    return str(uuid.uuid4())
