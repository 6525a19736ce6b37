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


def declared_routes(function: str) -> set[tuple[str, str]]:
    """The routes a function's file declares (its resolver's), as the template writes them
    (`("GET", "/locations/{locationId}/pipelines")`): the one declaration the template must match."""
    import importlib.util
    import re

    props = resources("AWS::Serverless::Function")[function]["Properties"]
    code = ROOT / props.get("CodeUri", template()["Globals"]["Function"]["CodeUri"])
    module_file = code / (props["Handler"].rsplit(".", 1)[0] + ".py")
    spec = importlib.util.spec_from_file_location(f"_declared_{function}", module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    return {(r.method, re.sub(r"<(\w+)>", r"{\1}", r.path)) for r in app._static_routes + app._dynamic_routes}
