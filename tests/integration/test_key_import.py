"""Importing key material (BYOK) through boto3: GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, import expiry and rotation of imported material (kms-semantics §8).

Material is wrapped in the tests exactly as a user would, with ``cryptography``
(and once with the ``openssl`` command line); known-answer checks prove that the
server uses exactly the imported material: for symmetric keys the test opens a
Strongroom ciphertext blob with the material (format v1 of docs/design.md) and
builds one that Decrypt accepts; for HMAC, RSA and ECC keys MACs, signatures and
RSA-OAEP ciphertexts made locally are accepted by the server and vice versa.
"""

from __future__ import annotations

import datetime
import hmac
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from .helpers import (
    Server,
    advance_clock,
    create_key,
    expect_error,
    import_material,
    wait_until,
    wrap,
)

DAY = 86_400.0
ALGORITHMS = (
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
)
WRAPPING_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
COMBINATIONS = [(a, w) for a in ALGORITHMS for w in WRAPPING_SPECS]

# Key spec -> the usage its known-answer check exercises.
KEY_SPECS = {
    "SYMMETRIC_DEFAULT": "ENCRYPT_DECRYPT",
    "HMAC_224": "GENERATE_VERIFY_MAC",
    "HMAC_256": "GENERATE_VERIFY_MAC",
    "HMAC_384": "GENERATE_VERIFY_MAC",
    "HMAC_512": "GENERATE_VERIFY_MAC",
    "RSA_2048": "SIGN_VERIFY",
    "RSA_3072": "ENCRYPT_DECRYPT",
    "RSA_4096": "SIGN_VERIFY",
    "ECC_NIST_P256": "SIGN_VERIFY",
    "ECC_NIST_P384": "SIGN_VERIFY",
    "ECC_NIST_P521": "SIGN_VERIFY",
    "ECC_SECG_P256K1": "SIGN_VERIFY",
}
HMAC_LENGTHS = {"HMAC_224": 28, "HMAC_256": 48, "HMAC_384": 128, "HMAC_512": 64}
HMAC_HASHES = {
    "HMAC_224": "sha224",
    "HMAC_256": "sha256",
    "HMAC_384": "sha384",
    "HMAC_512": "sha512",
}
CURVES: dict[str, ec.EllipticCurve] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
    "ECC_SECG_P256K1": ec.SECP256K1(),
}
EC_HASHES = {
    "ECC_NIST_P256": ("ECDSA_SHA_256", hashes.SHA256),
    "ECC_NIST_P384": ("ECDSA_SHA_384", hashes.SHA384),
    "ECC_NIST_P521": ("ECDSA_SHA_512", hashes.SHA512),
    "ECC_SECG_P256K1": ("ECDSA_SHA_256", hashes.SHA256),
}
# Blob format v1 (docs/design.md), written out here independently of the server's code.
BLOB_INFO_PREFIX = b"strongroom blob v1 message key"
EMPTY_CONTEXT = b"\x00\x00"

_MATERIALS: dict[str, bytes] = {}


def material_for(spec: str) -> bytes:
    """Known material for ``spec``, made once per test session."""
    if spec not in _MATERIALS:
        if spec == "SYMMETRIC_DEFAULT":
            _MATERIALS[spec] = os.urandom(32)
        elif spec in HMAC_LENGTHS:
            _MATERIALS[spec] = os.urandom(HMAC_LENGTHS[spec])
        else:
            private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
            if spec.startswith("RSA_"):
                private = rsa.generate_private_key(65537, int(spec[4:]))
            else:
                private = ec.generate_private_key(CURVES[spec])
            _MATERIALS[spec] = private.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
    return _MATERIALS[spec]


def allowed(algorithm: str, wrapping_spec: str, key_spec: str) -> bool:
    """The AWS rules: RSA private keys need RSA_AES_KEY_WRAP; P-521 does not fit OAEP/2048."""
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        return True
    if key_spec.startswith("RSA_"):
        return False
    return not (key_spec == "ECC_NIST_P521" and wrapping_spec == "RSA_2048")


