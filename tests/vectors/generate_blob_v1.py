"""Generate ``blob_v1.json``: known-answer vectors for the v1 ciphertext blob.

Run once, when the format was defined::

    .venv/bin/python tests/vectors/generate_blob_v1.py > tests/vectors/blob_v1.json

The JSON is frozen. Strongroom's own code must reproduce it byte for byte
(``tests/unit/crypto/test_blob.py``); a change to the JSON is a change to the
format, which needs a new format version byte, not a new file.

This script deliberately imports nothing from ``strongroom``: it implements
the layout documented in ``src/strongroom/crypto/blob.py`` and
``src/strongroom/crypto/encryption_context.py`` again, on pycryptodome
(AES-256-GCM, HMAC-SHA-256) instead of pyca/cryptography, with HKDF-Expand
written out from RFC 5869 §2.3. Two implementations agreeing on every vector
is the check; one making its own expected answers would prove nothing.

All inputs are fixed (no randomness), so running it again prints the same JSON.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from typing import Any

from Crypto import __version__ as PYCRYPTODOME_VERSION
from Crypto.Cipher import AES
from Crypto.Hash import HMAC, SHA256

# The documented constants, restated rather than imported.
FORMAT_VERSION = 0x01
INFO_PREFIX = b"strongroom blob v1 message key"
TAG_LENGTH = 16


def hkdf_expand_sha256(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) || info || i), OKM = first ``length`` bytes."""
    if length > 255 * 32:
        raise ValueError("length too large for HKDF-SHA-256")
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = HMAC.new(prk, block + info + bytes([counter]), digestmod=SHA256).digest()
        okm += block
        counter += 1
    return okm[:length]


# RFC 5869 Appendix A.1 (Test Case 1): PRK, info, L and OKM, to check the function above.
RFC5869_A1 = (
    "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
    "f0f1f2f3f4f5f6f7f8f9",
    42,
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
)


def check_hkdf_expand() -> None:
    """Raise AssertionError unless hkdf_expand_sha256 reproduces RFC 5869 A.1."""
    prk, info, length, okm = RFC5869_A1
    if hkdf_expand_sha256(bytes.fromhex(prk), bytes.fromhex(info), length).hex() != okm:
        raise AssertionError("hkdf_expand_sha256 does not match RFC 5869 A.1")


def encode_context(context: dict[str, str]) -> bytes:
    """uint16 count || (uint16 len || key || uint16 len || value)*, pairs sorted by UTF-8 key."""
    pairs = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in context.items())
    out = len(pairs).to_bytes(2, "big")
    for key, value in pairs:
        out += len(key).to_bytes(2, "big") + key + len(value).to_bytes(2, "big") + value
    return out


def seal_v1(
    *,
    material: bytes,
    key_id: str,
    version_id: bytes,
    salt: bytes,
    nonce: bytes,
    plaintext: bytes,
    context: dict[str, str],
) -> bytes:
    """version || key id (16) || version id (32) || salt (16) || nonce (12) || ciphertext || tag."""
    header = bytes([FORMAT_VERSION]) + uuid.UUID(key_id).bytes + version_id + salt + nonce
    assert len(header) == 77
    message_key = hkdf_expand_sha256(material, INFO_PREFIX + salt, 32)
    cipher = AES.new(message_key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_LENGTH)
    cipher.update(header + encode_context(context))
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return header + ciphertext + tag


def _fixed(label: str, length: int) -> bytes:
    """Reproducible, random-looking bytes: SHA-256 in counter mode over a label."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:length]


# name, plaintext length, encryption context. Every case gets its own material,
# key id, version id, salt and nonce, derived from its name.
CASES: list[tuple[str, int, dict[str, str]]] = [
    ("empty plaintext, empty context", 0, {}),
    ("1-byte plaintext, empty context", 1, {}),
    (
        "32-byte plaintext (a data key), 2-entry context",
        32,
        {"purpose": "test", "Department": "IT"},
    ),
    ("4096-byte plaintext (the Encrypt maximum), 1-entry context", 4096, {"app": "strongroom"}),
    (
        "unicode context: non-ASCII keys and values, astral plane",
        16,
        # U+FF61 sorts before U+1F600 by UTF-8 bytes but after it by UTF-16 code units.
        {"\U0001f600": "smile", "\uff61": "halfwidth", "größe": "ÄÖÜ", "日本": "値"},
    ),
    (
        "context keys that differ only in case, and an empty value",
        48,
        {"a": "lower", "A": "upper", "empty": ""},
    ),
    ("keys sorted by bytes, not by length", 7, {"bb": "2", "b": "1", "a": "0", "ab": "3"}),
]


def build() -> dict[str, Any]:
    check_hkdf_expand()
    cases = []
    for name, length, context in CASES:
        material = _fixed(f"{name}/material", 32)
        key_id = str(uuid.UUID(bytes=_fixed(f"{name}/key id", 16), version=4))
        version_id = _fixed(f"{name}/version id", 32)
        salt = _fixed(f"{name}/salt", 16)
        nonce = _fixed(f"{name}/nonce", 12)
        plaintext = _fixed(f"{name}/plaintext", length)
        blob = seal_v1(
            material=material,
            key_id=key_id,
            version_id=version_id,
            salt=salt,
            nonce=nonce,
            plaintext=plaintext,
            context=context,
        )
        cases.append(
            {
                "name": name,
                "material": material.hex(),
                "key_id": key_id,
                "version_id": version_id.hex(),
                "salt": salt.hex(),
                "nonce": nonce.hex(),
                "plaintext": plaintext.hex(),
                "encryption_context": context,
                "encoded_context": encode_context(context).hex(),
                "blob": blob.hex(),
            }
        )
    return {
        "format": "strongroom symmetric ciphertext blob, format version 1",
        "source": (
            "tests/vectors/generate_blob_v1.py, an independent implementation of the layout "
            "documented in src/strongroom/crypto/blob.py (HKDF-Expand per RFC 5869 on "
            f"pycryptodome {PYCRYPTODOME_VERSION} HMAC-SHA-256, AES-256-GCM from pycryptodome)"
        ),
        "frozen": "Generated once. A change to this file is a change to the blob format.",
        "cases": cases,
    }


def main() -> None:
    json.dump(build(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
