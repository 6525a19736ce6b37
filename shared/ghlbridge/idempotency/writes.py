"""Nothing sent twice: every toolkit write runs under Powertools Idempotency, persisted in the token
store (`ghlbridge.idempotency.StorePersistenceLayer`, no boto3, no DynamoDB).

- The key is the caller's user id, the location, the route and the `Idempotency-Key` header value
  (hashed, prefixed by the route's name). Two users, two locations or two routes never share a key.
- Payload validation covers the path ids and the body: the same key for another contact or another
  body is refused (422 `idempotency_key_reused`), the record untouched.
- A repeat within `IDEMPOTENCY_TTL_SECONDS` (24 h) gets the stored answer, and GHL is not called; a
  duplicate while the first is in flight gets 409 `request_in_progress`. The in-flight record
  expires with the invocation's deadline; a repeat after that is never sent again (the first may
  have reached GHL and died, or failed to complete its record): the key is settled with a 504
  `outcome_unknown` answer (`abandoned_outcome`), which every later repeat gets too.
- A send whose record cannot be completed (store locked or down after GHL answered) answers its
  outcome anyway; the layer retries the completion while the deadline allows (see
  `ghlbridge.idempotency.persistence`, which also keeps the stored answers encrypted).
- A send whose outcome is unknown (GHL timeout, 5xx or unreadable 2xx after the POST went out) is
  RETURNED as a 504 `outcome_unknown` answer, not raised: Powertools deletes the record on an
  exception, and a retry would send again. Everything else that fails (a GHL 4xx, a 429, a refused
  token) is raised: the record is deleted, and a corrected retry can go through.
- Powertools' idempotency exceptions become `AppError`s here, at the boundary, so the error table
  (`ghlbridge.error_table.describe`) never imports Powertools' idempotency package.

One `IdempotentWrite` per route, named by what it writes (Powertools configures a persistence layer
once, with the config of the first function that uses it). The route itself is not repeated here:
the key's scope takes it from the request (`RequestContext.route`, API Gateway's route key), so it
is declared once, in the function file (and the template that must match it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from ghlbridge import error_table, factories
from ghlbridge.errors import (
    IdempotencyKeyRequiredError,
    IdempotencyKeyReusedError,
    OutcomeUnknownError,
    RequestInProgressError,
)
from ghlbridge.ghl import GHLError, GHLInvalidResponseError, GHLServerError, GHLTimeoutError
from ghlbridge.idempotency.persistence import IdempotencyConfig, StorePersistenceLayer, idempotent_function
from ghlbridge.observability import logger
from ghlbridge.settings import Settings, get_settings
from ghlbridge.store import StoreUnavailableError
from ghlbridge.toolkit.context import RequestContext, WriteAnswer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# isort: split
# Only after `ghlbridge.idempotency.persistence`, which imports Powertools' idempotency package without boto3.
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

_UNKNOWN = (
    "GHL did not confirm the send, and it may have happened. This answer is kept for this Idempotency-Key; "
    "check the contact in GHL before sending again with a new key."
)

_ABANDONED = (
    "An earlier request with this Idempotency-Key did not finish, and its write may have reached GHL. "
    "This answer is kept for this Idempotency-Key; check the contact in GHL before sending again with a new key."
)
_request_id: ContextVar[str | None] = ContextVar("idempotent_write_request_id", default=None)


def is_outcome_unknown(exc: BaseException) -> bool:
    """A POST to a GHL resource went out and we cannot tell whether GHL acted on it.

    Token calls (`/oauth/...`) are not sends: a timeout minting a token means nothing was sent yet.
    """
    if not isinstance(exc, GHLTimeoutError | GHLServerError | GHLInvalidResponseError):
        return False
    return exc.method == "POST" and not (exc.path or "").startswith("/oauth/")


def unknown_outcome(exc: GHLError, request_id: str | None) -> WriteAnswer:
    """The 504 `outcome_unknown` answer that is stored instead of raising `exc`."""
    details = {"ghlTraceId": exc.trace_id} if exc.trace_id else None
    error = OutcomeUnknownError(_UNKNOWN, details=details)
    reply = error_table.describe(error)
    error_table.log_error(exc, reply)
    return WriteAnswer(reply.status, error_table.error_body(reply, request_id))


def abandoned_outcome() -> dict[str, Any]:
    """The 504 `outcome_unknown` answer stored for a key whose earlier request died in flight
    (`StorePersistenceLayer.unknown_outcome`), in the shape `_perform` returns."""
    reply = error_table.describe(OutcomeUnknownError(_ABANDONED))
    return {"status": reply.status, "body": error_table.error_body(reply, _request_id.get())}


def _perform(*, data: dict[str, Any], attempt: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The function Powertools guards: `data` is hashed for the key, `attempt` does the work."""
    return attempt()


