"""Asymmetric keys: specs, Sign/Verify, RSA OAEP, ECDH, key loading (kms-semantics §4, §17).

Every signature and ciphertext is checked by a path that does not go through
``strongroom.crypto.asymmetric``: pyca/cryptography called directly on the
exported public key, and pycryptodome (an independent implementation), in
both directions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (
    ec,
    ed25519,
    mldsa,
    padding,
    rsa,
    x25519,
)
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import asymmetric
from strongroom.crypto.asymmetric import (
    AsymmetricError,
    AsymmetricKey,
    DecryptionFailed,
    IncompatibleAlgorithm,
    InvalidDigestLength,
    InvalidMessageType,
    InvalidPeerKey,
    PlaintextTooLong,
    UnsupportedKeySpec,
    algorithms,
    data_key_pair_specs,
    generate_data_key_pair,
    generate_private_key,
    load_private_key,
    max_plaintext_length,
    supported_specs,
)

PROPERTY = settings(deadline=None, max_examples=60)

RSA_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
NIST_SPECS = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]
EC_SPECS = [*NIST_SPECS, "ECC_SECG_P256K1"]
ED25519 = "ECC_NIST_EDWARDS25519"
ML_DSA_SPECS = ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"]
ALL_SPECS = [*RSA_SPECS, *EC_SPECS, ED25519, *ML_DSA_SPECS]
SPECS = [spec for spec in ALL_SPECS if spec in supported_specs()]

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
OAEP = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
ML_DSA = "ML_DSA_SHAKE_256"
ALL_ALGORITHMS = [
    *RSA_SIGNING,
    *OAEP,
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
    ML_DSA,
    "ECDH",
    "SYMMETRIC_DEFAULT",
    "SM2DSA",
]

SIGNING_CASES = [
    (spec, algorithm)
    for spec in SPECS
    for algorithm in algorithms(spec, "SIGN_VERIFY")["SigningAlgorithms"]
]
SIGNING_IDS = [f"{spec}-{algorithm}" for spec, algorithm in SIGNING_CASES]
DIGEST_CASES = [(s, a) for s, a in SIGNING_CASES if not a.startswith(("ED25519", "ML_DSA"))]
DIGEST_IDS = [f"{spec}-{algorithm}" for spec, algorithm in DIGEST_CASES]
OAEP_CASES = [(spec, algorithm) for spec in RSA_SPECS for algorithm in OAEP]
OAEP_IDS = [f"{spec}-{algorithm}" for spec, algorithm in OAEP_CASES]
# Specs whose keys are quick to make, for tests that need a second key.
CHEAP_SPECS = [s for s in ("RSA_2048", "ECC_NIST_P256", ED25519, "ML_DSA_44") if s in SPECS]

NIST_CURVES = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
}
MESSAGE = b"Strongroom asymmetric test message \x00\xff"
HASH_SIZES = {"SHA_1": 20, "SHA_256": 32, "SHA_384": 48, "SHA_512": 64}
ML_DSA_SIGNATURE_SIZES = {"ML_DSA_44": 2420, "ML_DSA_65": 3309, "ML_DSA_87": 4627}


class KeyRing:
    """One key per spec, made on first use and kept for the module (RSA-4096 is slow)."""

    def __init__(self) -> None:
        self._der: dict[str, bytes] = {}
        self._keys: dict[str, AsymmetricKey] = {}
        self._pyca: dict[str, Any] = {}

    def der(self, spec: str) -> bytes:
        if spec not in self._der:
            self._der[spec] = generate_private_key(spec)
        return self._der[spec]

    def __call__(self, spec: str) -> AsymmetricKey:
        if spec not in self._keys:
            self._keys[spec] = load_private_key(spec, self.der(spec))
        return self._keys[spec]

    def pyca(self, spec: str) -> Any:
        """The same key loaded by pyca directly, without this module."""
        if spec not in self._pyca:
            self._pyca[spec] = serialization.load_der_private_key(self.der(spec), None)
        return self._pyca[spec]


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    return KeyRing()


# --- helpers: hashes and independent implementations -------------------------------------------


def _hash_name(algorithm: str) -> str:
    return "SHA_" + algorithm.rsplit("_SHA_", 1)[1]


def _pyca_hash(algorithm: str) -> hashes.HashAlgorithm:
    return {
        "SHA_1": hashes.SHA1(),  # noqa: S303 - RSAES_OAEP_SHA_1
        "SHA_256": hashes.SHA256(),
        "SHA_384": hashes.SHA384(),
        "SHA_512": hashes.SHA512(),
    }[_hash_name(algorithm)]


def _digest(algorithm: str, message: bytes) -> bytes:
    return hashlib.new(_hash_name(algorithm).replace("_", "").lower(), message).digest()


def _flip(data: bytes, index: int = 0, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index % len(out)] ^= 1 << bit
    return bytes(out)


def _pyca_verify(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> bool:
    """Verify over the RAW message with pyca, from the SPKI alone."""
    public: Any = serialization.load_der_public_key(public_der)
    try:
        if algorithm.startswith("RSASSA_PSS_"):
            h = _pyca_hash(algorithm)
            public.verify(signature, message, padding.PSS(padding.MGF1(h), h.digest_size), h)
        elif algorithm.startswith("RSASSA_PKCS1_"):
            public.verify(signature, message, padding.PKCS1v15(), _pyca_hash(algorithm))
        elif algorithm.startswith("ECDSA_"):
            public.verify(signature, message, ec.ECDSA(_pyca_hash(algorithm)))
        else:  # Ed25519 and ML-DSA sign the message itself
            public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _pyca_sign(private: Any, algorithm: str, message: bytes) -> bytes:
    """Sign the RAW message with pyca, on the key it loaded from the PKCS#8 itself."""
    if algorithm.startswith("RSASSA_PSS_"):
        h = _pyca_hash(algorithm)
        return bytes(private.sign(message, padding.PSS(padding.MGF1(h), h.digest_size), h))
    if algorithm.startswith("RSASSA_PKCS1_"):
        return bytes(private.sign(message, padding.PKCS1v15(), _pyca_hash(algorithm)))
    if algorithm.startswith("ECDSA_"):
        return bytes(private.sign(message, ec.ECDSA(_pyca_hash(algorithm))))
    return bytes(private.sign(message))


