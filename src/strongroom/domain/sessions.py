"""Temporary credentials issued by AssumeRole."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Session:
    """A role session. The secret is stored wrapped by the root key; the session token only
    as its SHA-256 (the client presents the token; we never need it back)."""

    access_key_id: str
    role_principal_id: str
    session_name: str
    wrapped_secret: bytes
    token_sha256: bytes
    created_at: float
    expires_at: float
