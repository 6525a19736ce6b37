"""`ghlbridge.http.powertools_patches` against the installed Powertools: these tests fail when an upgrade
renames or moves what the patches touch (then re-read each patch, and bump `CHECKED_AGAINST`), and
show that each patch still takes effect and changes nothing but the time."""

from __future__ import annotations

import importlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.middlewares import openapi_validation
from aws_lambda_powertools.event_handler.openapi.compat import is_scalar_field as powertools_is_scalar_field
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from ghlbridge.http import powertools_patches
from tests.lambda_events import http_event, lambda_context

ROOT = Path(__file__).resolve().parent.parent
TOOLKIT_FUNCTIONS = ["opportunities", "research", "stage", "notes", "writeback", "calls", "emails", "calendars"]


def test_the_patches_were_checked_against_the_installed_and_pinned_powertools() -> None:
    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"aws-lambda-powertools=={powertools_patches.CHECKED_AGAINST}" in pinned
    assert POWERTOOLS_VERSION == powertools_patches.CHECKED_AGAINST, (
        "Powertools changed: re-read ghlbridge.http.powertools_patches against it, then bump CHECKED_AGAINST"
    )


def test_the_names_the_patches_touch_still_exist() -> None:
    assert callable(getattr(openapi_validation, "is_scalar_field", None)), "openapi_validation.is_scalar_field moved"
    assert isinstance(getattr(openapi_validation, "OpenAPIRequestValidationMiddleware", None), type)
    assert isinstance(getattr(openapi_validation, "OpenAPIResponseValidationMiddleware", None), type)
    # toolkit.resolver._SerializeAnswer hands every answer it does not serialize itself to this one
    assert callable(getattr(openapi_validation.OpenAPIResponseValidationMiddleware, "_handle_response", None))


def test_a_fresh_validating_resolver_keeps_its_validation_middlewares_where_the_patches_swap_them() -> None:
    app = APIGatewayHttpResolver(enable_validation=True)

    request = getattr(app, powertools_patches.REQUEST_VALIDATION_ATTRIBUTE, None)
    response = getattr(app, powertools_patches.RESPONSE_VALIDATION_ATTRIBUTE, None)

    assert powertools_patches.REQUEST_VALIDATION_ATTRIBUTE == "_request_validation_middleware"
    assert powertools_patches.RESPONSE_VALIDATION_ATTRIBUTE == "_response_validation_middleware"
    assert type(request) is openapi_validation.OpenAPIRequestValidationMiddleware
    assert type(response) is openapi_validation.OpenAPIResponseValidationMiddleware


class _Recording(openapi_validation.OpenAPIRequestValidationMiddleware):
    def __init__(self, seen: list[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.seen = seen

    def handler(self, app: Any, next_middleware: Any) -> Any:
        self.seen.append("request validation")
        return super().handler(app, next_middleware)


class _RecordingAnswer(openapi_validation.OpenAPIResponseValidationMiddleware):
    def __init__(self, seen: list[str]) -> None:
        super().__init__()
        self.seen = seen

    def handler(self, app: Any, next_middleware: Any) -> Any:
        self.seen.append("response validation")
        return super().handler(app, next_middleware)


def validating_app(seen: list[str]) -> APIGatewayHttpResolver:
    """A fresh resolver with one route of scalar, list and header parameters."""
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.get("/things")  # type: ignore[untyped-decorator]
    def things(
        q: Annotated[str, Query()],
        tag: Annotated[list[str] | None, Query()] = None,
        x_trace: Annotated[str | None, Header(alias="x-trace")] = None,
    ) -> dict[str, Any]:
        seen.append("route")
        return {"q": q, "tag": tag, "trace": x_trace}

    return app


def test_the_swapped_validation_middlewares_are_the_ones_that_run() -> None:
    seen: list[str] = []
    app = validating_app(seen)
    powertools_patches.use_request_validation(app, _Recording(seen))
    powertools_patches.use_response_validation(app, _RecordingAnswer(seen))

    answer = app.resolve(http_event("GET", "/things", query={"q": "x"}), lambda_context())

    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"]) == {"q": "x", "tag": None, "trace": None}
    assert seen == ["request validation", "response validation", "route"]


def test_a_swap_is_refused_when_powertools_keeps_no_validation_middleware() -> None:
    app = APIGatewayHttpResolver()  # validation off: nothing to swap, and the swap would be ignored

    with pytest.raises(RuntimeError, match="_request_validation_middleware"):
        powertools_patches.use_request_validation(app, _Recording([]))
    with pytest.raises(RuntimeError, match="_response_validation_middleware"):
        powertools_patches.use_response_validation(app, _RecordingAnswer([]))


def test_request_validation_looks_up_is_scalar_field_where_the_patch_replaces_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    powertools_patches.remember_scalar_checks()
    asked: list[str] = []
    patched = openapi_validation.is_scalar_field  # type: ignore[attr-defined]

    def spy(field: Any) -> bool:
        asked.append(field.alias)
        return bool(patched(field))

    monkeypatch.setattr(openapi_validation, "is_scalar_field", spy)
    app = validating_app([])

    event = http_event("GET", "/things", query={"q": "x", "tag": "a"}, headers={"x-trace": "t1"})
    answer = app.resolve(event, lambda_context())

    assert json.loads(answer["body"]) == {"q": "x", "tag": ["a"], "trace": "t1"}
    assert {"q", "tag", "x-trace"} <= set(asked), "Powertools no longer asks openapi_validation.is_scalar_field"


def test_remembering_scalar_checks_is_done_once() -> None:
    powertools_patches.remember_scalar_checks()
    first = openapi_validation.is_scalar_field  # type: ignore[attr-defined]
    powertools_patches.remember_scalar_checks()

    assert openapi_validation.is_scalar_field is first  # type: ignore[attr-defined]
    assert getattr(first, "remembered", False)


def route_params(module: str) -> list[Any]:
    app = importlib.import_module(module).app  # imports the function, and so the toolkit resolver
    return [
        param
        for route in [*app._static_routes, *app._dynamic_routes]
        for param in (*route.dependant.path_params, *route.dependant.query_params, *route.dependant.header_params)
    ]


@pytest.mark.parametrize("module", TOOLKIT_FUNCTIONS)
def test_remembered_scalar_checks_answer_as_powertools(module: str) -> None:
    params = route_params(module)
    patched = openapi_validation.is_scalar_field  # type: ignore[attr-defined]
    assert getattr(patched, "remembered", False), "the toolkit resolver no longer remembers scalar checks"
    assert params
    for _ in range(2):  # the first answer is computed, the second remembered
        assert [patched(p) for p in params] == [powertools_is_scalar_field(p) for p in params]
