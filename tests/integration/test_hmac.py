"""HMAC KMS keys through boto3: GenerateMac and VerifyMac (kms-semantics §4.1, §4.5).

HMAC key material never leaves the server, so MACs are checked through VerifyMac and
through what HMAC guarantees: one fixed length per spec, the same tag for the same
message and key, a different one for another message or key. Each kind of key is made
once per module (``keys``); tests that change a key's state make their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from .helpers import AliasTracker, create_key, expect_error, key_maker

KeyMaker = Callable[[str, str], dict[str, Any]]

GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
# Spec -> its one MAC algorithm and the MAC's length in bytes (RFC 2104, never truncated).
HMAC_SPECS = {
    "HMAC_224": ("HMAC_SHA_224", 28),
    "HMAC_256": ("HMAC_SHA_256", 32),
    "HMAC_384": ("HMAC_SHA_384", 48),
    "HMAC_512": ("HMAC_SHA_512", 64),
}
SPECS = list(HMAC_SPECS)
ALGORITHM_MEMBERS = (
    "EncryptionAlgorithms",
    "SigningAlgorithms",
    "KeyAgreementAlgorithms",
    "MacAlgorithms",
)
ROTATION_OPERATIONS = [
    "enable_key_rotation",
    "disable_key_rotation",
    "get_key_rotation_status",
    "rotate_key_on_demand",
    "list_key_rotations",
]


@pytest.fixture(scope="module")
def keys(kms: Any) -> KeyMaker:
    """(KeySpec, KeyUsage) -> KeyMetadata of a key made once for this module."""
    return key_maker(kms)


def hmac_key(keys: KeyMaker, spec: str) -> dict[str, Any]:
    return keys(spec, GENERATE_VERIFY_MAC)


def generate_mac(kms: Any, key_id: str, spec: str, message: bytes) -> bytes:
    mac: bytes = kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm=HMAC_SPECS[spec][0])[
        "Mac"
    ]
    return mac


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


# --------------------------------------------------------------------------- CreateKey


@pytest.mark.parametrize("spec", SPECS)
def test_create_hmac_key_reports_the_spec_usage_and_only_its_mac_algorithm(
    kms: Any, keys: KeyMaker, spec: str
) -> None:
    created = hmac_key(keys, spec)
    for metadata in (created, kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]):
        assert metadata["KeySpec"] == metadata["CustomerMasterKeySpec"] == spec
        assert metadata["KeyUsage"] == GENERATE_VERIFY_MAC
        assert metadata["KeyState"] == "Enabled"
        assert metadata["MacAlgorithms"] == [HMAC_SPECS[spec][0]]
        assert [m for m in ALGORITHM_MEMBERS if m in metadata] == ["MacAlgorithms"]
        assert "CurrentKeyMaterialId" not in metadata


@pytest.mark.parametrize("spec", SPECS)
def test_create_hmac_key_without_key_usage_is_a_validation_error(kms: Any, spec: str) -> None:
    with expect_error(
        "ValidationException",
        message=(
            "You must specify a KeyUsage value for all KMS keys except for symmetric "
            "encryption keys."
        ),
    ):
        kms.create_key(KeySpec=spec)


@pytest.mark.parametrize("usage", ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"])
def test_create_hmac_key_with_another_usage_is_a_validation_error(kms: Any, usage: str) -> None:
    with expect_error(
        "ValidationException", message=f"KeyUsage {usage} is not compatible with KeySpec HMAC_256"
    ):
        kms.create_key(KeySpec="HMAC_256", KeyUsage=usage)


# --------------------------------------------------------------------- GenerateMac / VerifyMac


@pytest.mark.parametrize("spec", SPECS)
def test_generate_mac_and_verify_mac_round_trip_with_the_specs_mac_length(
    kms: Any, keys: KeyMaker, spec: str
) -> None:
    key = hmac_key(keys, spec)
    algorithm, length = HMAC_SPECS[spec]
    message = os.urandom(200)
    generated = kms.generate_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm=algorithm)
    assert generated["KeyId"] == key["Arn"]
    assert generated["MacAlgorithm"] == algorithm
    assert len(generated["Mac"]) == length

    verified = kms.verify_mac(
        KeyId=key["KeyId"], Message=message, Mac=generated["Mac"], MacAlgorithm=algorithm
    )
    assert verified["KeyId"] == key["Arn"]
    assert verified["MacValid"] is True
    assert verified["MacAlgorithm"] == algorithm


@pytest.mark.parametrize("spec", SPECS)
def test_mac_is_deterministic_and_depends_on_the_message_and_the_key(
    kms: Any, keys: KeyMaker, spec: str
) -> None:
    key_id = hmac_key(keys, spec)["KeyId"]
    other_key_id = create_key(kms, KeySpec=spec, KeyUsage=GENERATE_VERIFY_MAC)["KeyId"]
    mac = generate_mac(kms, key_id, spec, b"message")
    assert generate_mac(kms, key_id, spec, b"message") == mac
    assert generate_mac(kms, key_id, spec, b"messagf") != mac
    assert generate_mac(kms, other_key_id, spec, b"message") != mac
    with expect_error("KMSInvalidMacException", message=""):
        kms.verify_mac(
            KeyId=other_key_id, Message=b"message", Mac=mac, MacAlgorithm=HMAC_SPECS[spec][0]
        )


@pytest.mark.parametrize("tamper", ["message", "mac", "truncated-mac", "extended-mac"])
@pytest.mark.parametrize("spec", SPECS)
def test_verify_mac_rejects_a_tampered_message_or_mac(
    kms: Any, keys: KeyMaker, spec: str, tamper: str
) -> None:
    key_id = hmac_key(keys, spec)["KeyId"]
    message = os.urandom(64)
    mac = generate_mac(kms, key_id, spec, message)
    if tamper == "message":
        message = flip_last_byte(message)
    elif tamper == "mac":
        mac = flip_last_byte(mac)
    elif tamper == "truncated-mac":
        mac = mac[:-1]
    else:
        mac = mac + b"\x00"
    with expect_error("KMSInvalidMacException", message=""):
        kms.verify_mac(KeyId=key_id, Message=message, Mac=mac, MacAlgorithm=HMAC_SPECS[spec][0])


@pytest.mark.parametrize("operation", ["GenerateMac", "VerifyMac"])
@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [
        (spec, algorithm)
        for spec in SPECS
        for algorithm, _ in HMAC_SPECS.values()
        if algorithm != HMAC_SPECS[spec][0]
    ],
)
def test_mac_algorithm_of_another_spec_is_invalid_key_usage(
    kms: Any, keys: KeyMaker, spec: str, algorithm: str, operation: str
) -> None:
    key_id = hmac_key(keys, spec)["KeyId"]
    with expect_error(
        "InvalidKeyUsageException",
        message=f"Algorithm {algorithm} is incompatible with key spec {spec}.",
    ):
        if operation == "GenerateMac":
            kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm=algorithm)
        else:
            kms.verify_mac(KeyId=key_id, Message=b"m", Mac=b"\x00" * 32, MacAlgorithm=algorithm)


@pytest.mark.parametrize("operation", ["GenerateMac", "VerifyMac"])
@pytest.mark.parametrize(
    ("spec", "usage"),
    [("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("ECC_NIST_P256", "SIGN_VERIFY")],
)
def test_mac_operations_on_a_key_of_another_usage_are_invalid_key_usage(
    kms: Any, keys: KeyMaker, spec: str, usage: str, operation: str
) -> None:
    key = keys(spec, usage)
    with expect_error(
        "InvalidKeyUsageException",
        message=f"{key['Arn']} key usage is {usage} which is not valid for {operation}.",
    ):
        if operation == "GenerateMac":
            kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
        else:
            kms.verify_mac(
                KeyId=key["KeyId"], Message=b"m", Mac=b"\x00" * 32, MacAlgorithm="HMAC_SHA_256"
            )


@pytest.mark.parametrize(
    "operation",
    ["Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "Sign", "Verify"],
)
def test_other_operations_on_an_hmac_key_are_invalid_key_usage(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    key = hmac_key(keys, "HMAC_256")
    key_id = key["KeyId"]
    calls: dict[str, Callable[[], Any]] = {
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"m"),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        "GenerateDataKeyPair": lambda: kms.generate_data_key_pair(
            KeyId=key_id, KeyPairSpec="ECC_NIST_P256"
        ),
        "Sign": lambda: kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
        "Verify": lambda: kms.verify(
            KeyId=key_id, Message=b"m", Signature=b"s" * 64, SigningAlgorithm="ECDSA_SHA_256"
        ),
    }
    with expect_error(
        "InvalidKeyUsageException",
        message=(
            f"{key['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for {operation}."
        ),
    ):
        calls[operation]()


def test_get_public_key_of_an_hmac_key_is_unsupported(kms: Any, keys: KeyMaker) -> None:
    with expect_error("UnsupportedOperationException"):
        kms.get_public_key(KeyId=hmac_key(keys, "HMAC_384")["KeyId"])


def test_mac_messages_are_1_to_4096_bytes(kms: Any, kms_unvalidated: Any, keys: KeyMaker) -> None:
    key_id = hmac_key(keys, "HMAC_256")["KeyId"]
    for message in (b"x", os.urandom(4096)):
        mac = generate_mac(kms, key_id, "HMAC_256", message)
        verified = kms.verify_mac(
            KeyId=key_id, Message=message, Mac=mac, MacAlgorithm="HMAC_SHA_256"
        )
        assert verified["MacValid"] is True
    for message in (os.urandom(4097), b""):
        with expect_error("ValidationException"):
            kms_unvalidated.generate_mac(KeyId=key_id, Message=message, MacAlgorithm="HMAC_SHA_256")


def test_mac_operations_accept_an_alias_and_answer_with_the_key_arn(
    kms: Any, keys: KeyMaker, aliases: AliasTracker
) -> None:
    key = hmac_key(keys, "HMAC_512")
    alias = aliases.create(key["KeyId"])
    generated = kms.generate_mac(KeyId=alias, Message=b"via alias", MacAlgorithm="HMAC_SHA_512")
    assert generated["KeyId"] == key["Arn"]
    assert generated["Mac"] == generate_mac(kms, key["KeyId"], "HMAC_512", b"via alias")
    verified = kms.verify_mac(
        KeyId=alias, Message=b"via alias", Mac=generated["Mac"], MacAlgorithm="HMAC_SHA_512"
    )
    assert verified["KeyId"] == key["Arn"]


# --------------------------------------------------------------------- rotation, states, DryRun


@pytest.mark.parametrize("operation", ROTATION_OPERATIONS)
def test_rotation_operations_on_hmac_keys_are_unsupported(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    with expect_error("UnsupportedOperationException"):
        getattr(kms, operation)(KeyId=hmac_key(keys, "HMAC_224")["KeyId"])


def _mac_call(kms: Any, operation: str, key_id: str, *, dry_run: bool = False) -> Callable[[], Any]:
    """A GenerateMac or VerifyMac call on an HMAC_256 key that succeeds while it is enabled."""
    extra = {"DryRun": True} if dry_run else {}
    if operation == "GenerateMac":
        return lambda: kms.generate_mac(
            KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256", **extra
        )
    mac = generate_mac(kms, key_id, "HMAC_256", b"m")
    return lambda: kms.verify_mac(
        KeyId=key_id, Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256", **extra
    )


@pytest.mark.parametrize("operation", ["GenerateMac", "VerifyMac"])
def test_disabled_hmac_key_refuses_mac_operations_until_enabled(kms: Any, operation: str) -> None:
    key = create_key(kms, KeySpec="HMAC_256", KeyUsage=GENERATE_VERIFY_MAC)
    call = _mac_call(kms, operation, key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        call()
    kms.enable_key(KeyId=key["KeyId"])
    call()


def test_hmac_key_pending_deletion_refuses_generate_mac(kms: Any) -> None:
    key = create_key(kms, KeySpec="HMAC_256", KeyUsage=GENERATE_VERIFY_MAC)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=30)
    with expect_error("KMSInvalidStateException", message=f"{key['Arn']} is pending deletion."):
        _mac_call(kms, "GenerateMac", key["KeyId"])()


@pytest.mark.parametrize("operation", ["GenerateMac", "VerifyMac"])
def test_dry_run_of_a_mac_request_that_would_succeed_raises_dry_run_operation(
    kms: Any, keys: KeyMaker, operation: str
) -> None:
    call = _mac_call(kms, operation, hmac_key(keys, "HMAC_256")["KeyId"], dry_run=True)
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        call()


def test_dry_run_of_a_mac_request_reports_the_error_a_real_request_would_get(
    kms: Any, keys: KeyMaker
) -> None:
    key_id = hmac_key(keys, "HMAC_256")["KeyId"]
    with expect_error("InvalidKeyUsageException"):
        kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_384", DryRun=True)
    with expect_error("InvalidKeyUsageException"):
        kms.verify_mac(
            KeyId=keys("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")["KeyId"],
            Message=b"m",
            Mac=b"\x00" * 32,
            MacAlgorithm="HMAC_SHA_256",
            DryRun=True,
        )
