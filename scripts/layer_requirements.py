"""Write shared/requirements.txt (the Lambda layer's pip input) from pyproject.toml.

pyproject.toml is the one source of dependencies; `python scripts/layer_requirements.py --check`
exits 1 when the generated file is stale (tests/test_requirements.py runs the same check).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "shared" / "requirements.txt"
HEADER = "# Generated from pyproject.toml [project.dependencies] by scripts/layer_requirements.py. Do not edit.\n"


def render() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return HEADER + "".join(f"{dep}\n" for dep in sorted(deps, key=str.lower))


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make requirements`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
