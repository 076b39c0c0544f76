"""Keys and aliases live in one account + Region."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    OTHER_REGION,
    Account,
    AliasTracker,
    KmsClientFactory,
    create_key,
    expect_error,
    list_all_aliases,
    list_all_keys,
)


@pytest.fixture(scope="session")
def west(kms_client: KmsClientFactory) -> Any:
    return kms_client(region=OTHER_REGION)


def test_a_key_created_in_one_region_is_not_found_by_id_in_another(
    west: Any, key: dict[str, Any], account: Account
) -> None:
    with expect_error(
        "NotFoundException",
        message=f"Key '{account.key_arn(key['KeyId'], OTHER_REGION)}' does not exist",
    ):
        west.describe_key(KeyId=key["KeyId"])


def test_a_key_arn_of_another_region_is_not_found(west: Any, key: dict[str, Any]) -> None:
    with expect_error("NotFoundException", message="Invalid arn us-east-1"):
        west.describe_key(KeyId=key["Arn"])


def test_encrypt_with_a_key_of_another_region_is_not_found(west: Any, key: dict[str, Any]) -> None:
    with expect_error("NotFoundException"):
        west.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    with expect_error("NotFoundException"):
        west.encrypt(KeyId=key["Arn"], Plaintext=b"x")


def test_a_key_created_in_another_region_has_that_region_in_its_arn(
    west: Any, account: Account
) -> None:
    metadata = create_key(west)
    assert metadata["Arn"] == account.key_arn(metadata["KeyId"], OTHER_REGION)
    blob = west.encrypt(KeyId=metadata["KeyId"], Plaintext=b"west")["CiphertextBlob"]
    decrypted = west.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"west"
    assert decrypted["KeyId"] == metadata["Arn"]


def test_list_keys_shows_only_the_keys_of_the_callers_region(kms: Any, west: Any) -> None:
    east_key = create_key(kms)
    west_key = create_key(west)
    east_ids = {k["KeyId"] for k in list_all_keys(kms)}
    west_ids = {k["KeyId"] for k in list_all_keys(west)}
    assert east_key["KeyId"] in east_ids
    assert east_key["KeyId"] not in west_ids
    assert west_key["KeyId"] in west_ids
    assert west_key["KeyId"] not in east_ids


def test_a_ciphertext_from_one_region_cannot_be_decrypted_in_another(
    kms: Any, west: Any, key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"east only")["CiphertextBlob"]
    with pytest.raises(west.exceptions.ClientError) as info:
        west.decrypt(CiphertextBlob=blob)
    # AWS cannot even parse another Region's blob; a faithful server says
    # InvalidCiphertext or NotFound, but never returns the plaintext.
    assert info.value.response["Error"]["Code"] in {
        "InvalidCiphertextException",
        "NotFoundException",
    }
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_same_alias_name_can_exist_in_two_regions(
    kms: Any, west: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    west_key = create_key(west)
    name = aliases.create(key["KeyId"])
    aliases.create(west_key["KeyId"], name, kms=west)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert west.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == west_key["KeyId"]


def test_an_alias_is_not_visible_from_another_region(
    west: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    assert name not in {a["AliasName"] for a in list_all_aliases(west)}
    with expect_error("NotFoundException"):
        west.describe_key(KeyId=name)
