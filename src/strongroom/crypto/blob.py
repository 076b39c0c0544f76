"""The symmetric ciphertext blob (format version 1).

Layout (all fixed-size except the ciphertext)::

    offset  size  field
    0       1     format version, 0x01
    1       16    key id (UUID bytes)
    17      32    key version id (the KeyMaterialId)
    49      16    salt: per-message key derivation input
    65      12    AES-GCM nonce
    77      n     ciphertext
    77+n    16    GCM tag

Messages are encrypted under AES-256 keys derived from the key material:
HKDF-Expand(SHA-256) with ``INFO_PREFIX || salt`` as info (RFC 5869 §3.3 allows
skipping Extract because the material is uniformly random). Derived keys remove
the 2^32-messages-per-key limit that random 96-bit nonces impose on a single
GCM key (NIST SP 800-38D §8.3), which a busy KMS key would reach.

``encrypt`` derives a key for the one message it seals. ``VersionKeys`` (the
server's hot path) draws a random salt and uses its derived key for up to
``MESSAGES_PER_SALT`` messages, each with its own random nonce, before drawing
the next: the chance that two of those messages share a nonce is below 2^-65,
and no derived key comes near the 2^32 limit. The blob is the same either way,
so every blob opens with ``decrypt`` and with ``VersionKeys.decrypt``.

The associated data is the 77-byte header followed by the canonical encoding
of the encryption context, so the key id, version and context are all
authenticated and none of them can be changed without detection.
"""

from __future__ import annotations

import itertools
import os
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

FORMAT_VERSION = 1
KEY_ID_LENGTH = 16
VERSION_ID_LENGTH = 32
SALT_LENGTH = 16
NONCE_LENGTH = 12
TAG_LENGTH = 16
HEADER_LENGTH = 1 + KEY_ID_LENGTH + VERSION_ID_LENGTH + SALT_LENGTH + NONCE_LENGTH
OVERHEAD = HEADER_LENGTH + TAG_LENGTH
MATERIAL_LENGTH = 32
INFO_PREFIX = b"strongroom blob v1 message key"
# How many messages one derived key seals (each with a fresh random nonce).
MESSAGES_PER_SALT = 1 << 16
# How many derived keys VersionKeys keeps for decryption (salts of recent blobs
# that opened, and its own): a handful per cache period is the normal case.
OPENED_SALTS = 64

_VERSION_BYTE = bytes([FORMAT_VERSION])
_SHA256 = hashes.SHA256()


class InvalidBlob(Exception):
    """The blob is malformed, of an unknown version, modified, or the context differs.

    Deliberately one opaque error: callers must not learn which check failed.
    """


class BlobHeader(NamedTuple):
    # A named tuple: Decrypt reads one per call, and a frozen dataclass pays
    # object.__setattr__ per field.
    key_id: str
    version_id: bytes


def _require_v1(blob: bytes) -> None:
    if len(blob) < OVERHEAD or blob[0] != FORMAT_VERSION:
        raise InvalidBlob


