"""Cold import time of every Lambda handler in template.yaml, against a baseline from the same run.

For each AWS::Serverless::Function the handler module is imported in a fresh interpreter with
PYTHONPATH=shared:<CodeUri> (the layer and the function code, as /opt/python and /var/task are
in Lambda), the function's environment from the template (parameters at their defaults) and no
AWS credentials. The baseline is a fresh interpreter importing what any handler here needs at
least: httpx, pydantic and Powertools' APIGatewayHttpResolver. Target: every handler within
baseline + 100 ms (median of --runs runs). Exit 1 when a handler misses it or fails to import.

    python bench/cold_import.py [--runs 9] [--template template.yaml]

Not a test (timings depend on the machine); `make bench` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
# `import pydantic` alone is lazy and loads almost nothing; `from pydantic import BaseModel` is what
# "importing pydantic" costs any code that defines a model (≈ 233 ms in all, as DEVELOPERS.md measured).
BASELINE_IMPORTS = (
    "import httpx; from pydantic import BaseModel; "
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver"
)

# Run in the child: time the import, then say whether boto3 came along.
PROBE = """
import json, sys, time
t = time.perf_counter()
{imports}
elapsed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "boto3": "boto3" in sys.modules}}))
"""


@dataclass
class Function:
    name: str
    code_uri: str
    handler: str
    env: dict[str, str]

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def module_file(self) -> Path:
        base = ROOT / self.code_uri / self.module.replace(".", "/")
        return base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"


def functions(template_path: Path) -> list[Function]:
    """Every function of the template, read by the local gateway's reader (`local/gateway/template.py`,
    the one reader of template.yaml), with the environment values knowable without deploying."""
    sys.path.insert(0, str(ROOT / "local"))
    from gateway.template import NO_VALUE, Template, Unresolvable

    template = Template.read(template_path)
    found = []
    for spec in template.functions.values():
        env = {}
        for key, node in spec.environment.items():
            try:
                value = template.resolver.value(node)
            except Unresolvable:
                continue
            if value is not NO_VALUE:
                env[key] = str(value).lower() if isinstance(value, bool) else str(value)
        code_uri = spec.code_dir.relative_to(template.root).as_posix()
        found.append(Function(spec.name, code_uri, spec.handler, env))
    return found


def _clean_env(extra: dict[str, str], pythonpath: str) -> dict[str, str]:
    env = {k: v for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if (v := os.environ.get(k))}
    env.update(
        {
            "PYTHONPATH": pythonpath,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            # Make sure nothing can find credentials, even via ~/.aws.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    env.update(extra)
    return env


def _probe(imports: str, env: dict[str, str]) -> tuple[float, bool]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(last)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), bool(result["boto3"])


def measure_interleaved(targets: dict[str, tuple[str, dict[str, str]]], runs: int) -> dict[str, tuple[float, bool]]:
    """Median seconds per target over `runs` rounds. Each round imports every target once, in turn,
    so a busy machine slows the baseline and the handlers alike (the delta is what we report).
    One unrecorded warm-up per target first (it writes the .pyc files)."""
    samples: dict[str, list[float]] = {name: [] for name in targets}
    boto3 = dict.fromkeys(targets, False)
    for imports, env in targets.values():
        _probe(imports, env)
    for _ in range(runs):
        for name, (imports, env) in targets.items():
            seconds, loaded = _probe(imports, env)
            samples[name].append(seconds)
            boto3[name] = boto3[name] or loaded
    return {name: (statistics.median(values), boto3[name]) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh interpreters per module (min 7)")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    args = parser.parse_args(argv)
    runs = max(args.runs, 7)

    fns = functions(args.template)
    targets = {"": (BASELINE_IMPORTS, _clean_env({"POWERTOOLS_SERVICE_NAME": "baseline"}, "shared"))}
    errors: dict[str, str] = {}
    for fn in fns:
        if fn.module_file.exists():
            env = _clean_env(fn.env, f"shared{os.pathsep}{fn.code_uri}")
            try:
                _probe(f"import {fn.module}", env)
            except RuntimeError as exc:
                errors[fn.name] = str(exc)
                continue
            targets[fn.name] = (f"import {fn.module}", env)
    results = measure_interleaved(targets, runs)
    baseline_ms = results[""][0] * 1000

    version = sys.version.split()[0]
    print(f"Cold import, median of {runs} fresh interpreters (interleaved rounds), {sys.executable} (Python {version})")
    print(f"Baseline `{BASELINE_IMPORTS}`: {baseline_ms:.1f} ms; target: baseline + {TARGET_MS:.0f} ms\n")
    print("| function | handler | median ms | baseline ms | delta ms | target | boto3 loaded |")
    print("|---|---|---:|---:|---:|---|---|")
    failed = missing = 0
    for fn in fns:
        row = f"| {fn.name} | `{fn.code_uri}/{fn.handler}` |"
        if not fn.module_file.exists():
            missing += 1
            print(f"{row} missing | {baseline_ms:.1f} | - | missing | - |")
            continue
        if fn.name in errors:
            failed += 1
            print(f"{row} error | {baseline_ms:.1f} | - | FAIL ({errors[fn.name]}) | - |")
            continue
        seconds, boto3 = results[fn.name]
        ms = seconds * 1000
        delta = ms - baseline_ms
        ok = delta <= TARGET_MS
        failed += not ok
        verdict = "pass" if ok else "FAIL"
        print(f"{row} {ms:.1f} | {baseline_ms:.1f} | {delta:+.1f} | {verdict} | {'yes' if boto3 else 'no'} |")

    if missing:
        print(f"\n{missing} handler module(s) missing (not written yet?): not measured.")
    if failed:
        print(f"\n{failed} handler(s) miss the target (baseline + {TARGET_MS:.0f} ms) or fail to import.")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
