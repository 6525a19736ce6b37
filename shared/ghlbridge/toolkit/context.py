"""What a toolkit route hands to the domain, and what a write hands back: no HTTP framework here.

The HTTP adapter (`ghlbridge.http.toolkit_resolver`) builds a `RequestContext` (with the verified
`Caller`) from the request and turns a `WriteAnswer` into the response; the domain modules
(`opportunities`, `notes`, `emails`, ...) see only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from ghlbridge.deadline import LambdaContextLike


class Caller(BaseModel):
    """The authenticated toolkit user (the HTTP edge verifies their JWT: `ghlbridge.http.caller`)."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    email: str | None = None
    role: str = ""


@dataclass(frozen=True)
class RequestContext:
    """Who is asking, and what the layer needs of the invocation."""

    caller: Caller
    request_id: str | None
    route: str = ""  # the API's route key, e.g. "POST /locations/{locationId}/appointments"
    success_status: int = 200  # the status the route declares for success (its decorator's status_code)
    lambda_context: LambdaContextLike | None = field(default=None, repr=False)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class WriteAnswer:
    """The answer of a write: what is stored under its Idempotency-Key and replayed. A write that
    succeeded answers `ctx.success_status`: the status is stated once, by the route's declaration."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
