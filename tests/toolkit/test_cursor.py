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


# --- cursors of GHL ids (a contact's messages) ---------------------------------------------------

IDS = {"c": "gJcwQNA8F0BN26Ws96ue", "m": "De5V1USyHs5SrAdgudq2"}
MESSAGES = cursor.binding("loc1", {"contact": "c1", "channel": None})


def test_an_ids_cursor_round_trips() -> None:
    assert cursor.decode_ids(KEY, cursor.encode_ids(KEY, IDS, MESSAGES), MESSAGES, ("c", "m")) == IDS


def test_an_ids_cursor_for_another_channel_or_contact_is_refused() -> None:
    issued = cursor.encode_ids(KEY, IDS, MESSAGES)
    for other in ({"contact": "c1", "channel": "sms"}, {"contact": "c2", "channel": None}):
        with pytest.raises(CursorInvalidError, match="other filters"):
            cursor.decode_ids(KEY, issued, cursor.binding("loc1", other), ("c", "m"))


@pytest.mark.parametrize(
    "ids",
    [{"c": "gJcwQNA8F0BN26Ws96ue"}, {"c": "a", "m": "b", "x": "c"}, {"c": "a/../b", "m": "b"}, {"c": 1, "m": "b"}],
)
def test_an_ids_cursor_with_other_ids_is_not_ours(ids: dict[str, object]) -> None:
    signed = cursor.encode_ids(KEY, ids, MESSAGES)  # type: ignore[arg-type]  # signed by us, but not a position
    with pytest.raises(CursorInvalidError, match="not issued by this API"):
        cursor.decode_ids(KEY, signed, MESSAGES, ("c", "m"))


def test_an_opportunity_cursor_is_not_an_ids_cursor_and_back() -> None:
    with pytest.raises(CursorInvalidError):
        cursor.decode_ids(KEY, cursor.encode(KEY, POSITION, BOUND), BOUND, ("c", "m"))
    with pytest.raises(CursorInvalidError):
        cursor.decode(KEY, cursor.encode_ids(KEY, IDS, BOUND), BOUND)
