"""Asymmetric KMS keys: RSA, elliptic-curve, Ed25519 and ML-DSA key pairs.

Every operation is pyca/cryptography's; this module only maps the KMS names
(key specs, algorithms, message types) onto it and checks the KMS rules first.

Exceptions::

    AsymmetricError                base: not a key of the spec, or a rule broken
     ├── UnsupportedKeySpec        spec unknown or not offered by this cryptography build
     ├── IncompatibleAlgorithm     algorithm (or usage) not valid for the spec
     ├── InvalidDigestLength       DIGEST (or EXTERNAL_MU) of the wrong length
     ├── InvalidMessageType        message type not valid for the algorithm
     ├── DecryptionFailed          any RSA decryption failure (one opaque error)
     ├── InvalidPeerKey            ECDH peer key not a DER SPKI on the same curve
     └── PlaintextTooLong          RSA OAEP plaintext over the limit

Not offered: ``ED25519_PH_SHA_512`` (Ed25519ph, RFC 8032 §5.1). pyca/cryptography
has no Ed25519ph API (pyca/cryptography issue #10969, still open for 50.0.2),
so ``algorithms()`` leaves it out and ``sign``/``verify`` raise
IncompatibleAlgorithm for it.

Key specs are probed once, lazily: ``supported_specs()`` tries each optional
spec's key generation and keeps those the linked OpenSSL offers. The module
attributes ``ASYMMETRIC_SPECS`` and ``DATA_KEY_PAIR_SPECS`` are the same sets,
computed on first access rather than at import.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final, NoReturn, TypeAlias, cast

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

__all__ = [
    "ASYMMETRIC_SPECS",
    "DATA_KEY_PAIR_SPECS",
    "AsymmetricError",
    "AsymmetricKey",
    "DecryptionFailed",
    "IncompatibleAlgorithm",
    "InvalidDigestLength",
    "InvalidMessageType",
    "InvalidPeerKey",
    "PlaintextTooLong",
    "UnsupportedKeySpec",
    "algorithms",
    "data_key_pair_specs",
    "generate_data_key_pair",
    "generate_private_key",
    "load_private_key",
    "max_plaintext_length",
    "supported_specs",
]


class AsymmetricError(Exception):
    """Base of this module's errors; raised as such when bytes are not a key of the spec."""


class UnsupportedKeySpec(AsymmetricError):
    """The key spec is unknown, or not offered by this build of cryptography."""


class IncompatibleAlgorithm(AsymmetricError):
    """The algorithm (or key usage) is not valid for the key spec."""


class InvalidDigestLength(AsymmetricError):
    """A DIGEST (or EXTERNAL_MU) message whose length is not the algorithm's hash size."""


class InvalidMessageType(AsymmetricError):
    """The message type is not valid for the algorithm (e.g. DIGEST with ED25519_SHA_512)."""


class DecryptionFailed(AsymmetricError):
    """RSA decryption failed. Deliberately one opaque error, whatever the cause."""


class InvalidPeerKey(AsymmetricError):
    """The ECDH peer key is not a DER SubjectPublicKeyInfo on the key's curve."""


class PlaintextTooLong(AsymmetricError):
    """The plaintext is longer than RSA OAEP can encrypt with this key and algorithm."""


_PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
)
_MlDsaClass: TypeAlias = (
    type[mldsa.MLDSA44PrivateKey] | type[mldsa.MLDSA65PrivateKey] | type[mldsa.MLDSA87PrivateKey]
)

# Key usages and message types, as the API spells them.
_ENCRYPT_DECRYPT: Final = "ENCRYPT_DECRYPT"
_SIGN_VERIFY: Final = "SIGN_VERIFY"
_KEY_AGREEMENT: Final = "KEY_AGREEMENT"
_RAW: Final = "RAW"
_DIGEST: Final = "DIGEST"
_EXTERNAL_MU: Final = "EXTERNAL_MU"

