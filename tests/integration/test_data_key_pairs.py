"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext (kms-semantics §17).

Each pair is checked offline with pyca/cryptography: the private key (PKCS #8 DER)
must belong to the public key (DER SubjectPublicKeyInfo), and Decrypt of the private
key's ciphertext must give the private key back. RSA_4096 pairs take over a second to
make, so one pair per spec is made per module (``pairs``) and shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .helpers import AliasTracker, Server, create_key, expect_error, find_secrets, key_maker

KeyMaker = Callable[[str, str], dict[str, Any]]
PairMaker = Callable[[str], dict[str, Any]]

DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
CONTEXT = {"purpose": "data-key-pair", "tenant": "t-1"}
OPERATIONS = ["generate_data_key_pair", "generate_data_key_pair_without_plaintext"]
OPERATION_NAMES = {
    "generate_data_key_pair": "GenerateDataKeyPair",
    "generate_data_key_pair_without_plaintext": "GenerateDataKeyPairWithoutPlaintext",
}

# Every KeyPairSpec this server offers, and what kind of key each is.
PAIR_SPECS: dict[str, tuple[type[Any], int | str | None]] = {
    "RSA_2048": (rsa.RSAPrivateKey, 2048),
    "RSA_3072": (rsa.RSAPrivateKey, 3072),
    "RSA_4096": (rsa.RSAPrivateKey, 4096),
    "ECC_NIST_P256": (ec.EllipticCurvePrivateKey, "secp256r1"),
    "ECC_NIST_P384": (ec.EllipticCurvePrivateKey, "secp384r1"),
    "ECC_NIST_P521": (ec.EllipticCurvePrivateKey, "secp521r1"),
    "ECC_SECG_P256K1": (ec.EllipticCurvePrivateKey, "secp256k1"),
    "ECC_NIST_EDWARDS25519": (ed25519.Ed25519PrivateKey, None),
}
SPECS = list(PAIR_SPECS)


@pytest.fixture(scope="module")
def keys(kms: Any) -> KeyMaker:
    """(KeySpec, KeyUsage) -> KeyMetadata of a key made once for this module."""
    return key_maker(kms)


@pytest.fixture(scope="module")
def wrapping_key(keys: KeyMaker) -> dict[str, Any]:
    return keys("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")


@pytest.fixture(scope="module")
def pairs(kms: Any, wrapping_key: dict[str, Any]) -> PairMaker:
    """KeyPairSpec -> one GenerateDataKeyPair answer (with CONTEXT), made on first use."""
    made: dict[str, dict[str, Any]] = {}

    def get(spec: str) -> dict[str, Any]:
        if spec not in made:
            made[spec] = kms.generate_data_key_pair(
                KeyId=wrapping_key["KeyId"], KeyPairSpec=spec, EncryptionContext=CONTEXT
            )
        return made[spec]

    return get


def spki(private_key: Any) -> bytes:
    der: bytes = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def load_private_key(pkcs8_der: bytes) -> Any:
    """The private key in ``pkcs8_der``, checked to be unencrypted PKCS #8 DER."""
    private = serialization.load_der_private_key(pkcs8_der, password=None)
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert pkcs8 == pkcs8_der, "the private key is not in PKCS #8 DER form"
    return private


def assert_key_of_spec(private: Any, spec: str) -> None:
    kind, size = PAIR_SPECS[spec]
    assert isinstance(private, kind)
    if isinstance(private, rsa.RSAPrivateKey):
        assert private.key_size == size
        assert private.public_key().public_numbers().e == 65537
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        assert private.curve.name == size


# --------------------------------------------------------------------------- the pair


@pytest.mark.parametrize("spec", SPECS)
def test_data_key_pair_public_key_belongs_to_the_private_key(
    pairs: PairMaker, wrapping_key: dict[str, Any], spec: str
) -> None:
    answer = pairs(spec)
    assert answer["KeyPairSpec"] == spec
    assert answer["KeyId"] == wrapping_key["Arn"]
    assert answer["KeyMaterialId"] == wrapping_key["CurrentKeyMaterialId"]
    private = load_private_key(answer["PrivateKeyPlaintext"])
    assert_key_of_spec(private, spec)
    assert spki(private) == answer["PublicKey"]
    public = serialization.load_der_public_key(answer["PublicKey"])
    assert (
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == answer["PublicKey"]
    )


@pytest.mark.parametrize("spec", SPECS)
def test_private_key_ciphertext_decrypts_to_the_private_key_with_the_same_context(
    kms: Any, pairs: PairMaker, wrapping_key: dict[str, Any], spec: str
) -> None:
    answer = pairs(spec)
    decrypted = kms.decrypt(
        CiphertextBlob=answer["PrivateKeyCiphertextBlob"], EncryptionContext=CONTEXT
    )
    assert decrypted["Plaintext"] == answer["PrivateKeyPlaintext"]
    assert decrypted["KeyId"] == wrapping_key["Arn"]
    assert decrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert answer["PrivateKeyPlaintext"] not in answer["PrivateKeyCiphertextBlob"]


@pytest.mark.parametrize(
    "context",
    [None, {"purpose": "data-key-pair"}, {**CONTEXT, "tenant": "t-2"}, {**CONTEXT, "x": "y"}],
    ids=["none", "missing-pair", "other-value", "extra-pair"],
)
def test_private_key_ciphertext_needs_the_same_context(
    kms: Any, pairs: PairMaker, context: dict[str, str] | None
) -> None:
    blob = pairs("ECC_NIST_P256")["PrivateKeyCiphertextBlob"]
    with expect_error("InvalidCiphertextException", message=""):
        if context is None:
            kms.decrypt(CiphertextBlob=blob)
        else:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)


