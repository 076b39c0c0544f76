"""Wrapping secrets at rest under the root key (format version 1).

    0x01 || nonce (12) || AES-256-GCM(root key, nonce, secret, 0x01 || aad) ciphertext || tag (16)

The version byte is authenticated too, so it cannot be changed to another format's.

The caller binds what the secret belongs to as associated data (for key
material: key ARN, version id and key spec), so a row moved to another key or
version fails to unwrap instead of yielding another key's material.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = 1
NONCE_LENGTH = 12
ROOT_KEY_LENGTH = 32
_VERSION_BYTE = bytes([FORMAT_VERSION])


class UnwrapError(Exception):
    """The wrapped value is malformed, of an unknown version, modified, or bound to other data."""


class RootKey:
    """The 256-bit root key. Its ``repr`` never shows the key."""

    __slots__ = ("_aead", "_key")

    def __init__(self, key: bytes) -> None:
        if len(key) != ROOT_KEY_LENGTH:
            raise ValueError("the root key must be 32 bytes")
        self._key = key
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "RootKey(<hidden>)"

    def wrap(self, secret: bytes, aad: bytes, *, nonce: bytes) -> bytes:
        """``secret`` sealed under the root key, bound to ``aad``; ``nonce`` from a CSPRNG."""
        if len(nonce) != NONCE_LENGTH:
            raise ValueError("nonce must be 12 bytes")
        return _VERSION_BYTE + nonce + self._aead.encrypt(nonce, secret, _VERSION_BYTE + aad)

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte key for ``purpose`` (HKDF-SHA-256, RFC 5869, no salt, info = purpose).

        Keys for different purposes are independent of each other and of the
        wrapping key itself.
        """
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(self._key)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        """The secret. Raises UnwrapError on any failure."""
        if len(wrapped) < 1 + NONCE_LENGTH + 16 or wrapped[0] != FORMAT_VERSION:
            raise UnwrapError
        try:
            return self._aead.decrypt(wrapped[1:13], wrapped[13:], _VERSION_BYTE + aad)
        except InvalidTag:
            raise UnwrapError from None


def length_prefixed(*parts: bytes, width: int = 2) -> bytes:
    """``parts`` each preceded by its length (``width`` bytes, big-endian): an unambiguous
    concatenation, for associated data and MAC inputs."""
    return b"".join(len(p).to_bytes(width, "big") + p for p in parts)


def material_aad(key_arn: str, version_id: bytes, key_spec: str) -> bytes:
    """Associated data binding key material to its key, version and spec (length-prefixed)."""
    return length_prefixed(b"key-material", key_arn.encode(), version_id, key_spec.encode())


def access_key_aad(access_key_id: str) -> bytes:
    """Associated data binding a secret access key to its access key id."""
    return length_prefixed(b"secret-access-key", access_key_id.encode())
