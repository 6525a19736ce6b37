"""What `make dev` keeps across restarts, and what it leaves behind: the sandbox's OAuth tokens
are kept as they change, so a stack killed hard comes back connected; stopping (Ctrl-C) or
killing it leaves no function container running."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import start_stack
from tests.template_yaml import ROOT


def test_tokens_rotated_by_a_stack_that_never_stopped_are_known_to_the_next_one(
    make_stack: Any, tmp_path: Path
) -> None:
    first = make_stack()
    first.sandbox.expire_tokens()  # the next call refreshes: the refresh token rotates
    assert first.get(f"/locations/{first.location_id}/pipelines").status_code == 200
    tokens_file = tmp_path / ".dev" / "sandbox-tokens.json"
    saved = json.loads(tokens_file.read_text())
    assert saved["spent_refresh"] and tokens_file.stat().st_mode & 0o777 == 0o600

    second = start_stack(tmp_path)  # the first never stopped, so never saved on stop
    try:
        assert second.location_id == first.location_id
        assert [r for r in second.ghl_requests() if "chooselocation" in r["path"]] == []  # no new install
        second.sandbox.expire_tokens()
        answer = second.get(f"/locations/{second.location_id}/opportunities", params={"limit": 2})
        assert answer.status_code == 200, answer.text
        statuses = {i["id"]: i["status"] for i in second.get("/locations").json()["items"]}
        assert statuses[second.location_id] == "connected"
    finally:
        second.stack.stop()


# --- `python -m devstack` as `make dev` runs it --------------------------------------------------
class DevProcess:
    def __init__(self, dev_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GHL_", "SUPABASE_", "TOKEN_", "SQLITE_"))}
        env |= {"PYTHONPATH": "shared:local", "PORT": "0", "SANDBOX_PORT": "0", "DEV_DIR": str(dev_dir)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # a process group of its own, as a terminal's foreground job
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
        banner = ""
        deadline = time.monotonic() + 90
        while "Try:" not in banner:
            banner += lines.get(timeout=max(0.1, deadline - time.monotonic()))
        self.api = re.search(r"API\s+(http://\S+)", banner).group(1)  # type: ignore[union-attr]
        self.ghl = re.search(r"GHL\s+(http://\S+)", banner).group(1)  # type: ignore[union-attr]
        self.token = (dev_dir / "token").read_text().strip()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.api}{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kwargs)

    def workers(self) -> list[int]:
        """The processes whose parent is the stack (the functions' containers)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def test_killed_hard_it_comes_back_connected_and_ctrl_c_leaves_no_worker(tmp_path: Path) -> None:
    dev_dir = tmp_path / ".dev"
    first = DevProcess(dev_dir)
    try:
        location_id = next(i["id"] for i in first.get("/locations").json()["items"] if i["status"] == "connected")
        httpx.post(f"{first.ghl}/_sandbox/expire-tokens", timeout=10)
        assert first.get(f"/locations/{location_id}/pipelines").status_code == 200  # refreshed: rotated
        workers = first.workers()
        assert workers
    finally:
        first.process.kill()  # kill -9: no stop(), no save on the way out
        first.process.wait(timeout=10)
    assert wait_gone(workers) == []  # the containers leave once their gateway is gone

    second = DevProcess(dev_dir)
    try:
        requests = httpx.get(f"{second.ghl}/_sandbox/requests", timeout=10).json()["requests"]
        assert [r for r in requests if "chooselocation" in r["path"]] == []  # connected, not reinstalled
        statuses = {i["id"]: i["status"] for i in second.get("/locations").json()["items"]}
        assert statuses == {location_id: "connected"}
        assert second.get(f"/locations/{location_id}/opportunities", params={"limit": 2}).status_code == 200
        workers = second.workers()
        assert workers
        os.killpg(second.process.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group gets it
        assert second.process.wait(timeout=30) == 0
    finally:
        if second.process.poll() is None:
            second.process.kill()
    assert wait_gone(workers, seconds=2) == []
