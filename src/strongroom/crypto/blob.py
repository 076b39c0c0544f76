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

Each message is encrypted under its own AES-256 key, HKDF-Expand(SHA-256) of
the key material with ``INFO_PREFIX || salt`` as info (RFC 5869 §3.3 allows
skipping Extract because the material is uniformly random). Per-message keys
remove the 2^32-messages-per-key limit that random 96-bit nonces impose on a
single GCM key (NIST SP 800-38D §8.3), which a busy KMS key would reach.

The associated data is the 77-byte header followed by the canonical encoding
of the encryption context, so the key id, version and context are all
authenticated and none of them can be changed without detection.
"""

from __future__ import annotations

from dataclasses import dataclass

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

_VERSION_BYTE = bytes([FORMAT_VERSION])
_SHA256 = hashes.SHA256()


class InvalidBlob(Exception):
    """The blob is malformed, of an unknown version, modified, or the context differs.

    Deliberately one opaque error: callers must not learn which check failed.
    """


@dataclass(frozen=True, slots=True)
class BlobHeader:
    key_id: str
    version_id: bytes


def parse_header(blob: bytes) -> BlobHeader:
    """The key and version a blob names. Raises InvalidBlob if it cannot be a v1 blob."""
    if len(blob) < OVERHEAD or blob[0] != FORMAT_VERSION:
        raise InvalidBlob
    h = blob[1:17].hex()
    # The canonical 8-4-4-4-12 UUID text, without the cost of uuid.UUID.
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return BlobHeader(key_id=key_id, version_id=blob[17:49])


def _message_key(material: bytes, salt: bytes) -> AESGCM:
    derived = HKDFExpand(_SHA256, MATERIAL_LENGTH, INFO_PREFIX + salt).derive(material)
    return AESGCM(derived)


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
    if len(material) != MATERIAL_LENGTH:
        raise ValueError("material must be 32 bytes")
    if len(version_id) != VERSION_ID_LENGTH:
        raise ValueError("version_id must be 32 bytes")
    if len(salt) != SALT_LENGTH or len(nonce) != NONCE_LENGTH:
        raise ValueError("salt must be 16 bytes and nonce 12 bytes")
    key_id_bytes = bytes.fromhex(key_id.replace("-", ""))
    if len(key_id) != 36 or len(key_id_bytes) != KEY_ID_LENGTH:
        raise ValueError("key_id must be a UUID")
    header = b"".join((_VERSION_BYTE, key_id_bytes, version_id, salt, nonce))
    sealed = _message_key(material, salt).encrypt(nonce, plaintext, header + encoded_context)
    return header + sealed


def decrypt(material: bytes, blob: bytes, encoded_context: bytes) -> bytes:
    """The plaintext of a v1 blob. Raises InvalidBlob on any failure."""
    if len(blob) < OVERHEAD or blob[0] != FORMAT_VERSION:
        raise InvalidBlob
    header = blob[:HEADER_LENGTH]
    salt = blob[49:65]
    nonce = blob[65:HEADER_LENGTH]
    try:
        return _message_key(material, salt).decrypt(
            nonce, blob[HEADER_LENGTH:], header + encoded_context
        )
    except InvalidTag:
        raise InvalidBlob from None
