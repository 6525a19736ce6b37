"""Each function is one warm container: loaded lazily under a module name of its own, then
reused, one invocation at a time; different functions run side by side."""

from __future__ import annotations

import importlib
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from gateway import Gateway

from tests.gateway.conftest import EchoApi


def test_handler_module_is_loaded_on_first_request_then_reused(
    echo: httpx.Client, echo_gateway: Gateway, echo_api: EchoApi
) -> None:
    function = echo_gateway.functions["EchoFunction"]
    assert not function.loaded and echo_api.loads() == []

    first = echo.get("/plain").json()
    second = echo.get("/items/7").json()

    assert (first["invocations"], second["invocations"]) == (1, 2)  # same module object: warm
    assert [load["module"] for load in echo_api.loads()] == [function.module_name]
    assert sys.modules[function.module_name] is function.module


def test_same_module_name_in_two_code_uris_loads_twice_under_unique_names(
    echo: httpx.Client, echo_api: EchoApi
) -> None:
    echo_fn = echo.get("/plain").json()
    other_fn = echo.get("/other").json()

    assert echo_fn["file"] == str(echo_api.root / "fn" / "echo.py")
    assert other_fn["file"] == str(echo_api.root / "other" / "echo.py")
    assert echo_fn["module"] != other_fn["module"]
    assert "echo" not in {echo_fn["module"], other_fn["module"]}
    assert (echo_fn["invocations"], other_fn["invocations"]) == (1, 1)  # no shared state


def test_two_requests_to_one_function_are_serialized(echo_gateway: Gateway) -> None:
    with httpx.Client(base_url=echo_gateway.url, timeout=10) as client, ThreadPoolExecutor(2) as pool:
        runs = sorted(
            (r.json() for r in pool.map(lambda _: client.get("/slow"), range(2))), key=lambda run: run["start"]
        )

    assert len(runs) == 2
    assert runs[0]["end"] <= runs[1]["start"]  # the second waited for the first
    assert echo_gateway.functions["SlowFunction"].invocations == 2


def test_different_functions_run_at_the_same_time(echo_gateway: Gateway) -> None:
    with httpx.Client(base_url=echo_gateway.url, timeout=10) as client, ThreadPoolExecutor(2) as pool:
        a = pool.submit(client.get, "/meet/a")  # MeetAFunction
        b = pool.submit(client.post, "/meet/b")  # MeetBFunction
        results = [a.result().json(), b.result().json()]

    assert results == [{"met": True}, {"met": True}]


def test_plain_imports_of_handler_modules_keep_working(api: httpx.Client, api_gateway: Gateway) -> None:
    api.get("/oauth/authorize")
    served = api_gateway.functions["OAuthFunction"].module
    plain = importlib.import_module("app")  # as tests of the handlers import it

    assert served is not None and served.__name__ != "app"
    assert plain is not served and plain.app is not served.app
    assert plain.__file__ == served.__file__
