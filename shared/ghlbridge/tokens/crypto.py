"""Envelope for GHL tokens at rest: AES-256-GCM with a key id, so keys can rotate.

A blob reads `v1.<kid>.<base64url(nonce || ciphertext+tag)>`. The kid picks the key on decrypt,
so rows written under an old key stay readable after `current` moves on; re-encrypting happens
naturally on the next token refresh. The caller's AAD (e.g. `"<installation id>:access"`) binds a
blob to its row and field: a ciphertext copied into another row or field fails to decrypt. The
envelope prefix is authenticated too, so the version and kid cannot be swapped.

Nothing here ever puts key material, plaintext or a blob into a message or a repr.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ghlbridge.encoding import b64url, unb64, unb64url

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96 bits: the size GCM is specified for; random per message
TAG_BYTES = 16
_KID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # no ".": it separates the envelope's parts


class TokenDecryptError(Exception):
    """A blob could not be decrypted: wrong key or AAD, tampered, malformed, or unknown kid."""

    def __init__(self, reason: str = "token ciphertext could not be decrypted") -> None:
        super().__init__(reason)


class TokenCipher:
    """Encrypt with the current key; decrypt with whichever key the blob names."""

    def __init__(self, keys: Mapping[str, bytes], current_kid: str) -> None:
        if not keys:
            raise ValueError("TokenCipher needs at least one key")
        for kid, key in keys.items():
            if not _KID.fullmatch(kid):
                raise ValueError(f"key id {kid!r} must match {_KID.pattern}")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {kid!r} must be {KEY_BYTES} bytes (AES-256), got {len(key)}")
        if current_kid not in keys:
            raise ValueError(f"current key id {current_kid!r} is not among the keys")
        self._aead = {kid: AESGCM(bytes(key)) for kid, key in keys.items()}
        self._current = current_kid

    @classmethod
    def from_json(cls, document: str) -> TokenCipher:
        """Build from the secret's form `{"current": "<kid>", "keys": {"<kid>": "<base64 32 bytes>"}}`."""
        try:
            data = json.loads(document)
        except ValueError:
            data = None  # raised below, outside the except: the JSON error holds the secret document
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
            raise ValueError('token keys must be {"current": kid, "keys": {kid: base64}}')
        current = data.get("current")
        if not isinstance(current, str):
            raise ValueError('token keys need a string "current" key id')
        keys: dict[str, bytes] = {}
        for kid, encoded in data["keys"].items():
            if not isinstance(encoded, str):
                raise ValueError(f"token key {kid!r} must be a base64 string")
            try:
                keys[kid] = unb64(encoded)
            except ValueError:
                raise ValueError(f"token key {kid!r} must be a base64 string") from None
        return cls(keys, current)

    @property
    def current_kid(self) -> str:
        return self._current

    def encrypt(self, plaintext: str, *, aad: str) -> str:
        prefix = f"{VERSION}.{self._current}"
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._current].encrypt(nonce, plaintext.encode(), _aad(prefix, aad))
        return f"{prefix}.{b64url(nonce + sealed)}"

    def decrypt(self, blob: str, *, aad: str) -> str:
        parts = blob.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise TokenDecryptError("token ciphertext is malformed")
        _, kid, body = parts
        aead = self._aead.get(kid)
        if aead is None:
            raise TokenDecryptError("token ciphertext names an unknown key id")
        try:
            raw = unb64url(body)
        except ValueError:
            raise TokenDecryptError("token ciphertext is malformed") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise TokenDecryptError("token ciphertext is malformed")
        try:
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(f"{VERSION}.{kid}", aad))
            return plain.decode()
        except (InvalidTag, UnicodeDecodeError):
            raise TokenDecryptError() from None

    def __repr__(self) -> str:
        return f"TokenCipher(current_kid={self._current!r}, kids={sorted(self._aead)!r})"

    __str__ = __repr__


def _aad(prefix: str, aad: str) -> bytes:
    if not aad:
        raise ValueError("aad must name the row and field the token belongs to")
    return f"{prefix}.{aad}".encode()