@pytest.mark.parametrize("spec", SPECS)
def test_without_plaintext_returns_only_the_public_key_and_the_private_key_ciphertext(
    kms: Any, pairs: PairMaker, wrapping_key: dict[str, Any], spec: str
) -> None:
    answer = kms.generate_data_key_pair_without_plaintext(
        KeyId=wrapping_key["KeyId"], KeyPairSpec=spec, EncryptionContext=CONTEXT
    )
    assert "PrivateKeyPlaintext" not in answer
    assert answer["KeyPairSpec"] == spec
    assert answer["KeyId"] == wrapping_key["Arn"]
    assert answer["KeyMaterialId"] == wrapping_key["CurrentKeyMaterialId"]
    private_der = kms.decrypt(
        CiphertextBlob=answer["PrivateKeyCiphertextBlob"], EncryptionContext=CONTEXT
    )["Plaintext"]
    private = load_private_key(private_der)
    assert_key_of_spec(private, spec)
    assert spki(private) == answer["PublicKey"]
    # A new pair on every call.
    assert answer["PublicKey"] != pairs(spec)["PublicKey"]


def test_data_key_pair_without_context_decrypts_without_one(
    kms: Any, wrapping_key: dict[str, Any]
) -> None:
    answer = kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec="ECC_NIST_P384")
    decrypted = kms.decrypt(CiphertextBlob=answer["PrivateKeyCiphertextBlob"])
    assert decrypted["Plaintext"] == answer["PrivateKeyPlaintext"]


def test_data_key_pair_private_keys_never_reach_the_data_dir_or_the_server_log(
    kms: Any, server: Server, wrapping_key: dict[str, Any]
) -> None:
    needles = {}
    for spec in ("ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "RSA_2048"):
        answer = kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec=spec)
        needles[f"{spec} private key"] = answer["PrivateKeyPlaintext"]
    leaks = [
        f"{path.relative_to(server.data_dir)}: {what}"
        for path in sorted(server.data_dir.rglob("*"))
        if path.is_file()
        for what in find_secrets(path.read_bytes(), needles)
    ]
    assert not leaks, "private keys stored in clear:\n" + "\n".join(leaks)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_data_key_pair_accepts_an_alias_and_answers_with_the_key_arn(
    kms: Any, wrapping_key: dict[str, Any], aliases: AliasTracker, operation: str
) -> None:
    alias = aliases.create(wrapping_key["KeyId"])
    answer = getattr(kms, operation)(KeyId=alias, KeyPairSpec="ECC_NIST_P256")
    assert answer["KeyId"] == wrapping_key["Arn"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    ("spec", "usage"),
    [("ECC_NIST_P256", "SIGN_VERIFY"), ("HMAC_256", "GENERATE_VERIFY_MAC")],
)
def test_non_encryption_wrapping_key_is_invalid_key_usage(
    kms: Any, keys: KeyMaker, spec: str, usage: str, operation: str
) -> None:
    key = keys(spec, usage)
    with expect_error(
        "InvalidKeyUsageException",
        message=f"{key['Arn']} key usage is {usage} which is not valid for "
        f"{OPERATION_NAMES[operation]}.",
    ):
        getattr(kms, operation)(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_rsa_encryption_wrapping_key_is_invalid_key_usage(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    key_id = keys("RSA_2048", "ENCRYPT_DECRYPT")["KeyId"]
    with expect_error("InvalidKeyUsageException"):
        getattr(kms, operation)(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")


# SM2 is offered in the China Regions only; ML-KEM keys are not implemented by this server.
@pytest.mark.parametrize("spec", ["SM2", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"])
def test_key_pair_spec_the_server_does_not_offer_is_a_validation_error(
    kms: Any, wrapping_key: dict[str, Any], spec: str
) -> None:
    with expect_error("ValidationException"):
        kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec=spec)


def test_unknown_key_pair_spec_is_a_validation_error(
    kms_unvalidated: Any, wrapping_key: dict[str, Any]
) -> None:
    with expect_error("ValidationException"):
        kms_unvalidated.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec="RSA_1024")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_disabled_wrapping_key_refuses_data_key_pairs(kms: Any, operation: str) -> None:
    key = create_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        getattr(kms, operation)(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_dry_run_data_key_pair_raises_dry_run_operation(
    kms: Any, wrapping_key: dict[str, Any], operation: str
) -> None:
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        getattr(kms, operation)(
            KeyId=wrapping_key["KeyId"],
            KeyPairSpec="RSA_4096",
            EncryptionContext=CONTEXT,
            DryRun=True,
        )
