"""Importing key material (BYOK): wrapping keys, unwrapping, and checking the material.

The client encrypts its material under an RSA public key from
GetParametersForImport, with one of the wrapping algorithms AWS KMS documents
("Importing key material", kms-semantics §8):

- ``RSAES_OAEP_SHA_1`` / ``RSAES_OAEP_SHA_256``: RSA-OAEP over the material,
  the same hash for the OAEP digest and MGF1, no label.
- ``RSA_AES_KEY_WRAP_SHA_1`` / ``RSA_AES_KEY_WRAP_SHA_256`` (PKCS#11
  CKM_RSA_AES_KEY_WRAP): the first modulus-length bytes are an ephemeral
  AES-256 key under RSA-OAEP, the rest is the material under AES Key Wrap with
  Padding (RFC 5649) with that key.

``RSAES_PKCS1_V1_5`` (refused by AWS since 2023-10-10) and the China-only SM2
algorithm and wrapping key are not offered. Every unwrap failure is one
``UnwrapFailed``, whatever its cause. Material is then checked for the key
spec (``check_material``), which also brings private keys into one canonical
encoding, so that the same key always yields the same bytes and material id.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from strongroom.crypto.asymmetric import AsymmetricError, AsymmetricKey
from strongroom.crypto.blob import MATERIAL_LENGTH
from strongroom.crypto.wrapping import length_prefixed

__all__ = [
    "IMPORTABLE_SPECS",
    "WRAPPING_ALGORITHMS",
    "WRAPPING_KEY_SPECS",
    "InvalidMaterial",
    "UnwrapFailed",
    "check_material",
    "generate_wrapping_key",
    "material_id",
    "unwrap_material",
    "wrapping_refusal",
]

RSAES_OAEP_SHA_1: Final = "RSAES_OAEP_SHA_1"
RSAES_OAEP_SHA_256: Final = "RSAES_OAEP_SHA_256"
RSA_AES_KEY_WRAP_SHA_1: Final = "RSA_AES_KEY_WRAP_SHA_1"
RSA_AES_KEY_WRAP_SHA_256: Final = "RSA_AES_KEY_WRAP_SHA_256"

_HASHES: Final[dict[str, type[hashes.SHA1] | type[hashes.SHA256]]] = {
    RSAES_OAEP_SHA_1: hashes.SHA1,
    RSAES_OAEP_SHA_256: hashes.SHA256,
    RSA_AES_KEY_WRAP_SHA_1: hashes.SHA1,
    RSA_AES_KEY_WRAP_SHA_256: hashes.SHA256,
}
WRAPPING_ALGORITHMS: Final = frozenset(_HASHES)
_KEY_WRAP: Final = frozenset({RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256})

_WRAPPING_KEY_BITS: Final[dict[str, int]] = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
WRAPPING_KEY_SPECS: Final = frozenset(_WRAPPING_KEY_BITS)

# HMAC key lengths AWS accepts for import, in bytes (kms-semantics §8).
_HMAC_LENGTHS: Final[dict[str, tuple[int, int]]] = {
    "HMAC_224": (28, 64),
    "HMAC_256": (32, 64),
    "HMAC_384": (48, 128),
    "HMAC_512": (64, 128),
}
_RSA_SPECS: Final = frozenset({"RSA_2048", "RSA_3072", "RSA_4096"})
_EC_SPECS: Final = frozenset({"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"})
IMPORTABLE_SPECS: Final = frozenset({"SYMMETRIC_DEFAULT", *_HMAC_LENGTHS, *_RSA_SPECS, *_EC_SPECS})
"""Key specs whose material can be imported (AWS also allows SM2, in China only)."""

_AES_KEY_LENGTH: Final = 32
_MATERIAL_ID_LABEL: Final = b"strongroom key material id v1"


class UnwrapFailed(Exception):
    """The encrypted material does not decrypt under the wrapping key with the algorithm."""


class InvalidMaterial(Exception):
    """The unwrapped material is not valid material for the key spec (the message says why).

    The message never contains the material.
    """


def wrapping_refusal(algorithm: str, wrapping_key_spec: str, key_spec: str) -> str | None:
    """Why ``algorithm`` with a ``wrapping_key_spec`` key cannot import ``key_spec`` material.

    None if the combination is allowed. AWS: RSA private keys need an
    RSA_AES_KEY_WRAP algorithm (they exceed one RSA-OAEP block); a P-521
    private key does not fit RSA-OAEP under an RSA_2048 key.
    """
    if algorithm not in WRAPPING_ALGORITHMS:
        return f"The wrapping algorithm {algorithm} is not supported."
    if wrapping_key_spec not in WRAPPING_KEY_SPECS:
        return f"The wrapping key spec {wrapping_key_spec} is not supported."
    if algorithm in _KEY_WRAP:
        return None
    if key_spec in _RSA_SPECS:
        return (
            f"The wrapping algorithm {algorithm} cannot wrap {key_spec} key material: "
            "use RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256."
        )
    if key_spec == "ECC_NIST_P521" and wrapping_key_spec == "RSA_2048":
        return (
            f"The wrapping algorithm {algorithm} with wrapping key spec RSA_2048 cannot wrap "
            "ECC_NIST_P521 key material: use an RSA_AES_KEY_WRAP algorithm or a longer key."
        )
    return None


def generate_wrapping_key(wrapping_key_spec: str) -> tuple[bytes, bytes]:
    """A new RSA wrapping key: (private key as PKCS#8 DER, public key as DER SPKI).

    Raises ValueError for an unknown spec. RSA-4096 takes about a second.
    """
    bits = _WRAPPING_KEY_BITS.get(wrapping_key_spec)
    if bits is None:
        raise ValueError(f"not a wrapping key spec: {wrapping_key_spec}")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _oaep(algorithm: str) -> padding.OAEP:
    digest = _HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def unwrap_material(algorithm: str, wrapping_private_key: bytes, encrypted: bytes) -> bytes:
    """The material inside ``encrypted``. Raises UnwrapFailed on any failure.

    ``wrapping_private_key`` is the PKCS#8 DER of the RSA wrapping key.
    """
    if algorithm not in WRAPPING_ALGORITHMS:
        raise UnwrapFailed
    key = serialization.load_der_private_key(wrapping_private_key, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnwrapFailed
    block = key.key_size // 8
    try:
        if algorithm in _KEY_WRAP:
            if len(encrypted) <= block:
                raise UnwrapFailed
            aes_key = key.decrypt(encrypted[:block], _oaep(algorithm))
            if len(aes_key) != _AES_KEY_LENGTH:
                raise UnwrapFailed
            return aes_key_unwrap_with_padding(aes_key, encrypted[block:])
        if len(encrypted) != block:
            raise UnwrapFailed
        return key.decrypt(encrypted, _oaep(algorithm))
    except (ValueError, InvalidUnwrap):
        raise UnwrapFailed from None


def _is_pkcs8(der: bytes) -> bool:
    """Whether ``der`` starts like a PKCS#8 PrivateKeyInfo (RFC 5208).

    SEQUENCE { INTEGER 0, SEQUENCE (AlgorithmIdentifier) … }: PKCS#1 and SEC 1
    keys, which pyca would also load, have an INTEGER or OCTET STRING there.
    """
    if len(der) < 2 or der[0] != 0x30:
        return False
    length_octets = der[1] & 0x7F if der[1] & 0x80 else 0
    body = der[2 + length_octets :]
    return body[:3] == b"\x02\x01\x00" and body[3:4] == b"\x30"


def check_material(key_spec: str, material: bytes) -> bytes:
    """The material to keep for a key of ``key_spec``; raises InvalidMaterial if it is not valid.

    SYMMETRIC_DEFAULT: exactly 32 bytes; HMAC_*: raw key bytes of the lengths
    AWS accepts; RSA_* and ECC_*: an unencrypted PKCS#8 DER private key of that
    size or curve, returned re-encoded by pyca (PKCS#8 DER) so that one key has
    one encoding. Raises InvalidMaterial for a spec that cannot be imported.
    """
    if key_spec == "SYMMETRIC_DEFAULT":
        if len(material) != MATERIAL_LENGTH:
            raise InvalidMaterial("SYMMETRIC_DEFAULT key material must be 32 bytes long.")
        return material
    lengths = _HMAC_LENGTHS.get(key_spec)
    if lengths is not None:
        low, high = lengths
        if not low <= len(material) <= high:
            raise InvalidMaterial(f"{key_spec} key material must be {low} to {high} bytes long.")
        return material
    if key_spec not in _RSA_SPECS and key_spec not in _EC_SPECS:
        raise InvalidMaterial(f"Key material cannot be imported into {key_spec} keys.")
    refusal = InvalidMaterial(
        f"The key material is not an unencrypted PKCS#8 DER private key of spec {key_spec}."
    )
    if not _is_pkcs8(material):
        raise refusal
    try:
        key = serialization.load_der_private_key(material, password=None)
        AsymmetricKey(key_spec, key)  # checks the algorithm, RSA size or curve
    except (ValueError, TypeError, UnsupportedAlgorithm, AsymmetricError):
        raise refusal from None
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def material_id(id_key: bytes, key_arn: str, material: bytes) -> bytes:
    """The 32-byte KeyMaterialId of imported material: the same material always gets the same id.

    HMAC-SHA-256 under ``id_key`` (a key derived from the root key) over a
    label, the key ARN and the material, length-prefixed. Keyed, so that the
    id, which clients see, cannot confirm a guess of the material; bound to
    the key, so that one material has unrelated ids in two keys.
    """
    message = length_prefixed(_MATERIAL_ID_LABEL, key_arn.encode(), material, width=4)
    return hmac.new(id_key, message, hashlib.sha256).digest()
