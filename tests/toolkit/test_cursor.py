"""The opaque list cursor on its own: round trip, binding, and what counts as tampering."""

from __future__ import annotations

import base64
import json

import pytest

from ghlbridge.errors import CursorInvalidError
from ghlbridge.ghl import OpportunityCursor
from ghlbridge.toolkit import cursor

KEY = cursor.cursor_key(b"state-signing-key")
POSITION = OpportunityCursor(startAfter=1625203104328, startAfterId="yWQobCRIhRguQtD2llvk")
BOUND = cursor.binding("loc1", {"pipeline_id": "p1", "q": None})


def forge(payload: dict[str, object], mac_of: str) -> str:
    text = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{text}.{mac_of.split('.')[1]}"


def test_round_trip() -> None:
    assert cursor.decode(KEY, cursor.encode(KEY, POSITION, BOUND), BOUND) == POSITION


def test_the_binding_depends_on_the_location_and_every_filter() -> None:
    bindings = {
        cursor.binding("loc1", {"pipeline_id": "p1", "q": None}),
        cursor.binding("loc2", {"pipeline_id": "p1", "q": None}),
        cursor.binding("loc1", {"pipeline_id": "p2", "q": None}),
        cursor.binding("loc1", {"pipeline_id": "p1", "q": "x"}),
        cursor.binding("loc1", {"pipeline_id": None, "q": "p1"}),
    }
    assert len(bindings) == 5
    assert cursor.binding("loc1", {"q": None, "pipeline_id": "p1"}) == BOUND  # order does not matter


def test_another_key_does_not_verify() -> None:
    issued = cursor.encode(KEY, POSITION, BOUND)

    with pytest.raises(CursorInvalidError):
        cursor.decode(cursor.cursor_key(b"another-key"), issued, BOUND)


@pytest.mark.parametrize(
    "payload",
    [
        {"v": 1, "a": 1, "i": "x", "b": BOUND},  # a forged position with a stale MAC
        {"v": 2, "a": POSITION.startAfter, "i": POSITION.startAfterId, "b": BOUND},
    ],
)
def test_an_altered_payload_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises(CursorInvalidError, match="altered"):
        cursor.decode(KEY, forge(payload, cursor.encode(KEY, POSITION, BOUND)), BOUND)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        {"v": 1, "a": True, "i": "x", "b": BOUND},
        {"v": 1, "a": 1, "i": "../x"},
        {"v": 2, "a": 1, "i": "x", "b": BOUND},  # another format version
    ],
)
def test_a_validly_signed_but_malformed_payload_is_refused(payload: object) -> None:
    """Even with the key (a bug, a leaked key), a cursor can only carry a sane position."""
    text = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    signed = f"{text}.{cursor._mac(KEY, text)}"

    with pytest.raises(CursorInvalidError):
        cursor.decode(KEY, signed, BOUND)


def test_the_cursor_is_url_safe_and_short() -> None:
    """Signed, not encrypted: what it carries is GHL's position, which is no secret."""
    issued = cursor.encode(KEY, POSITION, BOUND)

    assert set(issued) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(issued) < 200
