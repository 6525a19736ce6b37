"""Opaque list cursors: GHL's search position (`startAfter`, `startAfterId`), signed and bound to
the location and filters it was issued for.

Why signed: a cursor is the one piece of list state a caller hands back, so an altered one must be
recognised (400 `invalid_cursor`) rather than passed on to GHL. Why bound: a cursor replayed with
other filters would silently page through a different list from the wrong place. The key is
derived from the app's state-signing secret for this purpose only (HMAC of a fixed label), so a
cursor can never pass for an OAuth state or the other way round.

Format: `base64url(JSON payload) "." base64url(HMAC-SHA256(key, payload)[:16])`; the payload is
`{"v": 1, "a": startAfter, "i": startAfterId, "b": binding}` for opportunities, `{"v": 1, "ids": {...},
"b": binding}` for the lists paged by GHL ids (a contact's messages).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from ghlbridge.encoding import b64url, unb64url
from ghlbridge.errors import CursorInvalidError

if TYPE_CHECKING:
    from ghlbridge.ghl import OpportunityCursor

_LABEL: Final = b"ghlbridge/toolkit/list-cursor/v1"
_MAC_BYTES: Final = 16
_POSITION_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NOT_OURS: Final = "The cursor was not issued by this API or was altered; start again without it"
_OTHER_FILTERS: Final = "The cursor was issued for other filters; start again without it"
_COMPACT: Final = json.JSONEncoder(separators=(",", ":"))
_CANONICAL: Final = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


@functools.lru_cache(maxsize=4)
def cursor_key(state_signing_key: bytes) -> bytes:
    """The cursor MAC key: the state-signing secret, domain-separated."""
    return hmac.digest(state_signing_key, _LABEL, "sha256")


def binding(location_id: str, filters: Mapping[str, str | None]) -> str:
    """A short digest of the location and the filters a cursor belongs to."""
    return _binding(location_id, tuple(sorted(filters.items())))


@functools.lru_cache(maxsize=1024)  # a rep pages through the same list: the same few bindings
def _binding(location_id: str, filters: tuple[tuple[str, str | None], ...]) -> str:
    canonical = _CANONICAL.encode({"location": location_id, **dict(filters)})
    return b64url(hashlib.sha256(canonical.encode()).digest()[:12])


def encode(key: bytes, position: OpportunityCursor, bound_to: str) -> str:
    payload = {"v": 1, "a": position.startAfter, "i": position.startAfterId, "b": bound_to}
    text = b64url(_COMPACT.encode(payload).encode())
    return f"{text}.{_mac(key, text)}"


def decode(key: bytes, cursor: str, bound_to: str) -> OpportunityCursor:
    """The position in `cursor`, or `CursorInvalidError` if it is not ours, altered, or bound elsewhere."""
    payload = _opened(key, cursor)
    after, after_id = payload.get("a"), payload.get("i")
    valid = (
        isinstance(after, int)
        and not isinstance(after, bool)
        and isinstance(after_id, str)
        and _POSITION_ID.fullmatch(after_id)
    )
    if not valid:
        raise CursorInvalidError(_NOT_OURS)
    _check_binding(payload, bound_to)
    from ghlbridge.ghl import OpportunityCursor  # the GHL models load with the first request, not at import

    return OpportunityCursor(startAfter=after, startAfterId=after_id)


def encode_ids(key: bytes, ids: Mapping[str, str], bound_to: str) -> str:
    """A cursor holding GHL ids (a conversation and the last message seen, ...), bound like the others."""
    payload = {"v": 1, "ids": dict(ids), "b": bound_to}
    text = b64url(_COMPACT.encode(payload).encode())
    return f"{text}.{_mac(key, text)}"


def decode_ids(key: bytes, cursor: str, bound_to: str, names: tuple[str, ...]) -> dict[str, str]:
    """The ids `names` of an `encode_ids` cursor, or `CursorInvalidError` (not ours, altered, bound elsewhere)."""
    payload = _opened(key, cursor)
    ids = payload.get("ids")
    if not isinstance(ids, dict) or set(ids) != set(names):
        raise CursorInvalidError(_NOT_OURS)
    if not all(isinstance(v, str) and _POSITION_ID.fullmatch(v) for v in ids.values()):
        raise CursorInvalidError(_NOT_OURS)
    _check_binding(payload, bound_to)
    return ids


def _opened(key: bytes, cursor: str) -> dict[str, object]:
    """The payload of a cursor this API signed (version 1), else `CursorInvalidError`."""
    text, _, mac = cursor.partition(".")
    if not text or not hmac.compare_digest(mac.encode(), _mac(key, text).encode()):
        raise CursorInvalidError(_NOT_OURS)
    try:
        payload = json.loads(unb64url(text))
    except ValueError:
        raise CursorInvalidError(_NOT_OURS) from None
    if not isinstance(payload, dict) or payload.get("v") != 1:
        raise CursorInvalidError(_NOT_OURS)
    return payload


def _check_binding(payload: Mapping[str, object], bound_to: str) -> None:
    if not hmac.compare_digest(str(payload.get("b")), bound_to):
        raise CursorInvalidError(_OTHER_FILTERS)


def _mac(key: bytes, text: str) -> str:
    return b64url(hmac.digest(key, text.encode(), "sha256")[:_MAC_BYTES])