def external_key(kms: Any, spec: str = "SYMMETRIC_DEFAULT", usage: str | None = None) -> str:
    kwargs: dict[str, Any] = {"Origin": "EXTERNAL", "KeySpec": spec}
    if usage is not None or spec != "SYMMETRIC_DEFAULT":
        kwargs["KeyUsage"] = usage or KEY_SPECS[spec]
    metadata = create_key(kms, **kwargs)
    assert metadata["Origin"] == "EXTERNAL"
    assert metadata["KeyState"] == "PendingImport"
    assert metadata["Enabled"] is False
    return str(metadata["Arn"])


def state(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


def server_now(server: Server) -> float:
    return advance_clock(server, 0)


def when(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)


# --- local known-answer computations ---------------------------------------------------


def blob_decrypt(material: bytes, blob: bytes) -> bytes:
    header, salt, nonce = blob[:77], blob[49:65], blob[65:77]
    message_key = HKDFExpand(hashes.SHA256(), 32, BLOB_INFO_PREFIX + salt).derive(material)
    return AESGCM(message_key).decrypt(nonce, blob[77:], header + EMPTY_CONTEXT)


def blob_encrypt(material: bytes, key_id: str, material_id: str, plaintext: bytes) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    header = b"\x01" + bytes.fromhex(key_id.replace("-", "")) + bytes.fromhex(material_id)
    header += salt + nonce
    message_key = HKDFExpand(hashes.SHA256(), 32, BLOB_INFO_PREFIX + salt).derive(material)
    return header + AESGCM(message_key).encrypt(nonce, plaintext, header + EMPTY_CONTEXT)


def check_known_answers(kms: Any, key_arn: str, spec: str, material: bytes) -> None:
    """The server's key behaves exactly as ``material`` does, in both directions."""
    message = b"known answer " + spec.encode()
    if spec == "SYMMETRIC_DEFAULT":
        metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
        blob = kms.encrypt(KeyId=key_arn, Plaintext=message)["CiphertextBlob"]
        assert blob_decrypt(material, blob) == message
        made_here = blob_encrypt(
            material, metadata["KeyId"], metadata["CurrentKeyMaterialId"], message
        )
        assert kms.decrypt(CiphertextBlob=made_here)["Plaintext"] == message
        return
    if spec in HMAC_HASHES:
        expected = hmac.new(material, message, HMAC_HASHES[spec]).digest()
        algorithm = "HMAC_SHA_" + spec[5:]
        mac = kms.generate_mac(KeyId=key_arn, Message=message, MacAlgorithm=algorithm)["Mac"]
        assert mac == expected
        assert kms.verify_mac(KeyId=key_arn, Message=message, MacAlgorithm=algorithm, Mac=expected)[
            "MacValid"
        ]
        return
    private = serialization.load_der_private_key(material, password=None)
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert kms.get_public_key(KeyId=key_arn)["PublicKey"] == public_der
    if isinstance(private, rsa.RSAPrivateKey) and KEY_SPECS[spec] == "ENCRYPT_DECRYPT":
        oaep = padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
        )
        local = private.public_key().encrypt(message, oaep)
        decrypted = kms.decrypt(
            KeyId=key_arn, CiphertextBlob=local, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        )
        assert decrypted["Plaintext"] == message
        remote = kms.encrypt(
            KeyId=key_arn, Plaintext=message, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        )["CiphertextBlob"]
        assert private.decrypt(remote, oaep) == message
    elif isinstance(private, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        local = private.sign(message, pss, hashes.SHA256())
        assert kms.verify(
            KeyId=key_arn, Message=message, Signature=local, SigningAlgorithm="RSASSA_PSS_SHA_256"
        )["SignatureValid"]
        remote = kms.sign(KeyId=key_arn, Message=message, SigningAlgorithm="RSASSA_PSS_SHA_256")
        private.public_key().verify(remote["Signature"], message, pss, hashes.SHA256())
    else:
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        algorithm, hash_type = EC_HASHES[spec]
        local = private.sign(message, ec.ECDSA(hash_type()))
        assert kms.verify(
            KeyId=key_arn, Message=message, Signature=local, SigningAlgorithm=algorithm
        )["SignatureValid"]
        remote = kms.sign(KeyId=key_arn, Message=message, SigningAlgorithm=algorithm)
        private.public_key().verify(remote["Signature"], message, ec.ECDSA(hash_type()))


# --- the matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("key_spec", list(KEY_SPECS))
def test_every_wrapping_algorithm_and_key_spec_imports_and_behaves_as_the_material(
    server: Server, kms: Any, key_spec: str
) -> None:
    """4 algorithms x 3 wrapping key specs into one key per spec: the first import, then
    re-imports of the same material (on PostgreSQL one algorithm per wrapping key spec)."""
    material = material_for(key_spec)
    key_arn = external_key(kms, key_spec)
    combinations = COMBINATIONS
    if server.backend != "sqlite":
        combinations = [("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048"), ("RSAES_OAEP_SHA_1", "RSA_4096")]
    material_ids = set()
    for algorithm, wrapping_spec in combinations:
        if not allowed(algorithm, wrapping_spec, key_spec):
            with expect_error("ValidationException"):
                kms.get_parameters_for_import(
                    KeyId=key_arn, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec
                )
            continue
        params = kms.get_parameters_for_import(
            KeyId=key_arn, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec
        )
        assert params["KeyId"] == key_arn
        public = serialization.load_der_public_key(params["PublicKey"])
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == int(wrapping_spec[4:])
        assert len(params["ImportToken"]) <= 6144
        response = kms.import_key_material(
            KeyId=key_arn,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        assert response["KeyId"] == key_arn
        material_ids.add(response["KeyMaterialId"])
    assert len(material_ids) == 1, "the same material must keep its KeyMaterialId"
    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled"
    assert metadata["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in metadata
    if key_spec == "SYMMETRIC_DEFAULT":
        assert metadata["CurrentKeyMaterialId"] == material_ids.pop()
    check_known_answers(kms, key_arn, key_spec, material)


def test_imported_key_agreement_material_derives_the_same_secret(kms: Any) -> None:
    private = ec.generate_private_key(ec.SECP384R1())
    material = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_arn = external_key(kms, "ECC_NIST_P384", "KEY_AGREEMENT")
    import_material(kms, key_arn, material, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072")
    peer = ec.generate_private_key(ec.SECP384R1())
    peer_public = peer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    derived = kms.derive_shared_secret(
        KeyId=key_arn, KeyAgreementAlgorithm="ECDH", PublicKey=peer_public
    )["SharedSecret"]
    assert derived == peer.exchange(ec.ECDH(), private.public_key())


def test_rsa_pkcs1_and_sm2_wrapping_are_refused(kms: Any) -> None:
    key_arn = external_key(kms)
    for algorithm, wrapping_spec in [
        ("RSAES_PKCS1_V1_5", "RSA_2048"),
        ("SM2PKE", "SM2"),
        ("RSAES_OAEP_SHA_256", "SM2"),
    ]:
        with expect_error("ValidationException"):
            kms.get_parameters_for_import(
                KeyId=key_arn, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec
            )


# --- key states --------------------------------------------------------------------------


def test_a_key_pending_import_refuses_crypto_and_enabling(kms: Any) -> None:
    key_arn = external_key(kms)
    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert "CurrentKeyMaterialId" not in metadata
    assert "ExpirationModel" not in metadata
    pending = f"{key_arn} is pending import."
    with expect_error("KMSInvalidStateException", message=pending):
        kms.encrypt(KeyId=key_arn, Plaintext=b"x")
    with expect_error("KMSInvalidStateException", message=pending):
        kms.enable_key(KeyId=key_arn)
    with expect_error("KMSInvalidStateException", message=pending):
        kms.disable_key(KeyId=key_arn)
    # Deleting material that was never imported changes nothing.
    assert kms.delete_imported_key_material(KeyId=key_arn)["KeyId"] == key_arn
    assert state(kms, key_arn) == "PendingImport"
    # A key pending import can be scheduled for deletion.
    assert kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)["KeyState"] == (
        "PendingDeletion"
    )
    # Cancelling cannot make it Disabled: it has no material (kms-semantics §3.1).
    kms.cancel_key_deletion(KeyId=key_arn)
    assert state(kms, key_arn) == "PendingImport"


def test_the_pending_import_column_of_the_state_matrix(server: Server, kms: Any) -> None:
    """kms-semantics §3.3, column PendingImport, on EXTERNAL keys of each kind."""
    root_principal = f"arn:aws:iam::{server.account_id}:root"
    symmetric = external_key(kms)
    signing = external_key(kms, "ECC_NIST_P256")
    hmac_key = external_key(kms, "HMAC_256")
    pending = "KMSInvalidStateException"
    refused: list[tuple[str, Any]] = [
        (pending, lambda: kms.encrypt(KeyId=symmetric, Plaintext=b"x")),
        (pending, lambda: kms.generate_data_key(KeyId=symmetric, KeySpec="AES_256")),
        (pending, lambda: kms.rotate_key_on_demand(KeyId=symmetric)),
        (
            pending,
            lambda: kms.create_grant(
                KeyId=symmetric, GranteePrincipal=root_principal, Operations=["Encrypt"]
            ),
        ),
        (pending, lambda: kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")),
        (pending, lambda: kms.get_public_key(KeyId=signing)),
        (
            pending,
            lambda: kms.generate_mac(KeyId=hmac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256"),
        ),
        ("UnsupportedOperationException", lambda: kms.enable_key_rotation(KeyId=symmetric)),
    ]
    for code, call in refused:
        with expect_error(code):
            call()
    # Allowed while pending import.
    kms.update_key_description(KeyId=symmetric, Description="waiting for material")
    kms.tag_resource(KeyId=symmetric, Tags=[{"TagKey": "byok", "TagValue": "yes"}])
    kms.get_key_policy(KeyId=symmetric, PolicyName="default")
    assert kms.get_key_rotation_status(KeyId=symmetric)["KeyRotationEnabled"] is False
    assert (
        kms.list_key_rotations(KeyId=symmetric, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
        == []
    )
    for key_arn in (symmetric, signing, hmac_key):
        assert state(kms, key_arn) == "PendingImport"


def test_import_into_disabled_and_pending_deletion_keys(kms: Any) -> None:
    material = os.urandom(32)
    key_arn = external_key(kms)
    import_material(kms, key_arn, material)
    kms.disable_key(KeyId=key_arn)
    # Re-importing (e.g. to change the expiry) leaves a disabled key disabled.
    import_material(kms, key_arn, material)
    assert state(kms, key_arn) == "Disabled"
    kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
    pending_deletion = f"{key_arn} is pending deletion."
    with expect_error("KMSInvalidStateException", message=pending_deletion):
        kms.get_parameters_for_import(
            KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
    kms.cancel_key_deletion(KeyId=key_arn)
    params = kms.get_parameters_for_import(
        KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
    with expect_error("KMSInvalidStateException", message=pending_deletion):
        kms.import_key_material(
            KeyId=key_arn,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_generated_keys_refuse_import(kms: Any) -> None:
    key_arn = create_key(kms)["Arn"]
    message = f"{key_arn} origin is AWS_KMS which is not valid for this operation."
    with expect_error("UnsupportedOperationException", message=message):
        kms.get_parameters_for_import(
            KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
    with expect_error("UnsupportedOperationException", message=message):
        kms.delete_imported_key_material(KeyId=key_arn)
    other = external_key(kms)
    params = kms.get_parameters_for_import(
        KeyId=other, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    with expect_error("UnsupportedOperationException", message=message):
        kms.import_key_material(
            KeyId=key_arn,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_external_origin_is_refused_for_specs_aws_cannot_import(kms: Any) -> None:
    with expect_error("UnsupportedOperationException"):
        kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")


def test_disable_and_enable_work_once_material_is_imported(kms: Any) -> None:
    key_arn = external_key(kms)
    import_material(kms, key_arn, os.urandom(32))
    kms.disable_key(KeyId=key_arn)
    assert state(kms, key_arn) == "Disabled"
    kms.enable_key(KeyId=key_arn)
    assert state(kms, key_arn) == "Enabled"


# --- wrong material, wrong tokens, bad input -----------------------------------------------


def test_reimporting_different_material_is_refused(kms: Any) -> None:
    key_arn = external_key(kms)
    first = os.urandom(32)
    material_id = import_material(kms, key_arn, first)["KeyMaterialId"]
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, key_arn, os.urandom(32))
    with expect_error("IncorrectKeyMaterialException"):
        import_material(
            kms, key_arn, first, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId="0" * 64
        )
    assert (
        import_material(
            kms, key_arn, first, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=material_id
        )["KeyMaterialId"]
        == material_id
    )
    # Asymmetric and HMAC keys can never change material.
    hmac_key = external_key(kms, "HMAC_256")
    import_material(kms, hmac_key, os.urandom(32))
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, hmac_key, os.urandom(32))


@pytest.mark.parametrize(
    ("key_spec", "material"),
    [
        ("SYMMETRIC_DEFAULT", b"\x01" * 16),
        ("SYMMETRIC_DEFAULT", b"\x02" * 33),
        ("HMAC_256", b"\x03" * 31),
        ("HMAC_224", b"\x04" * 65),
        ("ECC_NIST_P256", b"\x30\x03\x02\x01\x00"),
    ],
    ids=["symmetric-16", "symmetric-33", "hmac256-31", "hmac224-65", "not-a-key"],
)
def test_material_invalid_for_the_key_spec_is_refused(
    kms: Any, key_spec: str, material: bytes
) -> None:
    key_arn = external_key(kms, key_spec)
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, key_arn, material)
    assert state(kms, key_arn) == "PendingImport"


def test_material_of_another_curve_or_size_is_refused(kms: Any) -> None:
    key_arn = external_key(kms, "ECC_NIST_P384")
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, key_arn, material_for("ECC_NIST_P256"), "RSA_AES_KEY_WRAP_SHA_256")
    rsa_key = external_key(kms, "RSA_2048")
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, rsa_key, material_for("RSA_3072"), "RSA_AES_KEY_WRAP_SHA_256")
    # A PKCS#1 (not PKCS#8) RSA private key.
    private = serialization.load_der_private_key(material_for("RSA_2048"), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    pkcs1 = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, rsa_key, pkcs1, "RSA_AES_KEY_WRAP_SHA_256")


def test_material_wrapped_under_another_key_or_algorithm_is_an_invalid_ciphertext(
    kms: Any,
) -> None:
    key_arn = external_key(kms)
    material = os.urandom(32)
    params = kms.get_parameters_for_import(
        KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    stranger = (
        rsa.generate_private_key(65537, 2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for encrypted in [
        wrap(stranger, "RSAES_OAEP_SHA_256", material),
        wrap(params["PublicKey"], "RSAES_OAEP_SHA_1", material),
        wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material)[:-1],
    ]:
        with expect_error("InvalidCiphertextException", message=""):
            kms.import_key_material(
                KeyId=key_arn,
                ImportToken=params["ImportToken"],
                EncryptedKeyMaterial=encrypted,
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            )
    assert state(kms, key_arn) == "PendingImport"


def test_tokens_of_another_key_or_tampered_are_invalid(kms: Any) -> None:
    key_arn, other_arn = external_key(kms), external_key(kms)
    material = os.urandom(32)
    params = kms.get_parameters_for_import(
        KeyId=other_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    encrypted = wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material)
    token = params["ImportToken"]
    tampered = token[:40] + bytes([token[40] ^ 1]) + token[41:]
    for bad in (token, tampered, b"\x01" * 64):
        with expect_error("InvalidImportTokenException"):
            kms.import_key_material(
                KeyId=key_arn if bad is token else other_arn,
                ImportToken=bad,
                EncryptedKeyMaterial=encrypted,
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            )
    assert state(kms, key_arn) == "PendingImport"
    assert state(kms, other_arn) == "PendingImport"


def test_a_token_older_than_24_hours_is_expired(server: Server, kms: Any) -> None:
    key_arn = external_key(kms)
    now = server_now(server)
    params = kms.get_parameters_for_import(
        KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    valid_to = params["ParametersValidTo"].timestamp()
    assert now + DAY - 60 <= valid_to <= now + DAY + 60
    advance_clock(server, DAY + 1)
    with expect_error("ExpiredImportTokenException"):
        kms.import_key_material(
            KeyId=key_arn,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_valid_to_rules(server: Server, kms: Any) -> None:
    key_arn = external_key(kms)
    material = os.urandom(32)
    now = server_now(server)
    with expect_error(
        "ValidationException",
        message="A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
    ):
        import_material(kms, key_arn, material, ExpirationModel="KEY_MATERIAL_EXPIRES")
    for bad in (now - 60, now + 366 * DAY):
        with expect_error("ValidationException"):
            import_material(kms, key_arn, material, ValidTo=when(bad))
    with expect_error("ValidationException"):
        import_material(
            kms,
            key_arn,
            material,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            ValidTo=when(now + DAY),
        )
    assert state(kms, key_arn) == "PendingImport"


# --- expiry, deletion, re-import -----------------------------------------------------------


def test_deleting_material_and_reimporting_it_restores_old_ciphertexts(kms: Any) -> None:
    key_arn = external_key(kms)
    material = os.urandom(32)
    material_id = import_material(kms, key_arn, material)["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key_arn, Plaintext=b"before deletion")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=key_arn)
    assert deleted == {**deleted, "KeyId": key_arn, "KeyMaterialId": material_id}
    assert state(kms, key_arn) == "PendingImport"
    with expect_error("KMSInvalidStateException", message=f"{key_arn} is pending import."):
        kms.decrypt(CiphertextBlob=blob)

    assert import_material(kms, key_arn, material)["KeyMaterialId"] == material_id
    assert state(kms, key_arn) == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before deletion"


def test_delete_keeps_a_key_pending_deletion_and_disabled_keys_go_pending_import(
    kms: Any,
) -> None:
    doomed = external_key(kms)
    import_material(kms, doomed, os.urandom(32))
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    kms.delete_imported_key_material(KeyId=doomed)
    assert state(kms, doomed) == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=doomed)
    assert state(kms, doomed) == "PendingImport"

    disabled = external_key(kms, "HMAC_384")
    import_material(kms, disabled, os.urandom(48))
    kms.disable_key(KeyId=disabled)
    kms.delete_imported_key_material(KeyId=disabled)
    assert state(kms, disabled) == "PendingImport"


def test_expired_material_is_deleted_by_the_scheduler_and_can_be_reimported(
    server: Server, kms: Any
) -> None:
    spec = "ECC_NIST_P256"
    material = material_for(spec)
    key_arn = external_key(kms, spec)
    disabled_arn = external_key(kms)
    symmetric = os.urandom(32)
    now = server_now(server)
    import_material(kms, key_arn, material, "RSA_AES_KEY_WRAP_SHA_256", ValidTo=when(now + 3600))
    import_material(kms, disabled_arn, symmetric, ValidTo=when(now + 1800))
    kms.disable_key(KeyId=disabled_arn)

    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert metadata["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(metadata["ValidTo"].timestamp() - (now + 3600)) < 1
    signature = kms.sign(KeyId=key_arn, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]

    advance_clock(server, 3601)
    wait_until(
        lambda: (
            state(kms, key_arn) == "PendingImport" and state(kms, disabled_arn) == "PendingImport"
        ),
        message="expired material deleted",
    )
    with expect_error("KMSInvalidStateException", message=f"{key_arn} is pending import."):
        kms.sign(KeyId=key_arn, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert "ValidTo" not in kms.describe_key(KeyId=key_arn)["KeyMetadata"]

    import_material(kms, key_arn, material, "RSA_AES_KEY_WRAP_SHA_1")
    assert kms.verify(
        KeyId=key_arn, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )["SignatureValid"]
    with expect_error("IncorrectKeyMaterialException"):
        import_material(kms, disabled_arn, os.urandom(32))
    import_material(kms, disabled_arn, symmetric)
    assert state(kms, disabled_arn) == "Enabled"


# --- rotation of imported symmetric material ------------------------------------------------


def test_new_material_rotates_in_on_demand_and_old_ciphertexts_still_decrypt(
    kms: Any,
) -> None:
    key_arn = external_key(kms)
    first, second, third = os.urandom(32), os.urandom(32), os.urandom(32)
    first_id = import_material(kms, key_arn, first, KeyMaterialDescription="first one")[
        "KeyMaterialId"
    ]
    old_blob = kms.encrypt(KeyId=key_arn, Plaintext=b"old")["CiphertextBlob"]
    with expect_error(
        "KMSInvalidStateException",
        message=f"No available key material pending rotation for the key: {key_arn}.",
    ):
        kms.rotate_key_on_demand(KeyId=key_arn)
    with expect_error(
        "UnsupportedOperationException",
        message=f"{key_arn} origin is EXTERNAL which is not valid for this operation.",
    ):
        kms.enable_key_rotation(KeyId=key_arn)
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is False

    second_id = import_material(kms, key_arn, second, ImportType="NEW_KEY_MATERIAL")[
        "KeyMaterialId"
    ]
    assert second_id != first_id
    with expect_error("KMSInvalidStateException"):
        import_material(kms, key_arn, third, ImportType="NEW_KEY_MATERIAL")
    with expect_error("ValidationException"):
        import_material(kms, key_arn, third, ImportType="NEW_KEY_MATERIAL", KeyMaterialId=first_id)
    # Pending material is not used yet.
    assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["CurrentKeyMaterialId"] == first_id
    rotations = kms.list_key_rotations(KeyId=key_arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    by_id = {r["KeyMaterialId"]: r for r in rotations["Rotations"]}
    assert by_id[first_id]["KeyMaterialState"] == "CURRENT"
    assert by_id[first_id]["ImportState"] == "IMPORTED"
    assert by_id[first_id]["KeyMaterialDescription"] == "first one"
    assert by_id[first_id]["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert by_id[second_id]["KeyMaterialState"] == "PENDING_ROTATION"
    assert "RotationType" not in by_id[second_id]
    assert kms.list_key_rotations(KeyId=key_arn)["Rotations"] == []

    assert kms.rotate_key_on_demand(KeyId=key_arn)["KeyId"] == key_arn
    metadata = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert metadata["CurrentKeyMaterialId"] == second_id
    new_blob = kms.encrypt(KeyId=key_arn, Plaintext=b"new")["CiphertextBlob"]
    assert blob_decrypt(second, new_blob) == b"new"
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    rotations = kms.list_key_rotations(KeyId=key_arn)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"]) for r in rotations] == [
        (second_id, "ON_DEMAND")
    ]
    assert rotations[0]["KeyMaterialState"] == "CURRENT"

    # Deleting the old (non-current) material makes the key unusable until it is back.
    kms.delete_imported_key_material(KeyId=key_arn, KeyMaterialId=first_id)
    assert state(kms, key_arn) == "PendingImport"
    import_material(kms, key_arn, first)
    assert state(kms, key_arn) == "Enabled"
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"


def test_pending_material_can_be_deleted_before_rotation(kms: Any) -> None:
    key_arn = external_key(kms)
    import_material(kms, key_arn, os.urandom(32))
    pending_id = import_material(kms, key_arn, os.urandom(32), ImportType="NEW_KEY_MATERIAL")[
        "KeyMaterialId"
    ]
    kms.delete_imported_key_material(KeyId=key_arn, KeyMaterialId=pending_id)
    assert state(kms, key_arn) == "Enabled"
    all_material = kms.list_key_rotations(KeyId=key_arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert pending_id not in {r["KeyMaterialId"] for r in all_material["Rotations"]}
    # Another material can now be imported for rotation.
    import_material(kms, key_arn, os.urandom(32), ImportType="NEW_KEY_MATERIAL")


# --- authorization -------------------------------------------------------------------------


def test_import_operations_follow_the_key_policy_and_its_conditions(
    server: Server, kms: Any
) -> None:
    account_id = server.account_id
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:GetParametersForImport",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:WrappingAlgorithm": "RSAES_OAEP_SHA_1"}},
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:ImportKeyMaterial",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
                },
            },
        ],
    }
    key_arn = create_key(kms, Origin="EXTERNAL", Policy=json.dumps(policy))["Arn"]
    with expect_error("AccessDeniedException"):
        kms.get_parameters_for_import(
            KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_2048"
        )
    with expect_error("AccessDeniedException"):
        import_material(kms, key_arn, os.urandom(32))
    import_material(kms, key_arn, os.urandom(32), ValidTo=when(server_now(server) + DAY))
    # The same key's other wrapping algorithms are not denied.
    kms.get_parameters_for_import(
        KeyId=key_arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )


# --- other clients -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256"])
def test_material_wrapped_with_the_openssl_command_line_imports(
    kms: Any, tmp_path: Path, algorithm: str
) -> None:
    """AWS's documented OpenSSL recipe ("Encrypt key material" in the KMS Developer Guide)."""
    workdir = tmp_path
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    key_arn = external_key(kms)
    material = os.urandom(32)
    (workdir / "PlaintextKeyMaterial.bin").write_bytes(material)
    params = kms.get_parameters_for_import(
        KeyId=key_arn, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_3072"
    )
    (workdir / "WrappingPublicKey.bin").write_bytes(params["PublicKey"])
    pubin = ["-pubin", "-inkey", "WrappingPublicKey.bin", "-keyform", "DER"]
    oaep = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"]
    oaep += ["-pkeyopt", "rsa_mgf1_md:sha256"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=workdir, check=True, capture_output=True)

    if algorithm == "RSAES_OAEP_SHA_256":
        run(
            "pkeyutl",
            "-encrypt",
            "-in",
            "PlaintextKeyMaterial.bin",
            "-out",
            "EncryptedKeyMaterial.bin",
            *pubin,
            *oaep,
        )
    else:
        aes_key = os.urandom(32)
        (workdir / "aes-key.bin").write_bytes(aes_key)
        run(
            "enc",
            "-id-aes256-wrap-pad",
            "-K",
            aes_key.hex(),
            "-iv",
            "A65959A6",
            "-in",
            "PlaintextKeyMaterial.bin",
            "-out",
            "key-material-wrapped.bin",
        )
        run(
            "pkeyutl",
            "-encrypt",
            "-in",
            "aes-key.bin",
            "-out",
            "aes-key-wrapped.bin",
            *pubin,
            *oaep,
        )
        (workdir / "EncryptedKeyMaterial.bin").write_bytes(
            (workdir / "aes-key-wrapped.bin").read_bytes()
            + (workdir / "key-material-wrapped.bin").read_bytes()
        )
    kms.import_key_material(
        KeyId=key_arn,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=(workdir / "EncryptedKeyMaterial.bin").read_bytes(),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    check_known_answers(kms, key_arn, "SYMMETRIC_DEFAULT", material)
