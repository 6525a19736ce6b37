"""The token store in Supabase, reached through PostgREST.

Every operation is one RPC to a SQL function of `supabase/migrations/*.sql`, which
does it atomically (one UPDATE ... WHERE or INSERT ... ON CONFLICT), so containers racing for a
refresh lease or an OAuth state cannot both win. Only `postgrest` is imported, not `supabase`:
`supabase.create_client` adds ~237 ms to a cold start, `postgrest` ~16 ms.

The service-role key lives only in the request headers: no error message, log line or repr
contains it. PostgREST error *details* (which can echo a whole row, ciphertexts included) are
never copied into an exception either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

import httpx
from postgrest import APIError, SyncPostgrestClient
from pydantic import BaseModel

from ghlbridge.store.base import (
    IdempotencyRecord,
    IdempotencyStatus,
    Installation,
    LocationAccess,
    MemberChange,
    MemberRole,
    Membership,
    StoreUnavailableError,
    canonical_user_id,
    location_name,
    purge_limit,
    required_user_id,
)

__all__ = ["StoreRejectedError", "SupabaseStore"]

_REST_PREFIX = "/rest/v1/"
_SAVED_FIELDS = {
    "id", "kind", "user_type", "company_id", "name", "scopes", "approved_locations",
    "access_token_enc", "refresh_token_enc", "expires_at", "installed_by",
}  # fmt: skip


class StoreRejectedError(StoreUnavailableError):
    """PostgREST refused the call (4xx): a wrong key, a function the database lacks (migration not
    applied) or arguments it cannot take. A deployment bug rather than an outage, and nothing was
    written; still a `StoreUnavailableError`, so that a caller holding a token pair GHL already
    rotated parks it instead of losing it."""

    def __init__(self, function: str, code: str | None, message: str | None) -> None:
        super().__init__(f"store refused {function}: {code or 'error'} {message or ''}".rstrip())
        self.function = function
        self.code = code


def _raise_for_server_error(response: httpx.Response) -> None:
    """httpx response hook: a 5xx from PostgREST (or the gateway before it) leaves the outcome
    unknown. postgrest's `APIError` does not say which status it came from, so read it here."""
    path = response.request.url.path
    if response.status_code < 500 or _REST_PREFIX not in path:
        return
    response.read()
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    detail = f" ({code})" if isinstance(code, str) else ""
    raise StoreUnavailableError(f"store answered HTTP {response.status_code}{detail} to {path.rsplit('/', 1)[-1]}")


def _iso(when: datetime) -> str:
    if when.utcoffset() is None:
        raise ValueError("the store takes timezone-aware datetimes")
    return when.isoformat()


