"""The local stack: GHL sandbox (or real GHL) + the local API gateway + the embedded token store.

Mode is chosen from the environment, as the README says:
- GHL: the sandbox, unless `GHL_CLIENT_ID` and `GHL_CLIENT_SECRET` are set (then real GHL);
- store: SQLite in `.dev/`, unless `SUPABASE_URL` is set (then Supabase, with
  `SUPABASE_SERVICE_ROLE_KEY`).
In sandbox mode the demo location is installed through the real OAuth routes (authorize → the
sandbox's install page → callback), once; a second start reuses the stored installation.

The sandbox's OAuth tokens are written to `.dev/sandbox-tokens.json` (mode 0600, replaced
atomically) each time the sandbox issues, spends or expires one, so the tokens in the store and
the tokens the sandbox knows stay a pair even when `make dev` is killed (kill -9, a closed
terminal): the next start reads the file and the demo location is still connected.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from devstack.docs import add_docs_routes
from devstack.keys import DevSecrets, load_or_create

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StackConfig:
    root: Path = ROOT
    dev_dir: Path = ROOT / ".dev"
    api_port: int = 3000
    sandbox_port: int = 3001
    toolkit_origin: str = "http://localhost:5173"
    sandbox_overrides: dict[str, Any] = field(default_factory=dict)  # SandboxConfig fields (tests: short TTLs)
    workers_per_function: int = 4  # the gateway's containers per function at most


class DevStack:
    def __init__(self, config: StackConfig | None = None, environ: Mapping[str, str] | None = None) -> None:
        self.config = config or StackConfig()
        self._environ = dict(os.environ if environ is None else environ)
        self._replaced: dict[str, str | None] = {}  # what `start` set in os.environ, and what was there
        self.sandbox: Any = None
        self.gateway: Any = None
        self.secrets: DevSecrets | None = None

    # --- mode -------------------------------------------------------------------------------------
    @property
    def uses_sandbox(self) -> bool:
        return not (self._environ.get("GHL_CLIENT_ID") and self._environ.get("GHL_CLIENT_SECRET"))

    @property
    def uses_supabase(self) -> bool:
        return bool(self._environ.get("SUPABASE_URL"))

    @property
    def api_url(self) -> str:
        return self.gateway.url if self.gateway else f"http://127.0.0.1:{self.config.api_port}"

    def app_environment(self) -> dict[str, str]:
        """The settings the functions run with (ghlbridge.settings reads them from the environment)."""
        assert self.secrets is not None
        dev = self.config.dev_dir
        env = {
            "TOKEN_STORE": "supabase" if self.uses_supabase else "sqlite",
            "SQLITE_PATH": str(dev / "tokens.sqlite3"),
            "PARKING_DIR": str(dev / "parked"),
            "PARKING_QUEUE_URL": "",
            "REAUTH_EVENT_BUS": "",  # never AWS locally: the reauthorization event is a log line
            "APP_SECRET_ID": "",
            "TOOLKIT_URL": self._environ.get("TOOLKIT_URL", self.config.toolkit_origin),
            "GHL_REDIRECT_URI": f"{self.api_url}/oauth/callback",
            "STATE_SIGNING_KEY": self.secrets.state_signing_key,
            "TOKEN_KEYS": self.secrets.token_keys,
            "DEV_JWT_PUBLIC_KEY": self.secrets.jwt_public_pem,
            "POWERTOOLS_LOG_LEVEL": self._environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "POWERTOOLS_METRICS_DISABLED": self._environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
        }
        if self.uses_sandbox:
            from ghlsandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

            env |= {
                "GHL_BASE_URL": self.sandbox.url,
                "GHL_AUTHORIZE_HOST": self.sandbox.url,
                "GHL_CLIENT_ID": DEMO_CLIENT_ID,
                "GHL_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            }
        return env

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> DevStack:
        from gateway import Gateway

        self.secrets = load_or_create(self.config.dev_dir)
        if self.uses_sandbox:
            from ghlsandbox import Sandbox, SandboxConfig

            sandbox_config = SandboxConfig(port=self.config.sandbox_port, **self.config.sandbox_overrides)
            self.sandbox = Sandbox(sandbox_config, on_tokens=self._write_sandbox_tokens)
            self._restore_sandbox_tokens()
            self.sandbox.start()
        self.gateway = Gateway(
            self.config.root / "template.yaml",
            port=self.config.api_port,
            parameters={"ToolkitOrigin": self.config.toolkit_origin},
            max_workers=self.config.workers_per_function,
        )
        self.gateway.start()
        add_docs_routes(self.gateway, self.config.root / "docs" / "openapi.json", self.gateway.url)
        env = self.app_environment()  # after the gateway knows its port
        self._replaced = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        from ghlbridge import factories

        factories.reset()
        return self

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        if self.sandbox is not None:
            self._save_sandbox_tokens()
            self.sandbox.stop()
            self.sandbox = None
        for name, value in self._replaced.items():  # the environment as it was before `start`
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._replaced = {}
        from ghlbridge import factories

        factories.reset()

    def __enter__(self) -> DevStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the demo installation --------------------------------------------------------------------
    def dev_token(self) -> str:
        assert self.secrets is not None
        token = self.secrets.mint_jwt()
        path = self.config.dev_dir / "token"
        path.write_text(token + "\n")
        path.chmod(0o600)
        return token

    def connected_locations(self, token: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.api_url}/locations", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        answer.raise_for_status()
        return [item for item in answer.json()["items"] if item["status"] == "connected"]

    def ensure_demo_install(self, token: str) -> str:
        """Install the sandbox's demo location for the dev user unless it is already connected with
        every scope the app asks for (a `.dev/` from an older version is installed again, as a
        real installation would be reinstalled to grant a new scope)."""
        from ghlsandbox import DEMO_LOCATION_ID

        from ghlbridge.settings import DEFAULT_SCOPES

        wanted = set(self._environ.get("GHL_SCOPES", DEFAULT_SCOPES).split())
        for item in self.connected_locations(token):
            if item["id"] == DEMO_LOCATION_ID and wanted <= set(item["scopes"]):
                return DEMO_LOCATION_ID
        return self.install(token, approve=True)

    def install(self, token: str, *, approve: bool) -> str:
        """Walk the OAuth install as a browser and the toolkit would: our authorize route → the
        sandbox's install page (approve or deny) → our callback → the toolkit URL with an install
        ticket → `POST /oauth/complete` under the same user's JWT. Returns the location id."""
        ticket, location_id = self.approve_install(token, approve=approve)
        done = httpx.post(
            f"{self.api_url}/oauth/complete",
            json={"ticket": ticket},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if done.status_code != 200:
            raise RuntimeError(f"POST /oauth/complete answered {done.status_code}")
        return location_id

    def approve_install(self, token: str, *, approve: bool = True) -> tuple[str, str]:
        """The browser's part only (authorize → install page → callback): the install ticket the
        toolkit receives, and the location id. Nothing is granted until the ticket is redeemed."""
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=30, follow_redirects=False) as browser:
            authorize_url = browser.get(f"{self.api_url}/oauth/authorize", headers=headers).json()["authorizeUrl"]
            page = browser.get(authorize_url)
            page.raise_for_status()
            decision = browser.post(authorize_url, data={"decision": "approve" if approve else "deny"})
            if decision.status_code != 302:
                raise RuntimeError(f"the install page answered {decision.status_code}")
            callback = browser.get(decision.headers["location"])
            if callback.status_code != 302:
                raise RuntimeError(f"the callback answered {callback.status_code}")
        query = parse_qs(urlparse(callback.headers["location"]).query)
        if query.get("ghl") != ["installed"]:
            raise RuntimeError(f"the install did not complete: {query.get('reason', ['?'])[0]}")
        return query["ticket"][0], query["locationId"][0]

    # --- sandbox tokens across restarts -----------------------------------------------------------
    def _tokens_file(self) -> Path:
        return self.config.dev_dir / "sandbox-tokens.json"

    def _save_sandbox_tokens(self) -> None:
        assert self.sandbox is not None
        self._write_sandbox_tokens(self.sandbox.export_tokens())

    def _write_sandbox_tokens(self, text: str) -> None:
        """Replace the tokens file at once: a temporary file of mode 0600 beside it, then
        `os.replace`; a reader (the next start) sees the old file or the new one, never half."""
        path = self._tokens_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".sandbox-tokens.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def _restore_sandbox_tokens(self) -> None:
        path = self._tokens_file()
        if path.exists():
            assert self.sandbox is not None
            self.sandbox.import_tokens(path.read_text())
