"""Schemathesis over docs/openapi.json against the local stack: whatever a caller sends, no 5xx
other than the documented 502/503/504, and every response matches the document."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, positive_data_acceptance

from tests.e2e.conftest import Stack, start_stack

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
DOCUMENTED_5XX = {502, 503, 504}


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(tmp_path_factory.mktemp("fuzz"))
    yield stack
    stack.stack.stop()


OPERATIONS = [result.ok() for result in schemathesis.openapi.from_path(DOC).get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS])
def test_no_undocumented_server_error_and_responses_match_the_document(operation: Any, fuzz_stack: Stack) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def check(case: Any) -> None:
        # Half the cases aim at the demo location (the rest at random ids: 403s and 400s), so the
        # fuzzer also reaches the handlers' own validation and GHL (the sandbox).
        rng = random.Random(repr(case.path_parameters))
        if case.path_parameters and "locationId" in case.path_parameters and rng.random() < 0.5:
            case.path_parameters["locationId"] = fuzz_stack.location_id
        headers = {"Authorization": f"Bearer {fuzz_stack.token}"}
        if case.method.upper() == "POST" and rng.random() < 0.9:
            headers["Idempotency-Key"] = str(uuid.uuid4())

        response = case.call(base_url=fuzz_stack.api, headers=headers, timeout=60)

        assert response.status_code < 500 or response.status_code in DOCUMENTED_5XX, response.text
        # Rules the document cannot express (an IANA zone, endTime after startTime, an e-mail address)
        # give 400s with every field named; those are answers, not failures: acceptance is not checked.
        case.validate_response(response, excluded_checks=[not_a_server_error, positive_data_acceptance])

    check()
