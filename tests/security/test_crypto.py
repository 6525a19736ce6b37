"""TokenCipher: AES-256-GCM envelopes with key ids, AAD binding, and rotation."""

from __future__ import annotations

import base64
import json

import pytest

from ghlbridge.tokens.crypto import TokenCipher, TokenDecryptError

K1, K2 = b"\x01" * 32, b"\x02" * 32
PLAINTEXT = "ghl-access-token-SECRET-value-123"
AAD = "loc_123:access"


def cipher(current: str = "k2") -> TokenCipher:
    return TokenCipher({"k1": K1, "k2": K2}, current)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_round_trip_and_envelope_format() -> None:
    blob = cipher().encrypt(PLAINTEXT, aad=AAD)
    version, kid, body = blob.split(".")
    assert (version, kid) == ("v1", "k2")
    assert len(unb64url(body)) == 12 + len(PLAINTEXT) + 16  # nonce || ciphertext || tag
    assert PLAINTEXT not in blob
    assert cipher().decrypt(blob, aad=AAD) == PLAINTEXT


def test_nonce_is_random_per_encryption() -> None:
    c = cipher()
    blobs = {c.encrypt(PLAINTEXT, aad=AAD) for _ in range(50)}
    assert len(blobs) == 50
    assert len({unb64url(b.split(".")[2])[:12] for b in blobs}) == 50


def test_rotation_old_key_still_decrypts_new_writes_use_current() -> None:
    old_blob = TokenCipher({"k1": K1}, "k1").encrypt(PLAINTEXT, aad=AAD)
    rotated = cipher("k2")
    assert rotated.decrypt(old_blob, aad=AAD) == PLAINTEXT
    assert rotated.encrypt(PLAINTEXT, aad=AAD).startswith("v1.k2.")
    assert rotated.current_kid == "k2"


@pytest.mark.parametrize("other_aad", ["loc_123:refresh", "loc_999:access", "", "loc_123:access "])
def test_wrong_aad_fails(other_aad: str) -> None:
    blob = cipher().encrypt(PLAINTEXT, aad=AAD)
    with pytest.raises((TokenDecryptError, ValueError)):
        cipher().decrypt(blob, aad=other_aad)


def test_wrong_key_under_same_kid_fails() -> None:
    blob = cipher().encrypt(PLAINTEXT, aad=AAD)
    with pytest.raises(TokenDecryptError):
        TokenCipher({"k2": b"\x09" * 32}, "k2").decrypt(blob, aad=AAD)


def test_unknown_kid_fails() -> None:
    blob = cipher().encrypt(PLAINTEXT, aad=AAD)
    with pytest.raises(TokenDecryptError):
        TokenCipher({"k1": K1}, "k1").decrypt(blob, aad=AAD)


def test_swapping_the_kid_fails_even_with_a_known_key() -> None:
    blob = cipher().encrypt(PLAINTEXT, aad=AAD)
    with pytest.raises(TokenDecryptError):
        cipher().decrypt(blob.replace("v1.k2.", "v1.k1."), aad=AAD)


@pytest.mark.parametrize("index", [0, 11, 12, 20, -1])  # nonce, ciphertext, tag
def test_any_flipped_bit_fails(index: int) -> None:
    blob = cipher().encrypt(PLAINTEXT, aad=AAD)
    prefix, body = blob.rsplit(".", 1)
    raw = bytearray(unb64url(body))
    raw[index] ^= 0x01
    with pytest.raises(TokenDecryptError):
        cipher().decrypt(f"{prefix}.{b64url(bytes(raw))}", aad=AAD)


@pytest.mark.parametrize(
    "blob",
    [
        "",
        "garbage",
        "v1.k2",
        "v2.k2.AAAA",
        "v1.k2.not*base64",
        "v1.k2." + b64url(b"short"),
        "v1.k2.AAAA.extra",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",  # a plaintext JWT stored by mistake
    ],
)
def test_malformed_blobs_fail(blob: str) -> None:
    with pytest.raises(TokenDecryptError):
        cipher().decrypt(blob, aad=AAD)


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 64])
def test_keys_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TokenCipher({"k1": b"\x01" * size}, "k1")


def test_constructor_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError):
        TokenCipher({}, "k1")
    with pytest.raises(ValueError, match="not among"):
        TokenCipher({"k1": K1}, "k2")
    with pytest.raises(ValueError, match="key id"):
        TokenCipher({"k.1": K1}, "k.1")
    with pytest.raises(ValueError, match="aad"):
        cipher().encrypt(PLAINTEXT, aad="")


def test_from_json_secret_form() -> None:
    document = json.dumps(
        {"current": "k2", "keys": {"k1": base64.b64encode(K1).decode(), "k2": base64.b64encode(K2).decode()}}
    )
    built = TokenCipher.from_json(document)
    assert built.current_kid == "k2"
    assert built.decrypt(cipher().encrypt(PLAINTEXT, aad=AAD), aad=AAD) == PLAINTEXT


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"current": "k1"}',
        '{"keys": {"k1": "AQ=="}}',
        '{"current": "k1", "keys": {"k1": "***"}}',
        '{"current": "k1", "keys": {"k1": 7}}',
        '{"current": "k1", "keys": {"k1": "' + base64.b64encode(b"x" * 16).decode() + '"}}',
        '{"current": "k9", "keys": {"k1": "' + base64.b64encode(K1).decode() + '"}}',
    ],
)
def test_from_json_rejects_bad_documents_without_quoting_them(document: str) -> None:
    with pytest.raises(ValueError) as info:
        TokenCipher.from_json(document)
    assert base64.b64encode(K1).decode() not in str(info.value)
    assert info.value.__cause__ is None


def test_nothing_secret_in_errors_or_repr() -> None:
    c = cipher()
    blob = c.encrypt(PLAINTEXT, aad=AAD)
    with pytest.raises(TokenDecryptError) as info:
        c.decrypt(blob, aad="loc_123:refresh")
    text = f"{info.value} {info.value!r} {c!r} {c}"
    for secret in (PLAINTEXT, blob, blob.split(".")[2], K1.hex(), K2.hex(), repr(K1), repr(K2)):
        assert secret not in text
    assert repr(c) == "TokenCipher(current_kid='k2', kids=['k1', 'k2'])"
    assert info.value.__cause__ is None and info.value.__suppress_context__
