"""Where this layer reaches past Powertools' public API, all in one place.

Each function below is one patch: why it exists, what in Powertools it touches, and how that looked
in the release it was checked against, `CHECKED_AGAINST` (the version `pyproject.toml` pins).
`tests/test_powertools_patches.py` fails when an upgrade renames or moves anything touched here, and
when the installed Powertools is not `CHECKED_AGAINST`: re-read each patch against the new release's
source, then bump the constant.

Used by `ghlbridge.http.resolver.make_resolver` (request validation) and `ghlbridge.http.toolkit_resolver`
(request and response validation, scalar checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aws_lambda_powertools.event_handler.middlewares import openapi_validation
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
    OpenAPIResponseValidationMiddleware,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.openapi.compat import ModelField

CHECKED_AGAINST: Final = "3.37.0"
"""The aws-lambda-powertools release every patch here was read against."""

REQUEST_VALIDATION_ATTRIBUTE: Final = "_request_validation_middleware"
RESPONSE_VALIDATION_ATTRIBUTE: Final = "_response_validation_middleware"


def use_request_validation(app: APIGatewayHttpResolver, middleware: OpenAPIRequestValidationMiddleware) -> None:
    """Run `middleware` (a subclass of Powertools' request validation) in its place on every route.

    Why: request validation is the FIRST middleware of every route's stack, ahead of router and user
    middlewares, and Powertools has no public hook to put anything before it. Subclassing it and
    swapping the instance is how the caller check (401), the body checks (413, 415, unreadable JSON)
    and the Idempotency-Key check (400) run before any parsing.

    Powertools 3.37.0: `APIGatewayHttpResolver(enable_validation=True).__init__` stores an
    `OpenAPIRequestValidationMiddleware()` in the private `app._request_validation_middleware`;
    `Route._build_middleware_stack`, on a route's first request, puts whatever that attribute then
    holds first in the route's stack. So the swap must happen before the first request (at resolver
    construction), and it is refused, rather than silently ignored, if the attribute is gone.
    """
    _replace(app, REQUEST_VALIDATION_ATTRIBUTE, OpenAPIRequestValidationMiddleware, middleware)


def use_response_validation(app: APIGatewayHttpResolver, middleware: OpenAPIResponseValidationMiddleware) -> None:
    """Run `middleware` (a subclass of Powertools' response validation) in its place on every route.

    Why: the toolkit serializes a route's declared answer model once with pydantic instead of
    Powertools' validate, dump to dict, `json.dumps` (`toolkit.resolver._SerializeAnswer`, which
    hands every other answer to Powertools' own `_handle_response`).

    Powertools 3.37.0: the same mechanism as `use_request_validation`, with the private
    `app._response_validation_middleware`, placed last before the route handler.
    """
    _replace(app, RESPONSE_VALIDATION_ATTRIBUTE, OpenAPIResponseValidationMiddleware, middleware)


def remember_scalar_checks() -> None:
    """Make Powertools ask once per parameter whether it is a scalar, not on every request.

    Why: its request validation calls `is_scalar_field` for every declared query and header
    parameter of the route on every request, and the answer (a walk over the parameter's type
    annotation) can only change when the route does. On the opportunity search (seven query
    parameters) that walk took about 50 µs a request, an eighth of the warm time spent outside GHL.
    The check is pure, so remembering it per parameter object changes nothing else.

    Powertools 3.37.0: `middlewares/openapi_validation.py` does
    `from ...openapi.dependant import is_scalar_field` (itself `openapi.compat.is_scalar_field`)
    and looks that module global up at request time (`_normalize_multi_params`); replacing the
    global is the patch. Process-wide and idempotent.
    """
    check = openapi_validation.is_scalar_field  # type: ignore[attr-defined]  # imported there, not exported
    if getattr(check, "remembered", False):
        return
    known: dict[int, tuple[ModelField, bool]] = {}

    def is_scalar_field(field: ModelField) -> bool:
        hit = known.get(id(field))
        if hit is None or hit[0] is not field:
            hit = known[id(field)] = (field, check(field))
        return hit[1]

    is_scalar_field.remembered = True  # type: ignore[attr-defined]
    openapi_validation.is_scalar_field = is_scalar_field  # type: ignore[attr-defined]


def _replace(app: APIGatewayHttpResolver, attribute: str, expected: type, middleware: object) -> None:
    current = getattr(app, attribute, None)
    if not isinstance(current, expected):
        raise RuntimeError(
            f"Powertools keeps no {expected.__name__} in {attribute} (checked against {CHECKED_AGAINST}):"
            " build the resolver with enable_validation=True, or re-check ghlbridge.http.powertools_patches"
        )
    setattr(app, attribute, middleware)
