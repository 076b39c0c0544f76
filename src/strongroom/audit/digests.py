"""The audit signing key and the signed digests of the chain.

The signing key is an Ed25519 key pair made on first use. Its private key is
stored only wrapped under the root key (meta ``audit.signing_key``, bound by
associated data to its purpose); its public key is stored in clear (meta
``audit.public_key``, PEM) and exported with ``strongroom audit public-key``.

A digest (format version 1) signs::

    0x01 || canonical JSON {"number", "lastSeq", "lastHash", "createdAt",
                            "previousDigestHash", "keyFingerprint"}

(hashes in lower-case hex, ``createdAt`` in epoch milliseconds). Digests chain
through ``previousDigestHash`` = SHA-256(signed bytes || signature) of the
digest before, so a deleted or replaced digest breaks the next one.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from strongroom.audit.chain import canonical_json
from strongroom.crypto.wrapping import NONCE_LENGTH, RootKey
from strongroom.domain.audit import AuditDigest
from strongroom.domain.repositories import UnitOfWork

FORMAT_VERSION = 1
SIGNING_KEY_NAME = "audit.signing_key"
PUBLIC_KEY_NAME = "audit.public_key"
_SIGNING_KEY_AAD = b"\x00\x0faudit-signing-key"
NO_DIGEST_HASH = bytes(32)


class PublicKeyError(Exception):
    """A public key is not an Ed25519 public key in PEM."""


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Raises PublicKeyError."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise PublicKeyError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise PublicKeyError("the audit public key must be an Ed25519 key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: names the key that signed a digest."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def signing_key(uow: UnitOfWork, root_key: RootKey) -> Ed25519PrivateKey:
    """The audit signing key, made (and stored wrapped) on first use.

    Call with the chain head locked, so two processes never both make one.
    """
    wrapped = uow.meta.get(SIGNING_KEY_NAME)
    if wrapped is not None:
        return Ed25519PrivateKey.from_private_bytes(root_key.unwrap(wrapped, _SIGNING_KEY_AAD))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    uow.meta.put(
        SIGNING_KEY_NAME,
        root_key.wrap(raw, _SIGNING_KEY_AAD, nonce=secrets.token_bytes(NONCE_LENGTH)),
    )
    uow.meta.put(PUBLIC_KEY_NAME, public_pem(key.public_key()))
    return key


def signed_bytes(
    number: int,
    last_seq: int,
    last_hash: bytes,
    created_at: float,
    previous_digest_hash: bytes,
    key_fingerprint: str,
) -> bytes:
    body = {
        "number": number,
        "lastSeq": last_seq,
        "lastHash": last_hash.hex(),
        "createdAt": round(created_at * 1000),
        "previousDigestHash": previous_digest_hash.hex(),
        "keyFingerprint": key_fingerprint,
    }
    return bytes([FORMAT_VERSION]) + canonical_json(body)


def _signed(digest: AuditDigest) -> bytes:
    return signed_bytes(
        digest.number,
        digest.last_seq,
        digest.last_hash,
        digest.created_at,
        digest.previous_digest_hash,
        digest.key_fingerprint,
    )


def digest_hash(digest: AuditDigest) -> bytes:
    """What the next digest names as its ``previousDigestHash``."""
    return hashlib.sha256(_signed(digest) + digest.signature).digest()


def signature_valid(digest: AuditDigest, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(digest.signature, _signed(digest))
    except InvalidSignature:
        return False
    return True


def write_digest(
    uow: UnitOfWork, root_key: RootKey, now: float, *, min_interval: float = 0.0
) -> AuditDigest | None:
    """Sign the chain's current head, unless the last digest already covers it or is
    younger than ``min_interval`` seconds. Returns the new digest, or None."""
    head = uow.audit.head(for_update=True)
    last = uow.audit.last_digest()
    if last is not None and (last.last_seq == head.seq or now - last.created_at < min_interval):
        return None
    if last is None and head.seq == 0:
        return None
    key = signing_key(uow, root_key)
    number = 1 if last is None else last.number + 1
    previous = NO_DIGEST_HASH if last is None else digest_hash(last)
    print_ = fingerprint(key.public_key())
    # Stored at millisecond precision, the precision that is signed.
    created_at = round(now * 1000) / 1000
    signature = key.sign(signed_bytes(number, head.seq, head.hash, created_at, previous, print_))
    digest = AuditDigest(number, head.seq, head.hash, created_at, previous, print_, signature)
    uow.audit.insert_digest(digest)
    return digest
