"""GenerateDataKey, GenerateDataKeyWithoutPlaintext and GenerateRandom."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .helpers import AliasTracker, expect_error

DATA_KEY_OPERATIONS = ["generate_data_key", "generate_data_key_without_plaintext"]


def range_message(value: int, field: str, bound: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must have value {bound}"
    )


# --------------------------------------------------------------------------- GenerateDataKey


@pytest.mark.parametrize(("spec", "length"), [("AES_256", 32), ("AES_128", 16)])
def test_generate_data_key_by_key_spec_returns_a_key_of_that_length(
    kms: Any, key: dict[str, Any], spec: str, length: int
) -> None:
    result = kms.generate_data_key(KeyId=key["KeyId"], KeySpec=spec)
    assert len(result["Plaintext"]) == length
    assert result["KeyId"] == key["Arn"]
    assert result["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    assert result["Plaintext"] not in result["CiphertextBlob"]


@pytest.mark.parametrize("number_of_bytes", [1, 32, 1024])
def test_generate_data_key_by_number_of_bytes_returns_that_many_bytes(
    kms: Any, key: dict[str, Any], number_of_bytes: int
) -> None:
    result = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=number_of_bytes)
    assert len(result["Plaintext"]) == number_of_bytes


def test_generate_data_key_ciphertext_decrypts_to_its_plaintext(
    kms: Any, key: dict[str, Any]
) -> None:
    result = kms.generate_data_key(
        KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"purpose": "dek"}
    )
    decrypted = kms.decrypt(
        CiphertextBlob=result["CiphertextBlob"], EncryptionContext={"purpose": "dek"}
    )
    assert decrypted["Plaintext"] == result["Plaintext"]
    assert decrypted["KeyId"] == key["Arn"]


def test_generate_data_key_binds_the_encryption_context(kms: Any, key: dict[str, Any]) -> None:
    result = kms.generate_data_key(
        KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"purpose": "dek"}
    )
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(CiphertextBlob=result["CiphertextBlob"])


def test_generate_data_key_returns_fresh_keys(kms: Any, key: dict[str, Any]) -> None:
    first = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    second = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    assert first != second


def test_generate_data_key_accepts_an_alias(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    alias = aliases.create(key["KeyId"])
    assert kms.generate_data_key(KeyId=alias, KeySpec="AES_128")["KeyId"] == key["Arn"]


def test_generate_data_key_without_plaintext_returns_only_the_ciphertext(
    kms: Any, key: dict[str, Any]
) -> None:
    result = kms.generate_data_key_without_plaintext(
        KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"a": "b"}
    )
    assert "Plaintext" not in result
    assert result["KeyId"] == key["Arn"]
    assert result["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    decrypted = kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext={"a": "b"})
    assert len(decrypted["Plaintext"]) == 32


def test_generate_data_key_without_plaintext_by_number_of_bytes(
    kms: Any, key: dict[str, Any]
) -> None:
    result = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=7)
    assert len(kms.decrypt(CiphertextBlob=result["CiphertextBlob"])["Plaintext"]) == 7


@pytest.mark.parametrize("operation", DATA_KEY_OPERATIONS)
def test_data_key_without_spec_or_length_is_a_validation_error(
    kms: Any, key: dict[str, Any], operation: str
) -> None:
    with expect_error("ValidationException"):
        getattr(kms, operation)(KeyId=key["KeyId"])


@pytest.mark.parametrize("operation", DATA_KEY_OPERATIONS)
def test_data_key_with_both_spec_and_length_is_a_validation_error(
    kms: Any, key: dict[str, Any], operation: str
) -> None:
    with expect_error("ValidationException"):
        getattr(kms, operation)(KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32)


@pytest.mark.parametrize("operation", DATA_KEY_OPERATIONS)
@pytest.mark.parametrize(
    ("number_of_bytes", "bound"),
    [(0, "greater than or equal to 1"), (1025, "less than or equal to 1024")],
)
def test_data_key_length_outside_1_to_1024_is_a_validation_error(
    kms_unvalidated: Any, key: dict[str, Any], operation: str, number_of_bytes: int, bound: str
) -> None:
    with expect_error(
        "ValidationException", message=range_message(number_of_bytes, "numberOfBytes", bound)
    ):
        getattr(kms_unvalidated, operation)(KeyId=key["KeyId"], NumberOfBytes=number_of_bytes)


@pytest.mark.parametrize("operation", DATA_KEY_OPERATIONS)
def test_data_key_with_unknown_spec_is_a_validation_error(
    kms_unvalidated: Any, key: dict[str, Any], operation: str
) -> None:
    with expect_error("ValidationException") as error:
        getattr(kms_unvalidated, operation)(KeyId=key["KeyId"], KeySpec="AES_512")
    assert error.message.startswith(
        "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy "
        "constraint: Member must satisfy enum value set"
    ), error.message


@pytest.mark.parametrize("operation", DATA_KEY_OPERATIONS)
def test_data_key_with_a_disabled_key_is_disabled(
    kms: Any, key: dict[str, Any], operation: str
) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        getattr(kms, operation)(KeyId=key["KeyId"], KeySpec="AES_256")


@pytest.mark.parametrize("operation", DATA_KEY_OPERATIONS)
def test_data_key_with_an_unknown_key_is_not_found(kms: Any, operation: str) -> None:
    with expect_error("NotFoundException"):
        getattr(kms, operation)(KeyId=str(uuid.uuid4()), KeySpec="AES_256")


# --------------------------------------------------------------------------- GenerateRandom


@pytest.mark.parametrize("number_of_bytes", [1, 32, 1024])
def test_generate_random_returns_that_many_bytes(kms: Any, number_of_bytes: int) -> None:
    assert len(kms.generate_random(NumberOfBytes=number_of_bytes)["Plaintext"]) == number_of_bytes


def test_generate_random_returns_different_bytes_each_time(kms: Any) -> None:
    assert (
        kms.generate_random(NumberOfBytes=32)["Plaintext"]
        != kms.generate_random(NumberOfBytes=32)["Plaintext"]
    )


@pytest.mark.parametrize(
    ("number_of_bytes", "bound"),
    [(0, "greater than or equal to 1"), (1025, "less than or equal to 1024")],
)
def test_generate_random_outside_1_to_1024_is_a_validation_error(
    kms_unvalidated: Any, number_of_bytes: int, bound: str
) -> None:
    with expect_error(
        "ValidationException", message=range_message(number_of_bytes, "numberOfBytes", bound)
    ):
        kms_unvalidated.generate_random(NumberOfBytes=number_of_bytes)


def test_generate_random_without_number_of_bytes_is_a_validation_error(kms: Any) -> None:
    with expect_error("ValidationException", message="NumberOfBytes is required."):
        kms.generate_random()