class IdempotentWrite:
    """The idempotency of one write route (`name`, e.g. "notes.create")."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._built: tuple[Settings, IdempotencyConfig, Callable[..., dict[str, Any]]] | None = None

    def _guarded(self) -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
        """Built on first use (the TTL is a setting), again when the settings are rebuilt (tests)."""
        settings = get_settings()
        with self._lock:
            if self._built is None or self._built[0] is not settings:
                config = IdempotencyConfig(
                    event_key_jmespath="scope",
                    payload_validation_jmespath="request",
                    raise_on_no_idempotency_key=True,
                    expires_after_seconds=settings.idempotency_ttl_seconds,
                )
                persistence = StorePersistenceLayer(factories.get_store, unknown_outcome=abandoned_outcome)
                guarded = idempotent_function(
                    _perform,
                    data_keyword_argument="data",
                    persistence_store=persistence,
                    config=config,
                    key_prefix=f"toolkit.{self.name}",
                )
                self._built = (settings, config, guarded)
            return self._built[1], self._built[2]

    def run(
        self, ctx: RequestContext, *, location_id: str, request: dict[str, Any], send: Callable[[], WriteAnswer]
    ) -> WriteAnswer:
        """`send()` once per key; the stored outcome for a repeat. `request` is what must match."""
        if not ctx.idempotency_key:
            raise IdempotencyKeyRequiredError("Send an Idempotency-Key header (e.g. a UUID) with every POST")
        config, guarded = self._guarded()
        if ctx.lambda_context is not None:
            # the in-flight record expires with this invocation (a Lambda context: the domain only types its deadline)
            config.register_lambda_context(cast("LambdaContext", ctx.lambda_context))
        scope = {"user": ctx.caller.user_id, "location": location_id, "route": ctx.route, "key": ctx.idempotency_key}
        ran: list[WriteAnswer] = []

        def attempt() -> dict[str, Any]:
            try:
                outcome = send()
            except GHLError as exc:
                if not is_outcome_unknown(exc):
                    raise  # nothing was done: the record goes, a retry may send
                outcome = unknown_outcome(exc, ctx.request_id)
            ran.append(outcome)
            return {"status": outcome.status, "body": outcome.body}

        token = _request_id.set(ctx.request_id)
        try:
            stored = guarded(data={"scope": scope, "request": request}, attempt=attempt)
        except IdempotencyAlreadyInProgressError:
            raise RequestInProgressError("A request with this Idempotency-Key is in progress; retry later") from None
        except IdempotencyValidationError:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was used for a different request; use a new key for a new write"
            ) from None
        except IdempotencyPersistenceLayerError as exc:
            if ran:  # the write happened; only its record failed. Answering an error would invite a resend.
                cause = type(exc.__cause__).__name__
                logger.error("Idempotency record not completed", extra={"route": ctx.route, "error": cause})
                return ran[0]
            raise StoreUnavailableError("idempotency record unavailable") from exc
        finally:
            _request_id.reset(token)
        if ran:
            return ran[0]
        logger.info("Idempotent replay", extra={"route": ctx.route, "status": stored["status"]})
        return WriteAnswer(int(stored["status"]), dict(stored["body"]), replayed=True)
