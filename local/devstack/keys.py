"""Local-only secrets, made once and kept in `.dev/` so a second start can read what the first
stored (the token cipher keys) and keeps the same dev user."""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ghlbridge.http.caller import DevKeySource


@dataclass(frozen=True)
class DevSecrets:
    state_signing_key: str
    token_keys: str  # JSON {"current", "keys"}
    dev_user_id: str
    jwt_private_pem: str
    jwt_public_pem: str

    def mint_jwt(self, *, hours: int = 12, user_id: str | None = None, email: str = "dev@localhost") -> str:
        """A caller JWT only local runs accept (`ghlbridge.http.caller.DevKeySource`): the dev user's, or
        another (made-up) toolkit user's, to try team access locally."""
        now = int(time.time())
        claims = {
            "sub": user_id or self.dev_user_id,
            "aud": "authenticated",
            "iss": DevKeySource.ISSUER,
            "iat": now,
            "exp": now + hours * 3600,
            "role": "authenticated",
            "email": email,
        }
        return jwt.encode(claims, self.jwt_private_pem, algorithm="ES256", headers={"kid": DevKeySource.KID})


def load_or_create(directory: Path) -> DevSecrets:
    path = directory / "secrets.json"
    if path.exists():
        return DevSecrets(**json.loads(path.read_text()))
    key = ec.generate_private_key(ec.SECP256R1())
    made = DevSecrets(
        state_signing_key=secrets.token_urlsafe(32),
        token_keys=json.dumps({"current": "dev1", "keys": {"dev1": base64.b64encode(os.urandom(32)).decode()}}),
        dev_user_id=str(uuid.uuid4()),
        jwt_private_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        jwt_public_pem=key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(made.__dict__, out, indent=2)
    return made
