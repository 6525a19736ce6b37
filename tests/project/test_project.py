"""The project's own wiring: generated files are fresh, and template.yaml names real handlers."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest

from tests.template_yaml import ROOT, resources, template

FUNCTIONS = resources("AWS::Serverless::Function")


def test_layer_requirements_are_generated_from_pyproject() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "layer_requirements.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_handler_exists_and_uses_the_layer(name: str) -> None:
    props = {**template()["Globals"]["Function"], **FUNCTIONS[name]["Properties"]}
    module_name, attr = props["Handler"].rsplit(".", 1)
    code_dir = ROOT / props["CodeUri"]

    assert (code_dir / f"{module_name}.py").is_file()
    module = importlib.import_module(module_name)  # functions/oauth is on pytest's pythonpath
    assert callable(getattr(module, attr))
    assert {"Ref": "SharedLayer"} in props["Layers"]
    assert props["Runtime"] == "python3.13"


def http_routes() -> list[tuple[str, str, str]]:
    routes = []
    for name, fn in FUNCTIONS.items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi" and "Path" in event["Properties"]:  # not the catch-all `$default`
                routes.append((name, event["Properties"]["Method"], event["Properties"]["Path"]))
    return routes


@pytest.mark.parametrize(("name", "method", "path"), http_routes())
def test_every_api_route_is_served_by_its_handler(name: str, method: str, path: str) -> None:
    """Each template route is a route of the function's resolver (not its 404). A template path
    parameter `{name}` is the resolver's `<name>`."""
    module = importlib.import_module(FUNCTIONS[name]["Properties"]["Handler"].rsplit(".", 1)[0])
    served = {(r.method, r.rule.pattern) for r in module.app._static_routes + module.app._dynamic_routes}
    rule = re.sub(r"\{(\w+)\}", r"<\1>", path)
    assert any(m == method and module.app._compile_regex(rule).pattern == p for m, p in served)


def test_the_readme_names_every_route_the_function_files_declare() -> None:
    """A route is declared once, in its function file; the template (tests/toolkit/test_template.py,
    test_every_api_route_is_served_by_its_handler), the document (scripts/openapi.py) and the
    README's tables are checked against it."""
    from tests.template_yaml import ROOT, declared_routes

    readme = (ROOT / "README.md").read_text()
    missing = [
        f"{method} {path}"
        for name in sorted(FUNCTIONS)
        if any(e["Type"] == "HttpApi" for e in (FUNCTIONS[name]["Properties"].get("Events") or {}).values())
        for method, path in sorted(declared_routes(name))
        if f"`{method} {path}`" not in readme
    ]
    assert not missing, f"README.md does not name: {missing}"
