"""Each function runs in containers that are processes of their own, as in Lambda: the handler's
module is imported in the container on its first invocation (never in the gateway's process),
then reused, one invocation at a time per container; a busy function gets more containers up to
its bound; different functions run side by side; a container that dies is replaced."""

from __future__ import annotations

import importlib
import itertools
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from gateway import Gateway

from tests.gateway.conftest import EchoApi


def test_handler_module_is_loaded_on_first_request_then_reused(
    echo: httpx.Client, echo_gateway: Gateway, echo_api: EchoApi
) -> None:
    function = echo_gateway.functions["EchoFunction"]
    assert not function.loaded and echo_api.loads() == [] and function.pids == []

    first = echo.get("/plain").json()
    second = echo.get("/items/7").json()

    assert (first["invocations"], second["invocations"]) == (1, 2)  # same module object: warm
    assert first["pid"] == second["pid"] and function.pids == [first["pid"]]
    assert first["pid"] != os.getpid()  # a process of its own
    assert [(load["module"], load["pid"]) for load in echo_api.loads()] == [(function.module_name, first["pid"])]
    assert function.loaded and function.cold_starts == 1 and function.invocations == 2
    assert function.module_name not in sys.modules  # never imported by the gateway's process


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
    assert echo_fn["pid"] != other_fn["pid"]


def slow_runs(gateway: Gateway, count: int) -> list[dict[str, Any]]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client, ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda _: client.get("/slow"), range(count)))
    assert all(a.status_code == 200 for a in answers)
    return sorted((a.json() for a in answers), key=lambda run: run["start"])


def test_one_container_runs_one_invocation_at_a_time(echo_api: EchoApi) -> None:
    with Gateway(echo_api.template, port=0, max_workers=1) as gateway:
        runs = slow_runs(gateway, 2)
        function = gateway.functions["SlowFunction"]
        assert function.invocations == 2 and len(function.pids) == 1

    assert runs[0]["pid"] == runs[1]["pid"]
    assert runs[0]["end"] <= runs[1]["start"]  # the second waited for the first


def test_a_busy_function_gets_more_containers_up_to_its_bound(echo_api: EchoApi) -> None:
    with Gateway(echo_api.template, port=0, max_workers=2) as gateway:
        runs = slow_runs(gateway, 5)
        function = gateway.functions["SlowFunction"]
        pids = function.pids
        assert function.invocations == 5 and len(pids) == 2

    assert {run["pid"] for run in runs} == set(pids)  # both containers served
    for run in runs:  # at no moment more than two invocations at once
        at_once = [r for r in runs if r["start"] <= run["start"] < r["end"]]
        assert len(at_once) <= 2
    for pid in {run["pid"] for run in runs}:  # and never two at once in one container
        own = [r for r in runs if r["pid"] == pid]
        assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(own))


def test_different_functions_run_at_the_same_time(echo_gateway: Gateway) -> None:
    with httpx.Client(base_url=echo_gateway.url, timeout=10) as client, ThreadPoolExecutor(2) as pool:
        a = pool.submit(client.get, "/meet/a")  # MeetAFunction
        b = pool.submit(client.post, "/meet/b")  # MeetBFunction
        results = [a.result().json(), b.result().json()]

    assert results == [{"met": True}, {"met": True}]


def test_a_container_that_dies_is_replaced_and_an_exception_is_not_a_death(
    echo: httpx.Client, echo_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    die = echo_gateway.functions["DieFunction"]
    first = echo.get("/die").json()["pid"]

    crashed = echo.get("/die", params={"exit": "1"})

    assert (crashed.status_code, crashed.json()) == (500, {"message": "Internal Server Error"})
    assert die.pids == []
    assert any(r.exc_info and "ended during an invocation" in str(r.exc_info[1]) for r in caplog.records)
    again = echo.get("/die")
    assert again.status_code == 200 and again.json()["pid"] != first and die.pids == [again.json()["pid"]]

    boom = echo_gateway.functions["BoomFunction"]
    assert echo.get("/boom").status_code == 500
    pids = boom.pids
    assert echo.get("/boom").status_code == 500
    assert len(pids) == 1 and boom.pids == pids  # the same container answered both


def test_stop_ends_every_container(echo_api: EchoApi) -> None:
    with Gateway(echo_api.template, port=0) as gateway, httpx.Client(base_url=gateway.url, timeout=10) as client:
        client.get("/plain")
        client.get("/other")
        processes = [p for f in gateway.functions.values() for p in f.pids]
        assert len(processes) == 2

    for pid in processes:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_handler_module_is_imported_only_in_its_container(
    api: httpx.Client, api_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "gateway")
    api.get("/oauth/authorize")
    function = api_gateway.functions["OAuthFunction"]
    plain = importlib.import_module("app")  # as tests of the handlers import it

    assert function.loaded and function.module_name not in sys.modules
    assert plain.__name__ == "app" and plain.__file__ == str(function.spec.module_path)
    assert any("OAuthFunction: cold start" in r.getMessage() for r in caplog.records)
