"""Asymmetric KMS keys through boto3: RSA, ECC, Ed25519, ML-DSA (kms-semantics §4, §5.1).

Signatures are checked offline with pyca/cryptography against the DER key that
GetPublicKey returns, and RSA ciphertexts made offline with that key must decrypt
on the server. Private keys never leave the server, so the opposite directions are
checked through Verify and Decrypt. Each kind of key is made once per module
(``keys``): RSA_4096 takes over a second to generate. Tests that change a key's
state make their own key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .helpers import AliasTracker, Server, create_key, expect_error, find_secrets, key_maker

KeyMaker = Callable[[str, str], dict[str, Any]]

DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
ALGORITHM_MEMBERS = (
    "EncryptionAlgorithms",
    "SigningAlgorithms",
    "KeyAgreementAlgorithms",
    "MacAlgorithms",
)
ROTATION_OPERATIONS = [
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "RotateKeyOnDemand",
    "ListKeyRotations",
]

SIGN_VERIFY = "SIGN_VERIFY"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
KEY_AGREEMENT = "KEY_AGREEMENT"

RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
RSA_SPECS = list(RSA_BITS)
RSA_SIGNING = [
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
]
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
# kms-semantics §4.3: modulus bytes - 2 * hash bytes - 2.
RSA_PLAINTEXT_LIMITS = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}

ECDSA = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
}
CURVES: dict[str, ec.EllipticCurve] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
    "ECC_SECG_P256K1": ec.SECP256K1(),
}
NIST_CURVES = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]

ED25519 = "ECC_NIST_EDWARDS25519"
ML_DSA_KEYS: dict[str, Any] = {
    "ML_DSA_44": mldsa.MLDSA44PrivateKey,
    "ML_DSA_65": mldsa.MLDSA65PrivateKey,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey,
}
ML_DSA_PUBLIC: dict[str, Any] = {
    "ML_DSA_44": mldsa.MLDSA44PublicKey,
    "ML_DSA_65": mldsa.MLDSA65PublicKey,
    "ML_DSA_87": mldsa.MLDSA87PublicKey,
}
# FIPS 204 Table 2: signature sizes.
ML_DSA_SIGNATURE_BYTES = {"ML_DSA_44": 2420, "ML_DSA_65": 3309, "ML_DSA_87": 4627}

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "_SHA_1": hashes.SHA1,
    "_SHA_256": hashes.SHA256,
    "_SHA_384": hashes.SHA384,
    "_SHA_512": hashes.SHA512,
}


def _offered(spec: str) -> bool:
    """Whether this environment's cryptography (the server's too) can make keys of ``spec``."""
    try:
        if spec == ED25519:
            ed25519.Ed25519PrivateKey.generate()
        else:
            ML_DSA_KEYS[spec].generate()
    except UnsupportedAlgorithm:
        return False
    return True


OPTIONAL_SPECS = [ED25519, *ML_DSA_KEYS]
UNAVAILABLE = {spec for spec in OPTIONAL_SPECS if not _offered(spec)}


def spec_param(*values: Any) -> Any:
    """pytest.param for a case on key spec ``values[0]``, skipped if this build lacks it."""
    marks = []
    if values[0] in UNAVAILABLE:
        marks.append(pytest.mark.skip(reason=f"{values[0]} is not offered by this cryptography"))
    return pytest.param(*values, id="-".join(map(str, values)), marks=marks)


# §4.1: the one algorithm list each (spec, usage) shows. ED25519_PH_SHA_512 is missing on
# purpose: the server does not offer Ed25519ph (pyca/cryptography has no API for it).
EXPECTED_ALGORITHMS: dict[tuple[str, str], tuple[str, list[str]]] = {
    **{(s, SIGN_VERIFY): ("SigningAlgorithms", RSA_SIGNING) for s in RSA_SPECS},
    **{(s, ENCRYPT_DECRYPT): ("EncryptionAlgorithms", RSA_ENCRYPTION) for s in RSA_SPECS},
    **{(s, SIGN_VERIFY): ("SigningAlgorithms", [a]) for s, a in ECDSA.items()},
    **{(s, KEY_AGREEMENT): ("KeyAgreementAlgorithms", ["ECDH"]) for s in NIST_CURVES},
    (ED25519, SIGN_VERIFY): ("SigningAlgorithms", ["ED25519_SHA_512"]),
    **{(s, SIGN_VERIFY): ("SigningAlgorithms", ["ML_DSA_SHAKE_256"]) for s in ML_DSA_KEYS},
}
KEY_KINDS = [spec_param(spec, usage) for spec, usage in EXPECTED_ALGORITHMS]

SIGNING = [(spec, a) for spec in RSA_SPECS for a in RSA_SIGNING] + [
    *ECDSA.items(),
    (ED25519, "ED25519_SHA_512"),
    *((spec, "ML_DSA_SHAKE_256") for spec in ML_DSA_KEYS),
]
# Algorithms that hash the message themselves, so DIGEST (a pre-hashed message) is allowed.
HASHED = [(spec, a) for spec, a in SIGNING if a.startswith(("RSASSA_", "ECDSA_"))]
SIGNING_CASES = [spec_param(spec, a, "RAW") for spec, a in SIGNING] + [
    spec_param(spec, a, "DIGEST") for spec, a in HASHED
]
HASHED_CASES = [spec_param(spec, a) for spec, a in HASHED]
ML_DSA_CASES = [spec_param(spec) for spec in ML_DSA_KEYS]
ENCRYPTION_CASES = [spec_param(spec, a) for spec in RSA_SPECS for a in RSA_ENCRYPTION]


@pytest.fixture(scope="module")
def keys(kms: Any) -> KeyMaker:
    """(KeySpec, KeyUsage) -> KeyMetadata of a key made once for this module."""
    return key_maker(kms)


# --------------------------------------------------------------------------- offline crypto


def hash_of(algorithm: str) -> hashes.HashAlgorithm:
    """The hash an RSA or ECDSA algorithm name ends with (``..._SHA_256`` -> SHA-256)."""
    for suffix, cls in _HASHES.items():
        if algorithm.endswith(suffix):
            return cls()
    raise ValueError(f"{algorithm} names no hash")


def digest(algorithm: str, message: bytes) -> bytes:
    h = hashes.Hash(hash_of(algorithm))
    h.update(message)
    return h.finalize()


def load_public_key(kms: Any, key_id: str) -> Any:
    """The key's public key, from GetPublicKey's DER SubjectPublicKeyInfo."""
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


def verify_offline(public_key: Any, algorithm: str, message: bytes, signature: bytes) -> None:
    """Raise InvalidSignature unless ``signature`` is ``algorithm``'s signature of ``message``.

    RSASSA-PSS as KMS makes it: MGF1 with the message hash and a salt as long as the hash
    (an explicit salt length makes OpenSSL check it exactly).
    """
    if algorithm.startswith("RSASSA_PSS_"):
        assert isinstance(public_key, rsa.RSAPublicKey)
        h = hash_of(algorithm)
        pss = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
        public_key.verify(signature, message, pss, h)
    elif algorithm.startswith("RSASSA_PKCS1_V1_5_"):
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(signature, message, padding.PKCS1v15(), hash_of(algorithm))
    elif algorithm.startswith("ECDSA_"):
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(signature, message, ec.ECDSA(hash_of(algorithm)))
    else:  # pure Ed25519 and ML-DSA sign the message itself
        public_key.verify(signature, message)


def ml_dsa_mu(public_key: Any, message: bytes) -> bytes:
    """FIPS 204 §6.2 (Algorithm 7, empty context): mu = SHAKE256(tr || 0 || 0 || M, 64)."""
    tr = hashlib.shake_256(public_key.public_bytes_raw()).digest(64)
    return hashlib.shake_256(tr + b"\x00\x00" + message).digest(64)


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def sign(kms: Any, key_id: str, algorithm: str, message: bytes, message_type: str) -> bytes:
    signature: bytes = kms.sign(
        KeyId=key_id, Message=message, SigningAlgorithm=algorithm, MessageType=message_type
    )["Signature"]
    return signature


def oaep(algorithm: str) -> padding.OAEP:
    h = hash_of(algorithm)
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


# --------------------------------------------------------------------------- CreateKey


@pytest.mark.parametrize(("spec", "usage"), KEY_KINDS)
def test_create_key_reports_the_spec_usage_and_only_its_algorithm_list(
    kms: Any, keys: KeyMaker, spec: str, usage: str
) -> None:
    created = keys(spec, usage)
    member, algorithms = EXPECTED_ALGORITHMS[spec, usage]
    for metadata in (created, kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]):
        assert metadata["KeySpec"] == spec
        assert metadata["CustomerMasterKeySpec"] == spec
        assert metadata["KeyUsage"] == usage
        assert metadata["KeyState"] == "Enabled"
        assert metadata["Origin"] == "AWS_KMS"
        assert sorted(metadata[member]) == sorted(algorithms)
        assert [m for m in ALGORITHM_MEMBERS if m in metadata] == [member]
        # AWS shows key material ids for symmetric encryption keys only.
        assert "CurrentKeyMaterialId" not in metadata


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("RSA_2048", "GENERATE_VERIFY_MAC"),
        ("RSA_2048", KEY_AGREEMENT),
        ("ECC_SECG_P256K1", KEY_AGREEMENT),
        ("ECC_NIST_P256", ENCRYPT_DECRYPT),
        ("ECC_NIST_P384", "GENERATE_VERIFY_MAC"),
        (ED25519, KEY_AGREEMENT),
        ("ML_DSA_44", ENCRYPT_DECRYPT),
        ("SYMMETRIC_DEFAULT", SIGN_VERIFY),
    ],
)
def test_create_key_with_a_usage_its_spec_does_not_allow_is_a_validation_error(
    kms: Any, spec: str, usage: str
) -> None:
    with expect_error(
        "ValidationException", message=f"KeyUsage {usage} is not compatible with KeySpec {spec}"
    ):
        kms.create_key(KeySpec=spec, KeyUsage=usage)


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1", ED25519])
def test_create_asymmetric_key_without_key_usage_is_a_validation_error(kms: Any, spec: str) -> None:
    with expect_error(
        "ValidationException",
        message=(
            "You must specify a KeyUsage value for all KMS keys except for symmetric "
            "encryption keys."
        ),
    ):
        kms.create_key(KeySpec=spec)


def test_create_key_accepts_the_deprecated_customer_master_key_spec(kms: Any) -> None:
    metadata = create_key(kms, CustomerMasterKeySpec="ECC_NIST_P256", KeyUsage=SIGN_VERIFY)
    assert metadata["KeySpec"] == metadata["CustomerMasterKeySpec"] == "ECC_NIST_P256"
    assert metadata["SigningAlgorithms"] == ["ECDSA_SHA_256"]


# --------------------------------------------------------------------------- GetPublicKey


@pytest.mark.parametrize(("spec", "usage"), KEY_KINDS)
def test_get_public_key_returns_a_der_public_key_of_the_spec_and_the_key_facts(
    kms: Any, keys: KeyMaker, spec: str, usage: str
) -> None:
    key = keys(spec, usage)
    answer = kms.get_public_key(KeyId=key["KeyId"])
    assert answer["KeyId"] == key["Arn"]
    assert answer["KeySpec"] == answer["CustomerMasterKeySpec"] == spec
    assert answer["KeyUsage"] == usage
    member, algorithms = EXPECTED_ALGORITHMS[spec, usage]
    assert sorted(answer[member]) == sorted(algorithms)
    assert [m for m in ALGORITHM_MEMBERS if m in answer] == [member]

    public = serialization.load_der_public_key(answer["PublicKey"])
    # Strict DER SubjectPublicKeyInfo: re-encoding gives the same bytes.
    assert (
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == answer["PublicKey"]
    )
    if spec in RSA_BITS:
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == RSA_BITS[spec]
        assert public.public_numbers().e == 65537
    elif spec in CURVES:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert public.curve.name == CURVES[spec].name
    elif spec == ED25519:
        assert isinstance(public, ed25519.Ed25519PublicKey)
    else:
        assert isinstance(public, ML_DSA_PUBLIC[spec])


def test_get_public_key_of_a_symmetric_key_is_unsupported(kms: Any, keys: KeyMaker) -> None:
    key = keys("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT)
    with expect_error("UnsupportedOperationException"):
        kms.get_public_key(KeyId=key["KeyId"])


# --------------------------------------------------------------------------- Sign


@pytest.mark.parametrize(("spec", "algorithm", "message_type"), SIGNING_CASES)
def test_signature_verifies_offline_with_the_downloaded_public_key(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str, message_type: str
) -> None:
    key = keys(spec, SIGN_VERIFY)
    message = os.urandom(100)
    sent = digest(algorithm, message) if message_type == "DIGEST" else message
    answer = kms.sign(
        KeyId=key["KeyId"], Message=sent, SigningAlgorithm=algorithm, MessageType=message_type
    )
    assert answer["KeyId"] == key["Arn"]
    assert answer["SigningAlgorithm"] == algorithm
    signature = answer["Signature"]

    # A DIGEST signature is the signature of the message the digest was made from.
    verify_offline(load_public_key(kms, key["KeyId"]), algorithm, message, signature)
    if spec in RSA_BITS:
        assert len(signature) == RSA_BITS[spec] // 8  # raw PKCS #1, modulus length
    elif spec in CURVES:
        assert encode_dss_signature(*decode_dss_signature(signature)) == signature  # DER
    elif spec == ED25519:
        assert len(signature) == 64
    else:
        assert len(signature) == ML_DSA_SIGNATURE_BYTES[spec]


@pytest.mark.parametrize(("spec", "algorithm", "message_type"), SIGNING_CASES)
def test_verify_accepts_the_servers_signature_and_rejects_tampered_ones(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str, message_type: str
) -> None:
    key_id = keys(spec, SIGN_VERIFY)["KeyId"]
    message = os.urandom(64)
    if message_type == "DIGEST":
        message = digest(algorithm, message)
    signature = sign(kms, key_id, algorithm, message, message_type)

    def verify(message: bytes, signature: bytes) -> Any:
        return kms.verify(
            KeyId=key_id,
            Message=message,
            Signature=signature,
            SigningAlgorithm=algorithm,
            MessageType=message_type,
        )

    answer = verify(message, signature)
    assert answer["SignatureValid"] is True
    assert answer["SigningAlgorithm"] == algorithm
    assert answer["KeyId"] == keys(spec, SIGN_VERIFY)["Arn"]
    for bad_message, bad_signature in [
        (flip_last_byte(message), signature),
        (message, flip_last_byte(signature)),
        (message, signature[:-1]),
    ]:
        with expect_error("KMSInvalidSignatureException", message=""):
            verify(bad_message, bad_signature)


@pytest.mark.parametrize(("spec", "algorithm"), HASHED_CASES)
def test_verify_accepts_equivalent_hashing_across_message_types(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str
) -> None:
    key_id = keys(spec, SIGN_VERIFY)["KeyId"]
    message = os.urandom(48)
    hashed = digest(algorithm, message)

    def verify(message: bytes, signature: bytes, message_type: str) -> Any:
        return kms.verify(
            KeyId=key_id,
            Message=message,
            Signature=signature,
            SigningAlgorithm=algorithm,
            MessageType=message_type,
        )

    raw_signature = sign(kms, key_id, algorithm, message, "RAW")
    assert verify(hashed, raw_signature, "DIGEST")["SignatureValid"] is True
    digest_signature = sign(kms, key_id, algorithm, hashed, "DIGEST")
    assert verify(message, digest_signature, "RAW")["SignatureValid"] is True
    # A digest sent as RAW is hashed again, so it does not match a single-hash signature.
    with expect_error("KMSInvalidSignatureException", message=""):
        verify(hashed, raw_signature, "RAW")


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [
        *(("RSA_2048", a) for a in RSA_SIGNING),
        *((spec, a) for spec, a in ECDSA.items() if spec != "ECC_SECG_P256K1"),
    ],
)
@pytest.mark.parametrize("operation", ["Sign", "Verify"])
def test_digest_of_the_wrong_length_is_a_validation_error(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str, operation: str
) -> None:
    key_id = keys(spec, SIGN_VERIFY)["KeyId"]
    size = hash_of(algorithm).digest_size
    good_signature = sign(kms, key_id, algorithm, os.urandom(size), "DIGEST")
    for length in (size - 1, size + 1, 20):
        with expect_error(
            "ValidationException", message=f"Digest is invalid length for algorithm {algorithm}."
        ):
            common = {
                "KeyId": key_id,
                "Message": os.urandom(length),
                "SigningAlgorithm": algorithm,
                "MessageType": "DIGEST",
            }
            if operation == "Sign":
                kms.sign(**common)
            else:
                kms.verify(**common, Signature=good_signature)


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [spec_param(ED25519, "ED25519_SHA_512"), spec_param("ML_DSA_44", "ML_DSA_SHAKE_256")],
)
def test_digest_message_type_is_refused_by_algorithms_that_sign_the_message_itself(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str
) -> None:
    key_id = keys(spec, SIGN_VERIFY)["KeyId"]
    with expect_error("ValidationException"):
        kms.sign(
            KeyId=key_id, Message=os.urandom(64), SigningAlgorithm=algorithm, MessageType="DIGEST"
        )


@pytest.mark.parametrize("spec", ML_DSA_CASES)
def test_ml_dsa_external_mu_signature_is_a_signature_of_the_message(
    kms: Any, keys: KeyMaker, spec: str
) -> None:
    key_id = keys(spec, SIGN_VERIFY)["KeyId"]
    public = load_public_key(kms, key_id)
    message = os.urandom(200)
    mu = ml_dsa_mu(public, message)
    signature = sign(kms, key_id, "ML_DSA_SHAKE_256", mu, "EXTERNAL_MU")
    verify_offline(public, "ML_DSA_SHAKE_256", message, signature)
    for sent, message_type in [(message, "RAW"), (mu, "EXTERNAL_MU")]:
        answer = kms.verify(
            KeyId=key_id,
            Message=sent,
            Signature=signature,
            SigningAlgorithm="ML_DSA_SHAKE_256",
            MessageType=message_type,
        )
        assert answer["SignatureValid"] is True


@pytest.mark.parametrize("length", [63, 65])
def test_external_mu_of_the_wrong_length_is_a_validation_error(
    kms: Any, keys: KeyMaker, length: int
) -> None:
    if "ML_DSA_44" in UNAVAILABLE:
        pytest.skip("ML_DSA_44 is not offered by this cryptography")
    with expect_error("ValidationException"):
        kms.sign(
            KeyId=keys("ML_DSA_44", SIGN_VERIFY)["KeyId"],
            Message=os.urandom(length),
            SigningAlgorithm="ML_DSA_SHAKE_256",
            MessageType="EXTERNAL_MU",
        )


def test_external_mu_is_refused_by_ecdsa(kms: Any, keys: KeyMaker) -> None:
    with expect_error("ValidationException"):
        kms.sign(
            KeyId=keys("ECC_NIST_P256", SIGN_VERIFY)["KeyId"],
            Message=os.urandom(64),
            SigningAlgorithm="ECDSA_SHA_256",
            MessageType="EXTERNAL_MU",
        )


@pytest.mark.parametrize(
    ("spec", "algorithm", "randomized"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", True),
        ("RSA_2048", "RSASSA_PSS_SHA_256", True),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", False),
        spec_param(ED25519, "ED25519_SHA_512", False),
    ],
)
def test_ecdsa_and_pss_signatures_are_randomized_pkcs1_and_ed25519_are_not(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str, randomized: bool
) -> None:
    key_id = keys(spec, SIGN_VERIFY)["KeyId"]
    first = sign(kms, key_id, algorithm, b"same message", "RAW")
    second = sign(kms, key_id, algorithm, b"same message", "RAW")
    assert (first != second) is randomized


def test_verify_rejects_a_signature_made_by_another_key(kms: Any, keys: KeyMaker) -> None:
    signer = keys("ECC_NIST_P256", SIGN_VERIFY)
    other = create_key(kms, KeySpec="ECC_NIST_P256", KeyUsage=SIGN_VERIFY)
    signature = sign(kms, signer["KeyId"], "ECDSA_SHA_256", b"message", "RAW")
    with expect_error("KMSInvalidSignatureException", message=""):
        kms.verify(
            KeyId=other["KeyId"],
            Message=b"message",
            Signature=signature,
            SigningAlgorithm="ECDSA_SHA_256",
        )


@pytest.mark.parametrize(
    ("signed_with", "verified_with"),
    [
        ("RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"),
        ("RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256"),
        ("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384"),
        ("RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PKCS1_V1_5_SHA_384"),
    ],
)
def test_verify_rejects_a_signature_made_with_another_algorithm(
    kms: Any, keys: KeyMaker, signed_with: str, verified_with: str
) -> None:
    key_id = keys("RSA_2048", SIGN_VERIFY)["KeyId"]
    signature = sign(kms, key_id, signed_with, b"message", "RAW")
    with expect_error("KMSInvalidSignatureException", message=""):
        kms.verify(
            KeyId=key_id, Message=b"message", Signature=signature, SigningAlgorithm=verified_with
        )


def test_sign_takes_messages_up_to_4096_bytes(
    kms: Any, kms_unvalidated: Any, keys: KeyMaker
) -> None:
    key_id = keys("ECC_NIST_P256", SIGN_VERIFY)["KeyId"]
    sign(kms, key_id, "ECDSA_SHA_256", os.urandom(4096), "RAW")
    for message in (os.urandom(4097), b""):
        with expect_error("ValidationException"):
            kms_unvalidated.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_256")


def test_sign_and_verify_accept_an_alias_and_answer_with_the_key_arn(
    kms: Any, keys: KeyMaker, aliases: AliasTracker
) -> None:
    key = keys("ECC_NIST_P384", SIGN_VERIFY)
    alias = aliases.create(key["KeyId"])
    signed = kms.sign(KeyId=alias, Message=b"via alias", SigningAlgorithm="ECDSA_SHA_384")
    assert signed["KeyId"] == key["Arn"]
    verified = kms.verify(
        KeyId=alias,
        Message=b"via alias",
        Signature=signed["Signature"],
        SigningAlgorithm="ECDSA_SHA_384",
    )
    assert verified["KeyId"] == key["Arn"]
    assert (
        load_public_key(kms, alias).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    )


# --------------------------------------------------------------------------- usage and algorithm


@pytest.mark.parametrize(
    ("spec", "usage", "operation", "algorithm"),
    [
        ("ECC_NIST_P256", SIGN_VERIFY, "Sign", "ECDSA_SHA_384"),
        ("ECC_NIST_P384", SIGN_VERIFY, "Sign", "ECDSA_SHA_256"),
        ("ECC_NIST_P521", SIGN_VERIFY, "Verify", "ECDSA_SHA_256"),
        ("ECC_SECG_P256K1", SIGN_VERIFY, "Sign", "ECDSA_SHA_512"),
        ("ECC_NIST_P256", SIGN_VERIFY, "Sign", "RSASSA_PSS_SHA_256"),
        ("RSA_2048", SIGN_VERIFY, "Sign", "ECDSA_SHA_256"),
        ("RSA_3072", SIGN_VERIFY, "Verify", "ML_DSA_SHAKE_256"),
        (ED25519, SIGN_VERIFY, "Sign", "ECDSA_SHA_256"),
        # Ed25519ph is not offered (see EXPECTED_ALGORITHMS).
        (ED25519, SIGN_VERIFY, "Sign", "ED25519_PH_SHA_512"),
        ("ML_DSA_44", SIGN_VERIFY, "Sign", "ED25519_SHA_512"),
        ("RSA_2048", ENCRYPT_DECRYPT, "Encrypt", "SYMMETRIC_DEFAULT"),
        ("RSA_4096", ENCRYPT_DECRYPT, "Decrypt", "SYMMETRIC_DEFAULT"),
    ],
)
def test_algorithm_the_key_spec_does_not_offer_is_invalid_key_usage(
    kms: Any, keys: KeyMaker, spec: str, usage: str, operation: str, algorithm: str
) -> None:
    if spec in UNAVAILABLE:
        pytest.skip(f"{spec} is not offered by this cryptography")
    key_id = keys(spec, usage)["KeyId"]
    calls: dict[str, Callable[[], Any]] = {
        "Sign": lambda: kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm=algorithm),
        "Verify": lambda: kms.verify(
            KeyId=key_id, Message=b"m", Signature=b"s" * 64, SigningAlgorithm=algorithm
        ),
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"m", EncryptionAlgorithm=algorithm),
        "Decrypt": lambda: kms.decrypt(
            KeyId=key_id, CiphertextBlob=b"c" * 512, EncryptionAlgorithm=algorithm
        ),
    }
    with expect_error(
        "InvalidKeyUsageException",
        message=f"Algorithm {algorithm} is incompatible with key spec {spec}.",
    ):
        calls[operation]()


def _usage_calls(kms: Any, key_id: str) -> dict[str, Callable[[], Any]]:
    peer = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {
        "Sign": lambda: kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
        "Verify": lambda: kms.verify(
            KeyId=key_id, Message=b"m", Signature=b"s" * 64, SigningAlgorithm="ECDSA_SHA_256"
        ),
        "Encrypt": lambda: kms.encrypt(
            KeyId=key_id, Plaintext=b"m", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        ),
        "Decrypt": lambda: kms.decrypt(
            KeyId=key_id, CiphertextBlob=b"c" * 256, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        ),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        "DeriveSharedSecret": lambda: kms.derive_shared_secret(
            KeyId=key_id,
            KeyAgreementAlgorithm="ECDH",
            PublicKey=peer.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        ),
    }


@pytest.mark.parametrize(
    ("spec", "usage", "operation"),
    [
        ("RSA_2048", ENCRYPT_DECRYPT, "Sign"),
        ("RSA_2048", ENCRYPT_DECRYPT, "Verify"),
        ("ECC_NIST_P256", KEY_AGREEMENT, "Sign"),
        ("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT, "Sign"),
        ("RSA_2048", SIGN_VERIFY, "Encrypt"),
        ("RSA_2048", SIGN_VERIFY, "Decrypt"),
        ("ECC_NIST_P256", SIGN_VERIFY, "Encrypt"),
        ("ECC_NIST_P256", KEY_AGREEMENT, "Encrypt"),
        ("RSA_2048", SIGN_VERIFY, "GenerateDataKey"),
        ("ECC_NIST_P256", SIGN_VERIFY, "DeriveSharedSecret"),
        ("RSA_2048", ENCRYPT_DECRYPT, "DeriveSharedSecret"),
    ],
)
def test_operation_the_key_usage_does_not_allow_is_invalid_key_usage(
    kms: Any, keys: KeyMaker, spec: str, usage: str, operation: str
) -> None:
    key = keys(spec, usage)
    with expect_error(
        "InvalidKeyUsageException",
        message=f"{key['Arn']} key usage is {usage} which is not valid for {operation}.",
    ):
        _usage_calls(kms, key["KeyId"])[operation]()


@pytest.mark.parametrize("operation", ["generate_data_key", "generate_data_key_without_plaintext"])
def test_generate_data_key_with_an_rsa_encryption_key_is_invalid_key_usage(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    key_id = keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
    with expect_error("InvalidKeyUsageException"):
        getattr(kms, operation)(KeyId=key_id, KeySpec="AES_256")


# --------------------------------------------------------------------------- RSA encryption


@pytest.mark.parametrize(("spec", "algorithm"), ENCRYPTION_CASES)
def test_ciphertext_made_offline_with_the_public_key_decrypts(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str
) -> None:
    key = keys(spec, ENCRYPT_DECRYPT)
    public = load_public_key(kms, key["KeyId"])
    plaintext = os.urandom(100)
    ciphertext = public.encrypt(plaintext, oaep(algorithm))
    answer = kms.decrypt(
        CiphertextBlob=ciphertext, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm
    )
    assert answer["Plaintext"] == plaintext
    assert answer["KeyId"] == key["Arn"]
    assert answer["EncryptionAlgorithm"] == algorithm
    assert "KeyMaterialId" not in answer


@pytest.mark.parametrize(("spec", "algorithm"), ENCRYPTION_CASES)
def test_encrypt_gives_a_raw_randomized_oaep_block_that_decrypts(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str
) -> None:
    key = keys(spec, ENCRYPT_DECRYPT)
    plaintext = os.urandom(32)
    answer = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionAlgorithm=algorithm)
    assert answer["KeyId"] == key["Arn"]
    assert answer["EncryptionAlgorithm"] == algorithm
    ciphertext = answer["CiphertextBlob"]
    # No KMS framing: exactly one modulus-length RSA block.
    assert len(ciphertext) == RSA_BITS[spec] // 8
    again = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionAlgorithm=algorithm)
    assert again["CiphertextBlob"] != ciphertext
    for blob in (ciphertext, again["CiphertextBlob"]):
        decrypted = kms.decrypt(
            CiphertextBlob=blob, KeyId=key["Arn"], EncryptionAlgorithm=algorithm
        )
        assert decrypted["Plaintext"] == plaintext


@pytest.mark.parametrize(("spec", "algorithm"), ENCRYPTION_CASES)
def test_rsa_plaintext_limit_is_exact(kms: Any, keys: KeyMaker, spec: str, algorithm: str) -> None:
    key_id = keys(spec, ENCRYPT_DECRYPT)["KeyId"]
    limit = RSA_PLAINTEXT_LIMITS[spec, algorithm]
    plaintext = os.urandom(limit)
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionAlgorithm=algorithm)[
        "CiphertextBlob"
    ]
    decrypted = kms.decrypt(CiphertextBlob=blob, KeyId=key_id, EncryptionAlgorithm=algorithm)
    assert decrypted["Plaintext"] == plaintext
    with expect_error(
        "ValidationException",
        message=(
            f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than "
            f"{limit} bytes."
        ),
    ):
        kms.encrypt(KeyId=key_id, Plaintext=os.urandom(limit + 1), EncryptionAlgorithm=algorithm)


@pytest.mark.parametrize("spec", RSA_SPECS)
def test_rsa_encrypt_and_decrypt_without_an_algorithm_are_invalid_key_usage(
    kms: Any, keys: KeyMaker, spec: str
) -> None:
    key_id = keys(spec, ENCRYPT_DECRYPT)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    message = f"Algorithm SYMMETRIC_DEFAULT is incompatible with key spec {spec}."
    with expect_error("InvalidKeyUsageException", message=message):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with expect_error("InvalidKeyUsageException", message=message):
        kms.decrypt(KeyId=key_id, CiphertextBlob=blob)


@pytest.mark.parametrize("operation", ["Encrypt", "Decrypt", "ReEncrypt:source", "ReEncrypt:dest"])
def test_encryption_context_with_an_rsa_key_is_a_validation_error(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    rsa_key = keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
    symmetric = keys("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT)["KeyId"]
    algorithm = "RSAES_OAEP_SHA_256"
    context = {"purpose": "test"}
    rsa_blob = kms.encrypt(KeyId=rsa_key, Plaintext=b"x", EncryptionAlgorithm=algorithm)[
        "CiphertextBlob"
    ]
    calls: dict[str, Callable[[], Any]] = {
        "Encrypt": lambda: kms.encrypt(
            KeyId=rsa_key, Plaintext=b"x", EncryptionAlgorithm=algorithm, EncryptionContext=context
        ),
        "Decrypt": lambda: kms.decrypt(
            KeyId=rsa_key,
            CiphertextBlob=rsa_blob,
            EncryptionAlgorithm=algorithm,
            EncryptionContext=context,
        ),
        "ReEncrypt:source": lambda: kms.re_encrypt(
            CiphertextBlob=rsa_blob,
            SourceKeyId=rsa_key,
            SourceEncryptionAlgorithm=algorithm,
            SourceEncryptionContext=context,
            DestinationKeyId=symmetric,
        ),
        "ReEncrypt:dest": lambda: kms.re_encrypt(
            CiphertextBlob=kms.encrypt(KeyId=symmetric, Plaintext=b"x")["CiphertextBlob"],
            DestinationKeyId=rsa_key,
            DestinationEncryptionAlgorithm=algorithm,
            DestinationEncryptionContext=context,
        ),
    }
    with expect_error("ValidationException"):
        calls[operation]()


def test_rsa_ciphertext_without_key_id_is_invalid_ciphertext(kms: Any, keys: KeyMaker) -> None:
    key_id = keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(CiphertextBlob=blob)
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")


@pytest.mark.parametrize("change", ["other-algorithm", "other-key", "flipped-byte", "truncated"])
def test_rsa_decrypt_of_a_mismatched_or_damaged_ciphertext_is_invalid_ciphertext(
    kms: Any, keys: KeyMaker, change: str
) -> None:
    key_id = keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionAlgorithm="RSAES_OAEP_SHA_1")[
        "CiphertextBlob"
    ]
    algorithm = "RSAES_OAEP_SHA_1"
    if change == "other-algorithm":
        algorithm = "RSAES_OAEP_SHA_256"
    elif change == "other-key":
        key_id = create_key(kms, KeySpec="RSA_2048", KeyUsage=ENCRYPT_DECRYPT)["KeyId"]
    elif change == "flipped-byte":
        blob = flip_last_byte(blob)
    else:
        blob = blob[:-1]
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(CiphertextBlob=blob, KeyId=key_id, EncryptionAlgorithm=algorithm)


def test_reencrypt_moves_an_rsa_ciphertext_to_a_symmetric_key(kms: Any, keys: KeyMaker) -> None:
    rsa_key = keys("RSA_3072", ENCRYPT_DECRYPT)
    symmetric = keys("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT)
    plaintext = os.urandom(64)
    offline = load_public_key(kms, rsa_key["KeyId"]).encrypt(plaintext, oaep("RSAES_OAEP_SHA_1"))
    answer = kms.re_encrypt(
        CiphertextBlob=offline,
        SourceKeyId=rsa_key["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1",
        DestinationKeyId=symmetric["KeyId"],
        DestinationEncryptionContext={"moved": "yes"},
    )
    assert answer["SourceKeyId"] == rsa_key["Arn"]
    assert answer["KeyId"] == symmetric["Arn"]
    assert answer["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1"
    assert answer["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert "SourceKeyMaterialId" not in answer
    assert answer["DestinationKeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    decrypted = kms.decrypt(
        CiphertextBlob=answer["CiphertextBlob"], EncryptionContext={"moved": "yes"}
    )
    assert decrypted["Plaintext"] == plaintext
    assert decrypted["KeyId"] == symmetric["Arn"]


def test_reencrypt_moves_a_symmetric_ciphertext_to_an_rsa_key(kms: Any, keys: KeyMaker) -> None:
    rsa_key = keys("RSA_2048", ENCRYPT_DECRYPT)
    symmetric = keys("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT)
    plaintext = os.urandom(64)
    blob = kms.encrypt(
        KeyId=symmetric["KeyId"], Plaintext=plaintext, EncryptionContext={"from": "aes"}
    )["CiphertextBlob"]
    answer = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"from": "aes"},
        DestinationKeyId=rsa_key["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert answer["SourceKeyId"] == symmetric["Arn"]
    assert answer["KeyId"] == rsa_key["Arn"]
    assert answer["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert answer["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert answer["SourceKeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    assert "DestinationKeyMaterialId" not in answer
    assert len(answer["CiphertextBlob"]) == 256
    decrypted = kms.decrypt(
        CiphertextBlob=answer["CiphertextBlob"],
        KeyId=rsa_key["KeyId"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert decrypted["Plaintext"] == plaintext


def test_reencrypt_between_rsa_keys_changes_key_and_algorithm(kms: Any, keys: KeyMaker) -> None:
    source = keys("RSA_2048", ENCRYPT_DECRYPT)
    destination = keys("RSA_3072", ENCRYPT_DECRYPT)
    blob = kms.encrypt(
        KeyId=source["KeyId"], Plaintext=b"hop", EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )["CiphertextBlob"]
    answer = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceKeyId=source["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1",
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert len(answer["CiphertextBlob"]) == 384
    decrypted = kms.decrypt(
        CiphertextBlob=answer["CiphertextBlob"],
        KeyId=destination["KeyId"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert decrypted["Plaintext"] == b"hop"


def test_reencrypt_of_an_rsa_ciphertext_without_source_key_id_is_invalid_ciphertext(
    kms: Any, keys: KeyMaker
) -> None:
    rsa_key = keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
    blob = kms.encrypt(KeyId=rsa_key, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    with expect_error("InvalidCiphertextException", message=""):
        kms.re_encrypt(
            CiphertextBlob=blob,
            SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
            DestinationKeyId=keys("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT)["KeyId"],
        )


def test_reencrypt_to_an_rsa_key_without_destination_algorithm_is_invalid_key_usage(
    kms: Any, keys: KeyMaker
) -> None:
    symmetric = keys("SYMMETRIC_DEFAULT", ENCRYPT_DECRYPT)["KeyId"]
    blob = kms.encrypt(KeyId=symmetric, Plaintext=b"x")["CiphertextBlob"]
    with expect_error(
        "InvalidKeyUsageException",
        message="Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.",
    ):
        kms.re_encrypt(
            CiphertextBlob=blob, DestinationKeyId=keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
        )


# --------------------------------------------------------------------------- DeriveSharedSecret


def spki(public_key: Any) -> bytes:
    der: bytes = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


@pytest.mark.parametrize("spec", NIST_CURVES)
def test_derive_shared_secret_equals_the_peers_own_ecdh(
    kms: Any, keys: KeyMaker, spec: str
) -> None:
    key = keys(spec, KEY_AGREEMENT)
    peer = ec.generate_private_key(CURVES[spec])
    answer = kms.derive_shared_secret(
        KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=spki(peer.public_key())
    )
    server_public = load_public_key(kms, key["KeyId"])
    assert answer["SharedSecret"] == peer.exchange(ec.ECDH(), server_public)
    assert answer["KeyId"] == key["Arn"]
    assert answer["KeyAgreementAlgorithm"] == "ECDH"
    assert answer["KeyOrigin"] == "AWS_KMS"


@pytest.mark.parametrize(
    "peer_key",
    ["P-384", "secp256k1", "RSA-2048", "Ed25519", "garbage", "raw-point"],
)
def test_derive_shared_secret_with_a_peer_key_not_on_the_curve_is_a_validation_error(
    kms: Any, keys: KeyMaker, peer_key: str
) -> None:
    key_id = keys("ECC_NIST_P256", KEY_AGREEMENT)["KeyId"]
    public_keys: dict[str, Callable[[], bytes]] = {
        "P-384": lambda: spki(ec.generate_private_key(ec.SECP384R1()).public_key()),
        "secp256k1": lambda: spki(ec.generate_private_key(ec.SECP256K1()).public_key()),
        "RSA-2048": lambda: spki(load_public_key(kms, keys("RSA_2048", SIGN_VERIFY)["KeyId"])),
        "Ed25519": lambda: spki(ed25519.Ed25519PrivateKey.generate().public_key()),
        "garbage": lambda: os.urandom(91),
        # An uncompressed point without its SubjectPublicKeyInfo wrapper.
        "raw-point": lambda: (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        ),
    }
    with expect_error("ValidationException"):
        kms.derive_shared_secret(
            KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=public_keys[peer_key]()
        )


def test_shared_secrets_and_rsa_plaintexts_never_reach_the_data_dir_or_the_server_log(
    kms: Any, server: Server, keys: KeyMaker
) -> None:
    agreement_key = keys("ECC_NIST_P256", KEY_AGREEMENT)["KeyId"]
    shared = kms.derive_shared_secret(
        KeyId=agreement_key,
        KeyAgreementAlgorithm="ECDH",
        PublicKey=spki(ec.generate_private_key(ec.SECP256R1()).public_key()),
    )["SharedSecret"]
    rsa_key = keys("RSA_2048", ENCRYPT_DECRYPT)["KeyId"]
    plaintext = os.urandom(64)
    blob = kms.encrypt(KeyId=rsa_key, Plaintext=plaintext, EncryptionAlgorithm="RSAES_OAEP_SHA_1")[
        "CiphertextBlob"
    ]
    kms.decrypt(CiphertextBlob=blob, KeyId=rsa_key, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    needles = {"shared secret": shared, "RSA plaintext": plaintext}
    leaks = [
        f"{path.relative_to(server.data_dir)}: {what}"
        for path in sorted(server.data_dir.rglob("*"))
        if path.is_file()
        for what in find_secrets(path.read_bytes(), needles)
    ]
    assert not leaks, "secrets stored in clear:\n" + "\n".join(leaks)


# --------------------------------------------------------------------------- rotation, states


@pytest.mark.parametrize("operation", ROTATION_OPERATIONS)
@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("RSA_2048", ENCRYPT_DECRYPT),
        ("ECC_NIST_P256", SIGN_VERIFY),
        ("ECC_NIST_P256", KEY_AGREEMENT),
    ],
)
def test_rotation_operations_on_asymmetric_keys_are_unsupported(
    kms: Any, keys: KeyMaker, spec: str, usage: str, operation: str
) -> None:
    key_id = keys(spec, usage)["KeyId"]
    snake = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
    with expect_error("UnsupportedOperationException"):
        getattr(kms, snake)(KeyId=key_id)


STATE_OPERATIONS: dict[str, tuple[str, str]] = {
    "Sign": ("ECC_NIST_P256", SIGN_VERIFY),
    "Verify": ("ECC_NIST_P256", SIGN_VERIFY),
    "GetPublicKey": ("ECC_NIST_P256", SIGN_VERIFY),
    "DeriveSharedSecret": ("ECC_NIST_P256", KEY_AGREEMENT),
    "Encrypt": ("RSA_2048", ENCRYPT_DECRYPT),
    "Decrypt": ("RSA_2048", ENCRYPT_DECRYPT),
}


def _state_call(kms: Any, operation: str, key_id: str, dry_run: bool = False) -> Callable[[], Any]:
    """A call of ``operation`` on ``key_id`` that succeeds while the key is enabled."""
    extra = {"DryRun": True} if dry_run else {}
    if operation == "Sign":
        return lambda: kms.sign(
            KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256", **extra
        )
    if operation == "Verify":
        signature = sign(kms, key_id, "ECDSA_SHA_256", b"m", "RAW")
        return lambda: kms.verify(
            KeyId=key_id,
            Message=b"m",
            Signature=signature,
            SigningAlgorithm="ECDSA_SHA_256",
            **extra,
        )
    if operation == "GetPublicKey":
        return lambda: kms.get_public_key(KeyId=key_id)
    if operation == "DeriveSharedSecret":
        peer = spki(ec.generate_private_key(ec.SECP256R1()).public_key())
        return lambda: kms.derive_shared_secret(
            KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=peer, **extra
        )
    if operation == "Encrypt":
        return lambda: kms.encrypt(
            KeyId=key_id, Plaintext=b"m", EncryptionAlgorithm="RSAES_OAEP_SHA_1", **extra
        )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"m", EncryptionAlgorithm="RSAES_OAEP_SHA_1")[
        "CiphertextBlob"
    ]
    return lambda: kms.decrypt(
        KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1", **extra
    )


@pytest.mark.parametrize("operation", list(STATE_OPERATIONS))
def test_disabled_asymmetric_key_refuses_the_operation_until_enabled(
    kms: Any, operation: str
) -> None:
    spec, usage = STATE_OPERATIONS[operation]
    key = create_key(kms, KeySpec=spec, KeyUsage=usage)
    call = _state_call(kms, operation, key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        call()
    kms.enable_key(KeyId=key["KeyId"])
    call()


@pytest.mark.parametrize("operation", ["Sign", "GetPublicKey"])
def test_asymmetric_key_pending_deletion_refuses_the_operation(kms: Any, operation: str) -> None:
    key = create_key(kms, KeySpec="ECC_NIST_P256", KeyUsage=SIGN_VERIFY)
    call = _state_call(kms, operation, key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=30)
    with expect_error("KMSInvalidStateException", message=f"{key['Arn']} is pending deletion."):
        call()


# --------------------------------------------------------------------------- DryRun


@pytest.mark.parametrize(
    "operation", ["Sign", "Verify", "DeriveSharedSecret", "Encrypt", "Decrypt"]
)
def test_dry_run_of_a_request_that_would_succeed_raises_dry_run_operation(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    key_id = keys(*STATE_OPERATIONS[operation])["KeyId"]
    call = _state_call(kms, operation, key_id, dry_run=True)
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        call()


def test_dry_run_reports_the_error_a_real_request_would_get(kms: Any, keys: KeyMaker) -> None:
    key = create_key(kms, KeySpec="ECC_NIST_P256", KeyUsage=SIGN_VERIFY)
    with expect_error("InvalidKeyUsageException"):
        kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_384", DryRun=True)
    with expect_error("ValidationException"):
        kms.sign(
            KeyId=key["KeyId"],
            Message=b"short",
            MessageType="DIGEST",
            SigningAlgorithm="ECDSA_SHA_256",
            DryRun=True,
        )
    with expect_error("InvalidKeyUsageException"):
        kms.derive_shared_secret(
            KeyId=key["KeyId"],
            KeyAgreementAlgorithm="ECDH",
            PublicKey=spki(ec.generate_private_key(ec.SECP256R1()).public_key()),
            DryRun=True,
        )
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException"):
        kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256", DryRun=True)
