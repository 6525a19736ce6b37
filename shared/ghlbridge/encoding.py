"""Base64 as this project uses it, in one place.

- `b64url` / `unb64url`: unpadded base64url, for the short strings it signs or seals (OAuth states,
  list cursors, token ciphertexts). Decoding is strict: only the base64url alphabet.
- `unb64`: standard base64, strictly validated (webhook signatures, key settings).

Decoders raise `ValueError` (`binascii.Error` is one) for anything else.
"""

from __future__ import annotations

import base64
import re
from typing import Final

_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unb64(text: str) -> bytes:
    return base64.b64decode(text.strip(), validate=True)
