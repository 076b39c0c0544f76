"""Import tokens (GetParametersForImport → ImportKeyMaterial), stateless and sealed.

A token carries everything ImportKeyMaterial needs, sealed under the root key
with the wrapping format of ``crypto/wrapping.py`` (AES-256-GCM, random nonce):

    plaintext = 0x01 (token format) || expires_at (8, IEEE 754 double, big-endian)
                || len (2) || wrapping algorithm || len (2) || wrapping key spec
                || wrapping private key (PKCS#8 DER, the rest)
    associated data = len-prefixed "strongroom import token v1" || key ARN

The key ARN is bound as associated data, not stored: a token presented for
another key fails to open exactly as a modified one does. Nothing is kept on
the server, so a token works on every node, and any number of times until it
expires (AWS: 24 hours).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from strongroom.crypto.wrapping import RootKey, UnwrapError, length_prefixed

__all__ = [
    "ImportParameters",
    "TokenExpired",
    "TokenInvalid",
    "open_token",
    "seal_token",
    "token_aad",
]

TOKEN_FORMAT: Final = 1
_AAD_LABEL: Final = b"strongroom import token v1"
_EXPIRY: Final = struct.Struct(">d")


class TokenInvalid(Exception):
    """The token is malformed, modified, sealed under another root key, or for another key."""


class TokenExpired(Exception):
    """The token is genuine but its validity period has ended."""


@dataclass(frozen=True, slots=True, repr=False)
class ImportParameters:
    """What a token holds. Its ``repr`` never shows the private key."""

    wrapping_algorithm: str
    wrapping_key_spec: str
    wrapping_private_key: bytes
    expires_at: float

    def __repr__(self) -> str:
        return (
            f"ImportParameters({self.wrapping_algorithm}, {self.wrapping_key_spec}, "
            f"expires_at={self.expires_at})"
        )


def token_aad(key_arn: str) -> bytes:
    """The associated data that binds a token to its key."""
    return length_prefixed(_AAD_LABEL, key_arn.encode())


def seal_token(
    root_key: RootKey, key_arn: str, parameters: ImportParameters, *, nonce: bytes
) -> bytes:
    """The import token for ``key_arn``; ``nonce`` (12 bytes) from a CSPRNG."""
    plaintext = (
        bytes([TOKEN_FORMAT])
        + _EXPIRY.pack(parameters.expires_at)
        + length_prefixed(
            parameters.wrapping_algorithm.encode(), parameters.wrapping_key_spec.encode()
        )
        + parameters.wrapping_private_key
    )
    return root_key.wrap(plaintext, token_aad(key_arn), nonce=nonce)


def open_token(root_key: RootKey, key_arn: str, token: bytes, *, now: float) -> ImportParameters:
    """The parameters sealed in ``token`` for ``key_arn``.

    Raises TokenInvalid if the token does not open for this key (or is not a
    token), TokenExpired if it opens but ``now`` is past its expiry.
    """
    try:
        plaintext = root_key.unwrap(token, token_aad(key_arn))
    except UnwrapError:
        raise TokenInvalid from None
    try:
        if plaintext[0] != TOKEN_FORMAT:
            raise TokenInvalid
        (expires_at,) = _EXPIRY.unpack_from(plaintext, 1)
        offset = 1 + _EXPIRY.size
        fields: list[str] = []
        for _ in range(2):
            length = int.from_bytes(plaintext[offset : offset + 2], "big")
            fields.append(plaintext[offset + 2 : offset + 2 + length].decode())
            offset += 2 + length
    except (IndexError, struct.error, UnicodeDecodeError):
        raise TokenInvalid from None
    if now >= expires_at:
        raise TokenExpired
    return ImportParameters(fields[0], fields[1], plaintext[offset:], expires_at)
