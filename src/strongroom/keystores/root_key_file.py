"""The embedded root key provider: a 32-byte key file made by ``strongroom init``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from strongroom.crypto.wrapping import ROOT_KEY_LENGTH, RootKey


class RootKeyFileError(Exception):
    """The root key file is missing, unreadable or malformed (never says its content)."""


def create_root_key_file(path: Path) -> bool:
    """Create a new root key file with mode 0600; False (and no change) if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: never overwrite an existing root key, even in a race.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(ROOT_KEY_LENGTH))
        f.flush()
        os.fsync(f.fileno())
    return True


def load_root_key(path: Path) -> RootKey:
    """The root key in ``path``. Raises RootKeyFileError."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RootKeyFileError(f"cannot read the root key file {path}: {e.strerror}") from None
    if len(data) != ROOT_KEY_LENGTH:
        raise RootKeyFileError(f"the root key file {path} is not a {ROOT_KEY_LENGTH}-byte key")
    if path.stat().st_mode & 0o077:
        raise RootKeyFileError(
            f"the root key file {path} must not be readable by others (chmod 600)"
        )
    return RootKey(data)
