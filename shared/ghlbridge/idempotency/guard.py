"""The Powertools guard of one write route: its `IdempotencyConfig` and the guarded function,
built once per route name and settings by `factories.get_write_guard` (the TTL is a setting).

Kept apart from `writes` so the factory can build it without importing the module that uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple

from ghlbridge import error_table
from ghlbridge.errors import OutcomeUnknownError
from ghlbridge.idempotency.persistence import IdempotencyConfig, StorePersistenceLayer, idempotent_function

if TYPE_CHECKING:
    from ghlbridge.store.base import IdempotencyStore
    from ghlbridge.tokens.crypto import TokenCipher

_ABANDONED = (
    "An earlier request with this Idempotency-Key did not finish, and its write may have reached GHL. "
    "This answer is kept for this Idempotency-Key; check the contact in GHL before sending again with a new key."
)

request_id: ContextVar[str | None] = ContextVar("idempotent_write_request_id", default=None)
"""The request id the abandoned answer carries (set by `IdempotentWrite.run` around the guarded call)."""


class WriteGuard(NamedTuple):
    config: IdempotencyConfig
    guarded: Callable[..., dict[str, Any]]


def abandoned_outcome() -> dict[str, Any]:
    """The 504 `outcome_unknown` answer stored for a key whose earlier request died in flight
    (`StorePersistenceLayer.unknown_outcome`), in the shape `_perform` returns."""
    reply = error_table.describe(OutcomeUnknownError(_ABANDONED))
    return {"status": reply.status, "body": error_table.error_body(reply, request_id.get())}


def _perform(*, data: dict[str, Any], attempt: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The function Powertools guards: `data` is hashed for the key, `attempt` does the work."""
    return attempt()


def build_guard(
    name: str,
    get_store: Callable[[], IdempotencyStore],
    get_cipher: Callable[[], TokenCipher],
    *,
    ttl_seconds: int,
) -> WriteGuard:
    """A fresh config and persistence layer for route `name` (Powertools configures a layer once)."""
    config = IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=ttl_seconds,
    )
    persistence = StorePersistenceLayer(get_store, unknown_outcome=abandoned_outcome, cipher=get_cipher)
    guarded = idempotent_function(
        _perform,
        data_keyword_argument="data",
        persistence_store=persistence,
        config=config,
        key_prefix=f"toolkit.{name}",
    )
    return WriteGuard(config, guarded)
