"""Canonical encoding of an encryption context, used as associated data.

The encoding is injective, so two different maps can never produce the same
bytes: a count, then each pair sorted by the UTF-8 bytes of its key, every
string prefixed with its length.

    uint16 count || (uint16 len || key utf-8 || uint16 len || value utf-8) * count

An empty or absent context encodes as ``b"\\x00\\x00"``.
"""

from __future__ import annotations

from collections.abc import Mapping

EMPTY = b"\x00\x00"

# Limit the total so the encoding always fits the uint16 length fields and an
# XKS proxy's 8,192-byte AAD limit (kms-semantics §5.1).
MAX_ENCODED_LENGTH = 8192


class EncryptionContextTooLarge(ValueError):
    """The encoded context is longer than MAX_ENCODED_LENGTH."""


def encode(context: Mapping[str, str] | None) -> bytes:
    """The canonical bytes of ``context``. Raises EncryptionContextTooLarge."""
    if not context:
        return EMPTY
    items = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in context.items())
    parts = [len(items).to_bytes(2, "big")]
    total = 2
    for key, value in items:
        total += 4 + len(key) + len(value)
        if total > MAX_ENCODED_LENGTH:
            raise EncryptionContextTooLarge
        parts.append(len(key).to_bytes(2, "big"))
        parts.append(key)
        parts.append(len(value).to_bytes(2, "big"))
        parts.append(value)
    return b"".join(parts)