_RSA_BITS: Final[dict[str, int]] = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
_EC_CURVES: Final[dict[str, ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
    "ECC_SECG_P256K1": ec.SECP256K1(),
}
_ED25519: Final = "ECC_NIST_EDWARDS25519"
_ML_DSA: Final[dict[str, _MlDsaClass]] = {
    "ML_DSA_44": mldsa.MLDSA44PrivateKey,
    "ML_DSA_65": mldsa.MLDSA65PrivateKey,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey,
}
_ALL_SPECS: Final = (*_RSA_BITS, *_EC_CURVES, _ED25519, *_ML_DSA)
# GenerateDataKeyPair's KeyPairSpec values that are also ours (SM2 and ML-KEM are not).
_DATA_KEY_PAIR_CANDIDATES: Final = frozenset((*_RSA_BITS, *_EC_CURVES, _ED25519))

_RSA_SIGNING: Final = (
    # The order DescribeKey returns them in (AWS CLI example for an RSA_2048 SIGN_VERIFY key).
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
)
_ML_DSA_ALGORITHM: Final = "ML_DSA_SHAKE_256"
_SIGNING: Final[dict[str, tuple[str, ...]]] = {
    **dict.fromkeys(_RSA_BITS, _RSA_SIGNING),
    "ECC_NIST_P256": ("ECDSA_SHA_256",),
    "ECC_NIST_P384": ("ECDSA_SHA_384",),
    "ECC_NIST_P521": ("ECDSA_SHA_512",),
    "ECC_SECG_P256K1": ("ECDSA_SHA_256",),
    _ED25519: ("ED25519_SHA_512",),  # ED25519_PH_SHA_512 left out: see the module docstring
    **dict.fromkeys(_ML_DSA, (_ML_DSA_ALGORITHM,)),
}
_ENCRYPTION: Final[dict[str, tuple[str, ...]]] = dict.fromkeys(
    _RSA_BITS, ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
)
_ECDH: Final = "ECDH"
_KEY_AGREEMENT_ALGORITHMS: Final[dict[str, tuple[str, ...]]] = dict.fromkeys(
    ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"), (_ECDH,)
)
_BY_USAGE: Final[dict[str, tuple[str, dict[str, tuple[str, ...]]]]] = {
    _ENCRYPT_DECRYPT: ("EncryptionAlgorithms", _ENCRYPTION),
    _SIGN_VERIFY: ("SigningAlgorithms", _SIGNING),
    _KEY_AGREEMENT: ("KeyAgreementAlgorithms", _KEY_AGREEMENT_ALGORITHMS),
}

# The hash each algorithm applies to a RAW message, and whose size a DIGEST must have.
# Ed25519 and ML-DSA have none here: they take no DIGEST.
# Hash objects are stateless, so one of each is shared.
_HASHES: Final[dict[str, hashes.HashAlgorithm]] = {
    "RSASSA_PKCS1_V1_5_SHA_256": hashes.SHA256(),
    "RSASSA_PKCS1_V1_5_SHA_384": hashes.SHA384(),
    "RSASSA_PKCS1_V1_5_SHA_512": hashes.SHA512(),
    "RSASSA_PSS_SHA_256": hashes.SHA256(),
    "RSASSA_PSS_SHA_384": hashes.SHA384(),
    "RSASSA_PSS_SHA_512": hashes.SHA512(),
    "ECDSA_SHA_256": hashes.SHA256(),
    "ECDSA_SHA_384": hashes.SHA384(),
    "ECDSA_SHA_512": hashes.SHA512(),
    # SHA-1 inside OAEP and MGF1 is not used for collision resistance; KMS offers it.
    "RSAES_OAEP_SHA_1": hashes.SHA1(),  # noqa: S303
    "RSAES_OAEP_SHA_256": hashes.SHA256(),
}
# FIPS 204 §6.2 / Algorithm 7: the message representative mu is 64 bytes.
_MU_LENGTH: Final = 64


def _incompatible(algorithm: str, spec: str) -> IncompatibleAlgorithm:
    # AWS's wording for an algorithm the key spec does not support.
    return IncompatibleAlgorithm(f"Algorithm {algorithm} is incompatible with key spec {spec}.")


def _new_key(spec: str) -> _PrivateKey:
    """A fresh private key of ``spec`` (a name from ``_ALL_SPECS``).

    Raises UnsupportedAlgorithm if this cryptography build cannot make one.
    """
    if spec in _RSA_BITS:
        # 65537: the public exponent every RSA KMS key uses (and pyca recommends).
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[spec])
    if spec in _EC_CURVES:
        return ec.generate_private_key(_EC_CURVES[spec])
    if spec == _ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    return _ML_DSA[spec].generate()


