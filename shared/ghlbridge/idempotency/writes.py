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
  `outcome_unknown` answer (`guard.abandoned_outcome`), which every later repeat gets too.
- A send whose record cannot be completed (store locked or down after GHL answered) answers its
  outcome anyway; the layer retries the completion while the deadline allows (see
  `ghlbridge.idempotency.persistence`, which also keeps the stored answers encrypted).
- A send whose outcome is unknown (GHL timeout, 5xx or unreadable 2xx after the POST went out) is
  RETURNED as a 504 `outcome_unknown` answer, not raised: Powertools deletes the record on an
  exception, and a retry would send again. Everything else that fails (a GHL 4xx, a 429, a refused
  token) is raised: the record is deleted, and a corrected retry can go through.
- Powertools' idempotency exceptions become `AppError`s here, at the boundary, so the error table
  (`ghlbridge.error_table.describe`) never imports Powertools' idempotency package.

One `IdempotentWrite` per route, named by what it writes; its Powertools guard (config and
persistence layer, `ghlbridge.idempotency.guard`) comes from `factories.get_write_guard(name)`,
built on first use and reset with the other factories. The route itself is not repeated here:
the key's scope takes it from the request (`RequestContext.route`, API Gateway's route key), so it
is declared once, in the function file (and the template that must match it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ghlbridge import error_table, factories
from ghlbridge.errors import (
    IdempotencyKeyRequiredError,
    IdempotencyKeyReusedError,
    OutcomeUnknownError,
    RequestInProgressError,
)
from ghlbridge.ghl import GHLError, GHLInvalidResponseError, GHLServerError, GHLTimeoutError
from ghlbridge.idempotency.guard import request_id as _request_id
from ghlbridge.observability import logger
from ghlbridge.store import StoreUnavailableError
from ghlbridge.toolkit.context import RequestContext, WriteAnswer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# isort: split
# Only after `ghlbridge.idempotency.guard` (its `persistence`): Powertools idempotency without boto3.
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

_UNKNOWN = (
    "GHL did not confirm the send, and it may have happened. This answer is kept for this Idempotency-Key; "
    "check the contact in GHL before sending again with a new key."
)


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


class IdempotentWrite:
    """The idempotency of one write route (`name`, e.g. "notes.create")."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(
        self, ctx: RequestContext, *, location_id: str, request: dict[str, Any], send: Callable[[], WriteAnswer]
    ) -> WriteAnswer:
        """`send()` once per key; the stored outcome for a repeat. `request` is what must match."""
        if not ctx.idempotency_key:
            raise IdempotencyKeyRequiredError("Send an Idempotency-Key header (e.g. a UUID) with every POST")
        config, guarded = factories.get_write_guard(self.name)
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
