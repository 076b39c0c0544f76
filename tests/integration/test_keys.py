"""CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey, DisableKey."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest

from .helpers import (
    Account,
    AliasTracker,
    create_key,
    expect_error,
    list_all_keys,
    unique_name,
)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")


# --------------------------------------------------------------------------- CreateKey


def test_create_key_defaults_to_an_enabled_symmetric_customer_key(
    kms: Any, account: Account
) -> None:
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    metadata = kms.create_key()["KeyMetadata"]

    assert UUID_RE.match(metadata["KeyId"]), metadata["KeyId"]
    assert metadata["AWSAccountId"] == account.account_id
    assert metadata["Arn"] == account.key_arn(metadata["KeyId"])
    assert isinstance(metadata["CreationDate"], datetime.datetime)
    assert metadata["CreationDate"] >= before
    assert metadata["Enabled"] is True
    assert metadata["Description"] == ""
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert metadata["KeyState"] == "Enabled"
    assert metadata["Origin"] == "AWS_KMS"
    assert metadata["KeyManager"] == "CUSTOMER"
    assert metadata["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert metadata["MultiRegion"] is False
    assert HEX64_RE.match(metadata["CurrentKeyMaterialId"]), metadata["CurrentKeyMaterialId"]
    assert "DeletionDate" not in metadata
    assert "MultiRegionConfiguration" not in metadata
    assert "SigningAlgorithms" not in metadata
    assert "MacAlgorithms" not in metadata


def test_create_key_with_explicit_symmetric_spec_and_usage(kms: Any) -> None:
    metadata = create_key(
        kms, KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", MultiRegion=False
    )
    assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert metadata["MultiRegion"] is False


def test_create_key_stores_description(kms: Any) -> None:
    description = "payments team key " + unique_name()
    metadata = kms.create_key(Description=description)["KeyMetadata"]
    assert metadata["Description"] == description
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert described["Description"] == description


def test_create_key_with_tags_makes_them_listable(kms: Any) -> None:
    tags = [{"TagKey": "team", "TagValue": "payments"}, {"TagKey": "empty", "TagValue": ""}]
    metadata = create_key(kms, Tags=tags)
    listed = kms.list_resource_tags(KeyId=metadata["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in listed} == {"team": "payments", "empty": ""}


def test_create_key_gives_each_key_a_distinct_id_and_material(kms: Any) -> None:
    first = create_key(kms)
    second = create_key(kms)
    assert first["KeyId"] != second["KeyId"]
    assert first["CurrentKeyMaterialId"] != second["CurrentKeyMaterialId"]


def test_create_key_rejects_unknown_key_spec(kms_unvalidated: Any) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.create_key(KeySpec="AES_512")
    assert "keySpec" in error.message


def test_create_key_rejects_unknown_key_usage(kms_unvalidated: Any) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.create_key(KeyUsage="SHRED_DOCUMENTS")
    assert "keyUsage" in error.message


def test_create_key_rejects_description_over_8192_characters(kms_unvalidated: Any) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.create_key(Description="d" * 8193)
    assert "description" in error.message


# --------------------------------------------------------------------------- DescribeKey


def test_describe_key_returns_the_metadata_create_key_returned(
    kms: Any, key: dict[str, Any]
) -> None:
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    for field in (
        "AWSAccountId",
        "KeyId",
        "Arn",
        "CreationDate",
        "Enabled",
        "Description",
        "KeyUsage",
        "KeyState",
        "Origin",
        "KeyManager",
        "CustomerMasterKeySpec",
        "KeySpec",
        "EncryptionAlgorithms",
        "MultiRegion",
        "CurrentKeyMaterialId",
    ):
        assert described[field] == key[field], field


@pytest.mark.parametrize("form", ["id", "arn", "alias_name", "alias_arn"])
def test_describe_key_accepts_every_identifier_form(
    kms: Any, key: dict[str, Any], aliases: AliasTracker, account: Account, form: str
) -> None:
    alias = aliases.create(key["KeyId"])
    key_id = {
        "id": key["KeyId"],
        "arn": key["Arn"],
        "alias_name": alias,
        "alias_arn": account.alias_arn(alias),
    }[form]
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyId"] == key["KeyId"]
    assert described["Arn"] == key["Arn"]


def test_describe_key_of_unknown_key_id_is_not_found(kms: Any, account: Account) -> None:
    missing = str(uuid.uuid4())
    with expect_error(
        "NotFoundException", message=f"Key '{account.key_arn(missing)}' does not exist"
    ):
        kms.describe_key(KeyId=missing)


def test_describe_key_of_unknown_key_arn_is_not_found(kms: Any, account: Account) -> None:
    missing = account.key_arn(str(uuid.uuid4()))
    with expect_error("NotFoundException", message=f"Key '{missing}' does not exist"):
        kms.describe_key(KeyId=missing)


@pytest.mark.parametrize(
    "malformed",
    ["not-a-key-id", "1234", "mrk-123", "ABCDEFGH-1234-1234-1234-123456789012x"],
)
def test_describe_key_of_malformed_key_id_is_not_found(kms: Any, malformed: str) -> None:
    with expect_error("NotFoundException", message=f"Invalid keyId '{malformed}'"):
        kms.describe_key(KeyId=malformed)


def test_describe_key_of_unknown_alias_is_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.describe_key(KeyId="alias/" + unique_name("missing"))


def test_describe_key_without_key_id_is_a_validation_error(kms_unvalidated: Any) -> None:
    with expect_error("ValidationException") as error:
        kms_unvalidated.describe_key()
    assert "keyId" in error.message


# --------------------------------------------------------------------------- ListKeys


def test_list_keys_includes_a_new_key_with_id_and_arn(kms: Any, key: dict[str, Any]) -> None:
    listed = {k["KeyId"]: k for k in list_all_keys(kms)}
    assert key["KeyId"] in listed
    assert listed[key["KeyId"]]["KeyArn"] == key["Arn"]


def test_list_keys_paginator_returns_every_key_once(kms: Any) -> None:
    created = {create_key(kms)["KeyId"] for _ in range(5)}
    pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}))
    seen = [k["KeyId"] for page in pages for k in page["Keys"]]
    assert len(seen) == len(set(seen)), "a key was listed twice"
    assert created <= set(seen)
    assert len(pages) >= 3
    assert all(len(page["Keys"]) <= 2 for page in pages)


def test_list_keys_manual_pagination_follows_next_marker(kms: Any) -> None:
    created = {create_key(kms)["KeyId"] for _ in range(3)}
    seen: list[str] = []
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"Limit": 1}
        if marker:
            kwargs["Marker"] = marker
        page = kms.list_keys(**kwargs)
        assert len(page["Keys"]) <= 1
        seen.extend(k["KeyId"] for k in page["Keys"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert page["NextMarker"]
        marker = page["NextMarker"]
    assert len(seen) == len(set(seen))
    assert created <= set(seen)


def test_list_keys_default_page_holds_at_most_100_keys(kms: Any) -> None:
    page = kms.list_keys()
    assert len(page["Keys"]) <= 100
    assert page["Truncated"] is ("NextMarker" in page)


@pytest.mark.parametrize("limit", [0, 1001])
def test_list_keys_rejects_limit_outside_1_to_1000(kms_unvalidated: Any, limit: int) -> None:
    bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 1000"
    with expect_error(
        "ValidationException",
        message=(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            f"constraint: Member must have value {bound}"
        ),
    ):
        kms_unvalidated.list_keys(Limit=limit)


def test_list_keys_rejects_a_forged_marker(kms: Any) -> None:
    with expect_error("InvalidMarkerException"):
        kms.list_keys(Marker="this-is-not-a-marker-the-server-issued")


# --------------------------------------------------------------------------- UpdateKeyDescription


def test_update_key_description_replaces_the_description(kms: Any, key: dict[str, Any]) -> None:
    kms.update_key_description(KeyId=key["KeyId"], Description="new description")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "new description"


def test_update_key_description_accepts_a_key_arn_and_an_empty_description(
    kms: Any, key: dict[str, Any]
) -> None:
    kms.update_key_description(KeyId=key["Arn"], Description="")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""


def test_update_key_description_of_unknown_key_is_not_found(kms: Any) -> None:
    with expect_error("NotFoundException"):
        kms.update_key_description(KeyId=str(uuid.uuid4()), Description="x")


# --------------------------------------------------------------------------- Enable/Disable


def test_disable_key_sets_state_disabled_and_enable_key_restores_it(
    kms: Any, key: dict[str, Any]
) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "Disabled"
    assert metadata["Enabled"] is False

    kms.enable_key(KeyId=key["Arn"])
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled"
    assert metadata["Enabled"] is True
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"usable again")


def test_disable_and_enable_are_idempotent(kms: Any, key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key["KeyId"])
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_disabled_key_still_allows_management_operations(
    kms: Any, key: dict[str, Any], aliases: AliasTracker
) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    kms.update_key_description(KeyId=key["KeyId"], Description="still manageable")
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v"}])
    alias = aliases.create(key["KeyId"])
    metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert metadata["Description"] == "still manageable"
    assert metadata["KeyState"] == "Disabled"
    kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")


@pytest.mark.parametrize("operation", ["enable_key", "disable_key"])
def test_enable_and_disable_of_unknown_key_are_not_found(kms: Any, operation: str) -> None:
    with expect_error("NotFoundException"):
        getattr(kms, operation)(KeyId=str(uuid.uuid4()))