def _offered(spec: str) -> bool:
    if spec in _RSA_BITS:
        return True  # every build has RSA; generating a key to prove it would be slow
    try:
        _new_key(spec)
    except UnsupportedAlgorithm:
        return False
    return True


@functools.cache
def supported_specs() -> frozenset[str]:
    """The asymmetric key specs this build of cryptography offers (probed once, then cached)."""
    return frozenset(spec for spec in _ALL_SPECS if _offered(spec))


@functools.cache
def data_key_pair_specs() -> frozenset[str]:
    """The GenerateDataKeyPair ``KeyPairSpec`` values this build offers."""
    return supported_specs() & _DATA_KEY_PAIR_CANDIDATES


if TYPE_CHECKING:
    # What the type checker sees; at run time ``__getattr__`` (PEP 562) computes them on
    # first access, so importing this module probes nothing.
    ASYMMETRIC_SPECS: frozenset[str]
    DATA_KEY_PAIR_SPECS: frozenset[str]
else:
    # Hidden from the type checker, which would otherwise type every unknown attribute
    # of this module as a frozenset.
    def __getattr__(name: str) -> frozenset[str]:
        if name == "ASYMMETRIC_SPECS":
            return supported_specs()
        if name == "DATA_KEY_PAIR_SPECS":
            return data_key_pair_specs()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _require_supported(spec: str) -> None:
    if spec not in supported_specs():
        raise UnsupportedKeySpec(f"KeySpec {spec} is not supported.")


def algorithms(spec: str, usage: str) -> dict[str, list[str]]:
    """The DescribeKey algorithm list for a key of ``spec`` and ``usage``.

    One member, keyed by its API name: ``{"EncryptionAlgorithms": [...]}``,
    ``{"SigningAlgorithms": [...]}`` or ``{"KeyAgreementAlgorithms": ["ECDH"]}``,
    in the order AWS lists them. A new list on every call.

    Raises UnsupportedKeySpec for a spec this build does not offer, and
    IncompatibleAlgorithm (with AWS's "KeyUsage X is not compatible with KeySpec Y"
    wording) for a usage the spec does not allow.
    """
    _require_supported(spec)
    member, table = _BY_USAGE.get(usage, ("", {}))
    if spec not in table:
        raise IncompatibleAlgorithm(f"KeyUsage {usage} is not compatible with KeySpec {spec}")
    return {member: list(table[spec])}


def max_plaintext_length(spec: str, algorithm: str) -> int:
    """The longest plaintext RSA OAEP can encrypt with ``spec`` and ``algorithm``.

    RFC 8017 §7.1.1: modulus bytes - 2 * hash length - 2, which gives 214/190
    (RSA_2048, SHA-1/SHA-256), 342/318 (RSA_3072) and 470/446 (RSA_4096).
    Raises UnsupportedKeySpec or IncompatibleAlgorithm.
    """
    _require_supported(spec)
    if algorithm not in _ENCRYPTION.get(spec, ()):
        raise _incompatible(algorithm, spec)
    return _RSA_BITS[spec] // 8 - 2 * _HASHES[algorithm].digest_size - 2


