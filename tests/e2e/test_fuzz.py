"""Schemathesis over docs/openapi.json against the local stack (gateway + handlers + GHL sandbox):
whatever a caller sends, no server error, no status the document does not list, and every answer
matching its schema.

The run is schemathesis' own engine (`st run`), with all four of its phases: the document's
examples, coverage (boundary values of every constraint), fuzzing (random valid and invalid data)
and stateful (chains of calls following the links it infers between operations). The seed is
fixed, so a failure reproduces; the `locationId` path parameter is pinned to the demo location the
stack installed (a random one is only ever a 403, which the other phases already cover), and every
request carries the dev user's JWT. Its report lands in the test's temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "openapi.json"
SEED = 20261204
PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)
MAX_EXAMPLES = 25

CONFIG = """\
[parameters]
"path.locationId" = "${FUZZ_LOCATION_ID}"
"""


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    from tests.e2e.conftest import start_stack

    stack = start_stack(tmp_path_factory.mktemp("fuzz"))
    yield stack  # type: ignore[misc]
    stack.stack.stop()


@pytest.mark.timeout(900)  # every route, four phases: minutes, not the suite's 120 s per test
def test_no_server_error_no_undocumented_status_and_every_answer_matches_the_document(
    fuzz_stack: Stack, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    env = os.environ | {"FUZZ_LOCATION_ID": fuzz_stack.location_id, "SCHEMATHESIS_HOOKS": ""}
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config),
        "run",
        str(DOC),
        "--url",
        fuzz_stack.api,
        "--header",
        f"Authorization: Bearer {fuzz_stack.token}",
        "--phases",
        PHASES,
        "--checks",
        CHECKS,
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--request-timeout",
        "30",
        "--max-redirects",
        "0",  # the OAuth callback answers every input with a 302 to the toolkit, which is not running
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]

    # in the test's own folder: schemathesis keeps a cache of past crashes where it runs, and a run
    # must neither replay an earlier one's nor leave files in the project
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, check=False, cwd=tmp_path)

    summary = run.stdout[-6000:].replace(fuzz_stack.token, "<dev JWT>")
    assert run.returncode == 0, summary
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):  # each ran and passed (not skipped)
        assert f"✅ {phase}" in run.stdout, summary
