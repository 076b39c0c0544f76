"""HMAC KMS keys: key generation, GenerateMac and VerifyMac (plain RFC 2104 HMAC).

Each HMAC key spec has exactly one MAC algorithm (``HMAC_SPECS``). Tags are
never truncated: 28, 32, 48 or 64 bytes.

Generated keys are as long as the spec's name says: 224, 256, 384 or 512 bits
(28/32/48/64 bytes), which is also the hash's output length. The AWS KMS
Developer Guide ("Key specs for HMAC KMS keys") says KMS supports "symmetric
HMAC keys in varying lengths" and that "the length of the key determines the
MAC algorithm"; the spec names give those lengths. RFC 2104 §3 recommends at
least the hash output length, and keys up to the block size are used as is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

__all__ = ["HMAC_SPECS", "IncompatibleMacAlgorithm", "generate_hmac_key", "mac", "verify_mac"]

HMAC_SPECS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "HMAC_224": "HMAC_SHA_224",
        "HMAC_256": "HMAC_SHA_256",
        "HMAC_384": "HMAC_SHA_384",
        "HMAC_512": "HMAC_SHA_512",
    }
)
"""Key spec -> its one MAC algorithm (read-only)."""

# Hash objects are stateless, so one of each is shared.
_HASHES: Final[Mapping[str, hashes.HashAlgorithm]] = MappingProxyType(
    {
        "HMAC_SHA_224": hashes.SHA224(),
        "HMAC_SHA_256": hashes.SHA256(),
        "HMAC_SHA_384": hashes.SHA384(),
        "HMAC_SHA_512": hashes.SHA512(),
    }
)


class IncompatibleMacAlgorithm(Exception):
    """The MAC algorithm is not the key spec's (or the spec is not an HMAC spec)."""


def generate_hmac_key(spec: str) -> bytes:
    """New key material for an HMAC key of ``spec``: 28/32/48/64 bytes from ``os.urandom``.

    Raises ValueError for a spec that is not in ``HMAC_SPECS`` (the caller
    validates key specs before generating material).
    """
    algorithm = HMAC_SPECS.get(spec)
    if algorithm is None:
        raise ValueError(f"not an HMAC key spec: {spec}")
    return os.urandom(_HASHES[algorithm].digest_size)


def _hmac(spec: str, algorithm: str, key: bytes) -> hmac.HMAC:
    if HMAC_SPECS.get(spec) != algorithm:
        # AWS's wording (InvalidKeyUsageException).
        raise IncompatibleMacAlgorithm(
            f"Algorithm {algorithm} is incompatible with key spec {spec}."
        )
    return hmac.HMAC(key, _HASHES[algorithm])


def mac(spec: str, algorithm: str, key: bytes, message: bytes) -> bytes:
    """The HMAC tag of ``message`` under ``key`` (RFC 2104, full length).

    Raises IncompatibleMacAlgorithm unless ``algorithm`` is ``spec``'s.
    """
    h = _hmac(spec, algorithm, key)
    h.update(message)
    return h.finalize()


def verify_mac(spec: str, algorithm: str, key: bytes, message: bytes, tag: bytes) -> bool:
    """Whether ``tag`` is the HMAC of ``message`` under ``key``, compared in constant time.

    A tag of any other length (a truncated one too) is False. Raises
    IncompatibleMacAlgorithm unless ``algorithm`` is ``spec``'s.
    """
    h = _hmac(spec, algorithm, key)
    h.update(message)
    try:
        h.verify(tag)
    except InvalidSignature:
        return False
    return True