class SupabaseStore:
    """`Store` over PostgREST RPC with the service-role key.

    Pass `http_client` to share a connection pool; the store then adds its response hook to it
    (idempotent, and it only looks at `/rest/v1/` answers) and does not close it. `timeout`
    applies to the client the store builds itself.
    """

    def __init__(
        self,
        url: str,
        service_role_key: str,
        *,
        http_client: httpx.Client | None = None,
        timeout: float = 5,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the Supabase URL must be http(s)://...")
        if not service_role_key:
            raise ValueError("the Supabase service-role key is empty")
        self._url = url.rstrip("/")
        self._own_client = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        hooks = self._http.event_hooks
        if _raise_for_server_error not in hooks["response"]:
            self._http.event_hooks = {**hooks, "response": [*hooks["response"], _raise_for_server_error]}
        self._rest = SyncPostgrestClient(
            f"{self._url}/rest/v1",
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "apikey": service_role_key,
                "Authorization": f"Bearer {service_role_key}",
            },
            http_client=self._http,
            retry_enabled=False,  # every call writes or must see fresh state: no blind replays
        )

    def __repr__(self) -> str:
        return f"SupabaseStore(url={self._url!r})"

    def close(self) -> None:
        """Close the HTTP client if the store built it (a warm container simply keeps it)."""
        if self._own_client:
            self._http.close()

    # --- one RPC and the shapes of its answer ------------------------------------------------
    def _rpc(self, function: str, params: Mapping[str, object]) -> object:
        try:
            # postgrest annotates params as dict[str, str] but JSON-encodes any value.
            return self._rest.rpc(function, cast("dict[str, str]", dict(params))).execute().data
        except httpx.HTTPError as exc:  # connect/read/write failure or timeout
            raise StoreUnavailableError(f"store unreachable calling {function}: {type(exc).__name__}") from exc
        except APIError as exc:  # a 4xx; `from None`: its text may carry the failing row
            raise StoreRejectedError(function, exc.code, exc.message) from None

    def _one[M: BaseModel](self, function: str, params: Mapping[str, object], model: type[M]) -> M | None:
        """A function answering one row (as `model`) or null."""
        data = self._rpc(function, params)
        if data is None:
            return None
        if not isinstance(data, dict):
            raise StoreUnavailableError(f"unexpected answer from {function}")
        return model.model_validate(data)

    def _bool(self, function: str, params: Mapping[str, object]) -> bool:
        data = self._rpc(function, params)
        if not isinstance(data, bool):
            raise StoreUnavailableError(f"unexpected answer from {function}")
        return data

    def _list(self, function: str, params: Mapping[str, object]) -> list[object]:
        data = self._rpc(function, params)
        if not isinstance(data, list):
            raise StoreUnavailableError(f"unexpected answer from {function}")
        return data

    # --- installations -----------------------------------------------------------------------
    def save_installation(self, inst: Installation) -> Installation:
        if inst.expires_at is not None:
            _iso(inst.expires_at)
        saved = self._one(
            "save_installation",
            {"p_installation": inst.model_dump(mode="json", include=_SAVED_FIELDS)},
            Installation,
        )
        if saved is None:
            raise StoreUnavailableError("unexpected answer from save_installation")
        return saved

    def get_installation(self, installation_id: str) -> Installation | None:
        return self._one("get_installation", {"p_installation_id": installation_id}, Installation)

    def get_token_source(self, location_id: str) -> Installation | None:
        return self._one("get_token_source", {"p_location_id": location_id}, Installation)

    def list_expiring(self, before: datetime) -> list[str]:
        return [str(i) for i in self._list("list_expiring", {"p_before": _iso(before)})]

    # --- the refresh protocol ------------------------------------------------------------------
    def claim_refresh_lease(self, installation_id: str, holder: str, ttl_seconds: float) -> Installation | None:
        if not ttl_seconds > 0 or not holder:
            raise ValueError("a lease needs a holder and a positive ttl")
        return self._one(
            "claim_refresh_lease",
            {"p_installation_id": installation_id, "p_holder": holder, "p_ttl_seconds": ttl_seconds},
            Installation,
        )

    def complete_refresh(
        self,
        installation_id: str,
        holder: str,
        expected_generation: int,
        access_token_enc: str,
        refresh_token_enc: str | None,
        expires_at: datetime,
        scopes: list[str] | None = None,
    ) -> Installation | None:
        return self._one(
            "complete_refresh",
            {
                "p_installation_id": installation_id,
                "p_holder": holder,
                "p_expected_generation": expected_generation,
                "p_access_token_enc": access_token_enc,
                "p_refresh_token_enc": refresh_token_enc,
                "p_expires_at": _iso(expires_at),
                "p_scopes": scopes,
            },
            Installation,
        )

    def release_lease(self, installation_id: str, holder: str) -> None:
        self._bool("release_lease", {"p_installation_id": installation_id, "p_holder": holder})

    def mark_needs_reauth(self, installation_id: str, expected_generation: int, reason: str) -> bool:
        return self._bool(
            "mark_needs_reauth",
            {
                "p_installation_id": installation_id,
                "p_expected_generation": expected_generation,
                "p_reason": reason,
            },
        )

    def restore_parked(
        self,
        installation_id: str,
        parked_generation: int,
        access_token_enc: str,
        refresh_token_enc: str | None,
        expires_at: datetime,
    ) -> bool:
        return self._bool(
            "restore_parked",
            {
                "p_installation_id": installation_id,
                "p_parked_generation": parked_generation,
                "p_access_token_enc": access_token_enc,
                "p_refresh_token_enc": refresh_token_enc,
                "p_expires_at": _iso(expires_at),
            },
        )

    # --- uninstall -----------------------------------------------------------------------------
    def uninstall(self, installation_id: str) -> bool:
        return self._bool("uninstall_installation", {"p_installation_id": installation_id})

    # --- locations -----------------------------------------------------------------------------
    def set_location_name(self, location_id: str, name: str) -> bool:
        return self._bool("set_location_name", {"p_location_id": location_id, "p_name": location_name(name)})

    # --- members -------------------------------------------------------------------------------
    def add_member(
        self, location_id: str, user_id: str, role: MemberRole, *, added_by: str | None = None
    ) -> Membership:
        added = self._one(
            "add_member",
            {
                "p_location_id": location_id,
                "p_user_id": required_user_id(user_id),
                "p_role": MemberRole(role).value,
                "p_added_by": required_user_id(added_by) if added_by is not None else None,
            },
            Membership,
        )
        if added is None:
            raise StoreUnavailableError("unexpected answer from add_member")
        return added

    def get_membership(self, location_id: str, user_id: str) -> Membership | None:
        if (uid := canonical_user_id(user_id)) is None:
            return None
        return self._one("get_membership", {"p_location_id": location_id, "p_user_id": uid}, Membership)

    def list_members(self, location_id: str) -> list[Membership]:
        return [Membership.model_validate(m) for m in self._list("list_members", {"p_location_id": location_id})]

    def list_locations(self, user_id: str) -> list[LocationAccess]:
        if (uid := canonical_user_id(user_id)) is None:
            return []
        return [LocationAccess.model_validate(a) for a in self._list("list_locations", {"p_user_id": uid})]

    def _change(self, function: str, params: Mapping[str, object]) -> MemberChange:
        """A guarded member write. A string that is not a user id goes as null, which names nobody:
        the SQL answers `forbidden` for such an actor and `not_found` for such a user."""
        change = self._one(function, params, MemberChange)
        if change is None:
            raise StoreUnavailableError(f"unexpected answer from {function}")
        return change

    def put_member(self, location_id: str, actor: str, user_id: str, role: MemberRole) -> MemberChange:
        return self._change(
            "put_member",
            {
                "p_location_id": location_id,
                "p_actor": canonical_user_id(actor),
                "p_user_id": canonical_user_id(user_id),
                "p_role": MemberRole(role).value,
            },
        )

    def set_member_role(self, location_id: str, actor: str, user_id: str, role: MemberRole) -> MemberChange:
        return self._change(
            "set_member_role",
            {
                "p_location_id": location_id,
                "p_actor": canonical_user_id(actor),
                "p_user_id": canonical_user_id(user_id),
                "p_role": MemberRole(role).value,
            },
        )

    def remove_member(self, location_id: str, actor: str, user_id: str) -> MemberChange:
        return self._change(
            "remove_member",
            {
                "p_location_id": location_id,
                "p_actor": canonical_user_id(actor),
                "p_user_id": canonical_user_id(user_id),
            },
        )

    def link_member(self, location_id: str, actor: str, user_id: str, ghl_user_id: str | None) -> MemberChange:
        return self._change(
            "link_member",
            {
                "p_location_id": location_id,
                "p_actor": canonical_user_id(actor),
                "p_user_id": canonical_user_id(user_id),
                "p_ghl_user_id": ghl_user_id,
            },
        )

    # --- install tickets -----------------------------------------------------------------------
    def create_install_ticket(self, ticket_hash: str, user_id: str, installation_id: str, expires_at: datetime) -> bool:
        return self._bool(
            "create_install_ticket",
            {
                "p_ticket_hash": ticket_hash,
                "p_user_id": required_user_id(user_id),
                "p_installation_id": installation_id,
                "p_expires_at": _iso(expires_at),
            },
        )

    def redeem_install_ticket(self, ticket_hash: str, user_id: str) -> list[str] | None:
        if (uid := canonical_user_id(user_id)) is None:
            return None
        data = self._rpc("redeem_install_ticket", {"p_ticket_hash": ticket_hash, "p_user_id": uid})
        if data is None:
            return None
        if not isinstance(data, list) or not all(isinstance(i, str) for i in data):
            raise StoreUnavailableError("unexpected answer from redeem_install_ticket")
        return [str(i) for i in data]

    # --- OAuth states and webhook receipts -------------------------------------------------------
    def create_oauth_state(self, nonce: str, user_id: str, expires_at: datetime) -> None:
        self._bool(
            "create_oauth_state",
            {"p_nonce": nonce, "p_user_id": required_user_id(user_id), "p_expires_at": _iso(expires_at)},
        )

    def consume_oauth_state(self, nonce: str, user_id: str) -> bool:
        if (uid := canonical_user_id(user_id)) is None:
            return False
        return self._bool("consume_oauth_state", {"p_nonce": nonce, "p_user_id": uid})

    def record_webhook(self, webhook_id: str, event_type: str) -> bool:
        return self._bool("record_webhook", {"p_webhook_id": webhook_id, "p_event_type": event_type})

    # --- purge -----------------------------------------------------------------------------------
    def _count(self, function: str, params: Mapping[str, object]) -> int:
        data = self._rpc(function, params)
        if not isinstance(data, int) or isinstance(data, bool) or data < 0:
            raise StoreUnavailableError(f"unexpected answer from {function}")
        return data

    def purge_idempotency_records(self, limit: int) -> int:
        return self._count("purge_idempotency_records", {"p_limit": purge_limit(limit)})

    def purge_oauth_states(self, limit: int) -> int:
        return self._count("purge_oauth_states", {"p_limit": purge_limit(limit)})

    def purge_install_tickets(self, limit: int) -> int:
        return self._count("purge_install_tickets", {"p_limit": purge_limit(limit)})

    def purge_webhook_receipts(self, older_than_seconds: float, limit: int) -> int:
        if not older_than_seconds >= 0:
            raise ValueError("older_than_seconds must be >= 0")
        return self._count(
            "purge_webhook_receipts",
            {"p_older_than_seconds": float(older_than_seconds), "p_limit": purge_limit(limit)},
        )

    # --- idempotency records ---------------------------------------------------------------------
    def put_idempotency_record(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        ipe = record.in_progress_expires_at
        data = self._rpc(
            "put_idempotency_record",
            {
                "p_key": record.key,
                "p_status": record.status.value,
                "p_expires_at": _iso(record.expires_at),
                "p_in_progress_expires_at": _iso(ipe) if ipe else None,
                "p_payload_hash": record.payload_hash,
            },
        )
        match data:
            case {"inserted": True}:
                return None
            case {"inserted": False, "record": dict() as existing}:
                return IdempotencyRecord.model_validate(existing)
        raise StoreUnavailableError("unexpected answer from put_idempotency_record")

    def get_idempotency_record(self, key: str) -> IdempotencyRecord | None:
        return self._one("get_idempotency_record", {"p_key": key}, IdempotencyRecord)

    def update_idempotency_record(
        self, key: str, status: IdempotencyStatus, expires_at: datetime, response_data: str | None
    ) -> bool:
        return self._bool(
            "update_idempotency_record",
            {
                "p_key": key,
                "p_status": status.value,
                "p_expires_at": _iso(expires_at),
                "p_response_data": response_data,
            },
        )

    def settle_idempotency_record(
        self, key: str, created_at: datetime, expires_at: datetime, response_data: str
    ) -> IdempotencyRecord | None:
        return self._one(
            "settle_idempotency_record",
            {
                "p_key": key,
                "p_created_at": _iso(created_at),
                "p_expires_at": _iso(expires_at),
                "p_response_data": response_data,
            },
            IdempotencyRecord,
        )

    def delete_idempotency_record(self, key: str) -> bool:
        return self._bool("delete_idempotency_record", {"p_key": key})