def _dome_hash(algorithm: str, message: bytes) -> Any:
    module = pytest.importorskip("Crypto.Hash." + _hash_name(algorithm).replace("_", ""))
    return module.new(message)


def _dome_scheme(spec: str, algorithm: str, der: bytes) -> Any:
    """A pycryptodome signer/verifier for ``der`` (PKCS#8 or SPKI)."""
    pytest.importorskip("Crypto", reason="pycryptodome (a test extra)")
    from Crypto.PublicKey import ECC, MLDSA, RSA
    from Crypto.Signature import DSS, eddsa, mldsa, pkcs1_15, pss

    if algorithm.startswith("RSASSA_PSS_"):
        salt = HASH_SIZES[_hash_name(algorithm)]
        return pss.new(RSA.import_key(der), salt_bytes=salt)
    if algorithm.startswith("RSASSA_PKCS1_"):
        return pkcs1_15.new(RSA.import_key(der))
    if algorithm.startswith("ECDSA_"):
        # pycryptodome calls randomized ECDSA on curves outside FIPS 186 'sec1'.
        return DSS.new(
            ECC.import_key(der),
            "sec1" if spec == "ECC_SECG_P256K1" else "fips-186-3",
            encoding="der",
        )
    if algorithm == "ED25519_SHA_512":
        return eddsa.new(ECC.import_key(der), "rfc8032")
    return mldsa.new(MLDSA.import_key(der))


def _dome_verify(
    spec: str, public_der: bytes, algorithm: str, message: bytes, signature: bytes
) -> bool:
    scheme = _dome_scheme(spec, algorithm, public_der)
    signed = message if algorithm in ("ED25519_SHA_512", ML_DSA) else None
    try:
        if signed is not None:
            scheme.verify(signed, signature)
        else:
            scheme.verify(_dome_hash(algorithm, message), signature)
    except (ValueError, TypeError):
        return False
    return True


def _dome_sign(spec: str, private_der: bytes, algorithm: str, message: bytes) -> bytes:
    scheme = _dome_scheme(spec, algorithm, private_der)
    if algorithm in ("ED25519_SHA_512", ML_DSA):
        return bytes(scheme.sign(message))
    return bytes(scheme.sign(_dome_hash(algorithm, message)))


def _fips204_mu(public_der: bytes, message: bytes) -> bytes:
    """FIPS 204 Algorithm 7 with an empty context, written out with hashlib's SHAKE256.

    mu = SHAKE256(tr || 0x00 || 0x00 || M, 64) with tr = SHAKE256(pk, 64).
    """
    public: Any = serialization.load_der_public_key(public_der)
    tr = hashlib.shake_256(public.public_bytes_raw()).digest(64)
    return hashlib.shake_256(tr + b"\x00\x00" + message).digest(64)


# --- the spec and algorithm tables -------------------------------------------------------------


def test_this_build_offers_every_spec() -> None:
    """cryptography==50.0.2 (pinned) links an OpenSSL with secp256k1, Ed25519 and ML-DSA."""
    assert supported_specs() == frozenset(ALL_SPECS)
    assert data_key_pair_specs() == frozenset([*RSA_SPECS, *EC_SPECS, ED25519])


def test_module_constants_are_the_probed_sets() -> None:
    assert supported_specs() == asymmetric.ASYMMETRIC_SPECS
    assert data_key_pair_specs() == asymmetric.DATA_KEY_PAIR_SPECS
    from strongroom.crypto.asymmetric import ASYMMETRIC_SPECS, DATA_KEY_PAIR_SPECS

    assert ASYMMETRIC_SPECS is supported_specs()
    assert DATA_KEY_PAIR_SPECS is data_key_pair_specs()


def test_other_module_attributes_are_still_missing() -> None:
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        _ = asymmetric.NO_SUCH_NAME  # type: ignore[attr-defined]


