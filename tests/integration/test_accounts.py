"""Isolation between accounts on one server."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    Account,
    AliasTracker,
    create_key,
    expect_error,
    list_all_aliases,
    list_all_keys,
)


def test_account_create_gives_a_distinct_account_and_credentials(
    account: Account, other_account: Account
) -> None:
    assert other_account.account_id != account.account_id
    assert len(other_account.account_id) == 12
    assert other_account.account_id.isdigit()
    assert other_account.credentials.access_key_id != account.credentials.access_key_id


def test_the_other_account_can_create_and_use_its_own_keys(
    other_kms: Any, other_account: Account
) -> None:
    metadata = create_key(other_kms)
    assert metadata["AWSAccountId"] == other_account.account_id
    assert metadata["Arn"] == other_account.key_arn(metadata["KeyId"])
    blob = other_kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"theirs")["CiphertextBlob"]
    assert other_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"theirs"


def test_another_account_cannot_find_a_key_by_its_bare_id(
    other_kms: Any, other_account: Account, key: dict[str, Any]
) -> None:
    # A bare key id is resolved in the caller's own account.
    with expect_error(
        "NotFoundException",
        message=f"Key '{other_account.key_arn(key['KeyId'])}' does not exist",
    ):
        other_kms.describe_key(KeyId=key["KeyId"])
    with expect_error("NotFoundException"):
        other_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_another_account_is_denied_describe_key_by_arn(other_kms: Any, key: dict[str, Any]) -> None:
    with expect_error("AccessDeniedException"):
        other_kms.describe_key(KeyId=key["Arn"])


@pytest.mark.parametrize(
    "operation", ["encrypt", "generate_data_key", "generate_data_key_without_plaintext"]
)
def test_another_account_is_denied_crypto_by_key_arn(
    other_kms: Any, key: dict[str, Any], operation: str
) -> None:
    kwargs: dict[str, Any] = {"KeyId": key["Arn"]}
    if operation == "encrypt":
        kwargs["Plaintext"] = b"x"
    else:
        kwargs["KeySpec"] = "AES_256"
    with expect_error("AccessDeniedException"):
        getattr(other_kms, operation)(**kwargs)


def test_another_account_is_denied_decrypting_this_accounts_ciphertext(
    kms: Any, other_kms: Any, key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"not yours")["CiphertextBlob"]
    with expect_error("AccessDeniedException") as error:
        other_kms.decrypt(CiphertextBlob=blob)
    assert "not yours" not in error.message


def test_another_account_is_denied_re_encrypting_this_accounts_ciphertext(
    kms: Any, other_kms: Any, key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"not yours")["CiphertextBlob"]
    own = create_key(other_kms)
    with expect_error("AccessDeniedException"):
        other_kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=own["KeyId"])


def test_another_account_is_denied_managing_a_key_by_arn(
    other_kms: Any, key: dict[str, Any], kms: Any
) -> None:
    with expect_error("AccessDeniedException"):
        other_kms.disable_key(KeyId=key["Arn"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_another_account_does_not_see_this_accounts_keys(
    other_kms: Any, key: dict[str, Any]
) -> None:
    listed = list_all_keys(other_kms)
    assert key["KeyId"] not in {k["KeyId"] for k in listed}
    assert key["Arn"] not in {k["KeyArn"] for k in listed}


def test_another_account_does_not_see_this_accounts_aliases(
    other_kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    listed = list_all_aliases(other_kms)
    assert name not in {a["AliasName"] for a in listed}
    assert key["KeyId"] not in {a.get("TargetKeyId") for a in listed}
    with expect_error("NotFoundException"):
        other_kms.describe_key(KeyId=name)


def test_two_accounts_may_use_the_same_alias_name(
    kms: Any, other_kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    theirs = create_key(other_kms)
    name = aliases.create(key["KeyId"])
    aliases.create(theirs["KeyId"], name, kms=other_kms)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert other_kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == theirs["KeyId"]


def test_another_account_cannot_point_an_alias_at_this_accounts_key(
    other_kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    with pytest.raises(other_kms.exceptions.ClientError) as info:
        aliases.create(key["Arn"], kms=other_kms)
    assert info.value.response["Error"]["Code"] in {"AccessDeniedException", "NotFoundException"}
