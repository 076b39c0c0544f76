"""Encrypt, Decrypt, ReEncrypt: round trips, context binding, tampering, key checks, DryRun."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from .helpers import Account, AliasTracker, expect_error

DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
INCORRECT_KEY_MESSAGE = (
    "The key ID in the request does not identify a CMK that can perform this operation."
)


def encrypt(
    kms: Any, key_id: str, plaintext: bytes, context: dict[str, str] | None = None
) -> bytes:
    kwargs: dict[str, Any] = {"KeyId": key_id, "Plaintext": plaintext}
    if context is not None:
        kwargs["EncryptionContext"] = context
    blob: bytes = kms.encrypt(**kwargs)["CiphertextBlob"]
    return blob


# --------------------------------------------------------------------------- Encrypt / Decrypt


@pytest.mark.parametrize("size", [1, 32, 4096])
def test_decrypt_recovers_what_encrypt_encrypted(kms: Any, key: dict[str, Any], size: int) -> None:
    plaintext = os.urandom(size)
    encrypted = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)
    assert encrypted["KeyId"] == key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    if size >= 16:
        assert plaintext not in encrypted["CiphertextBlob"]
    assert len(encrypted["CiphertextBlob"]) <= 6144

    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    assert decrypted["Plaintext"] == plaintext
    assert decrypted["KeyId"] == key["Arn"]
    assert decrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


def test_decrypt_reports_the_key_material_id(kms: Any, key: dict[str, Any]) -> None:
    blob = encrypt(kms, key["KeyId"], b"material")
    decrypted = kms.decrypt(CiphertextBlob=blob)
    assert decrypted["KeyMaterialId"] == key["CurrentKeyMaterialId"]


def test_encrypt_is_randomized(kms: Any, key: dict[str, Any]) -> None:
    assert encrypt(kms, key["KeyId"], b"same") != encrypt(kms, key["KeyId"], b"same")


@pytest.mark.parametrize("form", ["arn", "alias_name", "alias_arn"])
def test_encrypt_accepts_any_key_identifier_and_returns_the_key_arn(
    kms: Any, key: dict[str, Any], aliases: AliasTracker, account: Account, form: str
) -> None:
    alias = aliases.create(key["KeyId"])
    key_id = {"arn": key["Arn"], "alias_name": alias, "alias_arn": account.alias_arn(alias)}[form]
    encrypted = kms.encrypt(KeyId=key_id, Plaintext=b"hello")
    assert encrypted["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])["Plaintext"] == b"hello"


@pytest.mark.parametrize("form", ["id", "arn", "alias_name"])
def test_decrypt_with_the_right_key_id_in_any_form_succeeds(
    kms: Any, key: dict[str, Any], aliases: AliasTracker, form: str
) -> None:
    alias = aliases.create(key["KeyId"])
    blob = encrypt(kms, key["KeyId"], b"pinned")
    key_id = {"id": key["KeyId"], "arn": key["Arn"], "alias_name": alias}[form]
    decrypted = kms.decrypt(CiphertextBlob=blob, KeyId=key_id)
    assert decrypted["Plaintext"] == b"pinned"
    assert decrypted["KeyId"] == key["Arn"]


def test_encrypt_rejects_plaintext_over_4096_bytes(
    kms_unvalidated: Any, key: dict[str, Any]
) -> None:
    with expect_error(
        "ValidationException",
        message=(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
            "Member must have length less than or equal to 4096"
        ),
    ):
        kms_unvalidated.encrypt(KeyId=key["KeyId"], Plaintext=os.urandom(4097))


def test_encrypt_rejects_empty_plaintext(kms_unvalidated: Any, key: dict[str, Any]) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.encrypt(KeyId=key["KeyId"], Plaintext=b"")
    assert "plaintext" in error.message


def test_encrypt_with_unknown_key_is_not_found(kms: Any, account: Account) -> None:
    missing = str(uuid.uuid4())
    with expect_error(
        "NotFoundException", message=f"Key '{account.key_arn(missing)}' does not exist"
    ):
        kms.encrypt(KeyId=missing, Plaintext=b"x")


def test_encrypt_with_unknown_alias_is_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.encrypt(KeyId=f"alias/missing-{uuid.uuid4().hex}", Plaintext=b"x")


def test_encrypt_with_unknown_encryption_algorithm_is_a_validation_error(
    kms_unvalidated: Any, key: dict[str, Any]
) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="ROT13")
    assert "encryptionAlgorithm" in error.message


# --------------------------------------------------------------------------- encryption context


def test_decrypt_with_the_same_context_in_another_order_succeeds(
    kms: Any, key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"ctx", {"purpose": "test", "tenant": "a", "z": ""})
    decrypted = kms.decrypt(
        CiphertextBlob=blob, EncryptionContext={"z": "", "tenant": "a", "purpose": "test"}
    )
    assert decrypted["Plaintext"] == b"ctx"


@pytest.mark.parametrize(
    ("encrypt_context", "decrypt_context"),
    [
        pytest.param({"tenant": "a"}, {"tenant": "b"}, id="value-differs"),
        pytest.param({"tenant": "a"}, {"Tenant": "a"}, id="key-case-differs"),
        pytest.param({"tenant": "a"}, {"tenant": "A"}, id="value-case-differs"),
        pytest.param({"tenant": "a"}, None, id="missing"),
        pytest.param({"tenant": "a", "app": "x"}, {"tenant": "a"}, id="pair-missing"),
        pytest.param(None, {"tenant": "a"}, id="extra"),
        pytest.param({"tenant": "a"}, {"tenant": "a", "app": "x"}, id="pair-extra"),
        pytest.param({"ab": "c"}, {"a": "bc"}, id="boundary-shift"),
    ],
)
def test_decrypt_with_a_different_context_is_invalid_ciphertext(
    kms: Any,
    key: dict[str, Any],
    encrypt_context: dict[str, str] | None,
    decrypt_context: dict[str, str] | None,
) -> None:
    blob = encrypt(kms, key["KeyId"], b"bound", encrypt_context)
    kwargs: dict[str, Any] = {"CiphertextBlob": blob}
    if decrypt_context is not None:
        kwargs["EncryptionContext"] = decrypt_context
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(**kwargs)


def test_unicode_encryption_context_round_trips(kms: Any, key: dict[str, Any]) -> None:
    context = {"naïve-clé": "värde ✓", "日本": "語"}
    blob = encrypt(kms, key["KeyId"], b"unicode", context)
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"unicode"


# --------------------------------------------------------------------------- tampering


def test_flipping_any_bit_of_a_ciphertext_is_invalid_ciphertext(
    kms: Any, key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], os.urandom(32), {"k": "v"})
    wrong = []
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        try:
            kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext={"k": "v"})
        except kms.exceptions.InvalidCiphertextException:
            continue
        except Exception as exc:  # collect and report every position
            wrong.append(f"byte {index}: {type(exc).__name__} {exc}")
        else:
            wrong.append(f"byte {index}: decrypted")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("cut", ["last-byte", "half", "header-only", "appended"])
def test_truncated_or_extended_ciphertext_is_invalid_ciphertext(
    kms: Any, key: dict[str, Any], cut: str
) -> None:
    blob = encrypt(kms, key["KeyId"], b"truncate me")
    tampered = {
        "last-byte": blob[:-1],
        "half": blob[: len(blob) // 2],
        "header-only": blob[:8],
        "appended": blob + b"\x00",
    }[cut]
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(CiphertextBlob=tampered)


@pytest.mark.parametrize("size", [1, 64, 300])
def test_random_bytes_are_invalid_ciphertext(kms: Any, size: int) -> None:
    with expect_error("InvalidCiphertextException", message=""):
        kms.decrypt(CiphertextBlob=os.urandom(size))


def test_empty_ciphertext_is_a_validation_error(kms_unvalidated: Any) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.decrypt(CiphertextBlob=b"")
    assert "ciphertextBlob" in error.message


# --------------------------------------------------------------------------- wrong key


def test_decrypt_with_another_keys_id_is_incorrect_key(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"mine")
    with expect_error("IncorrectKeyException", message=INCORRECT_KEY_MESSAGE):
        kms.decrypt(CiphertextBlob=blob, KeyId=other_key["KeyId"])


def test_decrypt_with_another_keys_alias_is_incorrect_key(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    alias = aliases.create(other_key["KeyId"])
    blob = encrypt(kms, key["KeyId"], b"mine")
    with expect_error("IncorrectKeyException", message=INCORRECT_KEY_MESSAGE):
        kms.decrypt(CiphertextBlob=blob, KeyId=alias)


def test_decrypt_with_an_unknown_key_id_is_not_found(kms: Any, key: dict[str, Any]) -> None:
    blob = encrypt(kms, key["KeyId"], b"mine")
    with expect_error("NotFoundException"):
        kms.decrypt(CiphertextBlob=blob, KeyId=str(uuid.uuid4()))


# --------------------------------------------------------------------------- disabled keys


def test_encrypt_with_a_disabled_key_is_disabled(kms: Any, key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_decrypt_with_a_disabled_key_is_disabled_until_enabled(
    kms: Any, key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"wait for me")
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        kms.decrypt(CiphertextBlob=blob)
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"wait for me"


def test_re_encrypt_from_a_disabled_source_key_is_disabled(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"x")
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other_key["KeyId"])


def test_re_encrypt_to_a_disabled_destination_key_is_disabled(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"x")
    kms.disable_key(KeyId=other_key["KeyId"])
    with expect_error("DisabledException", message=f"{other_key['Arn']} is disabled."):
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other_key["KeyId"])


# --------------------------------------------------------------------------- ReEncrypt


def test_re_encrypt_moves_a_ciphertext_to_another_key_and_context(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"moving", {"stage": "old"})
    result = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"stage": "old"},
        DestinationKeyId=other_key["KeyId"],
        DestinationEncryptionContext={"stage": "new"},
    )
    assert result["SourceKeyId"] == key["Arn"]
    assert result["KeyId"] == other_key["Arn"]
    assert result["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert result["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert result["SourceKeyMaterialId"] == key["CurrentKeyMaterialId"]
    assert result["DestinationKeyMaterialId"] == other_key["CurrentKeyMaterialId"]
    assert b"moving" not in result["CiphertextBlob"]

    decrypted = kms.decrypt(
        CiphertextBlob=result["CiphertextBlob"], EncryptionContext={"stage": "new"}
    )
    assert decrypted["Plaintext"] == b"moving"
    assert decrypted["KeyId"] == other_key["Arn"]
    with expect_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext={"stage": "old"})


def test_re_encrypt_on_the_same_key_changes_only_the_context(kms: Any, key: dict[str, Any]) -> None:
    blob = encrypt(kms, key["KeyId"], b"same key", {"v": "1"})
    result = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"v": "1"},
        DestinationKeyId=key["Arn"],
        DestinationEncryptionContext={"v": "2"},
    )
    assert result["SourceKeyId"] == key["Arn"] == result["KeyId"]
    decrypted = kms.decrypt(CiphertextBlob=result["CiphertextBlob"], EncryptionContext={"v": "2"})
    assert decrypted["Plaintext"] == b"same key"


def test_re_encrypt_with_the_matching_source_key_id_succeeds(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any], aliases: AliasTracker
) -> None:
    alias = aliases.create(other_key["KeyId"])
    blob = encrypt(kms, key["KeyId"], b"x")
    result = kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=key["Arn"], DestinationKeyId=alias)
    assert result["KeyId"] == other_key["Arn"]


def test_re_encrypt_with_the_wrong_source_context_is_invalid_ciphertext(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"x", {"a": "1"})
    with expect_error("InvalidCiphertextException", message=""):
        kms.re_encrypt(
            CiphertextBlob=blob,
            SourceEncryptionContext={"a": "2"},
            DestinationKeyId=other_key["KeyId"],
        )


def test_re_encrypt_with_the_wrong_source_key_id_is_incorrect_key(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"x")
    with expect_error("IncorrectKeyException", message=INCORRECT_KEY_MESSAGE):
        kms.re_encrypt(
            CiphertextBlob=blob, SourceKeyId=other_key["KeyId"], DestinationKeyId=key["KeyId"]
        )


def test_re_encrypt_to_an_unknown_key_is_not_found(kms: Any, key: dict[str, Any]) -> None:
    blob = encrypt(kms, key["KeyId"], b"x")
    with expect_error("NotFoundException"):
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=str(uuid.uuid4()))


def test_re_encrypt_of_a_tampered_blob_is_invalid_ciphertext(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = bytearray(encrypt(kms, key["KeyId"], b"x"))
    blob[-1] ^= 0x80
    with expect_error("InvalidCiphertextException", message=""):
        kms.re_encrypt(CiphertextBlob=bytes(blob), DestinationKeyId=other_key["KeyId"])


# --------------------------------------------------------------------------- DryRun


def test_dry_run_encrypt_reports_success_without_a_ciphertext(
    kms: Any, key: dict[str, Any]
) -> None:
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE) as error:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True)
    assert "CiphertextBlob" not in error.response


def test_dry_run_decrypt_reports_success_without_a_plaintext(kms: Any, key: dict[str, Any]) -> None:
    blob = encrypt(kms, key["KeyId"], b"secret")
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE) as error:
        kms.decrypt(CiphertextBlob=blob, DryRun=True)
    assert "Plaintext" not in error.response


def test_dry_run_re_encrypt_reports_success(
    kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    blob = encrypt(kms, key["KeyId"], b"x")
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other_key["KeyId"], DryRun=True)


@pytest.mark.parametrize("operation", ["generate_data_key", "generate_data_key_without_plaintext"])
def test_dry_run_generate_data_key_reports_success(
    kms: Any, key: dict[str, Any], operation: str
) -> None:
    with expect_error("DryRunOperationException", message=DRY_RUN_MESSAGE):
        getattr(kms, operation)(KeyId=key["KeyId"], KeySpec="AES_256", DryRun=True)


def test_dry_run_false_behaves_like_a_normal_call(kms: Any, key: dict[str, Any]) -> None:
    result = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=False)
    assert result["KeyId"] == key["Arn"]


def test_dry_run_on_a_disabled_key_reports_the_real_error(kms: Any, key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException", message=f"{key['Arn']} is disabled."):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", DryRun=True)


def test_dry_run_decrypt_of_a_bad_blob_reports_the_real_error(kms: Any) -> None:
    with expect_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=os.urandom(200), DryRun=True)


def test_dry_run_with_an_unknown_key_reports_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.encrypt(KeyId=str(uuid.uuid4()), Plaintext=b"x", DryRun=True)
