"""A TypeScript client generated from docs/openapi.json is typed as the API answers.

openapi-typescript generates `schema.d.ts` from the document, and `tsc --strict` checks
`tests/typescript/client.ts` against it with openapi-fetch: typed path, query, header and body
parameters, answers whose fields are required (nullable where null), closed enums (each
`@ts-expect-error` there must BE an error), one page shape, and errors discriminated by `code`
with their typed `details`. The npm packages are pinned in tests/typescript/package-lock.json and
installed by `make ts-tools` (`npm ci`), which `make test` runs first.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.template_yaml import ROOT

HERE = ROOT / "tests" / "typescript"
BIN = HERE / "node_modules" / ".bin"

pytestmark = pytest.mark.skipif(
    # `make test` installs them first (`make ts-tools`), so under CI a missing tool is a failure, not a skip.
    os.environ.get("CI") != "true" and (not (BIN / "tsc").exists() or shutil.which("node") is None),
    reason="the TypeScript tools are not installed: run `make ts-tools`",
)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=HERE, capture_output=True, text=True, timeout=300)


def test_the_generated_client_type_checks_the_toolkit_s_calls() -> None:
    generated = run(str(BIN / "openapi-typescript"), str(ROOT / "docs" / "openapi.json"), "-o", "build/schema.d.ts")
    assert generated.returncode == 0, generated.stdout + generated.stderr

    checked = run(str(BIN / "tsc"), "--noEmit", "--strict", "-p", "tsconfig.json")

    assert checked.returncode == 0, checked.stdout + checked.stderr