def test_exports_are_pinned() -> None:
    assert sorted(asymmetric.__all__) == sorted(
        [
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
    )
    for name in asymmetric.__all__:
        assert getattr(asymmetric, name) is not None


def test_every_error_is_an_asymmetric_error() -> None:
    for error in (
        UnsupportedKeySpec,
        IncompatibleAlgorithm,
        InvalidDigestLength,
        InvalidMessageType,
        DecryptionFailed,
        InvalidPeerKey,
        PlaintextTooLong,
    ):
        assert issubclass(error, AsymmetricError)


@pytest.fixture
def older_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cryptography build without Ed25519, secp256k1 or ML-DSA (as with some OpenSSL forks)."""

    def unsupported(*args: object, **kwargs: object) -> object:
        raise UnsupportedAlgorithm("not in this build")

    real_ec_generate = ec.generate_private_key

    def ec_generate(curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
        if isinstance(curve, ec.SECP256K1):
            raise UnsupportedAlgorithm("not in this build")
        return real_ec_generate(curve)

    monkeypatch.setattr(ec, "generate_private_key", ec_generate)
    monkeypatch.setattr(ed25519.Ed25519PrivateKey, "generate", classmethod(unsupported))
    for cls in (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey):
        monkeypatch.setattr(cls, "generate", classmethod(unsupported))
    supported_specs.cache_clear()
    data_key_pair_specs.cache_clear()
    yield
    supported_specs.cache_clear()
    data_key_pair_specs.cache_clear()


@pytest.mark.usefixtures("older_build")
def test_an_older_build_offers_only_what_it_can_generate() -> None:
    assert supported_specs() == frozenset([*RSA_SPECS, *NIST_SPECS])
    assert data_key_pair_specs() == frozenset([*RSA_SPECS, *NIST_SPECS])
    for spec in ("ECC_SECG_P256K1", ED25519, *ML_DSA_SPECS):
        with pytest.raises(UnsupportedKeySpec):
            generate_private_key(spec)
        with pytest.raises(UnsupportedKeySpec):
            algorithms(spec, "SIGN_VERIFY")
    with pytest.raises(UnsupportedKeySpec):
        generate_data_key_pair(ED25519)


def test_specs_are_probed_once() -> None:
    assert supported_specs() is supported_specs()
    assert data_key_pair_specs() is data_key_pair_specs()


@pytest.mark.parametrize(
    ("spec", "usage", "expected"),
    [
        *[
            (spec, "SIGN_VERIFY", {"SigningAlgorithms": RSA_SIGNING})  # AWS CLI describe-key order
            for spec in RSA_SPECS
        ],
        *[(spec, "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": OAEP}) for spec in RSA_SPECS],
        ("ECC_NIST_P256", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
        ("ECC_NIST_P384", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_384"]}),
        ("ECC_NIST_P521", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_512"]}),
        ("ECC_SECG_P256K1", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
        *[(spec, "KEY_AGREEMENT", {"KeyAgreementAlgorithms": ["ECDH"]}) for spec in NIST_SPECS],
        # ED25519_PH_SHA_512 is left out: pyca/cryptography has no Ed25519ph.
        (ED25519, "SIGN_VERIFY", {"SigningAlgorithms": ["ED25519_SHA_512"]}),
        *[(spec, "SIGN_VERIFY", {"SigningAlgorithms": [ML_DSA]}) for spec in ML_DSA_SPECS],
    ],
)
def test_algorithm_lists(spec: str, usage: str, expected: dict[str, list[str]]) -> None:
    assert algorithms(spec, usage) == expected


VALID_USAGES = {
    **{spec: {"SIGN_VERIFY", "ENCRYPT_DECRYPT"} for spec in RSA_SPECS},
    **{spec: {"SIGN_VERIFY", "KEY_AGREEMENT"} for spec in NIST_SPECS},
    "ECC_SECG_P256K1": {"SIGN_VERIFY"},
    ED25519: {"SIGN_VERIFY"},
    **{spec: {"SIGN_VERIFY"} for spec in ML_DSA_SPECS},
}


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        (spec, usage)
        for spec in ALL_SPECS
        for usage in (
            "SIGN_VERIFY",
            "ENCRYPT_DECRYPT",
            "KEY_AGREEMENT",
            "GENERATE_VERIFY_MAC",
            "nonsense",
        )
        if usage not in VALID_USAGES[spec]
    ],
)
def test_a_usage_the_spec_does_not_allow_is_incompatible(spec: str, usage: str) -> None:
    with pytest.raises(IncompatibleAlgorithm) as raised:
        algorithms(spec, usage)
    assert str(raised.value) == f"KeyUsage {usage} is not compatible with KeySpec {spec}"


@pytest.mark.parametrize("spec", ["SYMMETRIC_DEFAULT", "HMAC_256", "SM2", "ML_KEM_768", "rsa_2048"])
def test_specs_that_are_not_asymmetric_are_unsupported(spec: str) -> None:
    with pytest.raises(UnsupportedKeySpec):
        algorithms(spec, "SIGN_VERIFY")
    with pytest.raises(UnsupportedKeySpec):
        generate_private_key(spec)
    with pytest.raises(UnsupportedKeySpec):
        load_private_key(spec, b"")
    with pytest.raises(UnsupportedKeySpec):
        max_plaintext_length(spec, "RSAES_OAEP_SHA_256")
    with pytest.raises(UnsupportedKeySpec):
        generate_data_key_pair(spec)


def test_algorithm_lists_are_fresh_copies() -> None:
    first = algorithms("RSA_2048", "SIGN_VERIFY")
    first["SigningAlgorithms"].clear()
    assert len(algorithms("RSA_2048", "SIGN_VERIFY")["SigningAlgorithms"]) == 6


# --- Sign / Verify: independent checks ---------------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES, ids=SIGNING_IDS)
def test_raw_signature_verifies_with_pyca_on_the_exported_public_key(
    keys: KeyRing, spec: str, algorithm: str
) -> None:
    key = keys(spec)
    signature = key.sign(algorithm, MESSAGE, "RAW")
    assert _pyca_verify(key.public_key_der(), algorithm, MESSAGE, signature)
    assert not _pyca_verify(key.public_key_der(), algorithm, _flip(MESSAGE), signature)
    assert key.verify(algorithm, MESSAGE, "RAW", signature)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES, ids=SIGNING_IDS)
def test_raw_signature_verifies_with_pycryptodome(keys: KeyRing, spec: str, algorithm: str) -> None:
    key = keys(spec)
    signature = key.sign(algorithm, MESSAGE, "RAW")
    # For RSASSA-PSS this also pins the salt length: pycryptodome checks it equals the hash size.
    assert _dome_verify(spec, key.public_key_der(), algorithm, MESSAGE, signature)
    assert not _dome_verify(spec, key.public_key_der(), algorithm, _flip(MESSAGE), signature)


@pytest.mark.parametrize(("spec", "algorithm"), DIGEST_CASES, ids=DIGEST_IDS)
def test_digest_signature_is_a_signature_of_the_message(
    keys: KeyRing, spec: str, algorithm: str
) -> None:
    key = keys(spec)
    digest = _digest(algorithm, MESSAGE)
    signature = key.sign(algorithm, digest, "DIGEST")
    assert _pyca_verify(key.public_key_der(), algorithm, MESSAGE, signature)
    assert _dome_verify(spec, key.public_key_der(), algorithm, MESSAGE, signature)
    # Verify may use the other message type when the hashing is equivalent...
    assert key.verify(algorithm, MESSAGE, "RAW", signature)
    assert key.verify(algorithm, digest, "DIGEST", signature)
    assert key.verify(algorithm, digest, "DIGEST", key.sign(algorithm, MESSAGE, "RAW"))
    # ...but a digest sent as RAW is hashed again.
    assert not key.verify(algorithm, digest, "RAW", signature)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES, ids=SIGNING_IDS)
def test_pycryptodome_signature_verifies_here(keys: KeyRing, spec: str, algorithm: str) -> None:
    key = keys(spec)
    signature = _dome_sign(spec, keys.der(spec), algorithm, MESSAGE)
    assert key.verify(algorithm, MESSAGE, "RAW", signature)
    assert not key.verify(algorithm, _flip(MESSAGE), "RAW", signature)
    if (spec, algorithm) in DIGEST_CASES:
        assert key.verify(algorithm, _digest(algorithm, MESSAGE), "DIGEST", signature)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES, ids=SIGNING_IDS)
def test_direct_pyca_signature_verifies_here(keys: KeyRing, spec: str, algorithm: str) -> None:
    key = keys(spec)
    signature = _pyca_sign(keys.pyca(spec), algorithm, MESSAGE)
    assert key.verify(algorithm, MESSAGE, "RAW", signature)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES, ids=SIGNING_IDS)
def test_tampered_or_malformed_signatures_are_false(
    keys: KeyRing, spec: str, algorithm: str
) -> None:
    key = keys(spec)
    signature = key.sign(algorithm, MESSAGE, "RAW")
    assert not key.verify(algorithm, _flip(MESSAGE, 3), "RAW", signature)
    assert not key.verify(algorithm, MESSAGE + b"!", "RAW", signature)
    for bad in (
        _flip(signature, 5),
        _flip(signature, -1, 7),
        signature[:-1],
        signature + b"\x00",
        b"",
        b"\x30\x00",
        b"\x00" * len(signature),
    ):
        assert not key.verify(algorithm, MESSAGE, "RAW", bad)


@pytest.mark.parametrize("spec", CHEAP_SPECS)
def test_signature_by_another_key_of_the_same_spec_is_false(keys: KeyRing, spec: str) -> None:
    other = load_private_key(spec, generate_private_key(spec))
    for algorithm in algorithms(spec, "SIGN_VERIFY")["SigningAlgorithms"]:
        assert not keys(spec).verify(
            algorithm, MESSAGE, "RAW", other.sign(algorithm, MESSAGE, "RAW")
        )


def test_a_signature_under_one_rsa_algorithm_fails_under_the_others(keys: KeyRing) -> None:
    key = keys("RSA_2048")
    for made_with in RSA_SIGNING:
        signature = key.sign(made_with, MESSAGE, "RAW")
        for checked_with in RSA_SIGNING:
            assert key.verify(checked_with, MESSAGE, "RAW", signature) == (
                made_with == checked_with
            )


def test_pss_signature_with_another_salt_length_is_false(keys: KeyRing) -> None:
    pss = pytest.importorskip("Crypto.Signature.pss", reason="pycryptodome (a test extra)")
    rsa_module = pytest.importorskip("Crypto.PublicKey.RSA")
    sha256 = pytest.importorskip("Crypto.Hash.SHA256")
    private = rsa_module.import_key(keys.der("RSA_2048"))
    for salt in (0, 20, 33):
        signature = pss.new(private, salt_bytes=salt).sign(sha256.new(MESSAGE))
        assert not keys("RSA_2048").verify("RSASSA_PSS_SHA_256", MESSAGE, "RAW", signature)


# --- Sign / Verify: encodings --------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING_CASES, ids=SIGNING_IDS)
def test_signature_encoding(keys: KeyRing, spec: str, algorithm: str) -> None:
    key = keys(spec)
    signature = key.sign(algorithm, MESSAGE, "RAW")
    public: Any = serialization.load_der_public_key(key.public_key_der())
    if spec in RSA_SPECS:
        assert len(signature) == public.key_size // 8  # raw PKCS #1, modulus length
    elif spec in EC_SPECS:
        r, s = decode_dss_signature(signature)  # DER SEQUENCE {r, s}
        assert 0 < r < 2**public.curve.key_size and 0 < s < 2**public.curve.key_size
    elif spec == ED25519:
        assert len(signature) == 64
    else:
        assert len(signature) == ML_DSA_SIGNATURE_SIZES[spec]


def test_ecdsa_and_pss_are_randomized_pkcs1_and_ed25519_are_not(keys: KeyRing) -> None:
    def twice(spec: str, algorithm: str) -> bool:
        key = keys(spec)
        return key.sign(algorithm, MESSAGE, "RAW") == key.sign(algorithm, MESSAGE, "RAW")

    assert not twice("ECC_NIST_P256", "ECDSA_SHA_256")
    assert not twice("RSA_2048", "RSASSA_PSS_SHA_256")
    assert twice("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256")
    assert twice(ED25519, "ED25519_SHA_512")


# --- Sign / Verify: rule checks ------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm"), DIGEST_CASES, ids=DIGEST_IDS)
def test_digest_of_the_wrong_length_is_refused(keys: KeyRing, spec: str, algorithm: str) -> None:
    key = keys(spec)
    size = HASH_SIZES[_hash_name(algorithm)]
    for length in {0, 1, size - 1, size + 1, 20, 32, 48, 64} - {size}:
        with pytest.raises(InvalidDigestLength) as raised:
            key.sign(algorithm, b"\x01" * length, "DIGEST")
        assert str(raised.value) == f"Digest is invalid length for algorithm {algorithm}."
        with pytest.raises(InvalidDigestLength):
            key.verify(algorithm, b"\x01" * length, "DIGEST", b"sig")


def test_aws_wording_for_a_short_digest(keys: KeyRing) -> None:
    with pytest.raises(InvalidDigestLength) as raised:
        keys("ECC_NIST_P256").sign("ECDSA_SHA_256", b"\x00" * 31, "DIGEST")
    assert str(raised.value) == "Digest is invalid length for algorithm ECDSA_SHA_256."


@pytest.mark.parametrize(
    ("spec", "algorithm", "message_type"),
    [
        (ED25519, "ED25519_SHA_512", "DIGEST"),  # pure Ed25519 takes RAW only
        *[(spec, ML_DSA, "DIGEST") for spec in ML_DSA_SPECS],  # no HashML-DSA
        *[(spec, "RSASSA_PSS_SHA_256", "EXTERNAL_MU") for spec in RSA_SPECS],
        *[
            (spec, algorithms(spec, "SIGN_VERIFY")["SigningAlgorithms"][0], "EXTERNAL_MU")
            for spec in EC_SPECS
        ],
        (ED25519, "ED25519_SHA_512", "EXTERNAL_MU"),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "raw"),
        ("ECC_NIST_P256", "ECDSA_SHA_256", ""),
        ("ML_DSA_44", ML_DSA, "HASH"),
    ],
)
def test_a_message_type_the_algorithm_does_not_take_is_refused(
    keys: KeyRing, spec: str, algorithm: str, message_type: str
) -> None:
    key = keys(spec)
    message = b"\x02" * 64  # the right size for any digest or mu: only the type is wrong
    with pytest.raises(InvalidMessageType) as raised:
        key.sign(algorithm, message, message_type)
    assert algorithm in str(raised.value)
    with pytest.raises(InvalidMessageType):
        key.verify(algorithm, message, message_type, b"sig")


def test_aws_error_names_the_message_type() -> None:
    key = load_private_key(ED25519, generate_private_key(ED25519))
    with pytest.raises(InvalidMessageType) as raised:
        key.sign("ED25519_SHA_512", b"\x00" * 64, "DIGEST")
    assert str(raised.value) == (
        "MessageType DIGEST is not valid for signing algorithm ED25519_SHA_512."
    )


@pytest.mark.parametrize("spec", SPECS)
def test_an_algorithm_not_for_the_spec_is_incompatible(keys: KeyRing, spec: str) -> None:
    key = keys(spec)
    allowed = algorithms(spec, "SIGN_VERIFY")["SigningAlgorithms"]
    for algorithm in ALL_ALGORITHMS:
        if algorithm in allowed:
            continue
        with pytest.raises(IncompatibleAlgorithm) as raised:
            key.sign(algorithm, MESSAGE, "RAW")
        assert str(raised.value) == f"Algorithm {algorithm} is incompatible with key spec {spec}."
        with pytest.raises(IncompatibleAlgorithm):
            key.verify(algorithm, MESSAGE, "RAW", b"sig")


def test_ed25519ph_is_not_offered(keys: KeyRing) -> None:
    """pyca/cryptography has no Ed25519ph, so ED25519_PH_SHA_512 is refused outright.

    A real Ed25519ph signature (made by pycryptodome) is not mistaken for pure
    Ed25519 either.
    """
    key = keys(ED25519)
    digest = hashlib.sha512(MESSAGE).digest()
    with pytest.raises(IncompatibleAlgorithm):
        key.sign("ED25519_PH_SHA_512", digest, "DIGEST")
    with pytest.raises(IncompatibleAlgorithm):
        key.verify("ED25519_PH_SHA_512", digest, "DIGEST", b"\x00" * 64)
    eddsa = pytest.importorskip("Crypto.Signature.eddsa", reason="pycryptodome (a test extra)")
    ecc = pytest.importorskip("Crypto.PublicKey.ECC")
    sha512 = pytest.importorskip("Crypto.Hash.SHA512")
    ph_signature = eddsa.new(ecc.import_key(keys.der(ED25519)), "rfc8032").sign(sha512.new(MESSAGE))
    assert not key.verify("ED25519_SHA_512", MESSAGE, "RAW", ph_signature)
    assert not key.verify("ED25519_SHA_512", digest, "RAW", ph_signature)


# --- ML-DSA EXTERNAL_MU --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [s for s in ML_DSA_SPECS if s in SPECS])
def test_external_mu_signs_the_same_as_raw(keys: KeyRing, spec: str) -> None:
    key = keys(spec)
    mu = _fips204_mu(key.public_key_der(), MESSAGE)
    # The hand-written mu agrees with pyca's and pycryptodome's.
    hasher = mldsa.MLDSAMuHasher(serialization.load_der_public_key(key.public_key_der()))  # type: ignore[arg-type]
    hasher.update(MESSAGE)
    assert hasher.finalize() == mu
    signature = key.sign(ML_DSA, mu, "EXTERNAL_MU")
    assert _pyca_verify(key.public_key_der(), ML_DSA, MESSAGE, signature)
    assert _dome_verify(spec, key.public_key_der(), ML_DSA, MESSAGE, signature)
    assert key.verify(ML_DSA, MESSAGE, "RAW", signature)
    assert key.verify(ML_DSA, mu, "EXTERNAL_MU", key.sign(ML_DSA, MESSAGE, "RAW"))
    assert key.verify(ML_DSA, mu, "EXTERNAL_MU", _dome_sign(spec, keys.der(spec), ML_DSA, MESSAGE))
    assert not key.verify(ML_DSA, _flip(mu), "EXTERNAL_MU", signature)
    assert not key.verify(ML_DSA, mu, "RAW", signature)


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_external_mu_must_be_64_bytes(keys: KeyRing, length: int) -> None:
    key = keys("ML_DSA_65")
    with pytest.raises(InvalidDigestLength) as raised:
        key.sign(ML_DSA, b"\x03" * length, "EXTERNAL_MU")
    assert str(raised.value) == "Digest is invalid length for algorithm ML_DSA_SHAKE_256."
    with pytest.raises(InvalidDigestLength):
        key.verify(ML_DSA, b"\x03" * length, "EXTERNAL_MU", b"sig")


# --- RSA OAEP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "algorithm", "limit"),
    [
        ("RSA_2048", "RSAES_OAEP_SHA_1", 214),
        ("RSA_2048", "RSAES_OAEP_SHA_256", 190),
        ("RSA_3072", "RSAES_OAEP_SHA_1", 342),
        ("RSA_3072", "RSAES_OAEP_SHA_256", 318),
        ("RSA_4096", "RSAES_OAEP_SHA_1", 470),
        ("RSA_4096", "RSAES_OAEP_SHA_256", 446),
    ],
)
def test_plaintext_limit_is_exact(keys: KeyRing, spec: str, algorithm: str, limit: int) -> None:
    assert max_plaintext_length(spec, algorithm) == limit
    key = keys(spec)
    at_limit = bytes(range(256)) * 2
    ciphertext = key.encrypt(algorithm, at_limit[:limit])
    assert key.decrypt(algorithm, ciphertext) == at_limit[:limit]
    with pytest.raises(PlaintextTooLong) as raised:
        key.encrypt(algorithm, at_limit[: limit + 1])
    assert str(raised.value) == (
        f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} bytes."
    )


def test_aws_wording_for_a_long_plaintext(keys: KeyRing) -> None:
    with pytest.raises(PlaintextTooLong) as raised:
        keys("RSA_2048").encrypt("RSAES_OAEP_SHA_256", b"\x00" * 191)
    assert str(raised.value) == (
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger "
        "than 190 bytes."
    )


@pytest.mark.parametrize(("spec", "algorithm"), OAEP_CASES, ids=OAEP_IDS)
def test_ciphertext_made_with_pyca_from_the_public_key_decrypts(
    keys: KeyRing, spec: str, algorithm: str
) -> None:
    key = keys(spec)
    public: Any = serialization.load_der_public_key(key.public_key_der())
    h = _pyca_hash(algorithm)
    ciphertext = public.encrypt(MESSAGE, padding.OAEP(padding.MGF1(h), h, None))
    assert len(ciphertext) == public.key_size // 8  # raw OAEP block, no framing
    assert key.decrypt(algorithm, ciphertext) == MESSAGE


@pytest.mark.parametrize(("spec", "algorithm"), OAEP_CASES, ids=OAEP_IDS)
def test_ciphertext_made_with_pycryptodome_decrypts(
    keys: KeyRing, spec: str, algorithm: str
) -> None:
    oaep = pytest.importorskip("Crypto.Cipher.PKCS1_OAEP", reason="pycryptodome (a test extra)")
    rsa_module = pytest.importorskip("Crypto.PublicKey.RSA")
    hash_module = pytest.importorskip("Crypto.Hash." + _hash_name(algorithm).replace("_", ""))
    key = keys(spec)
    # pycryptodome's OAEP uses MGF1 with the same hash by default, and an empty label.
    cipher = oaep.new(rsa_module.import_key(key.public_key_der()), hashAlgo=hash_module)
    limit = max_plaintext_length(spec, algorithm)
    for plaintext in (b"\x00", MESSAGE, b"\xa5" * limit):
        assert key.decrypt(algorithm, cipher.encrypt(plaintext)) == plaintext


@pytest.mark.parametrize(("spec", "algorithm"), OAEP_CASES, ids=OAEP_IDS)
def test_ciphertext_made_here_decrypts_with_pycryptodome(
    keys: KeyRing, spec: str, algorithm: str
) -> None:
    oaep = pytest.importorskip("Crypto.Cipher.PKCS1_OAEP", reason="pycryptodome (a test extra)")
    rsa_module = pytest.importorskip("Crypto.PublicKey.RSA")
    hash_module = pytest.importorskip("Crypto.Hash." + _hash_name(algorithm).replace("_", ""))
    cipher = oaep.new(rsa_module.import_key(keys.der(spec)), hashAlgo=hash_module)
    assert cipher.decrypt(keys(spec).encrypt(algorithm, MESSAGE)) == MESSAGE


def test_oaep_is_randomized(keys: KeyRing) -> None:
    key = keys("RSA_2048")
    assert key.encrypt("RSAES_OAEP_SHA_256", MESSAGE) != key.encrypt("RSAES_OAEP_SHA_256", MESSAGE)


def test_decryption_failures_are_one_opaque_error(keys: KeyRing) -> None:
    key = keys("RSA_2048")
    ciphertext = key.encrypt("RSAES_OAEP_SHA_256", MESSAGE)
    for bad, algorithm in (
        (ciphertext, "RSAES_OAEP_SHA_1"),  # made with the other hash
        (_flip(ciphertext, 10), "RSAES_OAEP_SHA_256"),
        (ciphertext[:-1], "RSAES_OAEP_SHA_256"),
        (ciphertext + b"\x00", "RSAES_OAEP_SHA_256"),
        (b"", "RSAES_OAEP_SHA_256"),
        (b"\xff" * 256, "RSAES_OAEP_SHA_256"),  # larger than the modulus
        (keys("RSA_3072").encrypt("RSAES_OAEP_SHA_256", MESSAGE), "RSAES_OAEP_SHA_256"),
    ):
        with pytest.raises(DecryptionFailed) as raised:
            key.decrypt(algorithm, bad)
        assert str(raised.value) == ""


@pytest.mark.parametrize("spec", SPECS)
def test_encryption_algorithms_only_for_rsa(keys: KeyRing, spec: str) -> None:
    key = keys(spec)
    for algorithm in ALL_ALGORITHMS:
        if spec in RSA_SPECS and algorithm in OAEP:
            continue
        with pytest.raises(IncompatibleAlgorithm) as raised:
            key.encrypt(algorithm, b"x")
        assert str(raised.value) == f"Algorithm {algorithm} is incompatible with key spec {spec}."
        with pytest.raises(IncompatibleAlgorithm):
            key.decrypt(algorithm, b"x" * 256)
        with pytest.raises(IncompatibleAlgorithm):
            max_plaintext_length(spec, algorithm)


# --- ECDH ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", NIST_SPECS)
def test_both_sides_derive_the_same_secret(keys: KeyRing, spec: str) -> None:
    ours = keys(spec)
    theirs = load_private_key(spec, generate_private_key(spec))
    secret = ours.derive_shared_secret(theirs.public_key_der())
    assert secret == theirs.derive_shared_secret(ours.public_key_der())
    field_bytes = {"ECC_NIST_P256": 32, "ECC_NIST_P384": 48, "ECC_NIST_P521": 66}[spec]
    assert len(secret) == field_bytes


@pytest.mark.parametrize("spec", NIST_SPECS)
def test_secret_matches_an_independent_peer(keys: KeyRing, spec: str) -> None:
    ours = keys(spec)
    peer = ec.generate_private_key(NIST_CURVES[spec])
    peer_spki = _spki(peer.public_key())
    ours_public: Any = serialization.load_der_public_key(ours.public_key_der())
    assert ours.derive_shared_secret(peer_spki) == peer.exchange(ec.ECDH(), ours_public)


@pytest.mark.parametrize("spec", NIST_SPECS)
def test_secret_matches_pycryptodome(keys: KeyRing, spec: str) -> None:
    dh = pytest.importorskip("Crypto.Protocol.DH", reason="pycryptodome (a test extra)")
    ecc = pytest.importorskip("Crypto.PublicKey.ECC")
    curve = {"ECC_NIST_P256": "P-256", "ECC_NIST_P384": "P-384", "ECC_NIST_P521": "P-521"}[spec]
    peer = ecc.generate(curve=curve)
    expected = dh.key_agreement(
        static_priv=peer, static_pub=ecc.import_key(keys(spec).public_key_der()), kdf=lambda z: z
    )
    assert keys(spec).derive_shared_secret(peer.public_key().export_key(format="DER")) == expected


def _spki(public: Any) -> bytes:
    return bytes(
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


@pytest.mark.parametrize("spec", NIST_SPECS)
def test_a_peer_key_that_is_not_spki_on_the_curve_is_refused(keys: KeyRing, spec: str) -> None:
    key = keys(spec)
    other_curves = [s for s in EC_SPECS if s != spec]
    own_spki = key.public_key_der()
    bad_peers = [
        *(keys(other).public_key_der() for other in other_curves),
        keys("RSA_2048").public_key_der(),
        keys(ED25519).public_key_der(),
        _spki(x25519.X25519PrivateKey.generate().public_key()),
        b"",
        b"garbage",
        own_spki + b"\x00",  # trailing data
        own_spki[:-1],
        _flip(own_spki, -1),  # the point is no longer on the curve
        keys.der(spec),  # a private key
    ]
    for peer in bad_peers:
        with pytest.raises(InvalidPeerKey):
            key.derive_shared_secret(peer)


@pytest.mark.parametrize("spec", [s for s in SPECS if s not in NIST_SPECS])
def test_key_agreement_only_on_nist_curves(keys: KeyRing, spec: str) -> None:
    with pytest.raises(IncompatibleAlgorithm) as raised:
        keys(spec).derive_shared_secret(keys("ECC_NIST_P256").public_key_der())
    assert str(raised.value) == f"Algorithm ECDH is incompatible with key spec {spec}."


# --- generation and loading ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
def test_generated_key_is_pkcs8_of_the_spec(keys: KeyRing, spec: str) -> None:
    der = keys.der(spec)
    private = keys.pyca(spec)
    assert der == private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    if spec in RSA_SPECS:
        assert isinstance(private, rsa.RSAPrivateKey)
        assert private.key_size == int(spec.removeprefix("RSA_"))
        assert private.public_key().public_numbers().e == 65537
    elif spec in EC_SPECS:
        assert isinstance(private, ec.EllipticCurvePrivateKey)
    elif spec == ED25519:
        assert isinstance(private, ed25519.Ed25519PrivateKey)
    assert keys(spec).public_key_der() == _spki(private.public_key())
    assert keys(spec).spec == spec


@pytest.mark.parametrize("spec", CHEAP_SPECS)
def test_generated_keys_differ(spec: str) -> None:
    assert generate_private_key(spec) != generate_private_key(spec)


@pytest.mark.parametrize("spec", SPECS)
def test_load_refuses_a_key_of_another_spec(keys: KeyRing, spec: str) -> None:
    others = [other for other in SPECS if other != spec]
    if spec in RSA_SPECS:
        # pyca validates an RSA key on every load (~0.3 s of CPU for RSA-4096): try the
        # other RSA sizes and one spec of each other family.
        others = [
            o for o in others if o in RSA_SPECS or o in ("ECC_NIST_P256", ED25519, "ML_DSA_44")
        ]
    for other in others:
        with pytest.raises(AsymmetricError) as raised:
            load_private_key(other, keys.der(spec))
        assert type(raised.value) is AsymmetricError


@pytest.mark.parametrize(
    "der",
    [
        b"",
        b"not DER",
        b"\x30\x03\x02\x01\x00",
        pytest.param(_spki(ec.generate_private_key(ec.SECP256R1()).public_key()), id="public-key"),
        pytest.param(
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"password"),
            ),
            id="encrypted-pkcs8",
        ),
        pytest.param(
            x25519.X25519PrivateKey.generate().private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            id="x25519",
        ),
    ],
)
def test_load_refuses_what_is_not_an_unencrypted_pkcs8_key(der: bytes) -> None:
    with pytest.raises(AsymmetricError):
        load_private_key("ECC_NIST_P256", der)


def test_load_accepts_a_traditional_ec_key_of_the_spec() -> None:
    """pyca reads SEC 1 ``ECPrivateKey`` DER too; what matters is that the curve matches."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert load_private_key("ECC_NIST_P256", der).public_key_der() == _spki(private.public_key())


def test_loading_again_gives_the_same_public_key(keys: KeyRing) -> None:
    for spec in SPECS:
        assert (
            load_private_key(spec, keys.der(spec)).public_key_der() == keys(spec).public_key_der()
        )


@pytest.mark.parametrize("spec", [*RSA_SPECS, *EC_SPECS, ED25519])
def test_data_key_pair_halves_match(spec: str) -> None:
    private_der, public_der = generate_data_key_pair(spec)
    key = load_private_key(spec, private_der)
    assert key.public_key_der() == public_der
    assert _spki(serialization.load_der_public_key(public_der)) == public_der
    algorithm = algorithms(spec, "SIGN_VERIFY")["SigningAlgorithms"][0]
    assert _pyca_verify(public_der, algorithm, MESSAGE, key.sign(algorithm, MESSAGE, "RAW"))


@pytest.mark.parametrize("spec", [*ML_DSA_SPECS, "ML_KEM_768", "SM2", "SYMMETRIC_DEFAULT"])
def test_data_key_pairs_are_not_offered_for_other_specs(spec: str) -> None:
    with pytest.raises(UnsupportedKeySpec):
        generate_data_key_pair(spec)


# --- the key object ------------------------------------------------------------------------------


def test_key_is_immutable(keys: KeyRing) -> None:
    key = keys("ECC_NIST_P256")
    with pytest.raises(AttributeError):
        key.spec = "RSA_2048"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        key._spec = "RSA_2048"
    with pytest.raises(AttributeError):
        del key._key
    assert key.spec == "ECC_NIST_P256"


def test_repr_never_shows_the_key(keys: KeyRing) -> None:
    key = keys("ECC_NIST_P256")
    assert repr(key) == "AsymmetricKey(spec='ECC_NIST_P256')"


def test_constructor_checks_the_spec() -> None:
    private = ec.generate_private_key(ec.SECP384R1())
    assert AsymmetricKey("ECC_NIST_P384", private).spec == "ECC_NIST_P384"
    with pytest.raises(AsymmetricError):
        AsymmetricKey("ECC_NIST_P256", private)
    with pytest.raises(AsymmetricError):
        AsymmetricKey("ECC_NIST_P384", "not a key")
    with pytest.raises(UnsupportedKeySpec):
        AsymmetricKey("SYMMETRIC_DEFAULT", private)


# --- properties ----------------------------------------------------------------------------------

ROUND_TRIP_CASES = [(s, a) for s, a in SIGNING_CASES if s in CHEAP_SPECS]


@PROPERTY
@given(
    case=st.sampled_from(ROUND_TRIP_CASES),
    message=st.binary(min_size=1, max_size=4096),
    index=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_sign_verify_round_trip_and_any_flipped_bit_fails(
    keys: KeyRing, case: tuple[str, str], message: bytes, index: int, bit: int
) -> None:
    spec, algorithm = case
    key = keys(spec)
    signature = key.sign(algorithm, message, "RAW")
    assert key.verify(algorithm, message, "RAW", signature)
    assert _pyca_verify(key.public_key_der(), algorithm, message, signature)
    assert not key.verify(algorithm, _flip(message, index, bit), "RAW", signature)
    assert not key.verify(algorithm, message, "RAW", _flip(signature, index, bit))


@PROPERTY
@given(
    algorithm=st.sampled_from(OAEP),
    plaintext=st.binary(min_size=0, max_size=214),
)
def test_encrypt_decrypt_round_trip(keys: KeyRing, algorithm: str, plaintext: bytes) -> None:
    key = keys("RSA_2048")
    if len(plaintext) > max_plaintext_length("RSA_2048", algorithm):
        with pytest.raises(PlaintextTooLong):
            key.encrypt(algorithm, plaintext)
        return
    assert key.decrypt(algorithm, key.encrypt(algorithm, plaintext)) == plaintext


@PROPERTY
@given(
    spec=st.sampled_from(NIST_SPECS),
    # Below every NIST curve's group order (all > 2**255), so always a valid private key.
    peer_scalar=st.integers(min_value=1, max_value=2**255),
)
def test_ecdh_agrees_with_pyca_for_any_peer(keys: KeyRing, spec: str, peer_scalar: int) -> None:
    peer = ec.derive_private_key(peer_scalar, NIST_CURVES[spec])
    ours_public: Any = serialization.load_der_public_key(keys(spec).public_key_der())
    expected = peer.exchange(ec.ECDH(), ours_public)
    assert keys(spec).derive_shared_secret(_spki(peer.public_key())) == expected
