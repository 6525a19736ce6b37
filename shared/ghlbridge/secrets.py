"""The app's secrets, fetched by reference once per container and kept for `secrets_ttl_seconds`.

`SecretsCache` holds them; the container's one is `factories.get_secrets_cache()`, read through
`factories.get_secrets()` and `factories.get_cipher()`, and forgotten by `factories.reset()`.

In AWS, `APP_SECRET_ID` names one Secrets Manager secret holding a JSON object (camelCase keys:
`ghlClientSecret`, `supabaseServiceRoleKey`, `supabaseJwtSecret`, `stateSigningKey`, and
`tokenKeys` = `{"current": kid, "keys": {kid: base64}}`). It is read through the AWS Parameters
and Secrets Lambda Extension (a local HTTP call, no boto3: importing boto3 costs ~120 ms and a
client another ~200 ms of cold start). Only when the extension is not running (connection
refused) do we fall back to boto3, imported inside that one function. Without `APP_SECRET_ID`
(local runs) the values come from the Settings' own `SecretStr` fields.

If a refresh fails after the TTL, the cached copy keeps serving (secrets rarely change and a
Secrets Manager blip should not take the app down) and the next attempt waits
`RETRY_AFTER_FAILURE_SECONDS`. Errors name fields and error codes, never values.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from ghlbridge.observability import logger
from ghlbridge.settings import Settings
from ghlbridge.tokens.crypto import TokenCipher

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

RETRY_AFTER_FAILURE_SECONDS = 30.0
EXTENSION_TIMEOUT = httpx.Timeout(3.0, connect=0.5)


class SecretsUnavailableError(Exception):
    """The secrets could not be loaded or are incomplete. A server fault, never the caller's."""


class AppSecrets(BaseModel):
    """Every secret the app uses. `SecretStr` keeps values out of reprs and logs."""

    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )

    ghl_client_secret: SecretStr
    supabase_service_role_key: SecretStr | None = None  # not needed with the sqlite store
    supabase_jwt_secret: SecretStr | None = None  # the legacy HS256 secret, if still accepted
    state_signing_key: SecretStr
    token_keys: SecretStr

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return None if value == "" else value

    @field_validator("token_keys", mode="before")
    @classmethod
    def _keys_as_json(cls, value: Any) -> Any:
        """`tokenKeys` is a nested object in Secrets Manager and a JSON string in the environment."""
        return json.dumps(value) if isinstance(value, dict) else value


@dataclass
class _Loaded:
    secrets: AppSecrets
    expires_at: float
    cipher: TokenCipher | None = None


class SecretsCache:
    """The secrets of one settings object, reloaded after `secrets_ttl_seconds` (on `clock`, monotonic
    seconds). One fetch at a time, even when threads (the refresh job) ask at once."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.api_client: SecretsManagerClient | None = None  # boto3's, built only by the fallback
        self._extension_client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._entry: _Loaded | None = None

    def secrets(self) -> AppSecrets:
        return self._current().secrets

    def cipher(self) -> TokenCipher:
        """The token cipher built from the current `tokenKeys` (rebuilt when the secrets reload)."""
        entry = self._current()
        if entry.cipher is None:
            try:
                entry.cipher = TokenCipher.from_json(entry.secrets.token_keys.get_secret_value())
            except ValueError as exc:
                raise SecretsUnavailableError(f"tokenKeys is unusable: {exc}") from None
        return entry.cipher

    def _current(self) -> _Loaded:
        with self._lock:
            now, entry = self.clock(), self._entry
            if entry is not None and now < entry.expires_at:
                return entry
            try:
                secrets = self._load()
            except SecretsUnavailableError as exc:
                if entry is None:
                    raise
                logger.warning("secrets refresh failed; serving the cached copy", extra={"error": str(exc)})
                entry.expires_at = now + RETRY_AFTER_FAILURE_SECONDS
                return entry
            self._entry = _Loaded(secrets, now + self.settings.secrets_ttl_seconds)
            return self._entry

    def _load(self) -> AppSecrets:
        settings = self.settings
        if settings.app_secret_id:
            raw: dict[str, Any] = _parse_document(self._fetch_secret_string())
        else:
            raw = {name: getattr(settings, name) for name in AppSecrets.model_fields}
        try:
            return AppSecrets.model_validate(raw)
        except ValidationError as exc:  # its text would quote the input, i.e. the other secrets
            problems = ", ".join(_problem(e["loc"], e["type"], e["input"]) for e in exc.errors())
        raise SecretsUnavailableError(f"app secret is incomplete ({problems})")

    def _fetch_secret_string(self) -> str:
        token = self.settings.aws_session_token
        if token is None:  # not in Lambda, so no extension either
            return self._from_api()
        try:
            return self._from_extension(token)
        except httpx.ConnectError:
            logger.info("secrets extension not reachable; calling Secrets Manager directly")
            return self._from_api()

    def _from_extension(self, token: SecretStr) -> str:
        """GET the secret from the Parameters and Secrets Lambda Extension (its GetSecretValue JSON)."""
        settings = self.settings
        url = f"http://localhost:{settings.parameters_secrets_extension_http_port}/secretsmanager/get"
        if self._extension_client is None:
            # trust_env=False: a proxy setting must never route this localhost call (or its token) elsewhere
            self._extension_client = httpx.Client(timeout=EXTENSION_TIMEOUT, trust_env=False)
        try:
            response = self._extension_client.get(
                url,
                params={"secretId": settings.app_secret_id},
                headers={"X-Aws-Parameters-Secrets-Token": token.get_secret_value()},
            )
        except httpx.ConnectError:
            raise
        except httpx.HTTPError as exc:
            raise SecretsUnavailableError(f"secrets extension failed: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SecretsUnavailableError(f"secrets extension answered HTTP {response.status_code}")
        value = _parse_document(response.text).get("SecretString")
        if not isinstance(value, str):
            raise SecretsUnavailableError("secrets extension returned no SecretString")
        return value

    def _from_api(self) -> str:
        """The fallback: boto3's GetSecretValue. boto3 is imported here and only here."""
        import boto3  # lazy: +120 ms import, +200 ms client
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if self.api_client is None:
                self.api_client = boto3.client("secretsmanager")
            value = self.api_client.get_secret_value(SecretId=self.settings.app_secret_id).get("SecretString")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "unknown")
            raise SecretsUnavailableError(f"GetSecretValue failed: {code}") from None
        except BotoCoreError as exc:
            raise SecretsUnavailableError(f"GetSecretValue failed: {type(exc).__name__}") from None
        if not isinstance(value, str):
            raise SecretsUnavailableError("the secret has no SecretString")
        return value


def _problem(loc: tuple[int | str, ...], kind: str, value: Any) -> str:
    """`field: problem` for an error message; the value itself is only checked, never shown."""
    return f"{'.'.join(map(str, loc))}: {'missing' if value is None else kind}"


def _parse_document(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        data = None  # raised below, outside the except: the JSON error holds the whole document
    if not isinstance(data, dict):
        raise SecretsUnavailableError("app secret is not a JSON object")
    return data