def _private_der(key: _PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_der(key: _PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate_private_key(spec: str) -> bytes:
    """A new private key of ``spec`` as unencrypted PKCS#8 DER (the caller wraps it).

    ML-DSA keys are written in the seed form (the 32-byte seed, not the expanded
    key), the only form pyca writes. Raises UnsupportedKeySpec.
    """
    _require_supported(spec)
    return _private_der(_new_key(spec))


def generate_data_key_pair(spec: str) -> tuple[bytes, bytes]:
    """A new key pair for GenerateDataKeyPair: (private PKCS#8 DER, public DER SPKI).

    Raises UnsupportedKeySpec unless ``spec`` is in ``data_key_pair_specs()``.
    """
    if spec not in data_key_pair_specs():
        raise UnsupportedKeySpec(f"KeyPairSpec {spec} is not supported.")
    key = _new_key(spec)
    return _private_der(key), _public_der(key)


def _is_of_spec(spec: str, key: object) -> bool:
    if spec in _RSA_BITS:
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == _RSA_BITS[spec]
    if spec in _EC_CURVES:
        return (
            isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == _EC_CURVES[spec].name
        )
    if spec == _ED25519:
        return isinstance(key, ed25519.Ed25519PrivateKey)
    return isinstance(key, _ML_DSA[spec])


def load_private_key(spec: str, pkcs8_der: bytes) -> AsymmetricKey:
    """The key in ``pkcs8_der`` (unencrypted PKCS#8 DER), checked to be of ``spec``.

    pyca also reads the traditional DER forms (PKCS#1 RSAPrivateKey, SEC 1
    ECPrivateKey); what is checked is the kind of key. Loading an RSA key runs
    pyca's key validation, which costs up to ~0.3 s of CPU for RSA-4096: cache
    the result. Raises UnsupportedKeySpec, or AsymmetricError if the bytes do not
    parse, are encrypted, or hold another kind of key (algorithm, RSA size or curve).
    """
    _require_supported(spec)
    try:
        key = serialization.load_der_private_key(pkcs8_der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise AsymmetricError(f"not a PKCS#8 private key of spec {spec}") from None
    return AsymmetricKey(spec, key)


def _oaep(algorithm: str) -> padding.OAEP:
    # KMS: the same hash for the OAEP digest and MGF1, and no label.
    digest = _HASHES[algorithm]
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


class AsymmetricKey:
    """A loaded private key of one key spec. Immutable: cache it and share it.

    Build it with ``load_private_key``. Its ``repr`` never shows the key.
    """

    __slots__ = ("_key", "_public_key_der", "_spec")

    _spec: str
    _key: _PrivateKey
    _public_key_der: bytes

    def __init__(self, spec: str, private_key: object) -> None:
        """Wrap ``private_key``, a pyca private key.

        Raises UnsupportedKeySpec, or AsymmetricError unless the key is of ``spec``.
        """
        _require_supported(spec)
        if not _is_of_spec(spec, private_key):
            raise AsymmetricError(f"not a private key of spec {spec}")
        key = cast(_PrivateKey, private_key)
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_public_key_der", _public_der(key))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("AsymmetricKey is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("AsymmetricKey is immutable")

    def __repr__(self) -> str:
        return f"AsymmetricKey(spec={self._spec!r})"

    @property
    def spec(self) -> str:
        """The key spec, e.g. ``"RSA_2048"``."""
        return self._spec

    def public_key_der(self) -> bytes:
        """The public key as DER X.509 SubjectPublicKeyInfo (RFC 5280), as GetPublicKey gives it."""
        return self._public_key_der

    # --- Sign / Verify ------------------------------------------------------------------------

    def _check_signing(self, algorithm: str, message: bytes, message_type: str) -> None:
        if algorithm not in _SIGNING[self._spec]:
            raise _incompatible(algorithm, self._spec)
        if message_type == _RAW:
            return
        if message_type == _DIGEST and algorithm in _HASHES:
            if len(message) != _HASHES[algorithm].digest_size:
                # AWS's message, verbatim.
                raise InvalidDigestLength(f"Digest is invalid length for algorithm {algorithm}.")
            return
        if message_type == _EXTERNAL_MU and algorithm == _ML_DSA_ALGORITHM:
            if len(message) != _MU_LENGTH:
                raise InvalidDigestLength(f"Digest is invalid length for algorithm {algorithm}.")
            return
        raise InvalidMessageType(
            f"MessageType {message_type} is not valid for signing algorithm {algorithm}."
        )

    @staticmethod
    def _hash(algorithm: str, message_type: str) -> hashes.HashAlgorithm | Prehashed:
        digest = _HASHES[algorithm]
        return Prehashed(digest) if message_type == _DIGEST else digest

    @staticmethod
    def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
        if algorithm.startswith("RSASSA_PSS_"):
            # KMS: MGF1 with the message hash, salt as long as the hash.
            digest = _HASHES[algorithm]
            return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return padding.PKCS1v15()

    def sign(self, algorithm: str, message: bytes, message_type: str) -> bytes:
        """The signature of ``message`` with ``algorithm``.

        ``message_type``: ``RAW`` (hashed here with the algorithm's hash; pure
        Ed25519 and ML-DSA sign it as is), ``DIGEST`` (already hashed: its
        length must be the hash size) or ``EXTERNAL_MU`` (ML-DSA only: the
        64-byte mu of FIPS 204, signed as is). Encodings: RSA raw PKCS#1, ECDSA
        DER ``SEQUENCE {r, s}``, Ed25519 64 raw bytes, ML-DSA raw FIPS 204.

        Raises IncompatibleAlgorithm, InvalidMessageType or InvalidDigestLength.
        The caller enforces the API's 4096-byte message limit.
        """
        self._check_signing(algorithm, message, message_type)
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(
                message, self._rsa_padding(algorithm), self._hash(algorithm, message_type)
            )
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(message, ec.ECDSA(self._hash(algorithm, message_type)))
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(message)
        if message_type == _EXTERNAL_MU:
            return key.sign_mu(message)
        return key.sign(message)

    def verify(self, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
        """Whether ``signature`` is ``algorithm``'s signature of ``message`` under this key.

        False for any mismatch or malformed signature. Raises what ``sign``
        raises for an invalid algorithm, message type or digest length.
        """
        self._check_signing(algorithm, message, message_type)
        public = self._key.public_key()
        try:
            if isinstance(public, rsa.RSAPublicKey):
                public.verify(
                    signature,
                    message,
                    self._rsa_padding(algorithm),
                    self._hash(algorithm, message_type),
                )
            elif isinstance(public, ec.EllipticCurvePublicKey):
                public.verify(signature, message, ec.ECDSA(self._hash(algorithm, message_type)))
            elif isinstance(public, ed25519.Ed25519PublicKey):
                public.verify(signature, message)
            elif message_type == _EXTERNAL_MU:
                public.verify_mu(signature, message)
            else:
                public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    # --- Encrypt / Decrypt --------------------------------------------------------------------

    def _rsa_for(self, algorithm: str) -> rsa.RSAPrivateKey:
        if algorithm not in _ENCRYPTION.get(self._spec, ()):
            raise _incompatible(algorithm, self._spec)
        return cast(rsa.RSAPrivateKey, self._key)

    def encrypt(self, algorithm: str, plaintext: bytes) -> bytes:
        """RSA OAEP ciphertext of ``plaintext`` (modulus-length, no framing).

        Raises IncompatibleAlgorithm, or PlaintextTooLong past
        ``max_plaintext_length``.
        """
        key = self._rsa_for(algorithm)
        limit = max_plaintext_length(self._spec, algorithm)
        if len(plaintext) > limit:
            # AWS's message, verbatim.
            raise PlaintextTooLong(
                f"Algorithm {algorithm} and key spec {self._spec} cannot encrypt data larger "
                f"than {limit} bytes."
            )
        return key.public_key().encrypt(plaintext, _oaep(algorithm))

    def decrypt(self, algorithm: str, ciphertext: bytes) -> bytes:
        """The plaintext of an RSA OAEP ``ciphertext``, made here or offline with the public key.

        Raises IncompatibleAlgorithm, or DecryptionFailed for any bad ciphertext.
        """
        key = self._rsa_for(algorithm)
        try:
            return key.decrypt(ciphertext, _oaep(algorithm))
        except ValueError:
            raise DecryptionFailed from None

    # --- DeriveSharedSecret -------------------------------------------------------------------

    def derive_shared_secret(self, peer_public_key_der: bytes) -> bytes:
        """The raw ECDH shared secret (the x-coordinate, SEC 1 §3.3.1) with the peer's key.

        The NIST curves have cofactor 1, so this is also the cofactor ECDH KMS
        specifies. Raises IncompatibleAlgorithm for a spec without KEY_AGREEMENT,
        InvalidPeerKey unless ``peer_public_key_der`` is a DER SPKI on this curve.
        """
        if self._spec not in _KEY_AGREEMENT_ALGORITHMS:
            raise _incompatible(_ECDH, self._spec)
        key = cast(ec.EllipticCurvePrivateKey, self._key)
        try:
            peer = serialization.load_der_public_key(peer_public_key_der)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidPeerKey("the public key is not a DER SubjectPublicKeyInfo") from None
        if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != key.curve.name:
            raise InvalidPeerKey(f"the public key is not on the curve of key spec {self._spec}")
        return key.exchange(ec.ECDH(), peer)