def parse_header(blob: bytes) -> BlobHeader:
    """The key and version a blob names. Raises InvalidBlob if it cannot be a v1 blob."""
    _require_v1(blob)
    h = blob[1:17].hex()
    # The canonical 8-4-4-4-12 UUID text, without the cost of uuid.UUID.
    return BlobHeader(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", blob[17:49])


def _message_key(material: bytes, salt: bytes) -> AESGCM:
    derived = HKDFExpand(_SHA256, MATERIAL_LENGTH, INFO_PREFIX + salt).derive(material)
    return AESGCM(derived)


def _key_id_bytes(key_id: str) -> bytes:
    key_id_bytes = bytes.fromhex(key_id.replace("-", ""))
    if len(key_id) != 36 or len(key_id_bytes) != KEY_ID_LENGTH:
        raise ValueError("key_id must be a UUID")
    return key_id_bytes


def _check_lengths(material: bytes, version_id: bytes) -> None:
    if len(material) != MATERIAL_LENGTH:
        raise ValueError("material must be 32 bytes")
    if len(version_id) != VERSION_ID_LENGTH:
        raise ValueError("version_id must be 32 bytes")


def _seal(
    aead: AESGCM, header: bytes, nonce: bytes, plaintext: bytes, encoded_context: bytes
) -> bytes:
    return header + aead.encrypt(nonce, plaintext, header + encoded_context)


def _open(aead: AESGCM, blob: bytes, encoded_context: bytes) -> bytes:
    try:
        return aead.decrypt(
            blob[65:HEADER_LENGTH], blob[HEADER_LENGTH:], blob[:HEADER_LENGTH] + encoded_context
        )
    except InvalidTag:
        raise InvalidBlob from None


def encrypt(
    material: bytes,
    key_id: str,
    version_id: bytes,
    plaintext: bytes,
    encoded_context: bytes,
    *,
    salt: bytes,
    nonce: bytes,
) -> bytes:
    """A v1 blob of ``plaintext`` under ``material``.

    ``salt`` (16 bytes) and ``nonce`` (12 bytes) must come from a CSPRNG; they are
    parameters only so that tests can fix them.
    """
    _check_lengths(material, version_id)
    if len(salt) != SALT_LENGTH or len(nonce) != NONCE_LENGTH:
        raise ValueError("salt must be 16 bytes and nonce 12 bytes")
    header = b"".join((_VERSION_BYTE, _key_id_bytes(key_id), version_id, salt, nonce))
    return _seal(_message_key(material, salt), header, nonce, plaintext, encoded_context)


def decrypt(material: bytes, blob: bytes, encoded_context: bytes) -> bytes:
    """The plaintext of a v1 blob. Raises InvalidBlob on any failure."""
    _require_v1(blob)
    return _open(_message_key(material, blob[49:65]), blob, encoded_context)


class _Salted:
    """One derived key in use for encryption: its header prefix and its use counter."""

    __slots__ = ("aead", "prefix", "uses")

    def __init__(self, prefix: bytes, aead: AESGCM) -> None:
        self.prefix = prefix
        self.aead = aead
        # next() on a count is atomic under the GIL: concurrent sealers never share a use.
        self.uses = itertools.count()


class VersionKeys:
    """The derived message keys of one key version, reused rather than derived per message.

    One instance per cached key version (the node's key cache makes them and
    drops them with the cached material). Safe to share between threads: the
    current salt is swapped as a whole, and decryption's memo is a bounded dict.
    """

    __slots__ = ("_current", "_key_prefix", "_limit", "_material", "_opened")

    def __init__(
        self,
        material: bytes,
        key_id: str,
        version_id: bytes,
        *,
        messages_per_salt: int = MESSAGES_PER_SALT,
    ) -> None:
        _check_lengths(material, version_id)
        self._material = material
        self._key_prefix = _VERSION_BYTE + _key_id_bytes(key_id) + version_id
        self._limit = messages_per_salt
        self._opened: dict[bytes, AESGCM] = {}
        self._current = self._fresh()

    def _fresh(self) -> _Salted:
        salt = os.urandom(SALT_LENGTH)
        aead = _message_key(self._material, salt)
        self._remember(salt, aead)
        salted = _Salted(self._key_prefix + salt, aead)
        self._current = salted
        return salted

    def _remember(self, salt: bytes, aead: AESGCM) -> None:
        if len(self._opened) >= OPENED_SALTS:
            self._opened.clear()
        self._opened[salt] = aead

    def encrypt(self, plaintext: bytes, encoded_context: bytes) -> bytes:
        """A v1 blob of ``plaintext``: the current salt's key, a fresh random nonce."""
        current = self._current
        while next(current.uses) >= self._limit:
            current = self._fresh()
        nonce = os.urandom(NONCE_LENGTH)
        return _seal(current.aead, current.prefix + nonce, nonce, plaintext, encoded_context)

    def decrypt(self, blob: bytes, encoded_context: bytes) -> bytes:
        """``decrypt`` for a blob of this version (the caller matched the header)."""
        _require_v1(blob)
        salt = blob[49:65]
        aead = self._opened.get(salt)
        if aead is not None:
            return _open(aead, blob, encoded_context)
        aead = _message_key(self._material, salt)
        plaintext = _open(aead, blob, encoded_context)
        # Only salts of blobs that opened are kept: made-up salts cannot fill the memo.
        self._remember(salt, aead)
        return plaintext
