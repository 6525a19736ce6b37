"""template.yaml as data, for tests that derive their AWS resources and routes from it.

The loader is the local gateway's (`gateway.template`), so tests and the gateway read
CloudFormation's short-form tags (`!Ref X` → `{"Ref": "X"}`) the same way."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from gateway.template import load_template

ROOT = Path(__file__).resolve().parent.parent


@cache
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}
