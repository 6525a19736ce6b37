"""Local-only control endpoints under `/_sandbox/`, for tests and developers (not part of GHL).

    GET    /_sandbox/state           ids to use (locations, pipelines, calendars, users…) and counts
    GET    /_sandbox/faults          installed fault rules (with ids, remaining counts)
    POST   /_sandbox/faults          add a rule, or a list of rules (FaultRule JSON) → 201
    DELETE /_sandbox/faults          remove every rule
    DELETE /_sandbox/faults/{id}     remove one rule
    GET    /_sandbox/outbox          every recorded send (emails, SMS, call logs)
    DELETE /_sandbox/outbox          forget them
    GET    /_sandbox/requests        the recent request log (no credentials, no bodies)
    POST   /_sandbox/expire-tokens   make every access token expire now
    POST   /_sandbox/reset           fresh demo data, outbox, limits and faults; {"oauth": true}
                                     also forgets every code and token
    POST   /_sandbox/authorize       an authorization code without the install page:
                                     {"locationId", "userType", "clientId", "scope", "redirectUri"}

They answer only to loopback clients, take no token and are never subject to faults or limits.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ghlsandbox.faults import FaultRule
from ghlsandbox.oauth import InstallPageError
from ghlsandbox.routing import ApiError, Reply

if TYPE_CHECKING:
    from ghlsandbox.server import Sandbox

PREFIX = "/_sandbox"


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def handle(sandbox: Sandbox, method: str, path: str, body: bytes, client_address: str) -> Reply:
    if not is_loopback(client_address):
        raise ApiError(403, "The sandbox control endpoints are local-only.")
    action = path[len(PREFIX) :].strip("/")
    payload = _json(body)
    match method, action.split("/"):
        case "GET", ["state"]:
            return Reply(200, {**sandbox.state.summary(sandbox.clock()), "rateLimits": sandbox.rate_limiter.summary()})
        case "GET", ["faults"]:
            return Reply(200, {"faults": sandbox.faults.list()})
        case "POST", ["faults"]:
            return _add_faults(sandbox, payload)
        case "DELETE", ["faults"]:
            return Reply(200, {"removed": sandbox.faults.clear()})
        case "DELETE", ["faults", fault_id]:
            if not sandbox.faults.remove(fault_id):
                raise ApiError(404, f"No fault {fault_id}")
            return Reply(200, {"removed": 1})
        case "GET", ["outbox"]:
            return Reply(200, {"messages": sandbox.outbox})
        case "DELETE", ["outbox"]:
            with sandbox.state.lock:
                removed = len(sandbox.state.data.outbox)
                sandbox.state.data.outbox.clear()
            return Reply(200, {"removed": removed})
        case "GET", ["requests"]:
            with sandbox.state.lock:
                records = [asdict(record) for record in sandbox.state.requests]
            return Reply(200, {"requests": records})
        case "POST", ["expire-tokens"]:
            return Reply(200, {"expired": sandbox.expire_tokens()})
        case "POST", ["reset"]:
            sandbox.reset(oauth=bool(payload.get("oauth", False)))
            return Reply(200, {"reset": True, "oauth": bool(payload.get("oauth", False))})
        case "POST", ["authorize"]:
            return _authorize(sandbox, payload)
    raise ApiError(404, f"Cannot {method} {path}", error="Not Found")


def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(400, "The body is not valid JSON", error="Bad Request") from None
    if isinstance(data, list):
        return {"faults": data}
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object or array", error="Bad Request")
    return data


def _add_faults(sandbox: Sandbox, payload: dict[str, Any]) -> Reply:
    items = payload.get("faults", [payload])
    try:
        rules = [FaultRule.from_dict(item) for item in items]
    except ValueError as exc:
        raise ApiError(422, [str(exc)], error="Unprocessable Entity") from None
    added = [sandbox.faults.add(rule).to_dict() for rule in rules]
    return Reply(201, {"faults": added})


def _authorize(sandbox: Sandbox, payload: dict[str, Any]) -> Reply:
    try:
        code = sandbox.authorize(
            location_id=payload.get("locationId"),
            user_type=payload.get("userType", sandbox.config.default_user_type),
            client_id=payload.get("clientId"),
            scope=payload.get("scope"),
            redirect_uri=payload.get("redirectUri", "http://localhost/callback"),
        )
    except (InstallPageError, ValueError) as exc:
        raise ApiError(422, [str(exc)], error="Unprocessable Entity") from None
    return Reply(201, {"code": code})
